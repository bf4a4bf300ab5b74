"""The read path: chunk plans, views and gathers, behaviours the mutation run found
unpinned (issue 19; see tests/mutation/survivors/).  Expected values are worked out by
hand from the rule each function states."""

import mmap
import os

import numpy as np
import pytest

import tvips_ks
from builders import Series
from tvips_ks import arrays
from tvips_ks.io.chunks import block_frames, nav_blocks
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
