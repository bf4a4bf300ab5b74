"""Concurrency: one dataset read from many threads, and a series still being written (issue 9)."""

from __future__ import annotations

import random
import threading
import time
import warnings

import dask.array  # noqa: F401  (imported before the timing-sensitive tests)
import numpy as np
import pytest

from builders import Series

import tvips_ks
from tvips_ks import TruncatedRecordWarning

THREADS = 8


def run_threads(target, count=THREADS):
    """Run ``target(i)`` in ``count`` threads started together; re-raise the first failure."""
    barrier = threading.Barrier(count)
    errors = []

    def body(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as err:  # collected, re-raised in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a reader thread hung"
    if errors:
        raise errors[0]


def test_many_threads_read_one_dataset_correctly(tmp_path):
    s = Series(len_frame_header=108, num_frames=48, frames_per_part=(7, 25, 16), width=9,
               height=5, seed=5)
    s.write(tmp_path)
    images = s.images
    scan = images.reshape(6, 8, 5, 9)
    counters = s.expected_frame_headers()["counter"]
    # opened once, first used by all threads at the same moment (lazy maps, cached properties)
    ds = tvips_ks.open(tmp_path / "series_000.tvips", scan_shape=(6, 8), rechunking={0: 2})
    flat = tvips_ks.open(tmp_path / "series_000.tvips")
    checks = [0] * THREADS

    def reader(seed):
        rng = random.Random(seed)
        assert ds.frame_headers["counter"].tolist() == counters
        for _ in range(40):
            kind = rng.randrange(6)
            if kind == 0:
                i = rng.randrange(48)
                assert np.array_equal(ds.frames[i], images[i])
            elif kind == 1:
                a = rng.randrange(48)
                b = rng.randrange(a, 49)
                assert np.array_equal(ds.frames[a:b], images[a:b])
            elif kind == 2:
                picks = [rng.randrange(48) for _ in range(5)]
                assert np.array_equal(ds.frames[picks], images[picks])
            elif kind == 3:
                r, c = rng.randrange(6), rng.randrange(8)
                assert np.array_equal(ds.data[r, c], scan[r, c])
                assert np.array_equal(ds.data[r, ::3, 1:4], scan[r, ::3, 1:4])
            elif kind == 4:
                r = rng.randrange(6)
                got = ds.to_dask()[r:r + 2, 1::2].compute(scheduler="threads")
                assert np.array_equal(got, scan[r:r + 2, 1::2])
            else:
                a = rng.randrange(48)
                got = flat.to_dask()[a:a + 9].sum(axis=(1, 2)).compute()
                assert np.array_equal(got, images[a:a + 9].sum(axis=(1, 2)))
            checks[seed] += 1

    run_threads(reader)
    assert sum(checks) == THREADS * 40
    assert np.array_equal(np.asarray(ds.data), scan)
    ds.close()
    flat.close()


def test_a_series_being_written_opens_as_a_prefix_of_whole_records(tmp_path):
    """An acquisition appends to its last part (and rolls over to a new one) while it is opened.

    Every open sees a whole-record prefix of what is being written: the frames
    and frame headers of the first ``num_frames`` records, and a
    TruncatedRecordWarning exactly when it found a partial record at the end.
    """
    s = Series(len_frame_header=60, num_frames=60, width=6, height=4, seed=7)
    counters = s.expected_frame_headers()["counter"]
    first = tmp_path / "live_000.tvips"
    first.write_bytes(s.main_header_bytes() + s.record_bytes(0))
    done = threading.Event()
    rng = random.Random(3)
    pieces = []  # (part, bytes) in writing order: records cut in up to 4 pieces
    for i in range(1, 60):
        record = s.record_bytes(i)
        cuts = sorted(rng.sample(range(1, len(record)), rng.randrange(0, 4)))
        part = 0 if i < 25 else 1  # the acquisition rolls over to _001 at frame 25
        for a, b in zip([0, *cuts], [*cuts, len(record)]):
            pieces.append((part, record[a:b]))

    def acquire():
        files = {0: open(first, "ab", buffering=0)}
        try:
            for part, piece in pieces:
                if part not in files:
                    files[part] = open(tmp_path / f"live_{part:03d}.tvips", "ab", buffering=0)
                files[part].write(piece)
                time.sleep(0.002)  # an acquisition's pace: the reader opens in between
        finally:
            for f in files.values():
                f.close()
            done.set()

    writer = threading.Thread(target=acquire)
    seen = {"opens": 0, "partial": 0}
    writer.start()
    try:
        while True:
            finished = done.is_set()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                ds = tvips_ks.open(first)
            warned = any(issubclass(w.category, TruncatedRecordWarning) for w in caught)
            assert warned == (ds.files[-1].trailing_bytes > 0)
            assert all(p.trailing_bytes == 0 for p in ds.files[:-1])
            n = ds.num_frames
            assert 1 <= n <= 60
            assert np.array_equal(np.asarray(ds.frames), s.images[:n])
            assert ds.frame_headers["counter"].tolist() == counters[:n]
            assert np.array_equal(ds.to_dask().compute(), s.images[:n])
            ds.close()
            seen["opens"] += 1
            seen["partial"] += warned
            if finished:
                break
    finally:
        writer.join(30)
    assert n == 60 and not warned
    assert seen["opens"] >= 3


def test_a_partial_record_written_in_steps_is_never_read(tmp_path):
    """Deterministic version: open after each piece of a record written in four pieces."""
    s = Series(num_frames=3, width=4, height=3, seed=11)
    (path,) = Series(num_frames=1, width=4, height=3, seed=11).write(tmp_path)
    record = s.record_bytes(1)
    cuts = [0, 1, 30, len(record) - 1, len(record)]
    for a, b in zip(cuts, cuts[1:]):
        with open(path, "ab") as f:
            f.write(record[a:b])
        complete = b == len(record)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = tvips_ks.open(path)
        assert ds.num_frames == (2 if complete else 1)
        assert any(issubclass(w.category, TruncatedRecordWarning) for w in caught) != complete
        assert np.array_equal(np.asarray(ds.frames), s.images[:ds.num_frames])
        ds.close()


@pytest.mark.parametrize("scheduler", ["threads", "sync"])
def test_dask_reads_while_another_dataset_of_the_same_files_is_open(tmp_path, scheduler):
    s = Series(num_frames=30, frames_per_part=(10, 20), width=16, height=16, seed=2)
    s.write(tmp_path)
    datasets = [tvips_ks.open(tmp_path / "series_000.tvips", rechunking={0: 3})
                for _ in range(4)]

    def reader(i):
        ds = datasets[i % 4]
        for _ in range(5):
            assert np.array_equal(ds.to_dask().compute(scheduler=scheduler), s.images)

    run_threads(reader)
    for ds in datasets:
        ds.close()
