"""The read path: chunk plans, views and gathers, behaviours the mutation run found
unpinned (issue 19; see tests/mutation/survivors/).  Expected values are worked out by
hand from the rule each function states."""

import mmap
import os
import sys

import numpy as np
import pytest

import tvips_ks
from builders import Series
from tvips_ks import arrays
from tvips_ks.io.chunks import (GATHER_CHUNK_BYTES, STACK_CHUNK_BYTES, block_frames, nav_blocks,
                                normalize_nav_chunks)
from tvips_ks.io import daskio, views
from tvips_ks.io.views import view_chunks


class Parts:
    """What view_chunks reads of a part table: which part holds each frame."""

    def __init__(self, *starts):
        self.starts = np.array([0, *starts])

    def locate(self, frames):
        return np.searchsorted(self.starts, frames, side="right") - 1


def plan(index, parts, frames_per_block=1000):
    # huge frames: a view always beats a copy in tasks
    return view_chunks(np.asarray(index), parts, frame_bytes=10**9,
                       target_bytes=frames_per_block * 10**9, gather_blocks=1)


def test_rows_are_grouped_up_to_a_row_that_crosses_parts():
    # parts start at 0 and 25: rows 0-1 in the first part, row 2 (frames 20-29) across,
    # rows 3-5 in the second
    assert plan(np.arange(60).reshape(6, 10), Parts(25)) == ((2, 1, 3), (10,))


def test_a_padded_row_is_a_group_of_its_own():
    index = np.arange(-4, 56).reshape(6, 10)
    index[index < 0] = -1  # the scan starts 4 positions before frame 0
    # row 0 is padded, row 2 (16-25) crosses into the second part at 25
    assert plan(index, Parts(25)) == ((1, 1, 1, 3), (10,))


def test_a_first_part_of_one_frame_splits_the_first_row():
    # frame 0 alone in the first part: row 0 crosses parts, rows 1-5 stay together
    assert plan(np.arange(60).reshape(6, 10), Parts(1)) == ((1, 5), (10,))


def test_leading_axes_share_one_row_grouping():
    # two planes of 3 rows; plane 0's row 2 (20-29) crosses into the second part
    assert plan(np.arange(60).reshape(2, 3, 10), Parts(25)) == ((1, 1), (2, 1), (10,))


def test_rows_one_frame_apart_are_one_group():
    # a scan stored column by column: row to row the frame steps by 1
    index = np.arange(60).reshape(10, 6).T
    assert plan(index, Parts()) == ((6,), (10,))


def test_row_groups_are_cut_at_the_block_size():
    # 25 frames a block: two rows of 10 at most
    assert plan(np.arange(60).reshape(6, 10), Parts(), frames_per_block=25) == ((2, 2, 2), (10,))


# -- nav_blocks: regular blocks of about target_bytes -------------------------------------


@pytest.mark.parametrize("nav,frame_bytes,target,want", [
    ((4, 5), 100, 50, (1, 1)),     # a frame larger than the target: one frame a block
    ((4, 5), 8, 40, (1, 5)),       # exactly one row fits: one row a block
    ((4, 5), 8, 80, (2, 5)),       # two rows
    ((3, 10), 4, 30, (1, 7)),      # 7.5 frames fit: 7, a whole number
    ((10,), 1, 6, (6,)),           # one-byte frames
    ((3, 0), 8, 64, (1, 1)),       # an empty axis: no block of zero frames, no division
])
def test_nav_blocks(nav, frame_bytes, target, want):
    got = nav_blocks(nav, frame_bytes, target)
    assert got == want
    assert all(type(size) is int for size in got)


def rows_starting_at(*firsts):
    """A map whose rows are runs of 10 frames starting at ``firsts``."""
    return np.array([np.arange(f, f + 10) for f in firsts])


@pytest.mark.parametrize("firsts,rows", [
    ((0, 10, 30), (2, 1)),              # the step from row to row changes: a new group
    ((0, 10, 20, 30, 50), (4, 1)),      # ... wherever it changes
    ((0, 10, 30, 50, 70), (2, 3)),      # a group goes on while the new step repeats
])
def test_row_groups_keep_one_step_from_row_to_row(firsts, rows):
    assert plan(rows_starting_at(*firsts), Parts()) == (rows, (10,))


FORWARD = list(range(10))
HALF_BACK = [0, 1, 2, 3, 4, 9, 8, 7, 6, 5]   # cut into columns 0-4 and 5-9
BACK_HALF = [4, 3, 2, 1, 0, 9, 8, 7, 6, 5]   # the same cut


@pytest.mark.parametrize("odd_row", [FORWARD, BACK_HALF], ids=["breaks-block-2", "breaks-block-1"])
def test_every_column_block_must_keep_its_row_to_row_step(odd_row):
    # rows 0, 1, 3, 4 run HALF_BACK; row 2 runs otherwise in one of the two column blocks,
    # so the groups break before and after it
    shapes = [HALF_BACK, HALF_BACK, odd_row, HALF_BACK, HALF_BACK]
    index = np.array([10 * r + np.array(s) for r, s in enumerate(shapes)])
    assert plan(index, Parts()) == ((2, 1, 2), (5, 5))


def test_a_scan_one_column_wide_is_one_group():
    assert plan(np.arange(6).reshape(6, 1), Parts()) == ((6,), (1,))


def test_a_row_that_crosses_parts_links_to_neither_neighbour():
    # row 1 (frames 20-29) crosses into the second part at 25; row 2 steps back into the
    # first part, where row 1 starts
    index = np.array([np.arange(0, 10), np.arange(20, 30), np.arange(10, 20)])
    assert plan(index, Parts(25)) == ((1, 1, 1), (10,))


# -- pixels picked per element: read block by block within the memory budget -----------------

@pytest.fixture
def scan_5x6(tmp_path):
    s = Series(num_frames=30, frames_per_part=(7, 13, 10), height=6, width=8, seed=11)
    return s.write(tmp_path, "s")[0], s.images.reshape(5, 6, 6, 8)


def reads_of(monkeypatch, block_bytes):
    """Record (frames read, pixel box) of every read, with a budget of ``block_bytes``."""
    calls = []
    real = arrays.read_frames

    def spy(table, frames, pixels=None):
        calls.append((int(np.asarray(frames).size), pixels))
        return real(table, frames, pixels)

    monkeypatch.setattr(arrays, "read_frames", spy)
    monkeypatch.setattr(arrays, "_BLOCK_BYTES", block_bytes)
    return calls


BOX = (slice(1, 3), slice(3, 6))   # the pixels' bounding box for rows [1, 2, 2], columns [3, 5, 4]
HULL = 2 * 3 * 2                     # its bytes in one uint16 frame


@pytest.mark.parametrize("key,budget,want", [
    # pixel indices over the whole scan: 5 frames' boxes a read, the three pixels together
    ((slice(None), slice(None), [1, 2, 2], [3, 5, 4]), 5, [(5, BOX)] * 6),
    # scan and pixel indices together: three elements, one frame each, in one read
    (([0, 1, 4], [2, 3, 5], [1, 2, 2], [3, 5, 4]), 5, [(3, BOX)]),
    # three elements of a scan row each (6 frames): 5 then 1 frame a read, per element
    (([0, 1, 4], slice(None), [1, 2, 2], slice(2, 5)), 5,
     [(5, (slice(1, 3), slice(2, 5))), (1, (slice(1, 3), slice(2, 5)))] * 3),
    # a budget of one box: one frame a read
    (([0, 1, 4], slice(None), [1, 2, 2], slice(2, 5)), 1, [(1, (slice(1, 3), slice(2, 5)))] * 18),
])
def test_picked_pixels_are_read_in_blocks_within_the_budget(monkeypatch, scan_5x6, key, budget,
                                                            want):
    path, expected = scan_5x6
    calls = reads_of(monkeypatch, budget * HULL)
    with tvips_ks.open(path, scan_shape=(5, 6)) as ds:
        got = ds.data[key]
    np.testing.assert_array_equal(got, expected[key])
    assert calls == want


def test_picking_pixels_from_an_empty_range_reads_nothing(monkeypatch, scan_5x6):
    path, expected = scan_5x6
    calls = reads_of(monkeypatch, 5 * HULL)
    with tvips_ks.open(path, scan_shape=(5, 6)) as ds:
        got = ds.data[:, :, [1, 2], 0:0]
    assert got.shape == expected[:, :, [1, 2], 0:0].shape == (5, 6, 2, 0)
    assert calls == []


# -- view_chunks: block sizes, the shapes of rows it plans for, and what views cost ---------

def test_frames_larger_than_the_target_are_one_a_block():
    got = view_chunks(np.arange(6).reshape(2, 3), Parts(), frame_bytes=10**9,
                      target_bytes=5 * 10**8, gather_blocks=1)
    assert got == ((1, 1), (1, 1, 1))


def test_rows_are_grouped_only_while_whole_rows_fit_the_target():
    # 15 frames a block hold one row of 10, not two
    assert plan(np.arange(60).reshape(6, 10), Parts(), frames_per_block=15) == \
        ((1, 1, 1, 1, 1, 1), (10,))


def test_one_byte_frames(monkeypatch):
    monkeypatch.setattr(views, "TASK_COST_BYTES", 0)
    got = view_chunks(np.arange(60).reshape(6, 10), Parts(), frame_bytes=1, target_bytes=20,
                      gather_blocks=1)
    assert got == ((2, 2, 2), (10,))


def test_the_row_holding_frame_0_is_planned_for_too():
    # only row 0 turns back half way: its cut at column 5 applies to every row
    index = np.arange(60).reshape(6, 10)
    index[0] = HALF_BACK
    assert plan(index, Parts()) == ((1, 5), (5, 5))


def test_rows_of_one_shape_at_any_offset_are_one_pattern():
    # 100 rows of one shape: far fewer patterns than MAX_PATTERNS
    assert plan(np.arange(1000).reshape(100, 10), Parts()) == ((100,), (10,))


def shapes_map(count):
    """``count`` rows of 70 frames, row k jumping by 500 after column k + 1: each row its
    own shape."""
    rows = np.arange(70) + 1000 * np.arange(count)[:, None]
    for k in range(count):
        rows[k, k + 2:] += 500
    return rows


def test_up_to_max_patterns_shapes_of_rows_are_cut_into_views():
    assert views.MAX_PATTERNS == 64
    assert plan(shapes_map(64), Parts()) is not None
    assert plan(shapes_map(65), Parts()) is None


def test_views_are_kept_while_their_extra_tasks_cost_no_more_than_a_copy(monkeypatch):
    # three row groups instead of one gathered block: two extra tasks; 60 frames of 10 bytes
    index = np.arange(60).reshape(6, 10)
    monkeypatch.setattr(views, "TASK_COST_BYTES", 300)   # 2 x 300 = 600 bytes: kept
    assert view_chunks(index, Parts(), 10, 200, gather_blocks=1) == ((2, 2, 2), (10,))
    monkeypatch.setattr(views, "TASK_COST_BYTES", 301)   # costs more than the copy
    assert view_chunks(index, Parts(), 10, 200, gather_blocks=1) is None


# -- a stack's blocks: a view of its part, or a copy into a reused buffer ------------------------

def base_of(array):
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def stack_blocks(path, chunks):
    """Each block of ``to_dask(chunks=...)`` as its task computes it."""
    with tvips_ks.open(path) as ds:
        lazy = ds.to_dask(chunks=chunks)
    graph = dict(lazy.__dask_graph__())
    return [graph[k] for k in sorted(graph)]


@pytest.fixture
def two_parts(tmp_path):
    s = Series(num_frames=60, frames_per_part=(25, 35), width=3, height=2, seed=4)
    return s.write(tmp_path, "s")[0], s.images


def test_a_block_that_is_a_whole_part_is_a_view_of_its_file(two_parts):
    path, images = two_parts
    tasks = stack_blocks(path, ((25, 35), 2, 3))
    for task, frames in zip(tasks, (slice(0, 25), slice(25, 60))):
        block = task[0](*task[1:])
        assert isinstance(base_of(block), mmap.mmap)
        np.testing.assert_array_equal(block, images[frames])


def test_a_block_across_parts_is_copied_into_a_reused_buffer(two_parts, monkeypatch):
    path, images = two_parts
    monkeypatch.setattr(daskio, "_POOL", [])  # not full of other tests' buffers
    first, second = stack_blocks(path, ((30, 30), 2, 3))
    block = first[0](*first[1:])  # frames 0-29: across the parts
    np.testing.assert_array_equal(block, images[:30])
    buffer = id(base_of(block))  # the id only: a reference would keep the buffer in use
    assert buffer in {id(pooled) for pooled in daskio._POOL}
    del block
    again = first[0](*first[1:])  # nothing refers to the buffer any more: used again
    assert id(base_of(again)) == buffer
    np.testing.assert_array_equal(again, images[:30])
    other = second[0](*second[1:])  # frames 30-59, in one part: a view, not the buffer
    assert isinstance(base_of(other), mmap.mmap)
    np.testing.assert_array_equal(other, images[30:])


@pytest.mark.parametrize("winding,row,frames", [
    (None, 0, range(0, 6)),       # the scan's first row, from frame 0
    (None, 2, range(12, 18)),     # a later row inside the second part
    ("x", 0, range(5, -1, -1)),   # a snake's reversed row: a view with a negative stride
])
def test_a_scan_row_inside_one_part_is_a_view_of_its_file(scan_5x6, winding, row, frames):
    path, expected = scan_5x6
    with tvips_ks.open(path, scan_shape=(5, 6), winding_scan_axis=winding) as ds:
        assert ds.frame_index[row].tolist() == list(frames)
        got = ds.data[row]
    assert isinstance(base_of(got), mmap.mmap)
    np.testing.assert_array_equal(got, expected.reshape(30, 6, 8)[list(frames)])


@pytest.mark.parametrize("index, block, expected", [
    (np.arange(12).reshape(3, 4), (slice(0, 2), slice(0, 4)), (0, 8)),      # from frame 0
    (np.arange(12).reshape(3, 4), (slice(1, 3), slice(0, 4)), (4, 12)),     # whole rows
    (np.arange(12).reshape(3, 4), (slice(2, 3), slice(1, 3)), (9, 11)),     # part of a row
    (np.arange(5, 9).reshape(1, 4), (slice(0, 1), slice(0, 4)), (5, 9)),
    (np.arange(12).reshape(3, 4), (slice(0, 1), slice(3, 4)), (3, 4)),      # one frame
    (np.array([[0]]), (slice(0, 1), slice(0, 1)), (0, 1)),
])
def test_a_contiguous_block_is_read_as_a_range_of_frames(index, block, expected):
    """A block whose frames follow each other in the file is a (start, stop) range, read
    as one view of the file (zero-copy unless it crosses parts), from frame 0 on too."""
    got = block_frames(index, block)
    assert type(got) is tuple and got == expected
    assert all(type(v) is int for v in got)


@pytest.mark.parametrize("index, block", [
    (np.arange(12).reshape(3, 4), (slice(0, 2), slice(0, 2))),   # two pieces of rows
    (np.array([[3, 2, 1, 0]]), (slice(0, 1), slice(0, 4))),       # a reversed row
    (np.array([[-1, -1, 0, 1]]), (slice(0, 1), slice(0, 4))),     # padding before frame 0
    (np.array([[0, 1, 1, 2]]), (slice(0, 1), slice(0, 4))),       # a repeated frame
    (np.array([[0, 2, 4, 6]]), (slice(0, 1), slice(0, 4))),       # every other frame
])
def test_any_other_block_is_read_as_its_list_of_frames(index, block):
    got = block_frames(index, block)
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, index[block].ravel())
    assert not np.shares_memory(got, index)  # the plan keeps no view into the scan map


# -- the preadv path of read_frames (io/gather.py) -----------------------------------------

def _saved(tmp_path, n, h, w, seed=5):
    data = np.random.default_rng(seed).integers(0, 2**16, (n, h, w), dtype=np.uint16)
    paths = tvips_ks.save(tmp_path / "p.tvips", data)
    return data, tvips_ks.open(paths[0]).table


@pytest.mark.parametrize("n", [1, 2, 1500])
def test_a_run_of_frames_with_headers_is_read_without_a_fallback_map(tmp_path, monkeypatch,
                                                                    n):
    """The headers between consecutive images go into a scratch buffer of the same preadv
    call (at most IOV_MAX buffers a call: a run of 1500 records is cut), so nothing is
    short and the mapped fallback for a shrunk file is never needed."""
    from tvips_ks.io import gather

    data, table = _saved(tmp_path, n, 2, 3)
    assert table.layout.len_frame_header > 0

    def no_map(*args, **kwargs):
        raise AssertionError("preadv came back short: the fallback map was used")

    monkeypatch.setattr(gather, "map_records", no_map)
    wanted = np.arange(n)
    np.testing.assert_array_equal(gather.read_frames(table, wanted), data[wanted])


def test_frames_of_several_mib_are_read_in_runs(tmp_path):
    """Records over 2 MiB: a preadv call holds at most PREAD_BYTES, so runs are cut by
    bytes as well as by buffers (a fractional cut would not be a frame count)."""
    from tvips_ks.io import gather

    data, table = _saved(tmp_path, 3, 1024, 1100)
    wanted = np.array([2, 0, 1, 1])
    np.testing.assert_array_equal(gather.read_frames(table, wanted), data[wanted])


def test_parts_are_opened_close_on_exec(tmp_path, monkeypatch):
    """A descriptor left open across a fork in another thread must not leak into a child."""
    from tvips_ks.io import gather

    data, table = _saved(tmp_path, 4, 2, 3)
    flags = []
    real = os.open

    def recording(path, flag, *args, **kwargs):
        flags.append(flag)
        return real(path, flag, *args, **kwargs)

    monkeypatch.setattr(gather.os, "open", recording)
    np.testing.assert_array_equal(gather.read_frames(table, np.array([3, 1])), data[[3, 1]])
    assert flags and all(f & os.O_CLOEXEC for f in flags)


# -- chunk plans (io/chunks.py, io/daskio.py) ----------------------------------------------

@pytest.mark.parametrize("call, purpose", [
    (lambda table: daskio.to_dask(table, (table.num_frames,)), "to_dask()"),
    (lambda table: normalize_nav_chunks("auto", (8,), (2, 3), np.uint16, [8]), "dask chunks"),
])
def test_without_dask_each_entry_point_says_what_needs_it(tmp_path, monkeypatch, call,
                                                          purpose):
    data, table = _saved(tmp_path, 8, 2, 3)
    monkeypatch.setitem(sys.modules, "dask.array", None)  # import dask.array fails
    with pytest.raises(tvips_ks.MissingDependencyError) as info:
        call(table)
    message = str(info.value)
    assert message.startswith(f"{purpose} needs dask, which is not installed")
    assert message.endswith("pip install 'tvips-ks[dask]'")


def test_a_stacks_automatic_chunks_are_64_mib_of_its_pixels_within_parts():
    """uint16 frames of 256 x 256 (128 KiB): at most 512 frames a chunk, parts cut into
    as few near-equal chunks as that allows (1200 -> 3 x 400, 800 -> 2 x 400)."""
    assert STACK_CHUNK_BYTES // (256 * 256 * 2) == 512
    chunks = normalize_nav_chunks("auto", (2000,), (256, 256), np.uint16, [1200, 800])
    assert chunks == ((400,) * 5, (256,), (256,))
    # the same frames as a scan (no parts) are gathered in smaller chunks of whole rows
    scan = normalize_nav_chunks("auto", (40, 50), (256, 256), np.uint16)
    assert scan[1] == (50,) and max(scan[0]) * 50 * 256 * 256 * 2 <= GATHER_CHUNK_BYTES


@pytest.mark.parametrize("chunks, expected", [
    (("auto", -1, -1), None),         # dask sizes "auto" by the pixels' dtype
    ({0: 100}, ((100,) * 4, (256,), (256,))),
])
def test_chunks_given_to_dask_are_sized_by_the_pixel_dtype(chunks, expected):
    got = normalize_nav_chunks(chunks, (400,), (256, 256), np.uint16)
    assert got[1:] == ((256,), (256,))
    if expected:
        assert got == expected
    else:
        assert sum(got[0]) == 400


def test_chunks_that_cut_frames_are_refused_saying_so():
    with pytest.raises(tvips_ks.ArgumentError,
                       match=r"^chunks must hold whole frames \(one chunk along each frame axis\)"):
        normalize_nav_chunks((10, 128, 256), (400,), (256, 256), np.uint16)


def test_to_dask_chunks_automatically_by_default(tmp_path):
    data, table = _saved(tmp_path, 8, 2, 3)
    plain = daskio.to_dask(table, (8,))
    assert plain.chunks == daskio.to_dask(table, (8,), chunks="auto").chunks
    np.testing.assert_array_equal(plain.compute(), data)


def test_each_dask_array_is_named_by_everything_that_decides_its_values(tmp_path):
    """Equal inputs give one name (dask reuses results by name); a change of the parts,
    the layout, the shape, the chunks or the scan map gives another."""
    data, table = _saved(tmp_path, 12, 2, 3)
    (tmp_path / "o").mkdir()
    other_data, other = _saved(tmp_path / "o", 12, 2, 3, seed=6)
    index = np.arange(12).reshape(3, 4)
    base = daskio.to_dask(table, (3, 4), index, chunks=((1, 2), (4,), (2,), (3,)))
    same = daskio.to_dask(table, (3, 4), index.copy(), chunks=((1, 2), (4,), (2,), (3,)))
    assert base.name == same.name and base.name.startswith("tvips-")
    variants = [
        daskio.to_dask(other, (3, 4), index, chunks=((1, 2), (4,), (2,), (3,))),
        daskio.to_dask(table, (4, 3), index.reshape(4, 3), chunks=((1, 3), (3,), (2,), (3,))),
        daskio.to_dask(table, (3, 4), index, chunks=((2, 1), (4,), (2,), (3,))),
        daskio.to_dask(table, (3, 4), index[::-1].copy(), chunks=((1, 2), (4,), (2,), (3,))),
    ]
    names = {base.name} | {v.name for v in variants}
    assert len(names) == 5
    np.testing.assert_array_equal(variants[0].compute(), other_data.reshape(3, 4, 2, 3))
    np.testing.assert_array_equal(variants[3].compute(), data[index[::-1]])
    assert daskio.to_dask(table, (12,)).name != daskio.to_dask(other, (12,)).name


@pytest.mark.parametrize("nav", [(12,), (3, 4)])
def test_a_dask_arrays_meta_is_an_empty_array_of_its_ndim_and_dtype(tmp_path, nav):
    data, table = _saved(tmp_path, 12, 2, 3)
    index = None if len(nav) == 1 else np.arange(12).reshape(nav)
    arr = daskio.to_dask(table, nav, index)
    assert type(arr._meta) is np.ndarray
    assert arr._meta.shape == (0,) * arr.ndim and arr._meta.dtype == np.uint16


def test_a_stacks_automatic_chunks_are_sized_by_its_pixel_dtype(tmp_path, monkeypatch):
    from tvips_ks.io import chunks as chunk_plan

    data, table = _saved(tmp_path, 12, 2, 3)
    monkeypatch.setattr(chunk_plan, "STACK_CHUNK_BYTES", 4 * 2 * 3 * 2)  # 4 uint16 frames
    arr = daskio.to_dask(table, (12,))
    assert arr.chunks == ((4, 4, 4), (2,), (3,))
    np.testing.assert_array_equal(arr.compute(), data)


def test_a_fly_back_scans_automatic_chunks_are_all_views(tmp_path):
    """Rows of consecutive frames: every task maps its frames, none gathers them."""
    data, table = _saved(tmp_path, 40, 2, 3)
    index = np.arange(40).reshape(5, 8)
    arr = daskio.to_dask(table, (5, 8), index)
    tasks = dict(arr.__dask_graph__()).values()
    loaders = {getattr(t[0], "func", t[0]) for t in tasks if isinstance(t, tuple)}
    assert loaders == {daskio._load_view}
    np.testing.assert_array_equal(arr.compute(), data.reshape(5, 8, 2, 3))


# -- np.asarray of a frame array (arrays.py) -------------------------------------------------

def test_asarray_with_a_dtype_converts(tmp_path):
    data, table = _saved(tmp_path, 5, 2, 3)
    ds = tvips_ks.open(tmp_path / "p_000.tvips")
    got = np.asarray(ds.frames, dtype=np.float32)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, data.astype(np.float32))


def test_array_with_copy_true_owns_its_data_and_copy_false_is_refused(tmp_path):
    data, table = _saved(tmp_path, 5, 2, 3)
    ds = tvips_ks.open(tmp_path / "p_000.tvips")
    view = np.asarray(ds.frames)
    copied = np.array(ds.frames, copy=True)
    assert copied.flags.owndata and copied.flags.writeable
    assert not np.shares_memory(copied, view)
    np.testing.assert_array_equal(copied, data)
    with pytest.raises(ValueError, match=r"^a FrameStack is read from files: it cannot be "
                                         r"turned into an array without a copy"):
        np.asarray(ds.frames, copy=False)


def test_asarray_of_a_single_part_stack_is_a_view_of_the_file(tmp_path):
    """Zero-copy: the frames of one part are read through one map, not copied."""
    data, table = _saved(tmp_path, 5, 2, 3)
    ds = tvips_ks.open(tmp_path / "p_000.tvips")
    got = np.asarray(ds.frames)
    assert not got.flags.owndata
    np.testing.assert_array_equal(got, data)


@pytest.mark.parametrize("index", [[9, 7, 5, 3, 1, 0, 2, 4], [2, 3, 4, 5, 6, 7, 8, 9]])
def test_a_one_dimensional_scan_map_is_chunked_by_its_own_length(tmp_path, index):
    """The parts' sizes shape the chunks of frames read in file order only: a scan map of
    8 of the 10 frames, in any order, is chunked over its 8 positions."""
    data, table = _saved(tmp_path, 10, 2, 3)
    arr = daskio.to_dask(table, (8,), np.array(index))
    assert sum(arr.chunks[0]) == 8
    np.testing.assert_array_equal(arr.compute(), data[index])


# -- the preadv path when a read comes back short, or a part cannot be opened ---------------

def _one_part(tmp_path, n=10):
    data = np.random.default_rng(9).integers(0, 2**16, (n, 2, 3), dtype=np.uint16)
    path = tvips_ks.save(tmp_path / "s.tvips", data)[0]
    table = tvips_ks.open(path).table
    return data, table, table.used[0]


def test_a_shrunk_part_names_the_last_frame_it_lost(tmp_path):
    """Checked before reading: the part now ends after frame 4, and 5 is the last asked."""
    from tvips_ks.io import gather

    data, table, part = _one_part(tmp_path)
    os.truncate(part.path, part.offset + 5 * part.len_record)
    with pytest.raises(tvips_ks.SeriesError, match=r"so frame 5 is gone") as info:
        gather.read_frames(table, np.array([1, 3, 4, 5]))
    assert info.value.path == str(part.path)


def test_a_part_that_shrinks_during_the_read_names_the_frame_of_the_short_read(tmp_path,
                                                                               monkeypatch):
    from tvips_ks.io import gather

    data, table, part = _one_part(tmp_path)
    real = os.preadv

    def shrinking(fd, buffers, pos, *args):
        os.truncate(part.path, part.offset + 2 * part.len_record)  # frames 2.. are gone
        return real(fd, buffers, pos, *args)

    monkeypatch.setattr(gather.os, "preadv", shrinking)
    with pytest.raises(tvips_ks.SeriesError, match=r"so frame 6 is gone") as info:
        gather.read_frames(table, np.array([6, 7, 8]))
    assert info.value.path == str(part.path)


@pytest.mark.parametrize("wanted", [[0, 1, 2, 5, 6], [8, 9], [7, 9], [0, 9]])
def test_a_short_read_of_an_unchanged_part_is_read_again_through_a_map(tmp_path, monkeypatch,
                                                                       wanted):
    """Runs of frames anywhere in the part, up to its last record, each read again alone."""
    from tvips_ks.io import gather

    data, table, part = _one_part(tmp_path)
    real = os.preadv
    monkeypatch.setattr(gather.os, "preadv",
                        lambda fd, buffers, pos, *a: real(fd, buffers[:1], pos, *a))
    np.testing.assert_array_equal(gather.read_frames(table, np.array(wanted)), data[wanted])


def test_a_part_that_cannot_be_opened_is_named_with_the_reason(tmp_path, monkeypatch):
    import errno

    from tvips_ks.io import gather

    data, table, part = _one_part(tmp_path)

    def refuse(path, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(gather.os, "open", refuse)
    with pytest.raises(tvips_ks.SeriesError) as info:
        gather.read_frames(table, np.array([3, 1]))
    assert info.value.path == str(part.path)
    assert f"cannot read the file: {os.strerror(errno.EACCES)}" in str(info.value)


@pytest.mark.parametrize("key, shape", [
    ((slice(0, 0), slice(1, 2)), (0, 1, 3)),
    ((slice(4, 4), 1), (0, 3)),
    ((slice(7, 2), slice(None), slice(0, 2)), (0, 2, 2)),
    ((slice(0, 0),), (0, 2, 3)),
])
def test_an_empty_range_keeps_the_pixel_selection_in_its_shape(tmp_path, key, shape):
    data, table = _saved(tmp_path, 10, 2, 3)
    ds = tvips_ks.open(tmp_path / "p_000.tvips")
    got = ds.frames[key]
    assert got.shape == data[key].shape == shape and got.dtype == data.dtype
