"""Fuzzing with invariants: a damaged series that still opens reads exactly (issue 19).

``test_fuzz.py`` checks that damaged series raise nothing but ``TvipsError``.
Here, with the same damage (byte flips, truncations, insertions, deletions,
appended junk, removed or emptied parts), every series that opens must also
read *right*, judged by an independent byte-level reader written below from
the research notes (``struct`` and file sizes, nothing from tvips_ks):

* the frame count is what the file sizes and the record size allow: whole
  records after the main header of ``_000``, whole records in every other part;
* every frame, and the counter and time stamp of every frame header, is the
  one at that record's byte offset;
* ``to_dask()`` equals ``np.asarray(ds.data)``, for the stack and for a scan.

The examples are derandomized (the same ones every run), so that the mutation
run (tests/mutation/) is repeatable; test_fuzz.py explores at random.
"""

from __future__ import annotations

import struct
import tempfile
import warnings
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import MAIN_FORMAT, MAIN_NAMES, Series
from test_fuzz import BASES, address_space_cap, mutate, mutation, write_parts

import tvips_ks
from tvips_ks import TvipsError, TvipsWarning

MAIN = 256


def independent_parts(first: Path) -> tuple[dict, list[bytes]] | None:
    """The main header values and the bytes of the parts ``f_000``, ``f_001``, … in a row."""
    raw0 = first.read_bytes()
    if len(raw0) < MAIN:
        return None
    header = dict(zip(MAIN_NAMES, struct.unpack_from(MAIN_FORMAT, raw0)))
    parts, index = [raw0], 1
    while (first.parent / f"f_{index:03d}.tvips").exists():
        parts.append((first.parent / f"f_{index:03d}.tvips").read_bytes())
        index += 1
    return header, parts


def record_layout(header: dict) -> tuple[int, int, np.dtype]:
    """(frame-header bytes, record bytes, pixel dtype) from the main header values."""
    len_frame_header = 12 if header["version"] == 1 else header["len_frame_header"]
    dtype = np.dtype(f"<u{header['bits_per_pixel'] // 8}")
    return len_frame_header, len_frame_header + header["width"] * header["height"] * \
        dtype.itemsize, dtype


def independent_records(header: dict, parts: list[bytes]) -> list[bytes]:
    """Every whole record of the series, in order, cut from the part bytes."""
    _, len_record, _ = record_layout(header)
    records = []
    for index, raw in enumerate(parts):
        start = MAIN if index == 0 else 0
        for k in range(max(len(raw) - start, 0) // len_record):
            records.append(raw[start + k * len_record:start + (k + 1) * len_record])
    return records


def check_invariants(path: Path, ds) -> None:
    header, parts = independent_parts(path)
    len_frame_header, len_record, dtype = record_layout(header)
    assert ds.layout.len_record == len_record
    records = independent_records(header, parts[:len(ds.files)])
    # the frame count from the file sizes alone
    assert ds.num_frames == len(records)
    assert [p.num_frames for p in ds.files] == [
        max(len(raw) - (MAIN if i == 0 else 0), 0) // len_record
        for i, raw in enumerate(parts[:len(ds.files)])]
    # later parts are read only up to a missing number
    assert len(ds.files) == len(parts)
    h, w = header["height"], header["width"]
    expected = np.stack([np.frombuffer(r, dtype, offset=len_frame_header).reshape(h, w)
                         for r in records])
    np.testing.assert_array_equal(np.asarray(ds.frames), expected)
    np.testing.assert_array_equal(np.asarray(ds.data), expected)
    np.testing.assert_array_equal(ds.to_dask().compute(scheduler="sync"), expected)
    np.testing.assert_array_equal(ds.to_dask(chunks=False).compute(scheduler="sync"), expected)
    headers = ds.frame_headers
    for name, offset in (("counter", 0), ("timestamp_s", 4), ("timestamp_ms", 8)):
        if offset + 4 <= len_frame_header:
            values = [struct.unpack_from("<I", r, offset)[0] for r in records]
            np.testing.assert_array_equal(headers[name], values, err_msg=name)
    # a scan of the frames: numpy and dask agree, and positions past the end are zeros
    n = ds.num_frames
    if n >= 2:
        with tvips_ks.open(path, scan_shape=(2, (n + 2) // 2), scan_start_frame=-1, pad=True,
                           permissive=ds.permissive) as scan:
            eager = np.asarray(scan.data)
            flat = eager.reshape(-1, h, w)
            np.testing.assert_array_equal(flat[1:n + 1], expected)
            assert not flat[0].any() and not flat[n + 1:].any()
            np.testing.assert_array_equal(scan.to_dask().compute(scheduler="sync"), eager)
            np.testing.assert_array_equal(
                scan.to_dask(chunks=False).compute(scheduler="sync"), eager)


def open_and_check(path: Path) -> int:
    """Open strictly, then permissively; check every series that opens. Frames read, or -1."""
    read = -1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TvipsWarning)
        for permissive in (False, True):
            try:
                ds = tvips_ks.open(path, permissive=permissive)
            except (TvipsError, OSError):
                continue
            with ds:
                check_invariants(path, ds)
                read = max(read, ds.num_frames)
    return read


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(range(len(BASES))), ops=st.lists(mutation, min_size=1, max_size=3))
def test_a_damaged_series_that_opens_reads_exactly(base, ops):
    parts = BASES[base].part_bytes()
    for op in ops:
        mutate(parts, op)
    with tempfile.TemporaryDirectory() as directory, address_space_cap():
        path = write_parts(Path(directory), parts)
        if path.exists():
            open_and_check(path)


# damage that keeps a series readable, so that the invariants above are exercised often
readable_damage = st.one_of(
    st.tuples(st.just("append"), st.integers(0, 3), st.binary(min_size=1, max_size=200)),
    st.tuples(st.just("empty"), st.integers(1, 3)),
    st.tuples(st.just("truncate-records"), st.integers(0, 3), st.integers(0, 8),
              st.integers(0, 40)),
    st.tuples(st.just("flip-pixels"), st.integers(0, 3), st.integers(0, 2**16),
              st.integers(1, 255)),
)


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(range(len(BASES))),
       ops=st.lists(readable_damage, min_size=1, max_size=3))
def test_a_series_damaged_at_its_ends_reads_exactly(base, ops):
    series = BASES[base]
    parts = series.part_bytes()
    for op in ops:
        kind, index = op[0], op[1] % len(parts)
        start = MAIN if index == 0 else 0
        if kind == "truncate-records":  # whole records off the end, then some bytes
            keep = max(len(parts[index]) - start - op[2] * series.len_record, 0)
            del parts[index][start + keep - min(op[3], keep):]
        elif kind == "flip-pixels":  # any byte after the main header: a record byte
            if len(parts[index]) > start:
                at = start + op[2] % (len(parts[index]) - start)
                parts[index][at] ^= op[3]
        else:
            mutate(parts, op)
    with tempfile.TemporaryDirectory() as directory:
        path = write_parts(Path(directory), parts)
        read = open_and_check(path)
    sizes = [len(p) for p in parts]
    whole = sum(max(size - (MAIN if i == 0 else 0), 0) // series.len_record
                for i, size in enumerate(sizes))
    # refused only without a main header or without a whole record (a record cut short
    # before the last part is refused by a strict open, dropped by a permissive one)
    assert read == (whole if sizes[0] >= MAIN and whole else -1), sizes


def test_the_invariants_hold_for_the_undamaged_bases(tmp_path):
    for i, base in enumerate(BASES + [Series(num_frames=7, frames_per_part=(2, 0, 5), seed=5)]):
        directory = tmp_path / str(i)
        directory.mkdir()
        path = write_parts(directory, base.part_bytes())
        assert open_and_check(path) == base.num_frames
        with tvips_ks.open(path) as ds:
            np.testing.assert_array_equal(np.asarray(ds.frames), base.images)
