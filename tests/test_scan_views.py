"""A scan's dask chunks are zero-copy views of the files wherever its rows run straight.

Issue 17, item 1: a fly-back scan's blocks are views of whole runs of rows,
a snake's are views row by row (reversed rows as negative strides, cut at the
hysteresis roll), and whatever the plan, dask gives numpy's values.  A view
is recognised by its base chain ending at a memory map; a gathered block
owns its memory (a buffer that is reused only once nothing refers to it).
"""

from __future__ import annotations

import mmap

import numpy as np
import pytest

from builders import Series

import tvips_ks
from tvips_ks.io import daskio, views
from tvips_ks.io.views import affine, view_chunks

da = pytest.importorskip("dask.array")


def mapped(array) -> bool:
    """Whether ``array``'s memory is a memory map (following the base chain)."""
    base = array
    while getattr(base, "base", None) is not None:
        base = base.base
    return isinstance(base, mmap.mmap)


def blocks(lazy):
    """Every block of a dask array as the task computes it, with its key."""
    for key, task in dict(lazy.__dask_graph__()).items():
        yield key, task[0](*task[1:])


@pytest.fixture
def always_views(monkeypatch):
    """Views whatever they cost in tasks (the test series are tiny)."""
    monkeypatch.setattr(views, "TASK_COST_BYTES", 0)


@pytest.fixture
def series(tmp_path):
    s = Series(num_frames=60, frames_per_part=(25, 35), width=3, height=2, seed=4)
    return s.write(tmp_path, "s")[0], s


def test_affine_recognises_runs_and_refuses_the_rest():
    assert affine(np.arange(5, 17).reshape(3, 4)) == (5, (4, 1))
    assert affine(np.arange(5, 17).reshape(3, 4)[:, ::-1]) == (8, (4, -1))
    assert affine(np.array([[7]])) == (7, (1, 1))
    assert affine(np.array([3, 3, 3])) is None          # a repeat is not a view
    assert affine(np.array([0, 1, 3])) is None          # a skip inside the block
    assert affine(np.array([-1, 0, 1])) is None         # padding reads zeros
    snake = np.arange(12).reshape(3, 4)
    snake[::2] = snake[::2, ::-1]
    assert affine(snake) is None and affine(snake[:1]) == (3, (1, -1))


def test_flyback_blocks_are_views_of_whole_rows(series):
    path, s = series
    with tvips_ks.open(path, scan_shape=(5, 10), scan_start_frame=3) as ds:
        lazy = ds.to_dask()
        assert lazy.chunks[1] == (10,)  # whole rows
        seen = 0
        for (_, i, j, _, _), block in blocks(lazy):
            rows = slice(sum(lazy.chunks[0][:i]), sum(lazy.chunks[0][:i + 1]))
            frames = ds.frame_index[rows]
            one_part = len({int(f) >= 25 for f in frames.ravel()}) == 1
            assert mapped(block) == one_part, (i, frames)  # only a row across parts is copied
            np.testing.assert_array_equal(block, s.images[frames])
            seen += 1
        assert seen == len(lazy.chunks[0])
        np.testing.assert_array_equal(lazy.compute(), np.asarray(ds.data))


@pytest.mark.parametrize("hysteresis", [0, 2, -3])
def test_snake_rows_are_views(series, always_views, hysteresis):
    path, s = series
    with tvips_ks.open(path, scan_shape=(6, 9), scan_start_frame=1, winding_scan_axis="x",
                       hysteresis=hysteresis) as ds:
        lazy = ds.to_dask()
        assert set(lazy.chunks[0]) == {1}  # rows of alternating direction: one per block
        cut = hysteresis % 9
        assert lazy.chunks[1] == ((9,) if cut == 0 else (cut, 9 - cut))  # cut at the roll
        for key, block in blocks(lazy):
            i, j = key[1:3]
            cols = slice(sum(lazy.chunks[1][:j]), sum(lazy.chunks[1][:j + 1]))
            frames = ds.frame_index[i:i + 1, cols]
            if frames.max() < 25 or frames.min() >= 25:
                assert mapped(block), (i, j)
            np.testing.assert_array_equal(block, s.images[frames])
        np.testing.assert_array_equal(lazy.compute(), np.asarray(ds.data))


def test_view_plan_cuts_where_rows_change_direction():
    index = np.arange(40).reshape(4, 10)
    index[::2] = np.roll(index[::2, ::-1], 3, axis=1)
    table = type("T", (), {"locate": staticmethod(lambda f: np.zeros_like(f))})()
    # huge frames: views always beat copies, and no block is cut for size
    rows, cols = view_chunks(index, table, frame_bytes=10**9, target_bytes=10**12,
                             gather_blocks=1)
    assert rows == (1, 1, 1, 1) and cols == (3, 7)
    flyback = np.arange(40).reshape(4, 10)
    assert view_chunks(flyback, table, 10**9, 10**12, 1) == ((4,), (10,))
    # a rotator-like map of repeats has too many row shapes to cut: gathered instead
    repeats = np.random.default_rng(0).integers(0, 3, 4000).cumsum().reshape(400, 10)
    assert len(np.unique(repeats - repeats[:, :1], axis=0)) > views.MAX_PATTERNS
    assert view_chunks(repeats, table, 10**9, 10**12, 1) is None


def test_views_that_cost_more_tasks_than_a_copy_are_gathered(series):
    path, _ = series
    with tvips_ks.open(path, scan_shape=(6, 9), winding_scan_axis="x", hysteresis=2) as ds:
        lazy = ds.to_dask()  # 12 tiny views would cost more than one gathered chunk
        assert lazy.numblocks[:2] == (1, 1)


SCANS = [  # (scan_shape, scan_start_frame, winding_scan_axis, hysteresis, pad)
    ((6, 9), 0, None, 0, False),
    ((6, 9), 3, None, 0, False),
    ((7, 9), -4, "x", 2, True),
    ((6, 9), 2, "x", 0, False),
    ((9, 6), 1, "y", 1, False),
    ((9, 6), 1, "y", -2, True),
    ((2, 3, 9), 1, "x", 1, False),
    ((50,), 4, None, 0, False),
]


@pytest.mark.parametrize("scan", SCANS, ids=lambda s: "-".join(map(str, s)))
@pytest.mark.parametrize("target", [10**9, 60])
def test_dask_equals_numpy_with_view_chunks(series, always_views, monkeypatch, scan, target):
    shape, start, winding, hysteresis, pad = scan
    monkeypatch.setattr(daskio, "SCAN_VIEW_BYTES", target)  # small: rows cut into pieces
    path, s = series
    with tvips_ks.open(path, scan_shape=shape, scan_start_frame=start,
                       winding_scan_axis=winding, hysteresis=hysteresis, pad=pad) as ds:
        eager = np.asarray(ds.data)
        index = ds.frame_index
        np.testing.assert_array_equal(
            eager, np.where((index >= 0)[..., None, None], s.images[index], 0))
        lazy = ds.to_dask()
        assert all(c for axis in lazy.chunks for c in axis)
        np.testing.assert_array_equal(lazy.compute(scheduler="threads"), eager)
        np.testing.assert_array_equal(lazy.sum(axis=(-2, -1)).compute(),
                                      eager.sum(axis=(-2, -1)))


def test_a_gathered_chunk_kept_is_never_overwritten(series):
    """Gathered chunks reuse buffers only once nothing refers to them."""
    path, s = series
    with tvips_ks.open(path, scan_shape=(6, 9), winding_scan_axis="x", hysteresis=2) as ds:
        lazy = ds.to_dask(chunks=(2, 9, 2, 3))
        graph = dict(lazy.__dask_graph__())
        tasks = [graph[k] for k in sorted(graph)]
        kept = [t[0](*t[1:]) for t in tasks]  # all alive at once: no buffer shared
        for t, block in zip(tasks, kept):
            assert not mapped(block)
        for _ in range(3):  # later chunks, read while the first ones are still held
            for t in tasks:
                t[0](*t[1:])
        for (i, block) in enumerate(kept):
            np.testing.assert_array_equal(block, s.images[ds.frame_index[2 * i:2 * i + 2]])
        del kept
        again = tasks[0][0](*tasks[0][1:])
        np.testing.assert_array_equal(again, s.images[ds.frame_index[:2]])
