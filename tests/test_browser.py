"""The browser inspector (web/, issue 16) in a real browser: headless Chromium.

The page runs from file:// and from ``tvips-ks inspect``; what it parses
(``window.tvips``) is compared with ``tvips_ks.open``, ``detect_scan``,
``check_series`` and ``tvips-ks info``/``dump --json`` on the same files, built
by ``tests/builders.py`` (independent of the library) and by ``tvips_ks.save``.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it), driven
by Playwright from PyPI; set ``TVIPS_KS_CHROMIUM`` to use another binary. The
tests fail, not skip, without it. Screenshots of every view go to
``$TVIPS_KS_SCREENSHOTS`` (default: a pytest temporary directory, printed);
with ``TVIPS_KS_DOC_IMAGES=docs/img`` the README's images are refreshed too.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import yaml

import tvips_ks
from builders import Series
from tvips_ks.audit.check import check_series
from tvips_ks.audit.summary import field_summary
from tvips_ks.cli.info import constant_text
from tvips_ks.errors import ScanDetectionError
from tvips_ks.scan.arrange import scan_index_map
from tvips_ks.scan.vbf import disk_mask, virtual_bright_field

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "web" / "index.html"
CHROMIUM = os.environ.get("TVIPS_KS_CHROMIUM", "/usr/bin/chromium")
# without the background-networking flags Chromium hangs on refused connections
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--enable-precise-memory-info"]
TIMEOUT_MS = 60_000


# ------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: the browser tests need it. Install "
                    f"Debian's package (`apt-get install -y chromium`, which .ci/run does) or set "
                    f"TVIPS_KS_CHROMIUM to a Chromium binary.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need Playwright: pip install -e '.[test]'")
    with sync_playwright() as p:
        # Playwright gives every launch a fresh, temporary --user-data-dir
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, device_scale_factor=1)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    errors = []
    pg.on("pageerror", lambda err: errors.append(f"page error: {err}"))
    pg.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    # no network at run time: files, blobs, and the local `tvips-ks inspect` server only
    local = re.compile(r"^(file:|blob:|data:|http://127\.0\.0\.1:\d+/)")
    pg.on("request", lambda req: None if local.match(req.url) else errors.append(f"request: {req.url}"))
    yield pg
    context.close()
    assert not errors, errors


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    where = os.environ.get("TVIPS_KS_SCREENSHOTS")
    path = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {path}")
    return path


def open_files(page, paths, query=""):
    """Load the page from file:// and give it the parts, in a shuffled order."""
    paths = [str(p) for p in paths]
    random.Random(len(paths)).shuffle(paths)
    page.goto(PAGE.as_uri() + query)
    page.wait_for_function("window.tvips && window.tvips.state === 'empty'")
    page.set_input_files("#file-input", paths)
    wait_opened(page)


def wait_opened(page):
    page.wait_for_function("['ready', 'error'].includes(window.tvips.state)")
    return page.evaluate("tvips.state")


def wait_vbf(page):
    page.wait_for_function("['done', 'error'].includes(tvips.vbf.state)")
    assert page.evaluate("tvips.vbf.state") == "done", page.evaluate("tvips.vbf.error")
    return np.array(page.evaluate("Array.from(tvips.vbf.values)"))


# ------------------------------------------------------------------------- series


def diffraction_frames(specimen, frame_shape=(32, 32), seed=0):
    """Frames whose central disk is as bright as ``specimen`` (one value per frame)."""
    rng = np.random.default_rng(seed)
    h, w = frame_shape
    yy, xx = np.mgrid[:h, :w]
    cy, cx = (h - 1) / 2, (w - 1) / 2
    disk = ((yy - cy) ** 2 + (xx - cx) ** 2 <= (min(h, w) / 6) ** 2).astype(float)
    ring = np.exp(-((np.hypot(yy - cy, xx - cx) - min(h, w) / 3) ** 2) / 2.0)
    s = np.asarray(specimen, dtype=float)[:, None, None]
    return rng.poisson(2500 * s * disk + 900 * (1 - s) * ring + 15).astype(np.uint16)


def specimen_image(rows, cols):
    y, x = np.mgrid[:rows, :cols]
    grains = 0.55 + 0.3 * np.sin(x / 3.1) * np.cos(y / 4.3) + 0.12 * np.cos((x + 2 * y) / 2.2)
    hole = np.hypot(y - rows * 0.35, x - cols * 0.7) < min(rows, cols) * 0.18
    return np.clip(np.where(hole, 0.97, grains), 0.02, 1.0)


def build_rotator(directory):
    """An EM-Konos-like rotator scan, 8 x 8, with repeated and skipped points; 180-byte headers."""
    rng = np.random.default_rng(3)
    values = [0, 0, 0]  # before the scan
    v = 1
    while v <= 64:
        values.append(v)
        v += int(rng.choice([0, 1, 1, 1, 1, 2]))
    if values[-1] != 64:
        values.append(64)
    values += [1, 1]  # after: the value drops
    r = np.array(values, dtype=np.uint32)
    spec = specimen_image(8, 8).ravel()
    specimen = np.where((r >= 1) & (np.arange(r.size) > 2) & (np.arange(r.size) < r.size - 2),
                        spec[np.clip(r, 1, 64) - 1], 0.05)
    return tvips_ks.save(directory / "rotator.tvips", diffraction_frames(specimen, seed=3),
                         frame_headers={"rotator_index": r}, frame_header_extra_bytes=120,
                         max_file_size=25_000, start_time=1_700_000_000, frame_interval=0.01,
                         high_tension_kv=200, progress=False)


def build_positions(directory, name, rows, cols, *, winding=None, hysteresis=0, before=4, after=2,
                    frame_shape=(32, 32), max_file_size=200_000, seed=1, odd_rows_reversed=False):
    """An EM-Scan-like series: scan_x/scan_y of each frame, fly-back or snake; a negative
    ``before`` starts the scan mid-row (its first positions have no frame)."""
    n = max(before, 0) + rows * cols + after
    index = scan_index_map(n, (rows, cols), before, winding, hysteresis, pad=True)
    if odd_rows_reversed:  # a snake whose first row runs forward
        index[1::2] = index[1::2, ::-1]
    scan_x = np.zeros(n, np.float32)
    scan_y = np.zeros(n, np.float32)
    specimen = np.full(n, 0.03)
    image = specimen_image(rows, cols)
    for (y, x), f in np.ndenumerate(index):
        if f < 0:
            continue
        scan_x[f], scan_y[f] = x, y
        specimen[f] = image[y, x]
    return tvips_ks.save(directory / f"{name}.tvips", diffraction_frames(specimen, frame_shape, seed),
                         frame_headers={"scan_x": scan_x, "scan_y": scan_y, "stage_x": np.float32(812.5),
                                        "stage_alpha": np.float32(-12.25)},
                         mode=2, max_file_size=max_file_size, start_time=1_716_000_000,
                         frame_interval=0.0025, high_tension_kv=300, mag_total=120, progress=False)


def build_damaged(directory):
    """Counter gap and repeat, time going back and leaping, a rotator fall, a partial record."""
    n = 40
    counter = np.arange(1, n + 1, dtype=np.uint32)
    counter[12:] += 3           # 3 frames missing before frame 12
    counter[25] = counter[24]   # a repeat at frame 25
    t_ms = 1_700_000_000_000 + 5 * np.arange(n, dtype=np.int64)
    t_ms[20:] -= 40             # back at frame 20
    t_ms[30:] += 300_000        # leaps 5 minutes at frame 30
    rot = np.arange(1, n + 1, dtype=np.uint32)
    rot[33:] -= 10              # falls at frame 33, not to 0 or 1
    paths = tvips_ks.save(directory / "damaged.tvips", diffraction_frames(np.full(n, 0.5)),
                          frame_headers={"counter": counter, "timestamp_s": t_ms // 1000,
                                         "timestamp_ms": t_ms % 1000, "rotator_index": rot},
                          max_file_size=30_000, progress=False)
    with open(paths[-1], "ab") as f:
        f.write(b"\x07" * 100)  # an acquisition that stopped mid-frame
    return paths


def build_stale(directory):
    """A stale middle part, an empty part, and a part after a numbering gap."""
    paths = tvips_ks.save(directory / "stale.tvips", diffraction_frames(np.full(12, 0.5)),
                          max_file_size=9_000, progress=False)
    assert len(paths) >= 3
    with open(paths[1], "ab") as f:
        f.write(b"\0" * 10)
    empty = paths[0].with_name(f"stale_{len(paths):03d}.tvips")
    empty.write_bytes(b"")
    later = paths[0].with_name(f"stale_{len(paths) + 2:03d}.tvips")
    shutil.copyfile(paths[-1], later)
    return [*paths, empty, later]


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    """name -> list of parts."""
    d = tmp_path_factory.mktemp("series")
    out = {}
    for name, spec in {
        "v1": Series(version=1, num_frames=7, frames_per_part=(2, 3, 2), seed=11),
        "v2_60": Series(version=2, len_frame_header=60, num_frames=9, frames_per_part=(4, 4, 1),
                        seed=12),
        "v2_180": Series(version=2, len_frame_header=180, num_frames=6, frames_per_part=(1, 3, 2),
                         bits_per_pixel=8, width=7, height=3, seed=13),
        "v2_32bit": Series(version=2, len_frame_header=62, num_frames=5, frames_per_part=(3, 2),
                           bits_per_pixel=32, seed=14),
    }.items():
        (d / name).mkdir()
        out[name] = spec.write(d / name, stem=name)
        out[name + ":builder"] = spec
    example = d / "example"
    example.mkdir()
    out["example"] = [Path(shutil.copy(p, example)) for p in sorted(
        Path(str(tvips_ks.example_path())).parent.glob("example_*.tvips"))]
    for name, build in {"rotator": build_rotator, "damaged": build_damaged,
                        "stale": build_stale}.items():
        (d / name).mkdir()
        out[name] = build(d / name)
    (d / "snake").mkdir()
    out["snake"] = build_positions(d / "snake", "snake", 6, 9, winding="x", hysteresis=2,
                                   max_file_size=60_000, seed=5)
    (d / "snake_odd").mkdir()
    out["snake_odd"] = build_positions(d / "snake_odd", "snake_odd", 5, 7, odd_rows_reversed=True,
                                       before=3, max_file_size=40_000, seed=8)
    (d / "midrow").mkdir()
    out["midrow"] = build_positions(d / "midrow", "midrow", 5, 8, before=-3, after=0,
                                    max_file_size=40_000, seed=9)
    (d / "demo").mkdir()
    out["demo"] = build_positions(d / "demo", "demo", 36, 48, frame_shape=(48, 48),
                                  max_file_size=2**22, seed=7)
    return out


READABLE = ["v1", "v2_60", "v2_180", "v2_32bit", "example", "rotator", "snake", "snake_odd",
            "midrow"]


# ------------------------------------------------------------------------- oracles


def python_scan(ds):
    """The header-decided scan (the page's methods), or None."""
    try:
        return tvips_ks.detect_scan(ds, image_content=False)
    except ScanDetectionError:
        return None


def info_lines(path) -> dict:
    """``tvips-ks info PATH`` as key -> list of lines."""
    proc = subprocess.run([sys.executable, "-m", "tvips_ks", "info", str(path)], capture_output=True,
                          text=True, check=True)
    out, key = {}, None
    for line in proc.stdout.splitlines():
        if line[:14].strip():
            key = line[:14].strip().rstrip(":")
            out[key] = [line[14:]]
        elif key:
            out[key].append(line[14:])
    return out


def dump_json(path, frames) -> dict:
    proc = subprocess.run([sys.executable, "-m", "tvips_ks", "dump", str(path), "--json", "--frames",
                           ",".join(map(str, frames))], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def problems(path) -> list[dict]:
    """check_series(path).problems as the page lists them (file names, not paths)."""
    return [{"kind": p.kind, "path": Path(p.path).name, "offset": p.offset, "frame": p.frame,
             "message": p.message} for p in check_series(path).problems]


def same_value(js, py) -> bool:
    """A value from the page equals a header value from Python (float32 compared as float32)."""
    if isinstance(py, (float, np.floating)):
        return (math.isnan(js) and math.isnan(py)) if math.isnan(py) else np.float32(js) == np.float32(py)
    return js == py


# ------------------------------------------------------------------------- the page vs the library


@pytest.mark.parametrize("name", READABLE)
def test_window_tvips_matches_tvips_ks_open(page, series, name):
    """Parts dropped in any order: main header, frames, every frame header and the scan."""
    paths = series[name]
    open_files(page, paths)
    assert page.evaluate("tvips.state") == "ready", page.evaluate("tvips.error")
    got = page.evaluate("""() => ({header: tvips.header, num_frames: tvips.num_frames, parts: tvips.parts,
        layout: tvips.layout, scan: tvips.scan, anomalies: tvips.anomalies,
        headers: Array.from({length: tvips.num_frames}, (_, i) => tvips.frameHeader(i))})""")
    with tvips_ks.open(paths[0]) as ds:
        header = ds.header
        for f in header.dtype.names:
            want = bytes(header[f]).hex() if f == "filler" else int(header[f])
            assert got["header"][f] == want, f
        assert got["num_frames"] == ds.num_frames
        assert [(p["name"], p["num_frames"], p["first_frame"], p["size"], p["offset"])
                for p in got["parts"]] == [(p.path.name, p.num_frames, p.first_frame, p.size, p.offset)
                                           for p in ds.files]
        assert got["layout"]["len_record"] == ds.layout.len_record
        assert got["layout"]["len_frame_header"] == ds.layout.len_frame_header
        fh = ds.frame_headers
        for i, js in enumerate(got["headers"]):
            assert set(js) == set(fh.dtype.names) | {"padding"}
            for f in fh.dtype.names:
                assert same_value(js[f], fh[f][i].item()), (i, f, js[f], fh[f][i])
        columns = page.evaluate("ids => ids.map(id => tvips.column(id))", list(fh.dtype.names))
        for f, col in zip(fh.dtype.names, columns):
            assert np.array_equal(np.float32(col) if fh.dtype[f].kind == "f" else np.array(col),
                                  fh[f]), f
        scan = python_scan(ds)
    if name + ":builder" in series:  # the padding bytes, against the independent builder
        builder = series[name + ":builder"]
        assert [h["padding"] for h in got["headers"]] == [p.hex() for p in builder.padding]
    assert got["anomalies"] == problems(paths[0])
    if scan is None:
        assert got["scan"] is None
        assert page.evaluate("tvips.scan_note")
    else:
        js = got["scan"]
        assert tuple(js["scan_shape"]) == scan.scan_shape
        assert js["scan_start_frame"] == scan.scan_start_frame
        assert js["winding_scan_axis"] == scan.winding_scan_axis
        assert js["hysteresis"] == scan.hysteresis
        assert js["method"] == scan.method
        assert js["frame_index"] == scan.frame_index.ravel().tolist()
        assert (js["num_frames_agree"], js["num_frames_before"], js["num_frames_after"]) == (
            scan.num_frames_agree, scan.num_frames_before, scan.num_frames_after)
        assert js["kwargs_exact"] == scan.kwargs_exact
        assert js["evidence"] == scan.evidence


def test_test_series_cover_both_header_scan_methods(series):
    """The comparisons above are only as good as the series: both methods, snake and rotator."""
    methods = {}
    for name in READABLE:
        with tvips_ks.open(series[name][0]) as ds:
            scan = python_scan(ds)
            methods[name] = (scan.method, scan.winding_scan_axis, scan.hysteresis) if scan else None
    assert methods["example"] == ("scan_position", None, 0)
    assert methods["snake"] == ("scan_position", "x", 2)
    assert methods["snake_odd"] == ("scan_position", "x", 0)
    assert methods["midrow"] == ("scan_position", None, 0)
    with tvips_ks.open(series["snake_odd"][0]) as ds:
        assert "first row runs forward" in python_scan(ds).evidence
    with tvips_ks.open(series["midrow"][0]) as ds:
        scan = python_scan(ds)
        assert "starts mid-row" in scan.evidence and (scan.frame_index == -1).sum() == 3
    assert methods["rotator"][0] == "rotator_index"
    with tvips_ks.open(series["rotator"][0]) as ds:
        assert not tvips_ks.detect_scan(ds, image_content=False).kwargs_exact  # repeats and skips
    versions = {}
    for name in READABLE:
        with tvips_ks.open(series[name][0]) as ds:
            versions[name] = ds.layout
    assert {v.version for v in versions.values()} == {1, 2}
    assert {60, 180} <= {v.len_frame_header for v in versions.values()}
    assert all(len(series[name]) >= 2 for name in READABLE)


@pytest.mark.parametrize("name", ["example", "rotator", "snake", "v2_60", "v1"])
def test_series_view_shows_what_tvips_ks_info_shows(page, series, name):
    paths = series[name]
    open_files(page, paths)
    info = info_lines(paths[0])
    cell = lambda key: page.inner_text(f'#info-table tr[data-key="{key}"] > td')  # noqa: E731
    assert cell("time span") == info["time span"][0]
    if "frame rate" in info:
        assert cell("frame rate") == info["frame rate"][0]
    assert cell("frames") == info["frames"][0]
    assert cell("records") == info["records"][0]
    assert cell("main header").split(", ") == " ".join(info["main header"]).split(", ")
    with tvips_ks.open(paths[0]) as ds:
        fields = field_summary(ds.frame_headers, ds.layout.len_frame_header)
        varying, zero = fields.varying, fields.zero
        constant = [constant_text(name, value) for name, value in fields.constant]
        scan = python_scan(ds)
    summary = cell("frame header")
    lines = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip()
             for line in summary.splitlines()[1:]}
    assert lines.get("varying", "") == ", ".join(varying)
    assert lines.get("constant", "") == ", ".join(constant)
    assert lines.get("zero", "") == ", ".join(zero)
    assert summary.splitlines()[0] == " ".join(info["frame header"][0].split())
    parts = page.eval_on_selector_all("#parts-table tr[data-part]",
                                      "rows => rows.map(r => Array.from(r.cells, c => c.innerText))")
    assert [(r[0], int(r[1])) for r in parts] == [(p.path.name, p.num_frames) for p in ds.files]
    if scan is not None:
        assert page.inner_text("#scan-info .scan-line") == info["scan"][0]
    want = problems(paths[0])
    if not want:
        assert cell("anomalies") == "none"
    else:  # at most 20 a kind are listed
        shown = cell("anomalies")
        kinds = {}
        for p in want:
            kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
            assert (p["message"] in shown) == (kinds[p["kind"]] <= 20)


# ------------------------------------------------------------------------- audit


@pytest.mark.parametrize("name", ["v1", "v2_60", "v2_180", "example", "rotator"])
def test_audit_table_matches_dump_json(page, series, name):
    """Offsets, sizes, types, ids, vendor names, values and docs, row by row, as `dump --json`."""
    paths = series[name]
    open_files(page, paths)
    n = page.evaluate("tvips.num_frames")
    frames = sorted({0, n // 2, n - 1})
    dump = dump_json(paths[0], frames)
    ksy = yaml.safe_load((ROOT / "spec" / "tvips.ksy").read_text())
    image_doc = " ".join(next(a for a in ksy["types"]["record"]["seq"] if a["id"] == "image")["doc"].split())
    padding_doc = " ".join(ksy["types"]["frame_header"]["seq"][-1]["doc"].split())
    page.click("#tab-layout")

    def table(selector):
        return page.eval_on_selector_all(selector + " tr[data-id]", """rows => rows.map(r => ({
            offset: +r.cells[0].innerText, size: +r.cells[1].innerText, type: r.cells[2].innerText,
            id: r.cells[3].innerText, orig_id: r.cells[4].innerText, value: JSON.parse(r.dataset.value),
            enum: r.dataset.enum || null, text: r.cells[5].innerText, doc: r.cells[6].innerText}))""")

    def compare(rows, want):
        assert [r["id"] for r in rows] == [w["id"] for w in want]
        for r, w in zip(rows, want):
            assert (r["offset"], r["size"], r["type"], r["orig_id"]) == (
                w["offset"], w["size"], w["type"], w["orig_id"]), w["id"]
            if isinstance(w["value"], float):
                assert np.float32(r["value"]) == np.float32(w["value"]), w["id"]
            else:
                assert r["value"] == w["value"], w["id"]
            assert r["enum"] == w.get("enum"), w["id"]
            if w["id"] == "image":
                assert r["doc"] == image_doc
            elif w["id"] == "padding":
                assert r["doc"] == padding_doc
            else:
                assert r["doc"] == w["doc"], w["id"]

    compare(table("#audit-main"), dump["main_header"]["fields"])
    for entry in dump["frames"]:
        page.fill("#audit-frame", str(entry["frame"]))
        page.dispatch_event("#audit-frame", "change")
        title = page.inner_text("#audit-frame-title")
        assert title.startswith(f"frame {entry['frame']}: {Path(entry['path']).name}, record bytes "
                                f"{entry['record_offset']}–{entry['record_offset'] + entry['record_size']}")
        compare(table("#audit-frame-table"), entry["fields"])
        js = page.evaluate("k => tvips.audit(k).frame", entry["frame"])
        assert js["record_offset"] == entry["record_offset"] and js["part"] == entry["part"]


# ------------------------------------------------------------------------- anomalies


@pytest.mark.parametrize("name", ["damaged", "stale"])
def test_anomalies_match_tvips_ks_check(page, series, name):
    paths = series[name]
    open_files(page, paths)
    got = page.evaluate("tvips.anomalies")
    want = problems(paths[0])
    assert got == want
    kinds = {p["kind"] for p in want}
    expected = ({"counter", "timestamp", "rotator", "partial-record"} if name == "damaged"
                else {"stale-part", "empty-part", "numbering"})
    assert expected <= kinds
    shown = page.inner_text("#anomalies")
    for p in want:
        assert p["message"] in shown
    if name == "damaged":
        with pytest.warns(tvips_ks.TruncatedRecordWarning):
            ds = tvips_ks.open(paths[0])
        assert page.evaluate("tvips.num_frames") == ds.num_frames
        ds.close()


def test_a_bad_main_header_is_shown_up_to_the_failing_field(page, tmp_path):
    paths = Series(version=3, num_frames=2).write(tmp_path, stem="bad")
    open_files(page, paths)
    assert page.evaluate("tvips.state") == "error"
    rows = page.eval_on_selector_all("#audit-main tr[data-id]", "rows => rows.map(r => r.dataset.id)")
    assert rows == ["len_header", "version"]  # parsed up to the field that fails validation
    dump = subprocess.run([sys.executable, "-m", "tvips_ks", "dump", str(paths[0]), "--json"],
                          capture_output=True, text=True)
    assert [r["id"] for r in json.loads(dump.stdout)["main_header"]["fields"]] == rows
    assert page.evaluate("tvips.anomalies")[0]["kind"] == "header"


def test_files_of_other_series_and_odd_names_are_set_aside(page, series, tmp_path):
    stray = tmp_path / "notes.txt"
    stray.write_text("x")
    bare = tmp_path / "scan.tvips"
    bare.write_bytes(b"")
    open_files(page, [*series["v2_60"], *series["v1"][1:], stray, bare])
    assert page.evaluate("tvips.state") == "ready"
    assert page.evaluate("tvips.name") == series["v2_60"][0].name
    ignored = {g["name"]: g["reason"] for g in page.evaluate("tvips.ignored")}
    assert set(ignored) == {p.name for p in series["v1"][1:]} | {"notes.txt", "scan.tvips"}
    assert "no part number" in ignored["scan.tvips"]


# ------------------------------------------------------------------------- frames, plot


def test_frame_viewer_steps_and_maps_contrast(page, series):
    paths = series["example"]
    open_files(page, paths)
    page.click("#tab-frames")
    with tvips_ks.open(paths[0]) as ds:
        frames = np.asarray(ds.frames)
    k = 100
    page.evaluate("k => tvips.showFrame(k)", k)
    page.click("#frame-next")
    page.wait_for_function("tvips.frameStats && tvips.frameStats.frame === 101")
    stats = page.evaluate("tvips.frameStats")
    f = frames[101]
    assert (stats["min"], stats["max"]) == (f.min(), f.max())
    assert stats["mean"] == pytest.approx(f.mean())
    page.fill("#contrast-lo", "100")
    page.fill("#contrast-hi", "2100")
    page.dispatch_event("#contrast-hi", "change")
    page.wait_for_function("tvips.frameStats.lo === 100 && tvips.frameStats.hi === 2100")
    gray = np.array(page.evaluate("""() => { const c = document.querySelector('#frame-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return Array.from({length: d.length / 4}, (_, i) => d[4 * i]); }""")).reshape(f.shape)
    want = np.clip(np.round((f.astype(float) - 100) / 2000 * 255), 0, 255)
    assert np.abs(gray - want).max() <= 1  # canvas rounding
    assert page.input_value("#frame-number") == "101"
    page.check("#contrast-log")
    page.wait_for_function("tvips.frameStats.log")
    gray = np.array(page.evaluate("""() => { const c = document.querySelector('#frame-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return Array.from({length: d.length / 4}, (_, i) => d[4 * i]); }""")).reshape(f.shape)
    want = np.round(np.log1p(np.clip(f.astype(float) - 100, 0, 2000)) / np.log1p(2000) * 255)
    assert np.abs(gray - want).max() <= 1
    page.uncheck("#contrast-log")
    page.press("#frame-slider", "ArrowLeft")
    page.wait_for_function("tvips.frameStats.frame === 100")
    page.click("#frame-info")  # away from the inputs: the arrow keys step through the frames
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("tvips.frameStats.frame === 98")


def test_plot_offers_every_header_field_and_jumps_to_a_frame(page, series):
    paths = series["rotator"]
    open_files(page, paths)
    page.click("#tab-plot")
    options = page.eval_on_selector_all("#plot-field option", "os => os.map(o => o.value)")
    with tvips_ks.open(paths[0]) as ds:
        names = list(ds.frame_headers.dtype.names)
        r = ds.frame_headers["rotator_index"]
        n = ds.num_frames
    assert [o for o in options if not o.startswith("_")] == names
    assert "_time" in options
    page.select_option("#plot-field", "rotator_index")
    assert page.inner_text("#plot-range").endswith(f"from {r.min()} to {r.max()}")
    box = page.locator("#plot-canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] - 17, box["y"] + box["height"] / 2)  # the right edge
    page.wait_for_function("document.body.dataset.view === 'frames' && tvips.frameStats")
    assert page.evaluate("tvips.frameStats.frame") == n - 1


# ------------------------------------------------------------------------- VBF


@pytest.mark.parametrize("name", ["example", "rotator", "snake"])
def test_vbf_in_a_worker_equals_the_library(page, series, name):
    paths = series[name]
    open_files(page, paths)
    values = wait_vbf(page)
    assert page.evaluate("tvips.vbf.mode") == "worker"
    with tvips_ks.open(paths[0]) as ds:
        want = virtual_bright_field(ds.frames)
        scan = tvips_ks.detect_scan(ds, image_content=False)
    assert np.array_equal(values, want)
    image = np.array(page.evaluate("tvips.vbfImage()"), dtype=float)
    fi = scan.frame_index.ravel()
    assert np.array_equal(image, np.where(fi >= 0, want[fi], np.nan), equal_nan=True)


def test_vbf_runs_in_chunks_with_progress_on_the_main_thread_too(page, series):
    paths = series["demo"]
    open_files(page, paths, "?worker=0&vbf=0")
    n = page.evaluate("tvips.num_frames")
    page.click("#tab-vbf")
    page.evaluate("tvips.computeVbf({chunkBytes: 64 * 1024})")
    values = wait_vbf(page)
    assert page.evaluate("tvips.vbf.mode") == "main-thread"
    with tvips_ks.open(paths[0]) as ds:
        assert np.array_equal(values, virtual_bright_field(ds.frames))
        rows = disk_mask((ds.layout.height, ds.layout.width)).any(axis=1).sum()
        band = rows * ds.layout.width * 2  # the bytes of the disk's rows in one frame
        parts = [p.num_frames for p in ds.files]
    assert len(parts) >= 2
    chunk = 64 * 1024 // band
    assert page.evaluate("tvips.vbf.steps") == 1 + sum(math.ceil(k / chunk) for k in parts)
    assert page.evaluate("tvips.vbf.done") == n


def test_vbf_falls_back_to_the_main_thread_when_no_worker_starts(page, series):
    paths = series["example"]
    open_files(page, paths, "?vbf=0")
    page.evaluate("() => { window.Worker = function () { throw new Error('workers are disabled here'); }; }")
    page.evaluate("tvips.computeVbf({radius: 3})")
    values = wait_vbf(page)
    assert page.evaluate("tvips.vbf.mode") == "main-thread"
    assert "disabled" in page.evaluate("tvips.vbf.fallback")
    with tvips_ks.open(paths[0]) as ds:
        assert np.array_equal(values, virtual_bright_field(ds.frames, radius=3))


def test_a_scan_given_by_hand_arranges_the_vbf(page, series):
    paths = series["v2_60"]
    open_files(page, paths)
    assert page.evaluate("tvips.scan") is None
    page.click("#tab-vbf")
    page.fill("#scan-rows", "2")
    page.fill("#scan-cols", "4")
    page.fill("#scan-start", "1")
    page.check("#scan-snake")
    page.click("#scan-apply")
    values = wait_vbf(page)
    index = scan_index_map(9, (2, 4), 1, "x", 0)
    assert page.evaluate("tvips.scan.frame_index") == index.ravel().tolist()
    assert np.array_equal(np.array(page.evaluate("tvips.vbfImage()")), values[index.ravel()])


# ------------------------------------------------------------------------- tvips-ks inspect


class Inspect:
    """``tvips-ks inspect ... --no-browser`` in a subprocess; the URL it prints."""

    def __init__(self, *paths, env=None, cwd=None, python=sys.executable):
        # Ctrl-C (SIGINT) as in a terminal, even when the tests run where it is ignored
        self.proc = subprocess.Popen([python, "-m", "tvips_ks", "inspect", *map(str, paths), "--port",
                                      "0", "--no-browser"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env, cwd=cwd,
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        line = self.proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:(\d+)/\S+)", line)
        if not match:
            self.proc.kill()
            raise AssertionError(f"no URL in {line!r}: {self.proc.stderr.read()}")
        self.url, self.base = match[1], f"http://127.0.0.1:{match[2]}"
        self.first_line = line

    def get(self, path, headers=None, method="GET"):
        req = urllib.request.Request(self.base + path, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def inspect_server(series):
    servers = []

    def start(*paths, **kwargs):
        servers.append(Inspect(*paths, **kwargs))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def test_tvips_ks_inspect_serves_the_page_and_the_series(page, series, inspect_server):
    paths = series["rotator"]
    server = inspect_server(paths[1], series["example"][0])
    assert "rotator_000.tvips, example_000.tvips" in server.first_line
    page.goto(server.base + "/")  # redirects to the page
    assert wait_opened(page) == "ready"
    assert page.url == server.url
    values = wait_vbf(page)
    assert page.evaluate("tvips.vbf.mode") == "worker"
    with tvips_ks.open(paths[0]) as ds:
        assert page.evaluate("tvips.num_frames") == ds.num_frames
        assert page.evaluate("tvips.header.len_frame_header") == int(ds.header["len_frame_header"])
        fh = ds.frame_headers
        js = page.evaluate("Array.from({length: tvips.num_frames}, (_, i) => tvips.frameHeader(i).rotator_index)")
        assert js == fh["rotator_index"].tolist()
        assert np.array_equal(values, virtual_bright_field(ds.frames))
        scan = tvips_ks.detect_scan(ds, image_content=False)
    assert page.evaluate("tvips.scan.frame_index") == scan.frame_index.ravel().tolist()
    # the second series, from the page's selector
    page.select_option("#served-series", "1")
    page.wait_for_function("tvips.name === 'example_000.tvips' && tvips.state === 'ready'")
    assert page.evaluate("tvips.scan.scan_shape") == [12, 16]


def test_tvips_ks_inspect_is_read_only_and_serves_nothing_else(series, inspect_server):
    paths = series["example"]
    server = inspect_server(paths[0])
    status, _, body = server.get("/api/series")
    listing = json.loads(body)["series"]
    assert [p["name"] for p in listing[0]["parts"]] == [p.name for p in paths]
    raw = paths[1].read_bytes()
    url = listing[0]["parts"][1]["url"]
    status, headers, body = server.get(url, {"Range": "bytes=100-355"})
    assert status == 206 and body == raw[100:356]
    assert headers["Content-Range"] == f"bytes 100-355/{len(raw)}"
    assert server.get(url, {"Range": "bytes=-10"})[2] == raw[-10:]
    assert server.get(url)[2] == raw
    assert server.get(url, {"Range": f"bytes={len(raw)}-"})[0] == 416
    assert server.get(url, {"Range": "bytes=0-1,5-6"})[0] == 416
    status, _, body = server.get(url + "/strided?start=4&stride=2156&size=12&count=3")
    assert status == 200 and body == b"".join(raw[4 + k * 2156:16 + k * 2156] for k in range(3))
    assert server.get(url + "/strided?start=0&stride=2156&size=12&count=999")[0] == 416
    assert server.get(url + "/strided?start=x")[0] == 400
    for path in ["/web/../tvips_ks/cli.py", "/web/%2e%2e/pyproject.toml", "/generated/python/tvips.py",
                 "/api/series/0/part/9", "/api/series/1/part/0", "/etc/passwd", "/README.md",
                 "/" + str(paths[0])]:
        assert server.get(path)[0] == 404, path
    assert server.get("/api/series", method="POST")[0] == 405
    assert server.get("/api/series", method="PUT")[0] == 405
    assert server.get("/api/series", {"Host": "attacker.example:80"})[0] == 403
    assert server.get("/web/index.html")[2] == PAGE.read_bytes()
    assert server.get("/generated/javascript/TvipsPos.js")[2] == (
        ROOT / "generated" / "javascript" / "TvipsPos.js").read_bytes()
    assert server.proc.poll() is None


def test_tvips_ks_inspect_serves_until_ctrl_c(series, inspect_server):
    server = inspect_server(series["v1"][0])
    assert server.get("/api/series")[0] == 200
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(10) == 0
    assert "stopped" in server.proc.stderr.read()


def test_tvips_ks_inspect_refuses_a_path_that_is_not_a_series(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tvips_ks", "inspect", str(tmp_path / "x_000.tvips"),
                           "--no-browser"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert proc.stderr.startswith("tvips-ks: ") and "does not exist" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    proc = subprocess.run([sys.executable, "-m", "tvips_ks", "inspect", "--port", "70000",
                           "--no-browser"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "--port must be 0 to 65535" in proc.stderr


def test_the_installed_wheel_serves_the_inspector(page, series, tmp_path, inspect_server):
    """Users install the wheel: the page and the generated scripts ship inside it."""
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "-w", str(tmp_path / "dist"), str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("tvips_ks-*.whl"))
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(site),
                           str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for rel in ["web/index.html", "web/inspector.js", "web/tvips-series.js", "web/tvips-io.js",
                "web/inspector.css", "generated/javascript/TvipsPos.js",
                "generated/javascript/TvipsLayout.js", "generated/javascript/KaitaiStream.js",
                "generated/javascript/KaitaiStream.LICENSE.txt"]:
        assert (site / "tvips_ks" / rel).read_bytes() == (ROOT / rel).read_bytes(), rel
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    code = "import tvips_ks.export.inspector as s; print(s.asset_root())"
    where = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                           text=True, check=True).stdout.strip()
    assert where == str(site / "tvips_ks")
    server = inspect_server(series["example"][0], env=env, cwd=tmp_path)
    page.goto(server.url)
    assert wait_opened(page) == "ready"
    assert page.evaluate("tvips.num_frames") == 200
    # and the installed page works from file:// too
    page.goto((site / "tvips_ks" / "web" / "index.html").as_uri())
    page.set_input_files("#file-input", [str(p) for p in series["snake"]])
    assert wait_opened(page) == "ready"
    assert page.evaluate("tvips.scan.winding_scan_axis") == "x"


# ------------------------------------------------------------------------- multi-GiB


def test_a_multi_gib_series_is_read_in_slices(page, tmp_path):
    """3 GiB in two parts (sparse files): headers by strided slices, the VBF by disk rows only."""
    width = height = 1024
    spec = Series(version=2, len_frame_header=60, width=width, height=height, num_frames=1,
                  bits_per_pixel=16)
    len_record = spec.len_record
    per_part = (3 * 2**30 // 2) // len_record
    counters, paths = [], []
    for index in range(2):
        path = tmp_path / f"big_{index:03d}.tvips"
        offset = 256 if index == 0 else 0
        with open(path, "wb") as f:
            if index == 0:
                f.write(spec.main_header_bytes())
            for k in range(per_part):
                frame = index * per_part + k
                f.seek(offset + k * len_record)
                f.write(np.array([frame + 1, 1_700_000_000 + frame // 100, (frame % 100) * 10],
                                 dtype="<u4").tobytes())
                counters.append(frame + 1)
            f.truncate(offset + per_part * len_record)
        paths.append(path)
    assert sum(p.stat().st_size for p in paths) > 3 * 2**30 - 2**22
    page.goto(PAGE.as_uri() + "?vbf=0")
    t0 = time.perf_counter()
    page.set_input_files("#file-input", [str(p) for p in reversed(paths)])
    assert wait_opened(page) == "ready"
    opened = time.perf_counter() - t0
    assert page.evaluate("tvips.num_frames") == 2 * per_part
    assert page.evaluate("tvips.column('counter')") == counters
    assert page.evaluate("tvips.anomalies") == []
    t0 = time.perf_counter()
    page.evaluate("tvips.computeVbf({radius: 16})")
    values = wait_vbf(page)
    vbf_s = time.perf_counter() - t0
    assert not values.any()  # the sparse files' images are zeros
    heap = page.evaluate("performance.memory.usedJSHeapSize")
    print(f"\n3 GiB series, {2 * per_part} frames: opened in {opened:.2f} s, VBF (32 rows a frame) in "
          f"{vbf_s:.2f} s, JS heap {heap / 2**20:.1f} MiB")
    assert heap < 256 * 2**20  # nothing like the files was held in memory


# ------------------------------------------------------------------------- screenshots


def test_screenshots_of_every_view(page, series, shots):
    """Every view of a 36 x 48 scan, saved as PNGs (looked at by a person, not only by asserts)."""
    paths = series["demo"]
    open_files(page, paths)
    wait_vbf(page)
    taken = {}
    for view, prepare in [
        ("series", None),
        ("layout", "tvips.show('layout')"),
        ("plot", "document.querySelector('#plot-field').value = 'scan_x'; tvips.show('plot')"),
        ("frames", "document.querySelector('#contrast-log').checked = true; tvips.show('frames'); "
                   "tvips.showFrame(4 + 17 * 48 + 30)"),
        ("vbf", "tvips.show('vbf')"),
    ]:
        if prepare:
            page.evaluate(prepare)
        if view == "frames":
            page.wait_for_function("tvips.frameStats && tvips.frameStats.frame === 850")
        page.wait_for_timeout(200)
        path = shots / f"inspector-{view}.png"
        page.screenshot(path=str(path), full_page=view == "layout")
        taken[view] = path
    # not blank: the VBF image shows the specimen, the frame its pattern
    vbf_pixels = page.evaluate("""() => { const c = document.querySelector('#vbf-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return new Set(Array.from({length: d.length / 4}, (_, i) => d[4 * i])).size; }""")
    assert vbf_pixels > 50
    for path in taken.values():
        assert path.stat().st_size > 10_000
    target = os.environ.get("TVIPS_KS_DOC_IMAGES")
    if target:  # the README's images, as small palette PNGs
        from PIL import Image

        for view in ("series", "vbf"):
            with Image.open(taken[view]) as img:
                img.convert("RGB").quantize(64).save(ROOT / target / taken[view].name, optimize=True)


def test_the_readme_shows_the_inspector_command_and_screenshots(capsys):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Browser inspector", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"```bash\n(.*?)\n```", section, re.S) == ["tvips-ks inspect scan_000.tvips"]
    images = re.findall(r"!\[[^\]]+\]\((docs/img/[^)]+\.png)\)", section)
    assert images
    for image in images:
        data = (ROOT / image).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) < 200_000, image
    from tvips_ks.cli import main

    assert main(["inspect", "--help"]) == 0  # the command, with the options the README names
    text = capsys.readouterr().out
    assert "--port" in text and "--no-browser" in text
