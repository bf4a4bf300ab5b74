"""Every warning tvips-ks gives names the line of the user's code that led to it, however
deep in the library it arose (tvips_ks.errors.warn), whichever entry point was called."""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest

import tvips_ks
from tvips_ks import TruncatedRecordWarning, TvipsWarning

LEN_RECORD = 60 + 4 * 4 * 2


def here() -> int:
    """The line after the call (the next statement, where the warning is expected)."""
    return inspect.currentframe().f_back.f_lineno + 1


def only_warning(record, category):
    found = [w for w in record if issubclass(w.category, category)]
    assert len(found) == 1, [str(w.message) for w in record]
    return found[0]


def frames(n=6):
    return np.arange(n * 16, dtype=np.uint16).reshape(n, 4, 4)


def test_a_rounded_header_value_points_at_save(tmp_path):
    with pytest.warns(TvipsWarning, match="stored as the integer") as record:
        line = here()
        tvips_ks.save(tmp_path / "a.tvips", frames(), high_tension_kv=299.6)
    w = only_warning(record, TvipsWarning)
    assert (w.filename, w.lineno) == (__file__, line)


def test_wide_pixels_point_at_save(tmp_path):
    with pytest.warns(TvipsWarning, match="32-bit pixels") as record:
        line = here()
        tvips_ks.save(tmp_path / "a.tvips", frames().astype(np.uint32))
    w = only_warning(record, TvipsWarning)
    assert (w.filename, w.lineno) == (__file__, line)


def test_a_partial_record_points_at_open(tmp_path):
    path = tvips_ks.save(tmp_path / "a.tvips", frames())[0]
    with open(path, "ab") as f:
        f.write(b"\0" * 10)
    with pytest.warns(TruncatedRecordWarning) as record:
        line = here()
        tvips_ks.open(path, permissive=True)
    w = only_warning(record, TruncatedRecordWarning)
    assert (w.filename, w.lineno) == (__file__, line)


def test_a_scan_outside_the_series_points_at_open(tmp_path):
    path = tvips_ks.save(tmp_path / "a.tvips", frames())[0]
    with pytest.warns(TvipsWarning, match="holds no frame") as record:
        line = here()
        tvips_ks.open(path, scan_shape=(2, 2), scan_start_frame=10, pad=True)
    w = only_warning(record, TvipsWarning)
    assert (w.filename, w.lineno) == (__file__, line)


def test_backups_left_behind_point_at_save(tmp_path, monkeypatch):
    import tvips_ks.io.atomic as atomic
    path = tvips_ks.save(tmp_path / "a.tvips", frames())[0]

    def refuse(p):
        raise PermissionError(13, "refused", str(p))
    monkeypatch.setattr(atomic, "_remove", refuse)
    with pytest.warns(TvipsWarning, match="could not be removed") as record:
        line = here()
        tvips_ks.save(path, frames(), overwrite=True)
    w = only_warning(record, TvipsWarning)
    assert (w.filename, w.lineno) == (__file__, line)
    assert os.path.exists(path)
