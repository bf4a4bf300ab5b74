"""tvips_ks.save writes, byte for byte, what the construct mirror builds record by record.

The writer builds records in bulk in one reused buffer and hands them to the
kernel with early write-back (tvips_ks.io.partwriter, tvips_ks.io.hints).
Here its parts are compared with a series built independently, one frame at
a time, by the construct structs generated from the spec, whatever the batch
size, the part boundaries, the header length, the data source, and whether
the write-back hint is used.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import tvips_ks
import tvips_ks.io.hints as hints
import tvips_ks.io.partwriter as partwriter
import tvips_ks.io.writer as writer
from tvips_ks.generated.structs import FRAME_HEADER_FIELDS, FrameHeader, MainHeader
from tvips_ks.metadata import FILLER_TVIPS_KS


def frames(n, shape=(3, 5), seed=0):
    return np.random.default_rng(seed).integers(0, 2**16, (n, *shape), dtype=np.uint16)


def construct_series(data, *, version=2, len_frame_header=60, mode=2, values=None,
                     padding=None, max_file_size=None):
    """The parts' bytes, built frame by frame with the construct mirror."""
    n, height, width = data.shape
    main = MainHeader.build(dict(
        len_header=256, version=version, width=width, height=height,
        bits_per_pixel=data.dtype.itemsize * 8, offset_x=0, offset_y=0, bin_x=1, bin_y=1,
        pixel_size_nm=0, high_tension_kv=0, mag_total=0, len_frame_header=len_frame_header,
        filler=FILLER_TVIPS_KS.ljust(204, b"\0")))
    records = []
    for i in range(n):
        # start_time=0, frame_interval=1 ms: frame i is stamped i ms after the epoch
        header = {"counter": i + 1, "timestamp_s": i // 1000, "timestamp_ms": i % 1000,
                  "tem_mode": mode, "rotator_index": i + 1}
        header.update({k: v[i] for k, v in (values or {}).items()})
        header["padding"] = padding[i] if padding is not None else None
        built = FrameHeader.build(_complete(header, len_frame_header),
                                  len_frame_header=len_frame_header)
        records.append(built + data[i].astype("<u2").tobytes())
    record = len(records[0])
    first = n if max_file_size is None else (max_file_size - 256) // record
    other = n if max_file_size is None else max_file_size // record
    parts, start = [main + b"".join(records[:first])], first
    while start < n:
        parts.append(b"".join(records[start:start + other]))
        start += other
    return parts


def _complete(header, len_frame_header):
    """Every field the header holds (0 where unset), and None for those it does not."""
    out = {}
    for name, _, end in FRAME_HEADER_FIELDS:
        out[name] = header.get(name, 0) if end <= len_frame_header else None
    known = max((end for _, _, end in FRAME_HEADER_FIELDS if end <= len_frame_header),
                default=0)
    out["padding"] = header["padding"] if header["padding"] is not None else \
        bytes(len_frame_header - known)
    return out


def saved_parts(directory, data, **kwargs):
    directory.mkdir(exist_ok=True)
    paths = tvips_ks.save(directory / "out.tvips", data, start_time=0, frame_interval=0.001,
                          **kwargs)
    return [p.read_bytes() for p in paths]


@pytest.fixture(params=[3, None], ids=["3-record-batches", "default-batches"])
def batch(request, monkeypatch):
    if request.param:
        record = 60 + 3 * 5 * 2
        monkeypatch.setattr(writer, "_BATCH_BYTES", record * request.param)
    return request.param


@pytest.mark.parametrize("max_file_size", [None, 256 + 90 * 4, 256 + 90 * 7 + 45])
def test_stack_bytes_equal_the_construct_build(tmp_path, batch, max_file_size):
    data = frames(17)
    expected = construct_series(data, max_file_size=max_file_size)
    assert len(expected) == {None: 1, 256 + 90 * 4: 4, 256 + 90 * 7 + 45: 2}[max_file_size]
    assert saved_parts(tmp_path, data, max_file_size=max_file_size) == expected


def test_version_1_bytes_equal_the_construct_build(tmp_path, batch):
    data = frames(10, seed=1)
    assert saved_parts(tmp_path, data, version=1, max_file_size=256 + 42 * 4) == \
        construct_series(data, version=1, len_frame_header=12, max_file_size=256 + 42 * 4)


def test_fields_beyond_the_core_and_extra_bytes_equal_the_construct_build(tmp_path, batch):
    data = frames(11, seed=2)
    rng = np.random.default_rng(3)
    values = {"scan_x": rng.integers(0, 99, 11).astype(np.float32),
              "stage_alpha": rng.normal(size=11).astype(np.float32),
              "lut_index": rng.integers(0, 2**32, 11, dtype=np.uint32)}
    got = saved_parts(tmp_path, data, frame_headers=values, frame_header_extra_bytes=8,
                      mode=1, max_file_size=256 + 3 * (80 + 30))
    assert got == construct_series(data, len_frame_header=80, mode=1, values=values,
                                   max_file_size=256 + 3 * (80 + 30))


def test_copied_headers_keep_their_padding_bytes(tmp_path, batch):
    """Another series' frame headers (with bytes after the known fields) are copied whole."""
    data = frames(9, seed=4)
    source = np.zeros(9, dtype=tvips_ks.format.frame_header_dtype(62, padding=True))
    source["counter"] = np.arange(100, 109)
    source["padding"] = [bytes([i, 255 - i]) for i in range(9)]
    got = saved_parts(tmp_path, data, frame_headers=source, frame_header_extra_bytes=2)
    values = {name: source[name] for name in source.dtype.names if name != "padding"}
    assert got == construct_series(data, len_frame_header=62, values=values,
                                   padding=[bytes([i, 255 - i]) for i in range(9)])


@pytest.mark.parametrize("chunks", [(4, 3, 5), (7, 3, 5), (13, 3, 5)])
def test_dask_chunks_and_another_series_give_the_same_bytes(tmp_path, batch, chunks):
    da = pytest.importorskip("dask.array")
    data = frames(13, seed=5)
    expected = construct_series(data, max_file_size=256 + 90 * 5)
    assert saved_parts(tmp_path / "d", da.from_array(data, chunks=chunks),
                       max_file_size=256 + 90 * 5) == expected
    with tvips_ks.open(tmp_path / "d" / "out.tvips") as ds:
        assert saved_parts(tmp_path / "copy", ds.frames, max_file_size=256 + 90 * 5) == expected


def test_write_back_covers_every_byte_once_and_changes_nothing(tmp_path, monkeypatch):
    """The early write-back hint is given for each write, in order, tiling every part."""
    data = frames(23, seed=6)
    calls = []

    def record(fd, offset, length):
        calls.append((os.fstat(fd).st_ino, offset, length))
        return hints.start_writeback(fd, offset, length)

    monkeypatch.setattr(writer, "_BATCH_BYTES", 90 * 4)
    monkeypatch.setattr(partwriter, "start_writeback", record)
    with_hint = saved_parts(tmp_path / "a", data, max_file_size=256 + 90 * 10)
    paths = sorted((tmp_path / "a").iterdir())
    assert len(paths) == 3
    for path, content in zip(paths, with_hint):
        ranges = [(offset, length) for inode, offset, length in calls
                  if inode == path.stat().st_ino]  # renaming keeps the inode
        ends = np.cumsum([length for _, length in ranges]).tolist()
        assert [offset for offset, _ in ranges] == [0, *ends[:-1]]
        assert ends[-1] == len(content)
    assert len(calls) == 1 + 3 + 3 + 1 + 1  # main header, then batches cut at part ends

    monkeypatch.setattr(hints, "WRITEBACK", False)
    monkeypatch.setattr(partwriter, "start_writeback", hints.start_writeback)
    assert saved_parts(tmp_path / "b", data, max_file_size=256 + 90 * 10) == with_hint
    assert with_hint == construct_series(data, max_file_size=256 + 90 * 10)


def test_write_back_is_started_on_linux(tmp_path):
    if not hints.WRITEBACK:
        pytest.skip("sync_file_range is Linux-only; here the hint is a no-op by design")
    with open(tmp_path / "f", "wb") as f:
        f.write(b"x" * 8192)
        f.flush()
        assert hints.start_writeback(f.fileno(), 0, 8192) is True
        assert hints.start_writeback(f.fileno(), 0, 0) is False


def test_write_back_never_stalls_the_writer_and_holds_few_descriptors(tmp_path, monkeypatch):
    """sync_file_range blocks while the device queue is full: it runs on a background
    thread, at most WRITEBACK_PENDING ranges wait, and each one's duplicate descriptor is
    closed once it has run."""
    import threading

    release = threading.Event()
    started = []

    def blocking(fd, offset, length, flags):
        started.append((offset, length, flags))
        release.wait(10)
        return 0

    monkeypatch.setattr(hints, "WRITEBACK", True)
    monkeypatch.setattr(hints, "_SYNC_FILE_RANGE", blocking)
    open_fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    with open(tmp_path / "f", "wb") as f:
        handed = [hints.start_writeback(f.fileno(), 4096 * k, 4096)
                  for k in range(hints.WRITEBACK_PENDING + 3)]
        # the first waits in sync_file_range, the rest queue up to the limit; none blocked us
        assert handed == [True] * hints.WRITEBACK_PENDING + [False] * 3
        assert not hints.writeback_idle(timeout=0.05)
        release.set()
        assert hints.writeback_idle()
    assert [s[0] for s in started] == [4096 * k for k in range(hints.WRITEBACK_PENDING)]
    assert all(s[2] == 2 for s in started)  # SYNC_FILE_RANGE_WRITE: start, do not wait
    if open_fds is not None:
        assert len(os.listdir("/proc/self/fd")) == open_fds
