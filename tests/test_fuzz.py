"""Fuzzing: damaged copies of valid series never make tvips-ks fail unexpectedly (issue 9).

Hypothesis mutates byte-built series (byte flips, truncations, insertions,
deletions, appended junk, removed parts) and opens and reads the result in
every way a user can.  Only :class:`tvips_ks.TvipsError` (or ``OSError``) may
escape; whatever opens must read consistently through the memory-mapped and
the dask paths.  ``fuzz/fuzz_open.py`` runs the same exercise under atheris
for long runs.
"""

from __future__ import annotations

import resource
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import Series

import tvips_ks
from tvips_ks import TvipsError, TvipsWarning


BASES = [
    Series(len_frame_header=108, num_frames=8, frames_per_part=(3, 3, 2), width=4, height=3,
           bits_per_pixel=8, seed=1),
    Series(version=1, len_frame_header=0, num_frames=5, width=3, height=2, seed=2),
    Series(len_frame_header=60, num_frames=6, frames_per_part=(2, 4), width=2, height=2,
           bits_per_pixel=32, seed=3),
]
for base in BASES:  # a scan the detector can find (positions in the frame headers)
    for i, values in enumerate(base.header_values):
        if "scan_x" in values:
            values.update(scan_x=float(i % 4), scan_y=float(i // 4))
        if "rotator_index" in values:
            values["rotator_index"] = i + 1

position = st.one_of(st.integers(0, 63), st.integers(0, 2**16))  # the main header is dense
mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 3), position, st.integers(1, 255)),
    st.tuples(st.just("set-u4"), st.integers(0, 3), st.integers(0, 12).map(lambda i: 4 * i),
              st.sampled_from([0, 1, 2, 3, 7, 8, 11, 12, 16, 32, 64, 255, 256, 2**16,
                               2**31, 2**32 - 1])),
    st.tuples(st.just("truncate"), st.integers(0, 3), position),
    st.tuples(st.just("insert"), st.integers(0, 3), position, st.binary(min_size=1, max_size=40)),
    st.tuples(st.just("delete"), st.integers(0, 3), position, st.integers(1, 300)),
    st.tuples(st.just("append"), st.integers(0, 3), st.binary(min_size=1, max_size=200)),
    st.tuples(st.just("remove"), st.integers(0, 3)),
    st.tuples(st.just("empty"), st.integers(0, 3)),
)


def mutate(parts: list[bytearray | None], op) -> None:
    kind, index = op[0], op[1] % len(parts)
    raw = parts[index]
    if raw is None:
        return
    if kind == "remove":
        parts[index] = None
    elif kind == "empty":
        raw.clear()
    elif kind == "append":
        raw += op[2]
    elif not raw:
        return
    elif kind == "flip":
        raw[op[2] % len(raw)] ^= op[3]
    elif kind == "set-u4":
        if op[2] + 4 <= len(raw):
            raw[op[2]:op[2] + 4] = op[3].to_bytes(4, "little")
    elif kind == "truncate":
        del raw[op[2] % len(raw):]
    elif kind == "insert":
        at = op[2] % len(raw)
        raw[at:at] = op[3]
    elif kind == "delete":
        at = op[2] % len(raw)
        del raw[at:at + op[3]]


def write_parts(directory: Path, parts) -> Path:
    for index, raw in enumerate(parts):
        if raw is not None:
            (directory / f"f_{index:03d}.tvips").write_bytes(bytes(raw))
    return directory / "f_000.tvips"


def exercise(path) -> int:
    """Open and read a series every way a user can; return the frames read (−1: refused).

    Raises anything other than ``TvipsError``/``OSError``: that is a bug.
    """
    read = -1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any other warning is a bug too
        warnings.simplefilter("ignore", TvipsWarning)
        for kwargs in ({}, {"permissive": True}):
            try:
                with tvips_ks.open(path, **kwargs) as ds:
                    headers = ds.frame_headers
                    assert headers.shape == (ds.num_frames,)
                    first = np.asarray(ds.frames[:2])
                    lazy = ds.to_dask()[:2].compute(scheduler="sync")
                    assert np.array_equal(first, lazy)
                    assert np.array_equal(first[-1], ds.frames[min(ds.num_frames, 2) - 1])
                    ds.metadata
                    read = max(read, ds.num_frames)
            except (TvipsError, OSError):
                pass
    return read


def exercise_detection(path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", TvipsWarning)
        try:
            with tvips_ks.open(path, scan_shape="auto", permissive=True) as ds:
                assert np.array_equal(np.asarray(ds.data[:1]),
                                      ds.to_dask()[:1].compute(scheduler="sync"))
        except (TvipsError, OSError):
            pass


@contextmanager
def address_space_cap(extra: int = 4 * 2**30):
    """Cap this process's address space near its current size while fuzzing.

    A header value turned into an allocation then fails at once with a
    ``MemoryError`` (and the test with it) instead of thrashing the machine.
    """
    with open("/proc/self/status") as f:
        size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = size + extra
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def mutated(base, ops):
    parts = BASES[base].part_bytes()
    for op in ops:
        mutate(parts, op)
    return parts


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(range(len(BASES))), ops=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_series_raise_only_tvips_errors(base, ops):
    with tempfile.TemporaryDirectory() as directory, address_space_cap():
        exercise(write_parts(Path(directory), mutated(base, ops)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(range(len(BASES))), ops=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_series_with_scan_detection_raise_only_tvips_errors(base, ops):
    with tempfile.TemporaryDirectory() as directory, address_space_cap():
        exercise_detection(write_parts(Path(directory), mutated(base, ops)))


def test_the_unmutated_bases_read_completely(tmp_path):
    for i, base in enumerate(BASES):
        directory = tmp_path / str(i)
        directory.mkdir()
        path = write_parts(directory, base.part_bytes())
        assert exercise(path) == base.num_frames
        exercise_detection(path)
