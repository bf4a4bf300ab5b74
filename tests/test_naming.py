"""Which files make up a series (tvips_ks/io/naming.py), pinned where the mutation run
(tests/mutation/run.py, group ``series``) found behaviour no test held: the warning about
parts named without the underscore, the series title, the refusal of an unlistable
directory and of a gap, and the shadowed single file when the numbering has a gap."""

from __future__ import annotations

import errno
import os
import warnings

import pytest

from tvips_ks import SeriesError, TvipsWarning
from tvips_ks.io import naming
from tvips_ks.io.naming import find_parts, list_parts, series_title


def touch(path, data=b"x"):
    path.write_bytes(data)
    return path


def no_warnings(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args)


@pytest.mark.parametrize("number", [0, 7, 41])
def test_a_single_file_beside_its_likely_next_part_warns_with_both_names(tmp_path, number):
    """``Image007.tvips`` beside ``Image008.tvips`` (Leginon's naming without the underscore)
    is read alone, and the warning names the file it saw and the names to rename to."""
    single = touch(tmp_path / f"Image{number:03d}.tvips")
    touch(tmp_path / f"Image{number + 1:03d}.tvips")
    with pytest.warns(TvipsWarning) as record:
        found = list_parts(single)
    assert found.single and found.parts == [single]
    (message,) = [str(w.message) for w in record]
    assert f"{single} is read as a single file" in message
    assert f"but Image{number + 1:03d}.tvips beside it" in message
    assert "rename the parts Image_000.tvips, Image_001.tvips, …" in message


@pytest.mark.parametrize("neighbour", [None, "previous", "two after"])
def test_a_numbered_single_file_without_its_next_part_does_not_warn(tmp_path, neighbour):
    single = touch(tmp_path / "Image007.tvips")
    if neighbour == "previous":
        touch(tmp_path / "Image006.tvips")
    elif neighbour == "two after":
        touch(tmp_path / "Image009.tvips")
    found = no_warnings(list_parts, single)
    assert found.single and found.parts == [single]


def test_a_single_file_whose_name_ends_in_no_digits_does_not_look_for_a_next_part(tmp_path,
                                                                                     monkeypatch):
    single = touch(tmp_path / "scan.tvips")
    touch(tmp_path / "scan001.tvips")
    looked = []
    real = naming._exists
    monkeypatch.setattr(naming, "_exists", lambda p: looked.append(p.name) or real(p))
    no_warnings(list_parts, single)
    assert looked == ["scan_000.tvips", "scan.tvips"]


@pytest.mark.parametrize("name", ["scan_001.tvips", "scan.tvips", "scan_000.TVIPS",
                                  "my_scan_2_000.tvips"])
def test_the_series_title_is_the_stem_without_part_number_or_extension(tmp_path, name):
    expected = name.rsplit(".", 1)[0]
    expected = expected[:-4] if expected[-4] == "_" and expected[-3:].isdigit() else expected
    assert series_title(tmp_path / name) == expected
    assert series_title(os.fsencode(tmp_path / name)) == expected


def test_an_unlistable_directory_is_refused_with_the_systems_reason(tmp_path, monkeypatch):
    first = touch(tmp_path / "scan_000.tvips")

    def refuse(directory):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(directory))

    monkeypatch.setattr(naming.os, "listdir", refuse)
    with pytest.raises(SeriesError) as info:
        list_parts(first)
    message = str(info.value)
    assert "cannot list the directory to find the parts of the series: " \
           f"{os.strerror(errno.EACCES)}; check the directory's permissions" in message
    assert "[Errno" not in message
    assert info.value.path == str(tmp_path)


def test_an_os_error_without_a_reason_is_named_by_itself(tmp_path, monkeypatch):
    first = touch(tmp_path / "scan_000.tvips")

    def refuse(directory):
        raise OSError("no reason given")

    monkeypatch.setattr(naming.os, "listdir", refuse)
    with pytest.raises(SeriesError, match="of the series: no reason given; check"):
        list_parts(first)


@pytest.mark.parametrize("later, listed", [
    ([2], "scan_002.tvips"),
    ([2, 3, 4], "scan_002.tvips, scan_003.tvips, scan_004.tvips"),
    ([2, 3, 4, 5], "scan_002.tvips, scan_003.tvips, scan_004.tvips, …"),
])
def test_a_gap_names_at_most_three_later_parts_and_marks_more(tmp_path, later, listed):
    touch(tmp_path / "scan_000.tvips")
    for n in later:
        touch(tmp_path / f"scan_{n:03d}.tvips")
    with pytest.raises(SeriesError) as info:
        find_parts(tmp_path / "scan_000.tvips")
    assert f"part scan_001.tvips is missing but later parts exist ({listed}); restore" \
        in str(info.value)


@pytest.mark.parametrize("gap", [False, True])
def test_the_single_file_a_numbered_series_shadows_is_named_with_or_without_a_gap(tmp_path,
                                                                                  gap):
    touch(tmp_path / "scan.tvips")
    parts = [touch(tmp_path / "scan_000.tvips"), touch(tmp_path / "scan_001.tvips")]
    if gap:
        touch(tmp_path / "scan_003.tvips")
    found = list_parts(tmp_path / "scan.tvips")
    assert found.shadowed == tmp_path / "scan.tvips"
    assert found.parts == parts
    assert found.name == naming.parse_series_name(tmp_path / "scan_000.tvips")[0]
    assert found.missing == (tmp_path / "scan_002.tvips" if gap else None)
    assert found.after_gap == ([tmp_path / "scan_003.tvips"] if gap else [])
    # named by its part, the numbered series shadows nothing
    assert list_parts(tmp_path / "scan_000.tvips").shadowed is None
