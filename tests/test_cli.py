"""The ``tvips-ks`` command line, driven through its real entry points in subprocesses.

Every command runs as ``python -m tvips_ks …`` (and some through the installed
``tvips-ks`` script) on the shipped example and on small series written with
``tvips_ks.save`` and then damaged on purpose.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest

import tvips_ks
from tvips_ks.audit.check import check_series
from tvips_ks.cli import main

EXAMPLE = Path(str(tvips_ks.example_path()))
FRAME = (8, 8)
LEN_RECORD = 60 + 8 * 8 * 2          # 60-byte v2 frame header + 8x8 uint16
CAP = 256 + 10 * LEN_RECORD          # _000 holds 10 frames, later parts 11


def run(*args, cwd=None, env=None):
    """``python -m tvips_ks ARGS``; returns the CompletedProcess (text)."""
    return subprocess.run([sys.executable, "-m", "tvips_ks", *map(str, args)],
                          capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def call(capsys):
    """``tvips_ks.cli.main(ARGS)`` in this process (fast, for the many error cases)."""
    def invoke(*args):
        capsys.readouterr()
        status = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Result(status, out, err)
    return invoke


def script_path() -> str:
    found = shutil.which("tvips-ks")
    if found:
        return found
    candidate = Path(sysconfig.get_path("scripts")) / "tvips-ks"
    if candidate.exists():
        return str(candidate)
    pytest.skip("the tvips-ks console script is not installed")


def assert_one_line_error(proc, status=2, *needles):
    """A failure: the given status, nothing but one 'tvips-ks: …' line on stderr."""
    assert proc.returncode == status, (proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("tvips-ks: ")
    assert "Traceback" not in proc.stderr + proc.stdout
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# -- series written for the tests ---------------------------------------------------------

def frames(n=40, seed=0):
    return np.random.default_rng(seed).integers(0, 1000, (n, *FRAME), dtype=np.uint16)


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    """Clean and damaged 40-frame series (parts of 10, 11, 11 and 8 frames)."""
    d = tmp_path_factory.mktemp("series")
    data = frames()
    start = 1_700_000_000
    tvips_ks.save(d / "clean.tvips", data, max_file_size=CAP, start_time=start)

    # counter jumps (15 -> 19 at frame 15, a repeat at 30), time going back at
    # frame 22 (the first frame of _002), rotator falling from 35 to 7
    counter = np.arange(1, 41)
    counter[15:] += 3
    counter[30] = counter[29]
    ms = np.arange(40) * 10 + 5000
    ms[21:] -= 500
    rotator = np.arange(1, 41)
    rotator[35:] = [7, 8, 9, 10, 11]
    tvips_ks.save(d / "bad.tvips", data, max_file_size=CAP,
                  frame_headers={"counter": counter, "timestamp_s": ms // 1000,
                                 "timestamp_ms": ms % 1000, "rotator_index": rotator})

    tvips_ks.save(d / "gap.tvips", data, max_file_size=CAP, start_time=start)
    (d / "gap_002.tvips").unlink()

    # a part of another acquisition (16x16 frames) left behind as _002
    tvips_ks.save(d / "stale.tvips", data, max_file_size=CAP, start_time=start)
    tvips_ks.save(d / "other.tvips", frames(9, 1).repeat(2, 1).repeat(2, 2),
                  max_file_size=256 + 3 * (60 + 512), start_time=start)
    os.replace(d / "other_001.tvips", d / "stale_002.tvips")

    tvips_ks.save(d / "trunc.tvips", data, max_file_size=CAP, start_time=start)
    with open(d / "trunc_003.tvips", "r+b") as f:  # 8 records -> 7 and 100 bytes
        f.truncate(7 * LEN_RECORD + 100)

    header = bytearray((d / "clean_000.tvips").read_bytes())
    header[16:20] = (12).to_bytes(4, "little")  # bits_per_pixel 12: not in the spec
    (d / "badheader_000.tvips").write_bytes(bytes(header))
    (d / "short_000.tvips").write_bytes(b"TVIPS" * 10)
    return d


# -- top level ------------------------------------------------------------------------------

def test_help_and_version(call):
    proc = run("--help")
    assert proc.returncode == 0 and "info" in proc.stdout and "preview" in proc.stdout
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"tvips-ks {tvips_ks.__version__}"
    for cmd in ("info", "dump", "check", "convert", "preview"):
        proc = call(cmd, "--help")
        assert proc.returncode == 0 and "usage: tvips-ks " + cmd in proc.stdout


def test_usage_error_in_a_subprocess():
    assert_one_line_error(run("convert", EXAMPLE, "out.npy", "--scan-shape", "3,a"), 2,
                          "error: argument --scan-shape: expected ROWS,COLS")


@pytest.mark.parametrize("args, needle", [
    ((), "choose a command"),
    (("frobnicate",), "invalid choice"),
    (("convert",), "required"),
    (("convert", EXAMPLE, "out.npy", "--scan-shape", "0,4"), "--scan-shape"),
    (("convert", EXAMPLE, "out.npy", "--winding", "z"), "--winding"),
    (("convert", EXAMPLE, "out.npy", "--hysteresis", "x"), "--hysteresis"),
    (("convert", EXAMPLE, "out.npy", "--block-mb", "-1"), "--block-mb"),
    (("preview", EXAMPLE, "out.png", "--size", "big"), "--size"),
    (("check",), "required"),
])
def test_usage_errors_are_one_line(call, args, needle):
    assert_one_line_error(call(*args), 2, needle)


# -- info -----------------------------------------------------------------------------------

def test_info_without_path_describes_the_shipped_example():
    proc = run("info")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    # aligned "key: value" lines: every key line has its value in column 14
    keys = [line[:14].rstrip() for line in lines if line[:1] != " "]
    assert keys == ["series:", "parts:", "frames:", "records:", "main header:", "filler:",
                    "frame header:", "time span:", "frame rate:", "optics:", "scan:",
                    "anomalies:"]
    text = proc.stdout
    assert f"series:       {EXAMPLE}  (the example shipped with tvips-ks)" in text
    assert "parts:        3 part(s), 200 frames" in text
    assert "example_000.tvips       83 frames  frames 0–82" in text
    assert "example_002.tvips       34 frames  frames 166–199" in text
    assert "frames:       200 × 32 × 32 uint16" in text
    assert "records:      2156 bytes: 108-byte frame header (version 2) + image" in text
    assert "len_frame_header=108" in text and "high_tension_kv=300" in text
    assert "frame header: 108 bytes: 27 known field(s) in bytes 0–108, no padding" in text
    assert "varying:  counter, timestamp_ms, rotator_index, scan_x, scan_y" in text
    assert "tem_mode 2 (diffraction)" in text
    assert "time span:    2024-05-17 09:30:00.000 → 09:30:00.398 UTC (0.398 s)" in text
    assert "frame rate:   500.0 frames/s (one frame every 2.000 ms, over the whole series)" in text
    assert "scan:         12 × 16 from frame 5, fly-back (no winding)" in text
    assert "detected by scan_position: 5 frame(s) before, 3 after, 192 agree" in text
    assert "open(path, scan_shape=(12, 16), scan_start_frame=5" in text
    assert lines[-1] == "anomalies:    none"


def test_info_through_the_installed_script_matches_python_m():
    proc = subprocess.run([script_path(), "info", EXAMPLE], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.replace(f"{EXAMPLE}\n", "") == run("info", EXAMPLE).stdout.replace(
        f"{EXAMPLE}\n", "")
    assert "scan:         12 × 16 from frame 5" in proc.stdout


def test_info_lists_anomalies_and_explicit_scan(series):
    proc = run("info", series / "bad_000.tvips", "--scan-shape", "5,8", "--max-anomalies", "1")
    assert proc.returncode == 0, proc.stderr
    assert "scan:         5 × 8 from frame 0, fly-back (no winding) (as given)" in proc.stdout
    anomalies = proc.stdout.split("anomalies:", 1)[1]
    assert "bad_001.tvips: byte 940: frame 15: counter jumps from 15 to 19" in anomalies
    assert "… and 2 more counter problem(s)" in anomalies
    assert "rotator_index falls from 35 to 7" in anomalies
    # a stale part does not stop info: the series is opened permissively
    proc = run("info", series / "stale_000.tvips", "--no-detect")
    assert proc.returncode == 0, proc.stderr
    assert "not detected (--no-detect)" in proc.stdout
    assert "stale_002.tvips: byte 1692: 1716 bytes is not a whole number" in proc.stdout


def test_info_errors(series, tmp_path):
    assert_one_line_error(run("info", tmp_path / "missing_000.tvips"), 2, "does not exist")
    assert_one_line_error(run("info", series / "short_000.tvips"), 2, "256-byte")
    proc = run("info", series / "badheader_000.tvips")
    assert proc.returncode == 2
    assert "bits_per_pixel=12" in proc.stdout
    assert "main header field 'bits_per_pixel' is 12" in proc.stdout
    assert "Traceback" not in proc.stderr


# -- dump -----------------------------------------------------------------------------------

def test_dump_json_offsets_come_from_the_spec():
    proc = run("dump", EXAMPLE, "--frames", "0:2,83,-1", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    with tvips_ks.open(EXAMPLE) as ds:
        len_record = ds.layout.len_record
        fh = ds.frame_headers
    assert len_record == 2156
    assert out["layout"]["len_record"] == len_record and out["layout"]["num_frames"] == 200
    main = {f["id"]: f for f in out["main_header"]["fields"]}
    assert [f["id"] for f in out["main_header"]["fields"]][:3] == ["len_header", "version",
                                                                   "width"]
    assert main["len_frame_header"] == {
        "offset": 48, "size": 4, "type": "u4", "id": "len_frame_header",
        "orig_id": "IImgHeaderBytes", "value": 108, "doc": main["len_frame_header"]["doc"]}
    assert main["len_frame_header"]["doc"].startswith("Size of each frame header in bytes.")
    assert main["filler"]["offset"] == 52 and main["filler"]["size"] == 204
    assert bytes.fromhex(main["filler"]["value"]).startswith(b"TVIPS TVIPS")

    assert [f["frame"] for f in out["frames"]] == [0, 1, 83, 199]
    by_frame = {f["frame"]: {r["id"]: r for r in f["fields"]} for f in out["frames"]}
    assert by_frame[0]["scan_x"]["offset"] == 256 + 68
    assert by_frame[1]["scan_x"]["offset"] == 256 + len_record + 68
    assert by_frame[83]["scan_x"]["offset"] == 68          # first frame of _001
    assert out["frames"][2]["path"].endswith("example_001.tvips")
    assert by_frame[199]["counter"]["offset"] == 33 * len_record  # frame 33 of _002
    assert by_frame[0]["tem_mode"]["value"] == 2
    assert by_frame[0]["tem_mode"]["enum"] == "diffraction"
    assert by_frame[0]["scan_x"]["orig_id"] == "Scan_x" and by_frame[0]["scan_x"]["type"] == "f4"
    assert by_frame[0]["image"]["offset"] == 256 + 108 and by_frame[0]["image"]["size"] == 2048
    # every field agrees with the numpy bulk path (offsets and values)
    spec = {f.id: f for f in tvips_ks.generated.tables.FRAME_HEADER_FIELDS}
    for entry in out["frames"]:
        k, record = entry["frame"], entry["record_offset"]
        for row in entry["fields"]:
            if row["id"] in spec:
                assert row["offset"] == record + spec[row["id"]].offset
                assert row["size"] == spec[row["id"]].size
                assert row["value"] == pytest.approx(fh[k][row["id"]].item())
    assert by_frame[1]["scan_x"]["value"] == 0.0 and by_frame[83]["scan_x"]["value"] == 14.0


def test_dump_text_table():
    proc = run("dump", EXAMPLE, "--frames", "7")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("main header: example_000.tvips, bytes 0–256 (version 2, "
                               "record 2156 bytes")
    row = next(line for line in lines if " len_frame_header " in line).split()
    assert row[:6] == ["48", "4", "u4", "len_frame_header", "IImgHeaderBytes", "108"]
    record = 256 + 7 * 2156
    assert (f"frame 7: example_000.tvips, record bytes {record}–{record + 2156} (frame 7 of "
            f"this part)") in lines
    row = next(line for line in lines if " scan_x " in line).split()
    assert row[:6] == [str(record + 68), "4", "f4", "scan_x", "Scan_x", "2.0"]  # 3rd position
    row = next(line for line in lines if " tem_mode " in line)
    assert "2 (diffraction)" in row


def test_dump_errors(series, call):
    assert_one_line_error(run("dump", EXAMPLE, "--frames", "200"), 2, "out of range")
    assert_one_line_error(call("dump", EXAMPLE, "--frames", "a:b"), 2, "--frames")
    assert_one_line_error(call("dump", EXAMPLE, "--frames", "5:5"), 2, "selects no frame")
    assert_one_line_error(call("dump", EXAMPLE, "--frames", "1::0"), 2, "cannot read")
    proc = run("dump", series / "badheader_000.tvips")
    line = assert_one_line_error(proc, 2, "does not match the spec", "bits_per_pixel")
    assert "validation failed" in line
    # the fields up to the failing one are shown, from the parser's positions
    ids = [row.split()[3] for row in proc.stdout.splitlines()[2:] if row.strip()
           and not row.lstrip().startswith("!!")]
    assert ids == ["len_header", "version", "width", "height", "bits_per_pixel"]
    proc = run("dump", series / "badheader_000.tvips", "--json")
    assert proc.returncode == 2 and "bits_per_pixel" in json.loads(proc.stdout)["error"]


# -- check ----------------------------------------------------------------------------------

def test_check_clean_series():
    proc = run("check", EXAMPLE)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == f"{EXAMPLE}: ok (200 frames in 3 part(s))\n"
    proc = subprocess.run([script_path(), "check", "-q", EXAMPLE], capture_output=True,
                          text=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_check_broken_series_exact_lines(series):
    d = series
    proc = run("check", d / "bad_000.tvips")
    assert proc.returncode == 1 and proc.stderr == ""
    assert proc.stdout.splitlines() == [
        f"{d / 'bad_001.tvips'}: byte 940: frame 15: counter jumps from 15 to 19: 3 frame(s) "
        f"missing or the counter is not continuous",
        f"{d / 'bad_002.tvips'}: byte 1692: frame 30: counter repeats 33: a duplicated frame?",
        f"{d / 'bad_002.tvips'}: byte 1880: frame 31: counter jumps from 33 to 35: 1 frame(s) "
        f"missing or the counter is not continuous",
        f"{d / 'bad_002.tvips'}: byte 4: frame 21: timestamp goes back by 0.490 s (from "
        f"1970-01-01 00:00:05.200 to 1970-01-01 00:00:04.710 UTC) (at the start of part "
        f"bad_002.tvips: is this part from another acquisition?)",
        f"{d / 'bad_003.tvips'}: byte 612: frame 35: rotator_index falls from 35 to 7 (a scan "
        f"point index goes back without restarting at 0 or 1)",
    ]
    proc = run("check", d / "gap_001.tvips")  # any part names the series
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"{d / 'gap_002.tvips'}: part gap_002.tvips is missing but later parts exist "
        f"(gap_003.tvips); the series is read up to the gap, so the 1 later part(s) are not "
        f"checked"]
    proc = run("check", d / "stale_000.tvips")
    assert proc.returncode == 1
    [line] = proc.stdout.splitlines()
    assert line.startswith(f"{d / 'stale_002.tvips'}: byte 1692: 1716 bytes is not a whole "
                           f"number of 188-byte records (9 records and 24 bytes over): a stale "
                           f"part of another acquisition")
    proc = run("check", d / "trunc.tvips")
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"{d / 'trunc_003.tvips'}: byte 1316: partial record of 100 bytes after 7 whole "
        f"record(s) (records are 188 bytes): the acquisition stopped mid-frame; readers "
        f"drop it"]
    proc = run("check", d / "badheader_000.tvips")
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"{d / 'badheader_000.tvips'}: byte 16: main header field 'bits_per_pixel' is 12, "
        f"supported values are {list(tvips_ks.generated.tables.BITS_PER_PIXEL)}; this is not "
        f"a valid TVIPS main header (is it the "
        f"_000 part of a series?)"]


def test_check_status_and_limits(series, tmp_path):
    d = series
    proc = run("check", d / "clean_000.tvips", d / "bad_000.tvips", "--max-per-kind", "1")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0] == f"{d / 'clean_000.tvips'}: ok (40 frames in 4 part(s))"
    assert lines[-1] == (f"{d / 'bad_000.tvips'}: … and 2 more counter problem(s) (--all "
                         f"lists every one)")
    assert len(lines) == 5
    assert_one_line_error(run("check", d / "short_000.tvips"), 2, "256-byte")
    assert_one_line_error(run("check", tmp_path / "none_000.tvips"), 2, "does not exist")
    assert_one_line_error(run("check", tmp_path / "notes.txt"), 2, "not a TVIPS file name")
    # unreadable wins over problems: status 2, and the other series are still checked
    proc = run("check", d / "bad_000.tvips", tmp_path / "none_000.tvips")
    assert proc.returncode == 2 and len(proc.stdout.splitlines()) == 5


def test_check_library_function(series):
    res = check_series(series / "bad_000.tvips")
    assert [(p.kind, p.frame) for p in res.problems] == [
        ("counter", 15), ("counter", 30), ("counter", 31), ("timestamp", 21), ("rotator", 35)]
    assert res.num_frames == 40 and len(res.parts) == 4 and not res.ok
    assert check_series(series / "clean.tvips").ok
    res = check_series(series / "stale_000.tvips")
    assert [p.kind for p in res.problems] == ["stale-part"]
    assert res.num_frames == 21 and len(res.parts) == 2  # checked up to the stale part


# -- convert --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["out.npy", "out.zarr", "out.h5"])
def test_convert_auto_scan_equals_data(tmp_path, name):
    out = tmp_path / name
    proc = run("convert", EXAMPLE, out, "--scan-shape", "auto", "--block-mb", "0.02")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no progress bar: stderr is not a terminal
    assert "scan: 12 × 16 from frame 5, fly-back (no winding) (detected by scan_position)" \
        in proc.stdout
    with tvips_ks.open(EXAMPLE, scan_shape="auto") as ds:
        expected = np.asarray(ds.data)
        fh, index = ds.frame_headers, ds.frame_index
    assert expected.shape == (12, 16, 32, 32)
    if name.endswith(".npy"):
        assert np.array_equal(np.load(out), expected)
        side = np.load(tmp_path / "out.npy.headers.npz")
        assert np.array_equal(side["frame_headers"], fh)
        assert np.array_equal(side["frame_index"], index)
        assert side["main_header"].tobytes() == EXAMPLE.read_bytes()[:256]
        attrs = json.loads(str(side["attrs"]))
    elif name.endswith(".zarr"):
        import zarr

        root = zarr.open_group(out, mode="r")
        assert root.metadata.zarr_format == 3
        assert np.array_equal(root["data"][...], expected)
        for field in fh.dtype.names:
            assert np.array_equal(root["frame_headers"][field][...], fh[field])
        assert np.array_equal(root["frame_index"][...], index)
        attrs = root["data"].attrs["tvips"]
    else:
        import h5py

        with h5py.File(out, "r") as f:
            assert np.array_equal(f["data"][...], expected)
            assert np.array_equal(f["frame_headers"][...], fh)
            assert np.array_equal(f["frame_index"][...], index)
            assert f["data"].attrs["len_frame_header"] == 108
            assert f["data"].attrs["scan_start_frame"] == 5
            assert f["main_header"][...].tobytes() == EXAMPLE.read_bytes()[:256]
            attrs = json.loads(f["data"].attrs["tvips_json"])
    assert attrs["main_header"]["width"] == 32 and attrs["main_header"]["version"] == 2
    assert bytes.fromhex(attrs["main_header"]["filler"]) == EXAMPLE.read_bytes()[52:256]
    assert attrs["scan"]["scan_shape"] == [12, 16] and attrs["scan"]["scan_start_frame"] == 5
    assert attrs["num_frames"] == 200


def test_convert_snake_scan_small_blocks(tmp_path):
    # a snake with hysteresis: the blocks' frames are not one run, and 0.005 MiB
    # blocks (2 frames) stitch 96 blocks
    args = ["--scan-shape", "12,16", "--scan-start-frame", "5", "--winding", "x",
            "--hysteresis", "2", "--block-mb", "0.005"]
    proc = run("convert", EXAMPLE, tmp_path / "snake.h5", *args)
    assert proc.returncode == 0, proc.stderr
    with tvips_ks.open(EXAMPLE, scan_shape=(12, 16), scan_start_frame=5,
                       winding_scan_axis="x", hysteresis=2) as ds:
        expected = np.asarray(ds.data)
    import h5py

    with h5py.File(tmp_path / "snake.h5", "r") as f:
        assert np.array_equal(f["data"][...], expected)
        assert f["data"].attrs["winding_scan_axis"] == "x"
        assert f["data"].attrs["hysteresis"] == 2
    # no scan: the frame stack as it is, to .npy
    proc = run("convert", EXAMPLE, tmp_path / "stack.npy")
    assert proc.returncode == 0, proc.stderr
    with tvips_ks.open(EXAMPLE) as ds:
        assert np.array_equal(np.load(tmp_path / "stack.npy"), np.asarray(ds.data))


def test_convert_errors(series, tmp_path, call):
    out = tmp_path / "x.npy"
    assert run("convert", EXAMPLE, out).returncode == 0
    assert_one_line_error(run("convert", EXAMPLE, out), 2, "exists", "--overwrite")
    assert call("convert", EXAMPLE, out, "--overwrite").returncode == 0
    assert_one_line_error(call("convert", EXAMPLE, tmp_path / "x.xyz"), 2, "*.npy")
    assert_one_line_error(call("convert", EXAMPLE, tmp_path / "no" / "x.npy"), 2, "directory")
    # the advice names the flag, not the keyword argument (issue 12)
    proc = call("convert", EXAMPLE, tmp_path / "y.npy", "--scan-shape", "20,20")
    assert_one_line_error(proc, 2, "--pad")
    assert "pad=True" not in proc.stderr
    assert_one_line_error(call("convert", EXAMPLE, tmp_path / "y.npy", "--winding", "x"), 2,
                          "--scan-shape")
    assert_one_line_error(call("convert", EXAMPLE, tmp_path / "y.npy", "--scan-shape", "auto",
                               "--scan-start-frame", "3"), 2, "auto")
    assert_one_line_error(call("convert", EXAMPLE, tmp_path / "y.npy", "--scan-shape", "12,16",
                               "--hysteresis", "2"), 2, "--winding")
    proc = call("convert", series / "stale_000.tvips", tmp_path / "s.npy")
    assert_one_line_error(proc, 2, "stale_002.tvips", "--permissive")
    assert "permissive=True" not in proc.stderr
    assert not (tmp_path / "y.npy").exists() and not (tmp_path / "s.npy").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy", "x.npy.headers.npz"]
    # a damaged series converts with --permissive (a warning line, no traceback)
    proc = run("convert", series / "stale_000.tvips", tmp_path / "s.npy", "--permissive")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("tvips-ks: warning: ") and "Traceback" not in proc.stderr
    assert np.load(tmp_path / "s.npy").shape == (21 + 9 + 8, *FRAME)


# -- preview --------------------------------------------------------------------------------

def test_preview_png_of_the_example(tmp_path):
    from PIL import Image

    out = tmp_path / "preview.png"
    proc = run("preview", EXAMPLE, out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "beam centre: (y, x) = (15.50, 15.50) px, thresholded disc (radius 5.0 px)",
        "VBF aperture: centre (y, x) = (15.50, 15.50) px, radius 5.05 px",
        f"wrote {out} (1200×900 PNG; right panel: scan_position, scan frames 5–196)"]
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (1200, 900)
        pixels = np.asarray(image.convert("L"))
    assert pixels.std() > 10  # something was drawn
    out2 = tmp_path / "wrong.png"
    proc = subprocess.run([script_path(), "preview", EXAMPLE, out2, "--scan-shape", "12,15",
                           "--scan-start-frame", "3", "--size", "640x400"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    with Image.open(out2) as image:
        assert image.size == (640, 400)


def test_preview_rotator_series_and_no_scan(tmp_path):
    from PIL import Image

    # EM-Konos-like: rotator 0 before and after a 6x6 scan whose points repeat and skip
    rot = np.r_[[0] * 4, 1, 2, 2, 3, 4, 6, np.arange(7, 37), [0] * 3]
    data = frames(rot.size, 3)
    tvips_ks.save(tmp_path / "rot.tvips", data, frame_headers={"rotator_index": rot})
    proc = run("preview", tmp_path / "rot_000.tvips", tmp_path / "rot.png")
    assert proc.returncode == 0, proc.stderr
    assert "right panel: rotator_index, scan frames 4–" in proc.stdout
    with Image.open(tmp_path / "rot.png") as image:
        assert image.size == (1200, 900)
    # counter and rotator both constant, noise frames: nothing to detect a scan from
    flat = {"rotator_index": 0, "counter": 0}
    tvips_ks.save(tmp_path / "flat.tvips", frames(11, 4), frame_headers=flat, version=2)
    proc = run("preview", tmp_path / "flat_000.tvips", tmp_path / "flat.png")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("tvips-ks: warning: ")
    assert proc.stderr.rstrip().endswith("the preview shows the frames only")
    assert len(proc.stderr.splitlines()) == 1
    assert "right panel: vbf" in proc.stdout
    with Image.open(tmp_path / "flat.png") as image:
        assert image.size == (1200, 900)


def test_preview_errors(tmp_path, call):
    assert_one_line_error(run("preview", EXAMPLE, tmp_path / "p.jpg"), 2, "PNG")
    assert_one_line_error(call("preview", EXAMPLE, tmp_path / "p.png", "--size", "10x10"), 2,
                          "out of range")
    assert_one_line_error(call("preview", tmp_path / "none_000.tvips", tmp_path / "p.png"), 2,
                          "does not exist")
    assert_one_line_error(call("preview", EXAMPLE, tmp_path / "p.png", "--scan-start-frame",
                               "2"), 2, "--scan-shape auto")
    assert list(tmp_path.iterdir()) == []
