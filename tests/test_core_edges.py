"""The core's edges, each pinned by the mutant that survived without it (issue 19).

``python tests/mutation/run.py`` lists the mutants the suite does not kill; the
tests here kill the ones that change behaviour: an error's wording where it
tells the user what to do, a size limit, a branch no series in the other
tests reaches.  Expected values come from the research notes and the spec,
restated here, not from the library.
"""

from __future__ import annotations

import errno
import os
import struct
import sys

import numpy as np
import pytest

from builders import Series

import tvips_ks
from tvips_ks import HeaderError, SeriesError
from tvips_ks.format import (RecordLayout, frame_header_dtype, header_violations,
                             layout_usable, tem_mode_code, tem_mode_name, validate_main_header)
from tvips_ks.io import files as files_mod
from tvips_ks.io import headers as headers_mod
from tvips_ks.io.files import os_error, read_main_header, starts_like_main_header
from tvips_ks.io.headers import read_frame_headers
from tvips_ks.io.parts import build_part_table


def write(tmp_path, series: Series, stem="s"):
    return series.write(tmp_path, stem)


# -- format ------------------------------------------------------------------------------------

def test_tem_modes():
    assert (tem_mode_code("imaging"), tem_mode_code("diffraction")) == (1, 2)
    assert (tem_mode_name(1), tem_mode_name(2), tem_mode_name(0)) == ("imaging", "diffraction",
                                                                       None)


def header_of(**values):
    raw = Series(main=values).main_header_bytes()
    return np.frombuffer(raw, dtype=tvips_ks.format.MAIN_HEADER_DTYPE)[0]


def test_violation_texts_offer_permissive_only_where_it_helps():
    [v] = header_violations(header_of(len_header=255))
    assert v.field == "len_header" and v.offset == 0
    assert v.text() == ("main header field 'len_header' is 255, the format requires 256; this "
                        "is not a valid TVIPS main header (is it the _000 part of a series?); "
                        "if the rest of the header looks right, permissive=True reads the "
                        "series anyway")
    [v] = header_violations(header_of(bits_per_pixel=12))
    assert v.offset == 16 and v.text().endswith("(is it the _000 part of a series?)")
    assert [v.field for v in header_violations(header_of(version=3, width=0, height=0))] == \
        ["version", "width", "height"]
    assert layout_usable(header_of(version=3, len_header=1))
    assert not layout_usable(header_of(width=0))


@pytest.mark.parametrize("values,permissive,field", [
    (dict(len_header=512), False, "len_header"),
    (dict(len_header=512), True, None),
    (dict(version=7), True, None),
    (dict(height=0), True, "height"),
    (dict(version=2, len_frame_header=11), True, "len_frame_header"),
    (dict(version=2, len_frame_header=12), False, None),
    (dict(version=1, len_frame_header=0), False, None),   # version 1: 12 bytes regardless
])
def test_validate_main_header_levels(values, permissive, field):
    header = header_of(**values)
    if field is None:
        validate_main_header(header, "p", permissive=permissive)
        return
    with pytest.raises(HeaderError, match=f"'{field}'") as info:
        validate_main_header(header, "p", permissive=permissive)
    assert info.value.path == "p"


def test_record_layouts():
    v1 = RecordLayout.from_header(header_of(version=1, len_frame_header=999, width=3, height=2,
                                            bits_per_pixel=32))
    assert (v1.len_frame_header, v1.len_image, v1.len_record) == (12, 24, 36)
    assert v1.pixel_dtype == np.dtype("<u4") and v1.frame_shape == (2, 3)
    v2 = RecordLayout.from_header(header_of(version=5, len_frame_header=70, width=3, height=2,
                                            bits_per_pixel=8))
    assert (v2.version, v2.len_record) == (5, 76)
    assert v2.image_dtype.itemsize == 76 and v2.image_dtype.fields["image"][1] == 70
    rec = v2.record_dtype
    assert rec.itemsize == 76 and rec.fields["image"][1] == 70
    assert rec.fields["padding"][1] == 68 and rec.fields["padding"][0].itemsize == 2


def test_frame_header_dtypes():
    d = frame_header_dtype(13)
    assert d.names == ("counter", "timestamp_s", "timestamp_ms") and d.itemsize == 13
    assert frame_header_dtype(13, padding=True).names[-1] == "padding"
    assert frame_header_dtype(12, padding=True).names == d.names  # no padding bytes: no field


# -- files ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("code,hint", [
    (errno.EACCES, "; check the file's permissions"),
    (errno.ELOOP, "; the path is a symbolic link loop"),
    (errno.EIO, "; the storage reported an I/O error"),
    (errno.EBUSY, None),
])
def test_os_errors_say_what_to_do(code, hint):
    err = os_error(OSError(code, os.strerror(code)), "/x/s_000.tvips")
    assert isinstance(err, SeriesError) and err.path == "/x/s_000.tvips"
    expected = f"cannot read the file: {os.strerror(code)}" + (hint or "")
    if hint is None:
        assert err.message == expected
    else:
        assert err.message.startswith(expected)


def test_an_os_error_without_strerror_gives_its_text():
    err = os_error(OSError("a custom failure"), "p")
    assert err.message == "cannot read the file: a custom failure"


def test_a_special_file_is_refused(tmp_path):
    fifo = tmp_path / "p_000.tvips"
    os.mkfifo(fifo)
    with pytest.raises(SeriesError, match="not a regular file"):
        read_main_header(fifo)
    with pytest.raises(SeriesError, match="is a directory"):
        files_mod.regular_file_size(tmp_path)


def test_a_short_file_has_no_main_header(tmp_path):
    path = tmp_path / "s_000.tvips"
    path.write_bytes(b"\0" * 255)
    with pytest.raises(HeaderError, match="the file has 255 bytes, fewer than the 256-byte") \
            as info:
        read_main_header(path)
    assert info.value.offset == 255


@pytest.mark.parametrize("size,first4,expected", [
    (256 + 3 * 10, (256).to_bytes(4, "little"), True),
    (256, (256).to_bytes(4, "little"), True),         # a main header and no record
    (255, (256).to_bytes(4, "little"), False),        # too short for a main header
    (256 + 3 * 10 + 1, (256).to_bytes(4, "little"), False),  # not whole records after it
    (256 + 3 * 10, (257).to_bytes(4, "little"), False),
    (256 + 3 * 10, (256 * 2**8).to_bytes(4, "little"), False),
])
def test_starts_like_main_header(tmp_path, size, first4, expected):
    path = tmp_path / "x_001.tvips"
    path.write_bytes(first4 + b"\0" * (size - 4))
    assert starts_like_main_header(path, size, 10) is expected
    assert starts_like_main_header(tmp_path / "gone.tvips", 256, 10) is False


def test_a_renamed_first_part_is_named_as_such(tmp_path):
    s = Series(num_frames=6, frames_per_part=(2, 2, 2), seed=21)
    paths = write(tmp_path, s)
    # a _000 part copied over _001: the main header and whole records, so not whole records
    paths[1].write_bytes(s.part_bytes()[0])
    with pytest.raises(SeriesError, match="it looks like the _000 part of a series, renamed or "
                                          "copied over this part"):
        tvips_ks.open(paths[0])
    paths[1].write_bytes(s.part_bytes()[1] + b"\1" * 5)
    with pytest.raises(SeriesError, match="belongs to another series or was damaged"):
        tvips_ks.open(paths[0])


# -- frame headers --------------------------------------------------------------------------------

def test_read_frame_headers_fields_padding_and_windows(tmp_path, monkeypatch):
    s = Series(num_frames=7, frames_per_part=(3, 4), len_frame_header=70, seed=22)
    paths = write(tmp_path, s)
    from tvips_ks.io.naming import find_parts
    header = read_main_header(paths[0])
    table = build_part_table(find_parts(paths[0]).parts, RecordLayout.from_header(header))
    every = read_frame_headers(table)
    assert every.dtype == frame_header_dtype(70) and "padding" not in every.dtype.names
    padded = read_frame_headers(table, padding=True)
    assert padded.dtype.names[-1] == "padding"
    assert [bytes(p) for p in padded["padding"]] == s.padding
    some = read_frame_headers(table, names=("rotator_index", "counter"))
    assert some.dtype.names == ("counter", "rotator_index") and some.dtype.itemsize == 8
    assert some.dtype.fields["rotator_index"][1] == 4  # packed
    expected = s.expected_frame_headers()
    assert some["counter"].tolist() == expected["counter"]
    # windows of one record each: the same values
    monkeypatch.setattr(headers_mod, "_WINDOW_BYTES", 1)
    one = read_frame_headers(table, names=("counter",))
    assert one["counter"].tolist() == expected["counter"]
    monkeypatch.setattr(headers_mod, "_WINDOW_BYTES", 2 * s.len_record)
    assert read_frame_headers(table)["timestamp_s"].tolist() == expected["timestamp_s"]
    raw = b"".join(s.part_bytes())
    assert struct.unpack_from("<I", raw, 256)[0] == expected["counter"][0]


# -- exact numpy indexing (arrays, indexing, gather) -----------------------------------------------

from tvips_ks import arrays as arrays_mod  # noqa: E402
from tvips_ks.io import gather as gather_mod  # noqa: E402
from tvips_ks.io.chunks import iter_blocks  # noqa: E402
from tvips_ks.io.gather import read_block  # noqa: E402

STACK_KEYS = [
    (0,), (-1,), (8,), (slice(1, 7, 2),), (slice(None, None, -1),), (slice(7, 1, -3),),
    ([3, 0, 3, 8],), (np.arange(9) % 2 == 0,), (Ellipsis,), (Ellipsis, 1), (..., 1, 2),
    (slice(None), [0, 3], [1, 0]),            # pixels picked per frame
    (slice(None), [3], slice(None)),
    ([1, 2, 7], [0, 1, 3], [2, 3, 4]),        # frames and pixels picked together
    ([[0, 1], [2, 3]], slice(None), [0, 4]),
    (Ellipsis, [0, 1]), (Ellipsis, [1, 0], [2, 2]),
    (slice(2, 8), 1, [0, 3, 1]), ([0, 2], 1, slice(1, 3)),
    (np.array([[0], [8]]), [0, 1], slice(None)),   # broadcast
    (slice(None), [], []), (slice(0, 0), [0, 1], [0, 1]), ([], slice(None)),
    (slice(None, None, 2), slice(1, 3), [4, 0]),
    (slice(1, 9, 3), [[1, 2], [3, 0]], slice(None, None, -2)),
    (5, [1, 3], [4, 0]), ([4, 5, 6], slice(None), 2),
    (np.int64(3), np.array([True, False, True, False])),
    (None, 2, [0, 1]),
]
SCAN_KEYS = [
    (0,), (-1, -1), (1, 2), (slice(None), 0), (slice(2, 0, -1), slice(1, 3)),
    (slice(None), slice(3, 0, -2)),
    ([0, 2], [1, 3]), ([0, 2], [1, 3], [0, 1], [1, 2]),
    (slice(None), [0, 3], 1, [0, 2]), (1, slice(3, 0, -1), [0, 1], slice(None)),
    ([[0], [2]], [[1, 3]], ..., [1, 0]), (Ellipsis, [3, 0], [4, 4]),
    (np.array([[True, False, True, False]] * 3), [1, 2, 3, 0, 1, 2]),
    (2, slice(1, None), slice(None), [2]), ([2, 0], slice(None), 3, slice(1, 4)),
    (slice(None), slice(None), [[0, 1], [2, 3]], [[4, 3], [2, 1]]),
]
BAD_KEYS = [(9,), (-10,), ([0, 9],), (0, 0, 0, 0, 0), (0, [0, 9]), (slice(None), [0, 4]), ([0, 1], [0, 1, 2]),
            (1.0,), ("a",), (..., ...)]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("indexed")
    s = Series(num_frames=9, frames_per_part=(4, 0, 5), width=5, height=4, seed=23)
    path = write(tmp_path, s)[0]
    index = np.arange(-1, 11).reshape(3, 4)
    index[index > 8] = -1
    scan_ref = np.where((index >= 0)[..., None, None], s.images[index], 0)
    return path, s.images, scan_ref


@pytest.mark.parametrize("block_bytes", [None, 1, 45])
def test_indexing_is_numpy_indexing(indexed, monkeypatch, block_bytes):
    path, stack_ref, scan_ref = indexed
    if block_bytes is not None:  # pixels picked out of many frames, block by block
        monkeypatch.setattr(arrays_mod, "_BLOCK_BYTES", block_bytes)
        monkeypatch.setattr(gather_mod, "WINDOW_BYTES", block_bytes)
    with tvips_ks.open(path) as stack, \
            tvips_ks.open(path, scan_shape=(3, 4), scan_start_frame=-1, pad=True) as scan:
        for arr, ref, keys in ((stack.frames, stack_ref, STACK_KEYS),
                               (scan.data, scan_ref, SCAN_KEYS)):
            for key in keys:
                expected = ref[key]
                got = arr[key]
                assert type(got) is np.ndarray and got.dtype == ref.dtype, key
                assert got.shape == expected.shape, key
                np.testing.assert_array_equal(got, expected, err_msg=str(key))
                assert got.flags.writeable
            for key in BAD_KEYS:
                with pytest.raises(IndexError):
                    ref[key]
                with pytest.raises(IndexError):
                    arr[key]


def test_array_protocol_iteration_and_repr(indexed):
    path, stack_ref, scan_ref = indexed
    with tvips_ks.open(path) as ds, \
            tvips_ks.open(path, scan_shape=(3, 4), scan_start_frame=-1, pad=True) as scan:
        frames = ds.frames
        assert (frames.ndim, frames.size, frames.nbytes, len(frames)) == \
            (3, 9 * 20, 9 * 20 * 2, 9)
        assert repr(frames) == "<FrameStack 9 frames of 4×5 uint16 in 2 part(s)>"
        assert repr(scan.data) == "<ScanArray shape=(3, 4, 4, 5) dtype=uint16>"
        np.testing.assert_array_equal(np.stack(list(frames)), stack_ref)
        rows = list(scan.data)
        assert len(rows) == 3
        np.testing.assert_array_equal(np.stack(rows), scan_ref)
        as_float = np.asarray(frames, dtype=np.float32)
        assert as_float.dtype == np.float32 and np.array_equal(as_float, stack_ref)
        copied = np.array(frames, copy=True)
        copied[0, 0, 0] += 1
        assert frames[0][0, 0] == stack_ref[0, 0, 0]
        with pytest.raises(ValueError, match="cannot be turned into an array without a copy"):
            np.array(frames, copy=False)
        np.testing.assert_array_equal(scan.data.frame_index, scan.frame_index)
        for start, stop in [(0, 12), (3, 7), (11, 12), (5, 5)]:
            np.testing.assert_array_equal(scan.data.flat_frames(start, stop),
                                          scan_ref.reshape(12, 4, 5)[start:stop])
            np.testing.assert_array_equal(frames.flat_frames(min(start, 9), min(stop, 9)),
                                          stack_ref[min(start, 9):min(stop, 9)])


def test_saving_a_scan_writes_its_positions_in_order(indexed, tmp_path):
    path, _, scan_ref = indexed
    with tvips_ks.open(path, scan_shape=(3, 4), scan_start_frame=-1, pad=True) as scan:
        tvips_ks.save(tmp_path / "out.tvips", scan.data, max_file_size=256 + 5 * (60 + 40))
    with tvips_ks.open(tmp_path / "out_000.tvips") as out:
        assert [p.num_frames for p in out.files] == [5, 7]  # later parts: no main header
        np.testing.assert_array_equal(np.asarray(out.frames), scan_ref.reshape(12, 4, 5))


def test_blocks_and_read_block(indexed):
    path, stack_ref, scan_ref = indexed
    assert [b for b in iter_blocks((3, 4), (2, 3))] == [
        (slice(0, 2), slice(0, 3)), (slice(0, 2), slice(3, 4)),
        (slice(2, 3), slice(0, 3)), (slice(2, 3), slice(3, 4))]
    assert list(iter_blocks((5,), (5,))) == [(slice(0, 5),)]
    with tvips_ks.open(path, scan_shape=(3, 4), scan_start_frame=-1, pad=True) as scan:
        for block in iter_blocks((3, 4), (2, 3)):
            np.testing.assert_array_equal(read_block(scan.table, scan.frame_index, block),
                                          scan_ref[block])
        for block in iter_blocks((9,), (4,)):
            np.testing.assert_array_equal(read_block(scan.table, None, block), stack_ref[block])


# -- bugs found on the way (the lead fixes them; strict: the mark goes when they are fixed) ----

@pytest.mark.parametrize("scan", [False, True])
def test_one_pixel_is_a_numpy_scalar(indexed, scan):
    path, stack_ref, scan_ref = indexed
    kwargs = dict(scan_shape=(3, 4), scan_start_frame=-1, pad=True) if scan else {}
    key = (1, 2, 1, 2) if scan else (5, 1, 2)
    ref = scan_ref if scan else stack_ref
    with tvips_ks.open(path, **kwargs) as ds:
        got = ds.data[key]
    assert got == ref[key] and np.ndim(got) == 0 and got.dtype == ref.dtype


@pytest.mark.parametrize("key", [(slice(None, None, -1),), (1, slice(None, None, -1)),
                                 (slice(1, None, -1), slice(None, None, -2))])
def test_a_reversed_scan_axis_reads_like_numpy(indexed, key):
    path, _, scan_ref = indexed
    with tvips_ks.open(path, scan_shape=(3, 4), scan_start_frame=-1, pad=True) as ds:
        np.testing.assert_array_equal(ds.data[key], scan_ref[key])


# -- check: every continuity problem, located and worded ------------------------------------------

from datetime import datetime as _dt, timedelta, timezone as _tz  # noqa: E402

from tvips_ks.audit.check import check_series  # noqa: E402

T0 = 1_700_000_000
CHECK_FRAMES = dict(
    counter=[1, 2, 3, 4, 5, 9, 10, 11, 11, 12, 8, 9],
    timestamp_s=[T0 + i for i in range(12)],
    timestamp_ms=[0, 0, 0, 1200, 0, 0, 500, 1000, 0, 0, 0, 0],
    rotator_index=[1, 2, 3, 2003, 2004, 5, 6, 7, 8, 1, 0, 2],
)
CHECK_FRAMES["timestamp_s"][6] = T0 + 4
CHECK_FRAMES["timestamp_s"][11] = T0 + 100_011


def utc(seconds_after_t0: float) -> str:
    t = _dt(2023, 11, 14, 22, 13, 20, tzinfo=_tz.utc) + timedelta(seconds=seconds_after_t0)
    assert t.timestamp() == T0 + seconds_after_t0
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def checked_series(tmp_path):
    s = Series(num_frames=12, frames_per_part=(4, 4, 4), width=3, height=2, seed=31,
               frames=CHECK_FRAMES)
    assert s.len_record == 72
    return write(tmp_path, s, "c")


def test_check_locates_and_words_every_continuity_problem(tmp_path):
    paths = checked_series(tmp_path)
    start = "(at the start of part {}: is this part from another acquisition?)"
    expected = [
        (paths[1], "counter", 5, 72,
         "counter jumps from 5 to 9: 3 frame(s) missing or the counter is not continuous"),
        (paths[2], "counter", 8, 0,
         "counter repeats 11: a duplicated frame? " + start.format("c_002.tvips")),
        (paths[2], "counter", 10, 144, "counter goes back from 12 to 8"),
        (paths[0], "timestamp", 3, 256 + 3 * 72 + 8,
         "timestamp_ms is 1200, outside 0..999 (and in 1 more frame(s))"),
        (paths[1], "timestamp", 4, 4,
         f"timestamp goes back by 0.200 s (from {utc(4.2)} to {utc(4)} UTC) "
         + start.format("c_001.tvips")),
        (paths[1], "timestamp", 6, 2 * 72 + 4,
         f"timestamp goes back by 0.500 s (from {utc(5)} to {utc(4.5)} UTC)"),
        (paths[2], "timestamp", 11, 3 * 72 + 4,
         f"timestamp jumps forward by 100001.000 s (from {utc(10)} to {utc(100_011)} UTC; "
         f"frames are 1.000 s apart elsewhere)"),
        (paths[0], "rotator", 3, 256 + 3 * 72 + 48,
         "rotator_index leaps from 3 to 2003 (1999 scan points skipped; elsewhere it steps "
         "by 1)"),
        (paths[1], "rotator", 5, 72 + 48,
         "rotator_index falls from 2004 to 5 (a scan point index goes back without "
         "restarting at 0 or 1)"),
    ]
    res = check_series(paths[1])  # any part names the series
    got = [(p.path, p.kind, p.frame, p.offset, p.message) for p in res.problems]
    assert got == [(str(path), kind, frame, offset, f"frame {frame}: {message}")
                   for path, kind, frame, offset, message in expected]
    assert (res.num_frames, res.parts, res.omitted, res.ok) == (12, paths, {}, False)
    assert str(res.problems[0]) == f"{paths[1]}: byte 72: frame 5: {expected[0][4]}"
    with tvips_ks.open(paths[0]) as ds:
        again = check_series(paths[0], frame_headers=ds.frame_headers)
    assert again.problems == res.problems


@pytest.mark.parametrize("limit,kept,omitted", [
    (None, (3, 4, 2), {}),
    (2, (2, 2, 2), {"counter": 1, "timestamp": 2}),
    (1, (1, 1, 1), {"counter": 2, "timestamp": 3, "rotator": 1}),
    (0, (0, 0, 0), {"counter": 3, "timestamp": 4, "rotator": 2}),
])
def test_check_keeps_at_most_max_per_kind(tmp_path, limit, kept, omitted):
    res = check_series(checked_series(tmp_path)[0], max_per_kind=limit)
    kinds = [p.kind for p in res.problems]
    assert (kinds.count("counter"), kinds.count("timestamp"), kinds.count("rotator")) == kept
    assert res.omitted == omitted
    assert [p.frame for p in res.problems][:1] == ([5] if limit != 0 else [])


def test_check_sees_constant_counters_and_rotators_as_unused(tmp_path):
    s = Series(num_frames=5, seed=32, frames=dict(counter=0, rotator_index=7,
                                                  timestamp_s=[T0] * 5, timestamp_ms=0))
    assert check_series(write(tmp_path, s)[0]).ok


def test_check_of_one_frame(tmp_path):
    s = Series(num_frames=1, seed=33, frames=dict(timestamp_ms=[1500]))
    res = check_series(write(tmp_path, s)[0])
    assert [(p.kind, p.frame, p.offset) for p in res.problems] == [("timestamp", 0, 264)]


def test_check_of_the_series_layout(tmp_path):
    s = Series(num_frames=6, frames_per_part=(2, 2, 2), width=3, height=2, seed=34,
               frames=dict(counter=list(range(1, 7)), timestamp_s=list(range(6)),
                           timestamp_ms=0, rotator_index=0))
    paths = write(tmp_path, s, "a")
    assert check_series(paths[0]).ok
    # the last part cut mid-record; an empty part before it
    raw = s.part_bytes()
    paths[2].write_bytes(raw[2][:72 + 5])
    paths[1].write_bytes(b"")
    res = check_series(paths[0])
    assert [(p.kind, p.path, p.offset, p.message) for p in res.problems] == [
        ("empty-part", str(paths[1]), None, "the part is empty (0 bytes)"),
        ("partial-record", str(paths[2]), 72,
         "partial record of 5 bytes after 1 whole record(s) (records are 72 bytes): the "
         "acquisition stopped mid-frame; readers drop it"),
        ("counter", str(paths[2]), 0,
         "frame 2: counter jumps from 2 to 5: 2 frame(s) missing or the counter is not "
         "continuous (at the start of part a_002.tvips: is this part from another "
         "acquisition?)")]
    assert (res.num_frames, res.parts) == (3, paths)
    # a stale part: the parts after it are listed, not read
    paths[1].write_bytes(raw[1] + b"\0" * 7)
    paths[2].write_bytes(raw[2])
    res = check_series(paths[0])
    [problem] = res.problems
    assert (problem.kind, problem.path, problem.offset) == ("stale-part", str(paths[1]), 144)
    assert problem.message.startswith("151 bytes is not a whole number of 72-byte records (2 "
                                      "records and 7 bytes over): a stale part")
    assert (res.num_frames, res.parts) == (2, [paths[0]])
    # an empty part after a stale one is still reported
    paths[2].write_bytes(b"")
    assert [p.kind for p in check_series(paths[0]).problems] == ["stale-part", "empty-part"]


def test_check_of_gaps_headers_and_frameless_series(tmp_path):
    s = Series(num_frames=7, frames_per_part=(1, 1, 1, 1, 1, 1, 1), width=3, height=2, seed=35,
               frames=dict(counter=list(range(1, 8)), timestamp_s=list(range(7)),
                           timestamp_ms=0, rotator_index=0))
    paths = write(tmp_path, s, "g")
    paths[2].unlink()
    res = check_series(paths[0])
    [problem] = res.problems
    assert (problem.kind, problem.path, problem.offset) == ("numbering", str(paths[2]), None)
    assert problem.message == ("part g_002.tvips is missing but later parts exist (g_003.tvips, "
                               "g_004.tvips, g_005.tvips, …); the series is read up to the "
                               "gap, so the 4 later part(s) are not checked")
    assert str(problem) == f"{paths[2]}: {problem.message}"
    assert (res.num_frames, res.parts) == (2, paths[:2])
    for p in paths[4:]:
        p.unlink()
    assert "(g_003.tvips); " in check_series(paths[0]).problems[0].message

    bad = Series(num_frames=2, seed=36, main=dict(bits_per_pixel=12, len_header=255))
    res = check_series(write(tmp_path, bad, "h")[0])
    assert [(p.kind, p.offset) for p in res.problems] == [("header", 0), ("header", 16)]
    assert (res.num_frames, res.parts) == (0, [tmp_path / "h_000.tvips"])
    usable = Series(num_frames=2, seed=37, main=dict(len_header=255),
                    frames=dict(counter=[1, 2], timestamp_s=[1, 2], rotator_index=0))
    res = check_series(write(tmp_path, usable, "u")[0])
    assert [p.kind for p in res.problems] == ["header"] and res.num_frames == 2

    empty = tmp_path / "e_000.tvips"
    empty.write_bytes(Series(num_frames=1).main_header_bytes())
    res = check_series(empty)
    assert [(p.kind, p.message) for p in res.problems] == [
        ("no-frames", "the series holds no complete frame (records are 100 bytes)")]
    assert (res.num_frames, res.parts) == (0, [empty])


# -- naming ------------------------------------------------------------------------------------------

from tvips_ks import ArgumentError  # noqa: E402
from tvips_ks.io.naming import find_parts, list_parts, parse_series_name  # noqa: E402


def test_list_parts_of_numbered_single_and_shadowed_series(tmp_path):
    s = Series(num_frames=4, frames_per_part=(2, 2), seed=41)
    numbered = write(tmp_path, s, "n")
    found = list_parts(numbered[1])
    assert (found.parts, found.after_gap, found.missing, found.single, found.shadowed) == \
        (numbered, [], None, False, None)
    assert found.first == numbered[0] and found.name.stem == "n"
    one = Series(num_frames=3, seed=42)
    single = one.write_single(tmp_path, "one.tvips")
    found = list_parts(single)
    assert (found.parts, found.single, found.shadowed, found.missing) == ([single], True, None,
                                                                          None)
    assert found.name.directory == tmp_path and (found.name.stem, found.name.ext) == \
        ("one", ".tvips")
    # beside a numbered series of the same name, the numbered series wins
    shadow = one.write_single(tmp_path, "n.tvips")
    found = list_parts(shadow)
    assert (found.parts, found.single, found.shadowed) == (numbered, False, shadow)
    assert list_parts(numbered[0]).shadowed is None  # a numbered part was asked for
    with tvips_ks.open(shadow) as ds:
        assert ds.num_frames == 4
    # a gap: listed, then refused by find_parts
    more = write(tmp_path, Series(num_frames=6, frames_per_part=(1,) * 6, seed=43), "m")
    more[1].unlink()
    found = list_parts(more[0])
    assert (found.parts, found.missing, found.after_gap) == (more[:1], more[1], more[2:])
    with pytest.raises(SeriesError) as info:
        find_parts(more[0])
    assert info.value.path == str(more[1])
    assert info.value.message == ("part m_001.tvips is missing but later parts exist "
                                  "(m_002.tvips, m_003.tvips, m_004.tvips, …); restore the "
                                  "missing part, or move the later parts away to read the "
                                  "series up to the gap")
    more[5].unlink()
    more[4].unlink()
    with pytest.raises(SeriesError, match=r"exist \(m_002.tvips, m_003.tvips\); restore"):
        find_parts(more[0])


def test_list_parts_refusals(tmp_path):
    with pytest.raises(SeriesError) as info:
        list_parts(tmp_path / "x.tvips")
    assert info.value.path == str(tmp_path / "x.tvips")
    assert "neither x.tvips nor the first part x_000.tvips" in info.value.message
    with pytest.raises(SeriesError) as info:
        list_parts(tmp_path / "x_001.tvips")
    assert info.value.path == str(tmp_path / "x_000.tvips")
    assert info.value.message.startswith("the first part x_000.tvips of this series does not "
                                         "exist")
    (tmp_path / "d.tvips").mkdir()
    with pytest.raises(SeriesError, match="is a directory") as info:
        list_parts(tmp_path / "d.tvips")
    assert info.value.path == str(tmp_path / "d.tvips")
    (tmp_path / "e_000.tvips").mkdir()
    with pytest.raises(SeriesError, match="is a directory") as info:
        list_parts(tmp_path / "e.tvips")
    assert info.value.path == str(tmp_path / "e_000.tvips")
    (tmp_path / "l_000.tvips").symlink_to(tmp_path / "nowhere")
    with pytest.raises(SeriesError, match="is a symbolic link to a file that does not exist") \
            as info:
        list_parts(tmp_path / "l_000.tvips")
    assert info.value.path == str(tmp_path / "l_000.tvips")


def test_parse_series_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name, index = parse_series_name("scan_012.TVIPS")
    assert (name.directory, name.stem, name.ext, index) == (tmp_path, "scan", ".TVIPS", 12)
    assert name.part(3) == tmp_path / "scan_003.TVIPS"
    assert name.unnumbered == tmp_path / "scan.TVIPS"
    assert parse_series_name(b"a_b_000.tvips")[0].stem == "a_b"
    assert parse_series_name("a_0001.tvips") == (parse_series_name("a_0001.tvips")[0], None)
    assert parse_series_name("a_0001.tvips")[0].stem == "a_0001"
    with pytest.raises(ArgumentError, match="got int"):
        parse_series_name(5)
    with pytest.raises(ArgumentError, match="not a TVIPS file name"):
        parse_series_name("a.tif")


# -- metadata and timing ----------------------------------------------------------------------------

import time  # noqa: E402

from tvips_ks.metadata import (FILLER_TVIPS_KS, Axis, build_metadata,  # noqa: E402
                               nav_axis_names, signal_calibration)
from tvips_ks.timing import TimeSpan, format_utc, frame_times_ms, time_span  # noqa: E402


def frame_headers_of(n, **values):
    out = np.zeros(n, dtype=frame_header_dtype(60))
    for name, value in values.items():
        out[name] = value
    return out


def meta_header(filler=b"TVIPS " * 34, **values):
    raw = Series(main=values, filler=filler).main_header_bytes()
    return np.frombuffer(raw, dtype=tvips_ks.format.MAIN_HEADER_DTYPE)[0]


CAMERA = "uncalibrated detector pixels ({})"


@pytest.mark.parametrize("values,mode,filler,expected", [
    (dict(pixel_size_nm=15600, bin_x=2, mag_total=250), "imaging", None,
     (124.8, "nm", "detector pixel size (pixel_size_nm) × bin_x / mag_total: the "
      "specimen-plane pixel size")),
    (dict(pixel_size_nm=15600, bin_x=0, mag_total=250), "imaging", None, (62.4, "nm", None)),
    (dict(pixel_size_nm=1, bin_x=1, mag_total=1), "imaging", None, (1.0, "nm", None)),
    (dict(pixel_size_nm=15600, mag_total=0), "imaging", None,
     (1.0, "px", CAMERA.format("pixel size or magnification missing or mode unknown"))),
    (dict(pixel_size_nm=15600, mag_total=250), "diffraction", None,
     (1.0, "px", CAMERA.format("diffraction needs a camera length whose unit the format does "
                               "not record"))),
    (dict(pixel_size_nm=15600, mag_total=250), None, None,
     (1.0, "px", CAMERA.format("pixel size or magnification missing or mode unknown"))),
    (dict(pixel_size_nm=1, mag_total=0), "diffraction", b"HYPERSPY",
     (1.0, "1/nm", "pixel_size_nm, which hyperspy writes as the calibrated signal scale (1/nm, "
                   "by the frame headers' tem_mode)")),
    (dict(pixel_size_nm=7, mag_total=0), "imaging", FILLER_TVIPS_KS, (7.0, "nm", None)),
    (dict(pixel_size_nm=0, mag_total=5), "imaging", b"HYPERSPY", (1.0, "px", None)),
])
def test_signal_calibration(values, mode, filler, expected):
    header = meta_header(filler or b"TVIPS " * 34, **values)
    writer = {None: "camera", b"HYPERSPY": "hyperspy"}.get(filler, "tvips-ks")
    scale, units, source = signal_calibration(header, mode, writer)
    assert scale == pytest.approx(expected[0]) and units == expected[1]
    if expected[2] is not None:
        assert source == expected[2]


def test_metadata_of_a_camera_stack(monkeypatch):
    header = meta_header(pixel_size_nm=15600, bin_x=2, bin_y=3, mag_total=250,
                         high_tension_kv=200, offset_x=3, offset_y=4)
    fh = frame_headers_of(5, tem_mode=1, timestamp_s=T0, timestamp_ms=[0, 500, 1000, 1500,
                                                                           2000])
    m = build_metadata(header, fh, (5,), is_scan=False)
    assert (m.mode, m.magnification, m.camera_length, m.detector_pixel_size_nm, m.binning,
            m.writer, m.high_tension_kv, m.frame_interval_s) == \
        ("imaging", 250, None, 15600, (2, 3), "camera", 200, 0.5)
    assert m.acquisition_time == _dt(2023, 11, 14, 22, 13, 20, tzinfo=_tz.utc)
    assert m.axes == (
        Axis("time", 5, 0.5, 0.0, "s", True, "frame time stamps: (last − first) / (frames − "
             "1); offset 0 at the first frame"),
        Axis("dy", Series().height, 124.8, 0.0, "nm", False, m.axes[1].source),
        Axis("dx", Series().width, 124.8, 0.0, "nm", False, m.axes[1].source))
    assert m.axes[1].source.startswith("detector pixel size")
    assert m.axes[0].as_dict() == dict(name="time", size=5, scale=0.5, offset=0.0, units="s",
                                       navigate=True)
    # diffraction: mag_total is a camera length
    m = build_metadata(header, frame_headers_of(2, tem_mode=2), (2,), is_scan=False)
    assert (m.mode, m.magnification, m.camera_length) == ("diffraction", None, 250)
    assert m.axes[0] == Axis("frame", 2, 1.0, 0.0, "", True,
                             "frame timestamps do not advance: frame number")
    # no pixel size recorded: no detector pixel
    m = build_metadata(meta_header(pixel_size_nm=0), frame_headers_of(1), (1,), is_scan=False)
    assert (m.detector_pixel_size_nm, m.mode, m.magnification) == (None, None, 250)


def test_metadata_of_hyperspy_and_tvips_ks_files_and_scans():
    header = meta_header(b"HYPERSPY" + b"\0" * 196, pixel_size_nm=3, offset_x=5, offset_y=6,
                         mag_total=0)
    m = build_metadata(header, frame_headers_of(12, tem_mode=2), (3, 4), is_scan=True)
    assert (m.writer, m.detector_pixel_size_nm, m.camera_length) == ("hyperspy", None, None)
    step = "scan step not recorded in the format: scale 1 per position"
    assert m.axes[:2] == (Axis("y", 3, 1.0, 0.0, "", True, step),
                          Axis("x", 4, 1.0, 0.0, "", True, step))
    assert [(a.name, a.scale, a.offset, a.units) for a in m.axes[2:]] == \
        [("dy", 3.0, 6.0, "1/nm"), ("dx", 3.0, 5.0, "1/nm")]
    m = build_metadata(meta_header(FILLER_TVIPS_KS, pixel_size_nm=2, offset_x=1),
                       frame_headers_of(0), (0,), is_scan=False)
    assert (m.writer, m.mode, m.acquisition_time, m.frame_interval_s) == \
        ("tvips-ks", None, None, None)
    assert [(a.scale, a.offset, a.units) for a in m.axes[1:]] == [(2.0, 4.0, "nm"),
                                                                 (2.0, 1.0, "nm")]
    v1 = np.zeros(2, dtype=frame_header_dtype(12))
    assert build_metadata(meta_header(), v1, (2,), is_scan=False).mode is None
    assert nav_axis_names(1) == ["x"] and nav_axis_names(3) == ["z", "y", "x"]
    assert nav_axis_names(5) == ["axis4", "axis3", "z", "y", "x"]


def test_time_span_and_utc(monkeypatch):
    empty = time_span(frame_headers_of(0))
    assert empty == TimeSpan(None, None, 0)
    assert (empty.first, empty.duration_s, empty.interval_s, empty.frame_rate) == (None,) * 4
    one = time_span(frame_headers_of(1, timestamp_s=T0, timestamp_ms=7))
    assert (one.first_ms, one.last_ms, one.num_frames, one.interval_s) == \
        (T0 * 1000 + 7, T0 * 1000 + 7, 1, None)
    fh = frame_headers_of(3, timestamp_s=2**32 - 1, timestamp_ms=[0, 1, 999])
    times = frame_times_ms(fh)
    assert times.dtype == np.int64 and times.tolist() == [(2**32 - 1) * 1000 + k
                                                         for k in (0, 1, 999)]
    span = time_span(fh)
    assert (span.duration_s, span.interval_s, span.frame_rate) == (0.999, 0.4995, 1 / 0.4995)
    monkeypatch.setenv("TZ", "Asia/Kathmandu")  # UTC+05:45: a local time would show
    time.tzset()
    try:
        assert format_utc(1234) == "1970-01-01 00:00:01.234"
        assert format_utc(T0 * 1000 + 5) == "2023-11-14 22:13:20.005"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


# -- the part table ---------------------------------------------------------------------------------

from tvips_ks import TruncatedRecordError, TruncatedRecordWarning  # noqa: E402
from tvips_ks.io.parts import PartTable, check_unchanged, measure_parts  # noqa: E402


def test_part_table_offsets_equality_and_refusals(tmp_path):
    s = Series(num_frames=7, frames_per_part=(3, 0, 4), width=3, height=2, seed=51)
    paths = write(tmp_path, s)
    layout = RecordLayout.from_header(read_main_header(paths[0]))
    table = build_part_table(paths, layout)
    assert table.starts.dtype == np.int64 and table.starts.tolist() == [0, 3]
    assert [p.num_frames for p in table.parts] == [3, 0, 4] and len(table.used) == 2
    assert table.record_offset(1) == (table.parts[0], 256 + 72)
    assert table.record_offset(5) == (table.parts[2], 2 * 72)
    assert table.field_offset(5, "timestamp_ms") == (table.parts[2], 2 * 72 + 8)
    assert table.field_offset(0, "rotator_index") == (table.parts[0], 256 + 48)
    again = build_part_table(paths, layout)
    assert again == table and hash(again) == hash(table) and table != again.parts
    other = PartTable(measure_parts(paths[:1], layout), layout)
    assert other != table and other.num_frames == 3
    assert repr(table) == "<PartTable 7 frames in 3 part(s)>"
    # a partial record before the last part is refused unless permissive
    paths[0].write_bytes(s.part_bytes()[0] + b"\0" * 5)
    with pytest.raises(SeriesError, match="not a whole number of 72-byte records"):
        build_part_table(paths, layout)
    with pytest.warns(TruncatedRecordWarning) as caught:
        tvips_ks.open(paths[0], permissive=True).close()
    if "mutmut" not in sys.modules:  # mutmut's trampolines add stack frames
        assert [w.filename for w in caught] == [__file__]  # the warning points at the caller
    # nothing to read: the message says why
    paths[0].write_bytes(s.main_header_bytes())
    with pytest.raises(TruncatedRecordError, match="there is nothing after the main header"):
        build_part_table(paths[:2], layout)
    paths[0].write_bytes(s.main_header_bytes() + b"\0" * 50)
    with pytest.raises(TruncatedRecordError, match="one record would be 72 bytes but the "
                                                   "largest part holds only 50"), \
            pytest.warns(TruncatedRecordWarning):
        build_part_table(paths[:1], layout)


def test_a_file_that_shrank_after_opening_is_refused(tmp_path):
    s = Series(num_frames=6, frames_per_part=(2, 4), width=3, height=2, seed=52)
    paths = write(tmp_path, s)
    with tvips_ks.open(paths[0]) as ds:
        paths[1].write_bytes(s.part_bytes()[1][:72])
        with pytest.raises(SeriesError) as info:
            ds.frames[4]
    assert info.value.path == str(paths[1]) and info.value.offset == 72
    assert info.value.message.startswith("the file is now 72 bytes, shorter than when the "
                                         "series was opened (288), so frame 4 is gone")
    check_unchanged(ds.files[1], 288, 288, 5)  # unchanged: nothing raised


# -- atomic outputs ---------------------------------------------------------------------------------

import errno as _errno  # noqa: E402

from tvips_ks import WriteError  # noqa: E402
from tvips_ks.io.atomic import AtomicOutputs, _remove  # noqa: E402


def test_write_errors_name_the_final_file(tmp_path):
    finals = [tmp_path / "a_000.tvips", tmp_path / "a_001.tvips"]
    outputs = AtomicOutputs(finals)
    temps = outputs.temps
    assert [t.parent for t in temps] == [tmp_path] * 2
    assert all(t.name.startswith(f".{f.name}.") and t.name.endswith(".partial")
               for t, f in zip(temps, finals))
    for err, final in [
        (OSError(_errno.ENOSPC, "No space left on device", str(temps[1])), finals[1]),
        (OSError(_errno.ENOSPC, "No space", os.fsencode(temps[1] / "x")), finals[1]),
        (OSError(_errno.EXDEV, "cross-device", "/elsewhere", None, str(finals[1])), finals[1]),
        (OSError(_errno.EIO, "I/O error", "/unrelated"), finals[0]),
        (OSError("plain"), finals[0]),
    ]:
        error = outputs._write_error(err)
        assert isinstance(error, WriteError) and error.path == str(final), err
        assert error.message.startswith(f"cannot write the file: {err.strerror or err}; "
                                        f"nothing was written")
    with pytest.raises(WriteError) as info:
        with AtomicOutputs(finals) as temps:
            temps[1].write_bytes(b"x")
            raise OSError(_errno.ENOSPC, "No space left on device", str(temps[1]))
    assert info.value.path == str(finals[1])
    assert sorted(tmp_path.iterdir()) == []


def test_remove_takes_files_directories_and_links(tmp_path):
    d = tmp_path / "d"
    (d / "sub").mkdir(parents=True)
    (d / "sub" / "f").write_bytes(b"x")
    link = tmp_path / "link"
    link.symlink_to(d, target_is_directory=True)
    _remove(link)  # the link goes, not what it points at
    assert not link.exists() and (d / "sub" / "f").exists()
    _remove(d)
    assert not d.exists()
    _remove(tmp_path / "missing")
