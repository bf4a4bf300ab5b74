"""The main header's rules (tvips_ks/format/rules.py) and the file checks before any read
(tvips_ks/io/files.py), pinned where the mutation run (group ``format``) found behaviour
no test held: each violation's field, wording and level, the strict default of
``validate_main_header``, and the path named by a refused file."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

from tvips_ks import HeaderError, SeriesError
from tvips_ks.format import MAIN_HEADER_DTYPE
from tvips_ks.format.rules import (Violation, header_violations, layout_usable,
                                   validate_main_header)
from tvips_ks.generated import tables
from tvips_ks.io.files import regular_file_size

GOOD = {"len_header": 256, "version": 2, "width": 4, "height": 3, "bits_per_pixel": 16,
        "len_frame_header": 60}


def header(**changes) -> np.void:
    h = np.zeros((), MAIN_HEADER_DTYPE)
    for name, value in {**GOOD, **changes}.items():
        h[name] = value
    return h[()]


def test_a_good_header_breaks_no_rule():
    assert header_violations(header()) == []
    assert layout_usable(header())
    validate_main_header(header(), "x.tvips")


@pytest.mark.parametrize("changes, expected", [
    ({"len_header": 255},
     [Violation("len_header", "is 255, the format requires 256", False)]),
    ({"version": 3},
     [Violation("version", "is 3, known versions are [1, 2]", False)]),
    ({"width": 0},
     [Violation("width", "is 0, an image needs at least 1 column", True)]),
    ({"height": 0},
     [Violation("height", "is 0, an image needs at least 1 row", True)]),
    ({"bits_per_pixel": 12},
     [Violation("bits_per_pixel", "is 12, supported values are [8, 16, 32, 64]", True)]),
    ({"len_frame_header": 11},
     [Violation("len_frame_header", "is 11, version 2 needs at least 12", True)]),
    ({"version": 1, "len_frame_header": 0}, []),
    ({"version": 7, "len_frame_header": 4, "width": 0},
     [Violation("version", "is 7, known versions are [1, 2]", False),
      Violation("width", "is 0, an image needs at least 1 column", True),
      Violation("len_frame_header", "is 4, version 7 needs at least 12", True)]),
])
def test_each_broken_rule_is_named_with_its_value_and_level(changes, expected):
    assert tables.LEN_MAIN_HEADER == 256 and tables.MIN_LEN_FRAME_HEADER_V2 == 12
    found = header_violations(header(**changes))
    assert found == expected
    # the level is a bool, not merely falsy: it decides the hint in the message
    assert [type(v.needed_for_layout) for v in found] == [bool] * len(found)
    assert layout_usable(header(**changes)) == (not any(v.needed_for_layout for v in expected))


@pytest.mark.parametrize("changes", [{"len_header": 100}, {"version": 3}])
def test_validation_is_strict_unless_asked_to_be_permissive(changes):
    with pytest.raises(HeaderError) as info:
        validate_main_header(header(**changes), "s_000.tvips")
    assert info.value.path == "s_000.tvips"
    assert "permissive=True reads the series anyway" in str(info.value)
    validate_main_header(header(**changes), "s_000.tvips", permissive=True)


def test_a_rule_the_layout_needs_is_refused_even_when_permissive():
    with pytest.raises(HeaderError, match="'width' is 0") as info:
        validate_main_header(header(width=0), "s_000.tvips", permissive=True)
    assert "permissive" not in str(info.value)


def test_a_missing_file_is_refused_naming_it_and_the_systems_reason(tmp_path):
    path = tmp_path / "gone_000.tvips"
    with pytest.raises(SeriesError) as info:
        regular_file_size(path)
    assert info.value.path == str(path)
    assert f"cannot read the file: {os.strerror(errno.ENOENT)}" in str(info.value)


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_a_path_that_is_no_regular_file_is_refused_naming_it(tmp_path, kind):
    path = tmp_path / "s_000.tvips"
    if kind == "directory":
        path.mkdir()
    else:
        os.mkfifo(path)
    with pytest.raises(SeriesError) as info:
        regular_file_size(path)
    assert info.value.path == str(path)
    assert ("is a directory" if kind == "directory" else "is not a regular file") \
        in str(info.value)


def test_a_regular_files_size_is_its_length(tmp_path):
    path = tmp_path / "s_000.tvips"
    path.write_bytes(b"\0" * 300)
    assert regular_file_size(path) == 300
