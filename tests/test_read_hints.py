"""Read-ahead hints (tvips_ks.io.hints.advise_read): asked for exactly the records a read
maps whole, never for the scattered frames of a gather, and never changing a result."""

from __future__ import annotations

import os

import numpy as np
import pytest

import tvips_ks
import tvips_ks.io.gather as gather
import tvips_ks.io.hints as hints

LEN_RECORD = 60 + 6 * 7 * 2


def frames(n, seed=0):
    return np.random.default_rng(seed).integers(0, 2**16, (n, 6, 7), dtype=np.uint16)


@pytest.fixture
def series(tmp_path):
    data = frames(40)
    paths = tvips_ks.save(tmp_path / "h.tvips", data, max_file_size=256 + LEN_RECORD * 15)
    assert len(paths) == 3  # 15 + 16 + 9 records
    return data, paths


@pytest.fixture
def advised(monkeypatch):
    """Every hint given, as (inode, offset, length); the real hint is still given."""
    calls = []

    def record(fd, offset, length):
        calls.append((os.fstat(fd).st_ino, offset, length))
        return hints.advise_read(fd, offset, length)

    monkeypatch.setattr(gather, "advise_read", record)
    return calls


def records_region(path, first_record, count):
    offset = 256 if path.name.endswith("_000.tvips") else 0
    return (path.stat().st_ino, offset + first_record * LEN_RECORD, count * LEN_RECORD)


def test_a_full_pass_asks_for_every_record_once(series, advised):
    data, paths = series
    with tvips_ks.open(paths[0]) as ds:
        vimg = ds.to_dask(chunks=((7,) * 5 + (5,), 6, 7)).sum(axis=(-2, -1)).compute(
            scheduler="synchronous")
    assert np.array_equal(vimg, data.sum(axis=(-2, -1), dtype=np.uint64))
    by_file = {}
    for inode, offset, length in advised:
        by_file.setdefault(inode, []).append((offset, length))
    expected = {p.stat().st_ino: n for p, n in zip(paths, (15, 16, 9))}
    assert set(by_file) == set(expected)
    for path in paths:
        ranges = sorted(by_file[path.stat().st_ino])
        start = 256 if path.name.endswith("_000.tvips") else 0
        ends = [offset + length for offset, length in ranges]
        # contiguous, whole records, from the first record to the end of the file
        assert [offset for offset, _ in ranges] == [start, *ends[:-1]]
        assert ends[-1] == start + expected[path.stat().st_ino] * LEN_RECORD == \
            path.stat().st_size
        assert all((offset - start) % LEN_RECORD == 0 and length % LEN_RECORD == 0
                   for offset, length in ranges)


def test_a_range_across_parts_asks_for_just_its_records(series, advised):
    data, paths = series
    with tvips_ks.open(paths[0]) as ds:
        got = ds.frames[12:20]
    assert np.array_equal(got, data[12:20])
    assert advised == [records_region(paths[0], 12, 3), records_region(paths[1], 0, 5)]


def test_a_gather_gives_no_hint(series, advised):
    """A gather maps whole windows to copy a few frames: reading them all ahead would
    read far more than asked."""
    data, paths = series
    idx = np.array([3, 33, 17, 2, 38])
    with tvips_ks.open(paths[0]) as ds:
        assert np.array_equal(ds.frames[idx], data[idx])
    assert advised == []


@pytest.mark.parametrize("read", ["vimg", "slice", "scan"])
def test_results_are_the_same_without_hints(series, monkeypatch, read):
    data, paths = series

    def compute():
        kwargs = {"scan_shape": (5, 8), "winding_scan_axis": "x"} if read == "scan" else {}
        with tvips_ks.open(paths[0], **kwargs) as ds:
            if read == "slice":
                return np.array(ds.frames[5:35:3])
            return ds.to_dask().sum(axis=(-2, -1)).compute()

    with_hints = compute()
    monkeypatch.setattr(hints, "READ_HINTS", False)
    assert np.array_equal(compute(), with_hints)
    if read == "slice":
        assert np.array_equal(with_hints, data[5:35:3])


def evict(path) -> None:
    """Drop ``path``'s pages from the page cache (a request: the kernel may keep some)."""
    with open(path, "rb") as f:
        os.fsync(f.fileno())
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def test_the_hint_is_given_or_skipped_quietly(tmp_path, monkeypatch):
    if not hints.READ_HINTS or hints._PROBE["flag"] is None:
        pytest.skip("posix_fadvise or RWF_NOWAIT is not available on this platform")
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10000)
    with open(path, "rb") as f:
        f.read()
        assert hints.advise_read(f.fileno(), 0, 10000) is False  # cached: nothing to ask
        # not cached (a probe may itself start the kernel reading, so this is stood in for)
        monkeypatch.setattr(hints, "_cached", lambda fd, offset: False)
        assert hints.advise_read(f.fileno(), 0, 10000) is True
        assert hints.advise_read(f.fileno(), 0, 0) is False
        monkeypatch.setattr(hints, "READ_HINTS", False)
        assert hints.advise_read(f.fileno(), 0, 10000) is False
    read_end, write_end = os.pipe()
    try:  # a pipe cannot be advised: no error, just no hint
        monkeypatch.setattr(hints, "READ_HINTS", True)
        assert hints.advise_read(read_end, 0, 10) is False
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_window_is_asked_for_in_steps_that_tile_it(tmp_path, monkeypatch):
    """Linux reads one read-ahead window per WILLNEED call: a long window takes several;
    the steps whose first page is cached are left out."""
    if not hints.READ_HINTS or hints._PROBE["flag"] is None:
        pytest.skip("posix_fadvise or RWF_NOWAIT is not available on this platform")
    calls = []
    real = os.posix_fadvise
    monkeypatch.setattr(os, "posix_fadvise",
                        lambda fd, offset, length, advice: calls.append((offset, length, advice))
                        or real(fd, offset, length, advice))
    monkeypatch.setattr(hints, "READ_STEP", 4096)
    monkeypatch.setattr(hints, "_cached", lambda fd, offset: offset == 8492)
    path = tmp_path / "f"
    path.write_bytes(bytes(5 * 4096 + 100))
    with open(path, "rb") as f:
        assert hints.advise_read(f.fileno(), 300, 4 * 4096 + 7)
    assert calls == [(300, 4096, os.POSIX_FADV_WILLNEED), (4396, 4096, os.POSIX_FADV_WILLNEED),
                     (12588, 4096, os.POSIX_FADV_WILLNEED), (16684, 7, os.POSIX_FADV_WILLNEED)]


def test_the_cache_probe_tells_cached_from_evicted_pages(tmp_path):
    if hints._PROBE["flag"] is None:
        pytest.skip("RWF_NOWAIT is not available on this platform")
    path = tmp_path / "f"
    path.write_bytes(bytes(range(256)) * 64)
    with open(path, "rb") as f:
        f.read()
        assert hints._cached(f.fileno(), 5000) is True
    evict(path)
    with open(path, "rb") as f:
        # only the first probe tells: a probe that misses starts the kernel reading
        if hints._cached(f.fileno(), 5000):
            pytest.skip("the kernel kept the page cached after DONTNEED; nothing to test")
        assert f.read(10) == bytes(range(10))  # the probe reads nothing into the file's use


def test_a_warm_window_costs_four_probes_and_no_hint(tmp_path, monkeypatch):
    probed, advised = [], []
    monkeypatch.setattr(hints, "READ_HINTS", True)
    monkeypatch.setattr(hints, "_cached", lambda fd, offset: probed.append(offset) or True)
    monkeypatch.setattr(os, "posix_fadvise", lambda *a: advised.append(a))
    with open(tmp_path / "f", "wb+") as f:
        assert hints.advise_read(f.fileno(), 1000, 64 * 2**20) is False
    assert probed == [1000 + 64 * 2**20 * k // 4 for k in range(4)] and advised == []
