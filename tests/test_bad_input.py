"""Malformed input: a catalogue of broken series, each with the error it must give (issue 9).

Every case finishes in bounded time and memory with a :class:`tvips_ks.TvipsError`
of the expected class that names the file (and the byte offset where it matters),
or, for the few that are readable, opens and reads completely.  The whole
catalogue is also run in a child process whose address space is capped at
2 GiB, which proves that no header value is ever turned into an allocation
(a main header may claim 2^31 × 2^31 pixels).

The last section checks that the generated Kaitai parsers (Python and
JavaScript) and the numpy path (``tvips_ks.open``) reject the same malformed
main headers, through the spec's ``valid:`` keys, and accept the same good ones.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import dask.array  # noqa: F401  (imported here, not inside a memory-traced case)
import numpy as np
import pytest

from builders import Series

import tvips_ks
from tvips_ks import (ArgumentError, HeaderError, SeriesError, TruncatedRecordError,
                      TruncatedRecordWarning, TvipsError)

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent

ANY = object()  # "the offset is not checked"
NOBODY = 65534


# ------------------------------------------------------------------------ the catalogue


@dataclass
class Case:
    id: str
    build: Callable[[Path], object]          # makes the files, returns what to open
    error: type | None                       # None: the series opens and reads
    where: str | None = None                 # name of the file the error must name
    offset: object = None                    # byte offset the error must name (ANY: unchecked)
    kwargs: dict = field(default_factory=dict)
    warns: bool = False                      # a TruncatedRecordWarning is expected
    unprivileged: bool = False               # run without root's permission override
    frames: int | None = None                # frames a readable case must hold


def write(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


def series(directory: Path, stem="s", **kwargs) -> list[Path]:
    kwargs.setdefault("num_frames", 3)
    return Series(**kwargs).write(directory, stem=stem)


def with_main(**main):
    """A one-part series whose main header has the given (bad) values."""
    return lambda d: series(d, main=main)[0]


def png_bytes(width: int, height: int, seed: int = 0) -> bytes:
    """A real (valid) PNG file: 8-bit greyscale, random pixels."""
    rng = np.random.default_rng(seed)
    rows = b"".join(b"\0" + rng.bytes(width) for _ in range(height))

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 0)) + chunk(b"IEND", b""))


def truncated_header(d):
    raw = Series(num_frames=1).main_header_bytes()
    return write(d, "s_000.tvips", raw[:100])


def header_only(d):
    return write(d, "s_000.tvips", Series(num_frames=1).main_header_bytes())


def half_a_record(d):
    s = Series(num_frames=1)
    return write(d, "s_000.tvips", s.main_header_bytes() + s.record_bytes(0)[:50])


def trailing_partial_record(d):
    paths = series(d, num_frames=5, frames_per_part=(2, 3))
    with open(paths[1], "ab") as f:
        f.write(b"\x07" * 33)
    return paths[0]


def other_record_size_in_the_middle(d):
    paths = series(d, num_frames=6, frames_per_part=(2, 2, 2))
    other = Series(num_frames=2, width=6, seed=9)  # 2 more bytes per row
    paths[1].write_bytes(b"".join(other.record_bytes(i) for i in range(2)))
    return paths[0]


def first_part_copied_as_second(d):
    """``_001`` is a renamed ``_000`` (it starts with a main header)."""
    paths = series(d, num_frames=4, frames_per_part=(2, 1, 1))
    paths[1].write_bytes(paths[0].read_bytes())
    return paths[2]


def numbering_gap(d):
    paths = series(d, num_frames=6, frames_per_part=(2, 2, 2))
    paths[1].unlink()
    return paths[0]


def first_part_missing(d):
    paths = series(d, num_frames=4, frames_per_part=(2, 2))
    paths[0].unlink()
    return paths[1]


def bare_name_of_a_missing_series(d):
    series(d)
    return d / "t.tvips"  # neither t.tvips nor t_000.tvips exists


def directory_as_first_part(d):
    (d / "s_000.tvips").mkdir()
    return d / "s_000.tvips"


def missing(d):
    return d / "s_000.tvips"


def unreadable_file(d):
    paths = series(d, num_frames=4, frames_per_part=(2, 2))
    paths[0].chmod(0)
    return paths[0]


def unreadable_continuation(d):
    paths = series(d, num_frames=4, frames_per_part=(2, 2))
    paths[1].chmod(0)
    return paths[0]


def unlistable_directory(d):
    sub = d / "locked"
    sub.mkdir()
    paths = series(sub)
    sub.chmod(stat.S_IWUSR | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)  # no read: no listing
    return paths[0]


def symlink_loop(d):
    (d / "s_000.tvips").symlink_to(d / "loop.tvips")
    (d / "loop.tvips").symlink_to(d / "s_000.tvips")
    return d / "s_000.tvips"


def dangling_symlink(d):
    (d / "s_000.tvips").symlink_to(d / "gone.tvips")
    return d / "s_000.tvips"


def fifo(d):
    os.mkfifo(d / "s_000.tvips")  # opening it for reading would block for ever
    return d / "s_000.tvips"


def device(d):
    (d / "s_000.tvips").symlink_to("/dev/zero")
    return d / "s_000.tvips"


def spaces_in_the_name(d):
    return series(d, stem="my scan 1 (copy)", num_frames=5, frames_per_part=(2, 3))[1]


def non_ascii_name(d):
    return series(d, stem="Probe µ-Beugung ü 测试", num_frames=5, frames_per_part=(3, 2))[0]


def non_utf8_name(d):
    """A name that is not valid UTF-8 (a Latin-1 'é'), opened by its bytes."""
    series(d, stem="caf" + os.fsdecode(b"\xe9"), num_frames=3, frames_per_part=(1, 2))
    return os.fsencode(d) + b"/caf\xe9_001.tvips"


def non_utf8_name_with_a_gap(d):
    stem = "caf" + os.fsdecode(b"\xe9")
    paths = series(d, stem=stem, num_frames=3, frames_per_part=(1, 1, 1))
    paths[1].unlink()
    return paths[0]


def empty_continuation_part(d):
    paths = series(d, num_frames=4, frames_per_part=(2, 0, 2))
    return paths[0]


def v1_ignores_len_frame_header(d):
    return series(d, version=1, len_frame_header=0xFFFFFFFF)[0]


def huge_sparse_claim(d):
    """A record claims 4 GiB and the file really is that large (sparse), minus one byte."""
    s = Series(num_frames=0, width=32768, height=32768, bits_per_pixel=32)
    path = write(d, "s_000.tvips", s.main_header_bytes())
    os.truncate(path, 256 + 60 + 32768 * 32768 * 4 - 1)
    return path


CASES = [
    # ---- the main header
    Case("empty-file", lambda d: write(d, "s_000.tvips", b""), HeaderError, "s_000.tvips", 0),
    Case("truncated-header", truncated_header, HeaderError, "s_000.tvips", 100),
    Case("all-zero-header", lambda d: write(d, "s_000.tvips", bytes(4096)), HeaderError,
         "s_000.tvips", 0),
    Case("version-0", with_main(version=0), HeaderError, "s_000.tvips", 4),
    Case("version-3", with_main(version=3), HeaderError, "s_000.tvips", 4),
    Case("version-max", with_main(version=0xFFFFFFFF), HeaderError, "s_000.tvips", 4),
    Case("bpp-0", with_main(bits_per_pixel=0), HeaderError, "s_000.tvips", 16),
    Case("bpp-12", with_main(bits_per_pixel=12), HeaderError, "s_000.tvips", 16),
    Case("bpp-128", with_main(bits_per_pixel=128), HeaderError, "s_000.tvips", 16),
    Case("width-0", with_main(width=0), HeaderError, "s_000.tvips", 8),
    Case("height-0", with_main(height=0), HeaderError, "s_000.tvips", 12),
    Case("width-2^31", with_main(width=2**31), TruncatedRecordError, "s_000.tvips", 256,
         warns=True),
    Case("height-2^31", with_main(height=2**31), TruncatedRecordError, "s_000.tvips", 256,
         warns=True),
    Case("width-height-2^31-32bit", with_main(width=2**31, height=2**31, bits_per_pixel=32),
         TruncatedRecordError, "s_000.tvips", 256, warns=True),
    Case("width-height-max", with_main(width=2**32 - 1, height=2**32 - 1),
         TruncatedRecordError, "s_000.tvips", 256, warns=True),
    Case("len-frame-header-11", with_main(len_frame_header=11), HeaderError, "s_000.tvips", 48),
    Case("len-frame-header-0", with_main(len_frame_header=0), HeaderError, "s_000.tvips", 48),
    Case("len-frame-header-beyond-file", with_main(len_frame_header=10**6),
         TruncatedRecordError, "s_000.tvips", 256, warns=True),
    Case("len-frame-header-max", with_main(len_frame_header=2**32 - 1), TruncatedRecordError,
         "s_000.tvips", 256, warns=True),
    Case("len-header-512", with_main(len_header=512), HeaderError, "s_000.tvips", 0),
    Case("len-header-0", with_main(len_header=0), HeaderError, "s_000.tvips", 0),
    Case("huge-record-in-a-sparse-file", huge_sparse_claim, TruncatedRecordError,
         "s_000.tvips", 256, warns=True),
    # ---- not TVIPS at all
    Case("small-png", lambda d: write(d, "s_000.tvips", png_bytes(4, 4)), HeaderError,
         "s_000.tvips", ANY),
    Case("png", lambda d: write(d, "s_000.tvips", png_bytes(64, 64)), HeaderError,
         "s_000.tvips", 0),
    Case("random-bytes", lambda d: write(d, "s_000.tvips",
                                         np.random.default_rng(1).bytes(10_000)),
         HeaderError, "s_000.tvips", 0),
    Case("text", lambda d: write(d, "s_000.tvips",
                                 ("TVIPS stream files are binary.\n" * 40).encode()),
         HeaderError, "s_000.tvips", 0),
    # ---- records
    Case("header-only", header_only, TruncatedRecordError, "s_000.tvips", 256),
    Case("half-a-record", half_a_record, TruncatedRecordError, "s_000.tvips", 256, warns=True),
    Case("trailing-partial-record", trailing_partial_record, None, warns=True, frames=5),
    Case("other-record-size-in-the-middle", other_record_size_in_the_middle, SeriesError,
         "s_001.tvips", 2 * (60 + 4 * 5 * 2)),
    Case("first-part-copied-as-second", first_part_copied_as_second, SeriesError,
         "s_001.tvips", 4 * (60 + 4 * 5 * 2)),
    Case("empty-continuation-part", empty_continuation_part, None, frames=4),
    Case("v1-ignores-len-frame-header", v1_ignores_len_frame_header, None, frames=3),
    # ---- the series and the file system
    Case("numbering-gap", numbering_gap, SeriesError, "s_001.tvips"),
    Case("first-part-missing", first_part_missing, SeriesError, "s_000.tvips"),
    Case("bare-name-of-a-missing-series", bare_name_of_a_missing_series, SeriesError,
         "t.tvips"),
    Case("directory-named-like-a-part", directory_as_first_part, SeriesError, "s_000.tvips"),
    Case("a-directory", lambda d: d, ArgumentError, ANY),
    Case("missing-file", missing, SeriesError, "s_000.tvips"),
    Case("no-read-permission", unreadable_file, SeriesError, "s_000.tvips",
         unprivileged=True),
    Case("no-read-permission-continuation", unreadable_continuation, SeriesError,
         "s_001.tvips", unprivileged=True),
    Case("unlistable-directory", unlistable_directory, SeriesError, "locked",
         unprivileged=True),
    Case("symlink-loop", symlink_loop, SeriesError, "s_000.tvips"),
    Case("dangling-symlink", dangling_symlink, SeriesError, "s_000.tvips"),
    Case("fifo", fifo, SeriesError, "s_000.tvips"),
    Case("device", device, SeriesError, "s_000.tvips"),
    Case("spaces-in-the-name", spaces_in_the_name, None, frames=5),
    Case("non-ascii-name", non_ascii_name, None, frames=5),
    Case("non-utf8-name", non_utf8_name, None, frames=3),
    Case("non-utf8-name-with-a-gap", non_utf8_name_with_a_gap, SeriesError,
         "caf" + os.fsdecode(b"\xe9") + "_001.tvips"),
    # ---- arguments
    Case("path-of-the-wrong-type", lambda d: 12345, ArgumentError),
    Case("not-a-tvips-name", lambda d: series(d)[0].rename(d / "s_000.bin"), ArgumentError,
         "s_000.bin"),
    Case("absurd-padded-scan", lambda d: series(d)[0], ArgumentError, "s_000.tvips",
         kwargs=dict(scan_shape=(2**20, 2**20), pad=True)),
    Case("bad-chunks", lambda d: series(d)[0], ArgumentError, kwargs=dict(rechunking="nonsense")),
    # ---- permissive opening tolerates what it can, and only that
    Case("permissive-len-header", with_main(len_header=512), None, kwargs=dict(permissive=True),
         frames=3),
    Case("permissive-unknown-version", with_main(version=7), None,
         kwargs=dict(permissive=True), frames=3),
    Case("permissive-still-refuses-len-frame-header-8",
         lambda d: series(d, len_frame_header=8)[0], HeaderError, "s_000.tvips", 48,
         kwargs=dict(permissive=True)),
    Case("permissive-partial-record-in-the-middle",
         other_record_size_in_the_middle, None, kwargs=dict(permissive=True), warns=True,
         frames=6),
    Case("permissive-still-refuses-bpp-12", with_main(bits_per_pixel=12), HeaderError,
         "s_000.tvips", 16, kwargs=dict(permissive=True)),
    Case("permissive-still-refuses-width-0", with_main(width=0), HeaderError, "s_000.tvips", 8,
         kwargs=dict(permissive=True)),
    Case("permissive-empty-file", lambda d: write(d, "s_000.tvips", b""), HeaderError,
         "s_000.tvips", 0, kwargs=dict(permissive=True)),
]


@contextmanager
def unprivileged(enabled: bool):
    """Drop root's permission override (effective uid only) for the block."""
    if not enabled or os.geteuid() != 0:
        yield
        return
    os.seteuid(NOBODY)
    try:
        yield
    finally:
        os.seteuid(0)


def read_everything(ds) -> dict:
    """Read every byte a user could ask for; return what was read."""
    headers = ds.frame_headers
    frames = np.asarray(ds.frames)
    assert headers.shape == (ds.num_frames,)
    assert frames.shape == (ds.num_frames, *ds.layout.frame_shape)
    assert np.array_equal(ds.to_dask().compute(scheduler="sync"), frames)
    for i in range(ds.num_frames):
        assert np.array_equal(ds.frames[i], frames[i])
    return {"num_frames": ds.num_frames}


def outcome(case: Case, directory: Path) -> dict:
    """Run one case; a JSON-able summary of what happened."""
    target = case.build(directory)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with unprivileged(case.unprivileged):
                with tvips_ks.open(target, **case.kwargs) as ds:
                    result = read_everything(ds)
        except TvipsError as err:
            message = str(err)
            message.encode("utf-8")  # printable, whatever the file name
            result = {"error": type(err).__name__, "path": err.path, "offset": err.offset,
                      "message": message}
    result["warnings"] = sorted({type(w.message).__name__ for w in caught})
    return result


def check(case: Case, got: dict, directory: Path) -> None:
    truncation = "TruncatedRecordWarning" in got["warnings"]
    assert truncation == case.warns, got
    assert not set(got["warnings"]) - {"TruncatedRecordWarning"}, got
    if case.error is None:
        assert "error" not in got, got
        assert got["num_frames"] == case.frames
        return
    assert got.get("error") == case.error.__name__, got
    if case.where is ANY:
        assert got["path"] is not None
    elif case.where is None:
        assert got["path"] is None, got
    else:
        assert got["path"] is not None and Path(got["path"]).name == case.where, got
        assert os.path.dirname(got["path"]).startswith(str(directory)), got
    if case.offset is not ANY:
        assert got["offset"] == case.offset, got
    # the message names the file and gives the offset it has
    if got["path"] is not None:
        shown = got["path"].encode("utf-8", "backslashreplace").decode()
        assert shown in got["message"]
    if got["offset"] is not None:
        assert f"byte {got['offset']}" in got["message"]


@pytest.fixture
def workdir():
    """A directory other users may enter (for the unprivileged cases), removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="tvips-bad-"))
    directory.chmod(0o755)
    yield directory
    for path in [directory, *directory.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(directory)


class Hung(BaseException):
    pass


@contextmanager
def time_limit(seconds: int):
    """Interrupt a case that blocks (opening a FIFO would, without the check)."""
    def alarm(signum, frame):
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_catalogue(case, workdir):
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with time_limit(20):
            got = outcome(case, workdir)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    elapsed = time.perf_counter() - start
    check(case, got, workdir)
    assert elapsed < 5, f"{case.id} took {elapsed:.1f} s"
    assert peak < 16 * 2**20, f"{case.id} allocated {peak / 2**20:.1f} MiB"


def test_the_catalogue_is_large_enough():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.error for c in CASES} >= {HeaderError, SeriesError, TruncatedRecordError,
                                        ArgumentError, None}


def run_catalogue(directory: str) -> dict:
    """The whole catalogue (used by the memory-capped child process)."""
    results = {}
    for i, case in enumerate(CASES):
        sub = Path(directory) / f"c{i}"
        sub.mkdir()
        sub.chmod(0o755)
        try:
            results[case.id] = outcome(case, sub)
        except BaseException as err:  # reported, and the parent fails the test
            results[case.id] = {"escaped": f"{type(err).__name__}: {err}"}
    return results


CHILD = """
import json, resource, sys, warnings
resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))
sys.path.insert(0, {tests!r})
import numpy as np
try:  # the cap is real: a 3 GiB allocation fails
    np.ones(3 * 2**30, np.uint8)
    print("NO CAP"); sys.exit(3)
except MemoryError:
    pass
import test_bad_input
print(json.dumps(test_bad_input.run_catalogue({directory!r})))
"""


def test_the_catalogue_runs_in_2_gib_of_address_space(workdir):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([sys.executable, "-c", CHILD.format(tests=str(HERE),
                                                              directory=str(workdir))],
                          capture_output=True, text=True, timeout=120, env=env, cwd=workdir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    for i, case in enumerate(CASES):
        got = results[case.id]
        assert "escaped" not in got, (case.id, got)
        check(case, got, workdir / f"c{i}")


def test_an_error_keeps_its_path_and_offset_through_pickling(tmp_path):
    import pickle

    with_main(version=3)(tmp_path)
    with pytest.raises(HeaderError) as info:
        tvips_ks.open(tmp_path / "s_000.tvips")
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is HeaderError and isinstance(again, ValueError)
    assert (again.path, again.offset, str(again)) == (info.value.path, 4, str(info.value))


def test_messages_say_what_to_do(tmp_path):
    """A few representative messages, read as a user would."""
    with_main(width=2**31)(tmp_path)
    with pytest.warns(TruncatedRecordWarning), pytest.raises(TruncatedRecordError) as info:
        tvips_ks.open(tmp_path / "s_000.tvips")
    assert "2147483648" in str(info.value) and "main header is damaged" in str(info.value)
    with pytest.raises(HeaderError, match="permissive=True"):
        with_main(len_header=512)(tmp_path)
        tvips_ks.open(tmp_path / "s_000.tvips")
    (tmp_path / "t_000.tvips").symlink_to(tmp_path / "t_000.tvips")
    with pytest.raises(SeriesError, match="symbolic link loop"):
        tvips_ks.open(tmp_path / "t_000.tvips")


# ---------------------------------------- the same rules in numpy, Python and JS parsers

# (field, value, extra fields) → the spec path of the field that must be reported
BAD_HEADERS = [
    ("len_header", 0, {}), ("len_header", 255, {}), ("len_header", 257, {}),
    ("len_header", 512, {}), ("len_header", 2**32 - 1, {}),
    ("version", 0, {}), ("version", 3, {}), ("version", 2**32 - 1, {}),
    ("width", 0, {}), ("height", 0, {}),
    ("bits_per_pixel", 0, {}), ("bits_per_pixel", 1, {}), ("bits_per_pixel", 12, {}),
    ("bits_per_pixel", 24, {}), ("bits_per_pixel", 128, {}),
    ("len_frame_header", 0, {}), ("len_frame_header", 11, {}),
    # several bad fields: the first in the header is reported
    ("version", 3, {"bits_per_pixel": 12, "width": 0}),
    ("width", 0, {"height": 0, "len_frame_header": 4}),
]
GOOD_HEADERS = [
    dict(version=1, len_frame_header=0), dict(version=1, len_frame_header=11),
    dict(version=1, len_frame_header=2**32 - 1), dict(len_frame_header=12),
    dict(len_frame_header=13, bits_per_pixel=8), dict(width=1, height=1, bits_per_pixel=32),
    dict(len_frame_header=180),
]
SEQ = ["len_header", "version", "width", "height", "bits_per_pixel", "offset_x", "offset_y",
       "bin_x", "bin_y", "pixel_size_nm", "high_tension_kv", "mag_total", "len_frame_header"]
OFFSETS = {name: 4 * i for i, name in enumerate(SEQ)}


def bad_id(entry):
    name, value, extra = entry
    return f"{name}={value}" + "".join(f",{k}={v}" for k, v in extra.items())


def spec_path(name):
    return f"/types/main_header/seq/{SEQ.index(name)}"


def kaitai_python(paths):
    from kaitaistruct import KaitaiStream, ValidationFailedError

    from tvips_ks.generated import Tvips

    try:
        first = Tvips.from_file(str(paths[0]))
        count = len(first.records)
        for path in paths[1:]:
            with open(path, "rb") as f:
                count += len(Tvips.ContinuationPart(first.header, KaitaiStream(f)).records)
    except ValidationFailedError as err:
        return {"error": type(err).__name__, "src_path": err.src_path}
    return {"frames": count}


def kaitai_js(paths):
    proc = subprocess.run(["node", str(HERE / "js" / "summarize.js"), *map(str, paths)],
                          capture_output=True, text=True, timeout=60)
    out = json.loads(proc.stdout)
    if proc.returncode:
        assert proc.returncode == 1 and out["error"].startswith("Validation"), out
        return {"error": out["error"], "src_path": out["src_path"]}
    return {"frames": sum(len(p) for p in out["parts"])}


def numpy_path(paths):
    try:
        with tvips_ks.open(paths[0]) as ds:
            return {"frames": len(np.asarray(ds.frames))}
    except HeaderError as err:
        return {"error": "HeaderError", "offset": err.offset, "path": err.path}


@pytest.mark.parametrize("entry", BAD_HEADERS, ids=[bad_id(e) for e in BAD_HEADERS])
def test_every_reader_rejects_a_bad_main_header_at_the_same_field(tmp_path, entry):
    name, value, extra = entry
    paths = Series(num_frames=2, frames_per_part=(1, 1), main={name: value, **extra}).write(
        tmp_path)
    ours = numpy_path(paths)
    assert ours["error"] == "HeaderError" and ours["offset"] == OFFSETS[name]
    assert ours["path"] == str(paths[0])
    assert kaitai_python(paths)["src_path"] == spec_path(name)
    assert kaitai_js(paths)["src_path"] == spec_path(name)


@pytest.mark.parametrize("main", GOOD_HEADERS, ids=[",".join(f"{k}={v}" for k, v in m.items())
                                                    for m in GOOD_HEADERS])
def test_every_reader_accepts_the_same_good_main_headers(tmp_path, main):
    paths = Series(num_frames=3, frames_per_part=(2, 1), **main).write(tmp_path)
    assert numpy_path(paths) == kaitai_python(paths) == kaitai_js(paths) == {"frames": 3}
