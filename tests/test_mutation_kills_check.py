"""check: the thresholds of the continuity checks, at their edges.

Found unpinned by the mutation run (tests/mutation/run.py).  A forward time jump is
reported when it exceeds both 60 s and 1000 times the median forward step; a rotator
leap when it exceeds both 1000 and 100 times the median forward step; timestamp_ms
must stay in 0..999.
"""

from __future__ import annotations

import warnings

import pytest

from builders import Series
from tvips_ks.audit.check import check_series

T0 = 1_700_000_000


def check_of(tmp_path, ms_times, rotator=None, max_per_kind=None):
    """A series whose frames are at ``ms_times`` (Unix ms) with the given rotator."""
    n = len(ms_times)
    frames = dict(counter=list(range(1, n + 1)),
                  timestamp_s=[t // 1000 for t in ms_times],
                  timestamp_ms=[t % 1000 for t in ms_times],
                  rotator_index=rotator if rotator is not None else [0] * n)
    s = Series(num_frames=n, width=3, height=2, seed=41, frames=frames)
    path = tmp_path / "k_000.tvips"
    path.write_bytes(s.part_bytes()[0])
    return check_series(path, max_per_kind=max_per_kind)


def kinds(res):
    return [(p.kind, p.frame) for p in res.problems]


@pytest.mark.parametrize("jump,reported", [(1_000_000, False), (1_000_001, True)])
def test_a_time_jump_must_exceed_1000_median_steps(tmp_path, jump, reported):
    t = [T0 * 1000 + 1000 * i for i in range(5)]
    t += [t[-1] + jump, t[-1] + jump + 1000]
    res = check_of(tmp_path, t)
    assert kinds(res) == ([("timestamp", 5)] if reported else [])
    if reported:
        assert res.problems[0].message.endswith(
            "frames are 1.000 s apart elsewhere)")
        assert f"jumps forward by {jump / 1000:.3f} s" in res.problems[0].message


@pytest.mark.parametrize("jump,reported", [(60_000, False), (60_001, True)])
def test_a_time_jump_must_exceed_60_s(tmp_path, jump, reported):
    t = [T0 * 1000 + 10 * i for i in range(5)]
    t += [t[-1] + jump]
    res = check_of(tmp_path, t)
    assert kinds(res) == ([("timestamp", 5)] if reported else [])


def test_equal_time_stamps_are_no_problem_and_two_frames_are_checked(tmp_path):
    assert check_of(tmp_path, [T0 * 1000] * 3).ok
    res = check_of(tmp_path, [T0 * 1000 + 5, T0 * 1000 + 4])
    assert kinds(res) == [("timestamp", 1)]


@pytest.mark.parametrize("ms,reported", [(999, False), (1000, True)])
def test_timestamp_ms_stays_in_0_to_999(tmp_path, ms, reported):
    s = Series(num_frames=2, width=3, height=2, seed=42,
               frames=dict(counter=[1, 2], timestamp_s=[T0, T0 + 2], timestamp_ms=[0, ms],
                           rotator_index=0))
    path = tmp_path / "m_000.tvips"
    path.write_bytes(s.part_bytes()[0])
    res = check_series(path)
    assert kinds(res) == ([("timestamp", 1)] if reported else [])
    if reported:
        assert res.problems[0].message == f"frame 1: timestamp_ms is {ms}, outside 0..999"
        assert res.problems[0].offset == 256 + s.len_record + 8


@pytest.mark.parametrize("to,reported", [(1003, False), (1004, True)])
def test_a_rotator_leap_must_exceed_1000(tmp_path, to, reported):
    t = [T0 * 1000 + 1000 * i for i in range(6)]
    res = check_of(tmp_path, t, rotator=[1, 2, 3, to, to + 1, to + 2])
    assert kinds(res) == ([("rotator", 3)] if reported else [])
    if reported:
        assert res.problems[0].message == (
            f"frame 3: rotator_index leaps from 3 to {to} ({to - 4} scan points skipped; "
            f"elsewhere it steps by 1)")


@pytest.mark.parametrize("step,reported", [(2000, False), (2001, True)])
def test_a_rotator_leap_must_exceed_100_median_steps(tmp_path, step, reported):
    t = [T0 * 1000 + 1000 * i for i in range(6)]
    r = [20, 40, 60, 60 + step, 80 + step, 100 + step]
    res = check_of(tmp_path, t, rotator=r)
    assert kinds(res) == ([("rotator", 3)] if reported else [])
    if reported:
        assert res.problems[0].message.endswith("elsewhere it steps by 20)")


def test_a_rotator_that_only_falls_is_reported_at_each_fall(tmp_path):
    t = [T0 * 1000 + 1000 * i for i in range(4)]
    res = check_of(tmp_path, t, rotator=[9, 7, 5, 3])
    assert kinds(res) == [("rotator", 1), ("rotator", 2), ("rotator", 3)]


def test_max_per_kind_counts_problems_added_one_by_one_and_in_bulk(tmp_path):
    # a timestamp_ms out of range (added alone) and two steps back (added together)
    s_ms = [T0, T0 + 2, T0 + 1, T0 + 3, T0 + 2]
    ms = [0, 1500, 0, 0, 500]
    s = Series(num_frames=5, width=3, height=2, seed=43,
               frames=dict(counter=[1, 2, 3, 4, 5], timestamp_s=s_ms, timestamp_ms=ms,
                           rotator_index=0))
    path = tmp_path / "n_000.tvips"
    path.write_bytes(s.part_bytes()[0])
    full = check_series(path)
    # frame 1 holds 1500 ms (out of range; its time is T0 + 3.5 s), so time goes back at 2
    # and at 4
    assert kinds(full) == [("timestamp", 1), ("timestamp", 2), ("timestamp", 4)]
    res = check_series(path, max_per_kind=2)
    assert kinds(res) == [("timestamp", 1), ("timestamp", 2)]
    assert res.omitted == {"timestamp": 1}
    res = check_series(path, max_per_kind=1)
    assert kinds(res) == [("timestamp", 1)]
    assert res.omitted == {"timestamp": 2}


def test_counters_and_rotators_of_two_frames_are_checked(tmp_path):
    s = Series(num_frames=2, width=3, height=2, seed=45,
               frames=dict(counter=[1, 3], timestamp_s=[T0, T0 + 1], timestamp_ms=0,
                           rotator_index=[5, 3]))
    path = tmp_path / "two_000.tvips"
    path.write_bytes(s.part_bytes()[0])
    assert kinds(check_series(path)) == [("counter", 1), ("rotator", 1)]


def test_a_repeated_rotator_index_is_no_fall(tmp_path):
    t = [T0 * 1000 + 1000 * i for i in range(5)]
    assert check_of(tmp_path, t, rotator=[1, 2, 3, 3, 4]).ok


def test_repeated_rotator_indices_do_not_lower_the_median_step(tmp_path):
    # forward steps 20, 20 and 1500: the median step is 20, so 1500 is no leap (< 2000);
    # the repeats (steps of 0) are not steps of the scan
    t = [T0 * 1000 + 1000 * i for i in range(7)]
    assert check_of(tmp_path, t, rotator=[20, 20, 20, 20, 40, 60, 1560]).ok


def test_repeated_time_stamps_do_not_lower_the_median_step(tmp_path):
    base = T0 * 1000
    # steps 0, 0, 0, 0, 1000, 1000 and 500 s: the median forward step is 1 s, so 500 s
    # is no jump (< 1000 s)
    t = [base] * 5 + [base + 1000, base + 2000, base + 2000 + 500_000]
    assert check_of(tmp_path, t).ok


def test_one_millisecond_steps_count_in_the_median(tmp_path):
    base = T0 * 1000
    t = [base + i for i in range(5)] + [base + 4 + 61_000]  # 1 ms apart, then 61 s
    assert kinds(check_of(tmp_path, t)) == [("timestamp", 5)]


def test_the_size_of_a_step_back_is_exact(tmp_path):
    base = T0 * 1000
    res = check_of(tmp_path, [base, base + 3000, base + 1500])
    assert "goes back by 1.500 s" in res.problems[0].message


def test_series_without_forward_steps_give_no_numpy_warning(tmp_path):
    t = [T0 * 1000 + 1000 * i for i in range(4)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kinds(check_of(tmp_path, t, rotator=[9, 7, 5, 3])) == [
            ("rotator", 1), ("rotator", 2), ("rotator", 3)]
        assert check_of(tmp_path, [T0 * 1000] * 3).ok


def test_max_per_kind_applies_to_problems_added_one_at_a_time(tmp_path):
    bad = Series(num_frames=2, seed=46, main=dict(len_header=255, version=7, bits_per_pixel=12))
    path = tmp_path / "h_000.tvips"
    path.write_bytes(bad.part_bytes()[0])
    full = check_series(path)
    assert [p.kind for p in full.problems] == ["header"] * 3
    assert full.path == path and full.parts == [path] and full.num_frames == 0
    res = check_series(path, max_per_kind=1)
    assert [p.kind for p in res.problems] == ["header"]
    assert res.omitted == {"header": 2}


def test_a_problem_in_the_first_frame_is_not_at_the_start_of_a_later_part(tmp_path):
    s = Series(num_frames=2, width=3, height=2, seed=47,
               frames=dict(counter=[1, 2], timestamp_s=[T0, T0 + 2], timestamp_ms=[1200, 0],
                           rotator_index=0))
    path = tmp_path / "f_000.tvips"
    path.write_bytes(s.part_bytes()[0])
    [p] = check_series(path).problems
    assert p.message == "frame 0: timestamp_ms is 1200, outside 0..999"


def _parts(tmp_path, stem, n):
    s = Series(num_frames=n, frames_per_part=(1,) * n, width=3, height=2, seed=48,
               frames=dict(counter=list(range(1, n + 1)), timestamp_s=list(range(n)),
                           timestamp_ms=0, rotator_index=0))
    return s, s.write(tmp_path, stem)


def test_a_gap_with_three_later_parts_lists_them_all(tmp_path):
    _, paths = _parts(tmp_path, "g", 6)
    paths[2].unlink()
    [p] = check_series(paths[0]).problems
    assert "later parts exist (g_003.tvips, g_004.tvips, g_005.tvips); the series" in p.message


def test_a_short_last_part_is_a_partial_record_not_an_empty_part(tmp_path):
    _, paths = _parts(tmp_path, "p", 3)
    paths[2].write_bytes(b"\0" * 5)
    assert [p.kind for p in check_series(paths[0]).problems] == ["partial-record"]


def test_every_part_after_a_stale_one_is_still_looked_at_for_emptiness(tmp_path):
    s, paths = _parts(tmp_path, "e", 4)
    paths[1].write_bytes(s.part_bytes()[1] + b"\0" * 7)
    paths[3].write_bytes(b"")
    res = check_series(paths[0])
    assert [(p.kind, p.path) for p in res.problems] == [("stale-part", str(paths[1])),
                                                         ("empty-part", str(paths[3]))]


def test_a_series_without_frames_is_named(tmp_path):
    empty = tmp_path / "n_000.tvips"
    empty.write_bytes(Series(num_frames=1).main_header_bytes())
    res = check_series(empty)
    [p] = res.problems
    assert (p.path, p.kind) == (str(empty), "no-frames")
    assert (res.path, res.omitted) == (empty, {})


def test_problems_come_in_the_order_of_the_kinds_not_of_the_parts(tmp_path):
    # _001 is empty and _002 stale: found in part order, listed stale first (KINDS order)
    s, paths = _parts(tmp_path, "o", 4)
    paths[1].write_bytes(b"")
    paths[2].write_bytes(s.part_bytes()[2] + b"\0" * 7)
    res = check_series(paths[0])
    assert [(p.kind, p.path) for p in res.problems] == [("stale-part", str(paths[2])),
                                                         ("empty-part", str(paths[1]))]


@pytest.mark.parametrize("max_per_kind, built", [(None, 6), (0, 0), (1, 0), (2, 1), (3, 2),
                                                 (7, 6)])
def test_max_per_kind_bounds_the_messages_built_not_only_those_kept(tmp_path, monkeypatch,
                                                                  max_per_kind, built):
    """A series with millions of bad steps must not format millions of messages: with a
    limit, only the problems kept are built.  Here one timestamp_ms out of range (added
    alone) is followed by six steps back in time (added in bulk)."""
    from tvips_ks.audit import check as check_module

    t = [T0 * 1000 + 10_000 - 1000 * i for i in range(7)]  # each frame 1 s before the last
    n = len(t)
    frames = dict(counter=list(range(1, n + 1)), timestamp_s=[x // 1000 for x in t],
                  timestamp_ms=[1200] + [x % 1000 for x in t[1:]], rotator_index=0)
    path = tmp_path / "b_000.tvips"
    path.write_bytes(Series(num_frames=n, width=3, height=2, seed=47,
                            frames=frames).part_bytes()[0])
    calls = []
    problem = check_module._Locator.problem

    def counting(self, kind, frame, field, message):
        calls.append((kind, frame))
        return problem(self, kind, frame, field, message)

    monkeypatch.setattr(check_module._Locator, "problem", counting)
    res = check_series(path, max_per_kind=max_per_kind)
    assert len(calls) - 1 == built  # the out-of-range timestamp_ms is built once, first
    kept = 1 + built if max_per_kind is None else min(max_per_kind, 1 + built)
    assert len(res.problems) == kept
    assert sum(res.omitted.values()) == 7 - kept
