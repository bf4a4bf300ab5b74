"""The detector pixel a camera file records (tvips_ks/metadata.py), pinned where the mutation
run (group ``metadata``) found behaviour no test held: binning applied per axis, only for
camera files, and nothing when the header records no pixel size."""

from __future__ import annotations

import numpy as np
import pytest

import tvips_ks
from builders import Series
from tvips_ks.format import MAIN_HEADER_DTYPE
from tvips_ks.metadata import FILLER_TVIPS_KS, header_detector_pixel_nm


def header(pixel_size_nm, bin_x, bin_y, filler=b"") -> np.void:
    h = np.zeros((), MAIN_HEADER_DTYPE)
    h["pixel_size_nm"], h["bin_x"], h["bin_y"] = pixel_size_nm, bin_x, bin_y
    h["filler"] = filler
    return h[()]


@pytest.mark.parametrize("bin_x, bin_y, expected", [
    (1, 1, (15500, 15500)),
    (2, 4, (62000, 31000)),   # (y, x): y takes bin_y
    (3, 1, (15500, 46500)),
    (0, 0, (15500, 15500)),   # no binning recorded: unbinned
    (0, 2, (31000, 15500)),
])
def test_a_camera_files_detector_pixel_is_binned_per_axis(bin_x, bin_y, expected):
    assert header_detector_pixel_nm(header(15500, bin_x, bin_y)) == expected


@pytest.mark.parametrize("filler", [b"HYPERSPY", FILLER_TVIPS_KS])
def test_a_file_written_by_software_records_no_detector_pixel(filler):
    """HyperSpy and tvips-ks write the calibrated signal scale into pixel_size_nm."""
    assert header_detector_pixel_nm(header(15500, 2, 2, filler)) is None


def test_no_pixel_size_recorded_means_no_detector_pixel():
    assert header_detector_pixel_nm(header(0, 2, 2)) is None


@pytest.mark.parametrize("bin_x, bin_y, expected", [(1, 1, (15500, 15500)),
                                                    (2, 4, (62000, 31000)),
                                                    (0, 3, (46500, 15500))])
def test_the_datasets_binned_pixel_is_the_headers(tmp_path, bin_x, bin_y, expected):
    path = Series(num_frames=2, main={"pixel_size_nm": 15500, "bin_x": bin_x, "bin_y": bin_y},
                  filler=b"\0" * 204).write(tmp_path)[0]
    ds = tvips_ks.open(path)
    assert ds.metadata.writer == "camera"
    assert ds.metadata.detector_pixel_size_nm == 15500
    assert ds.metadata.binned_pixel_size_nm == expected


def test_a_users_calibration_puts_every_calibrated_axis_at_offset_0(tmp_path):
    """A file written by tvips-ks (or HyperSpy) stores its signal offsets in offset_x and
    offset_y; a pixel size the user gives replaces scale and offset alike, and a scan step
    starts the scan axes at 0."""
    path = Series(num_frames=6, main={"offset_x": 5, "offset_y": 7, "pixel_size_nm": 3},
                  filler=FILLER_TVIPS_KS).write(tmp_path)[0]
    with tvips_ks.open(path) as ds:
        assert {a.name: a.offset for a in ds.metadata.signal_axes} == {"dy": 7.0, "dx": 5.0}
    with tvips_ks.open(path, scan_shape=(2, 3), scan_step=((2.5, 3.0), "nm"),
                       image_pixel_size="0.5 nm") as ds:
        axes = {a.name: a for a in ds.metadata.axes}
        assert [(axes[n].scale, axes[n].offset, axes[n].source) for n in ("y", "x")] == \
            [(2.5, 0.0, "user"), (3.0, 0.0, "user")]
        assert [(axes[n].scale, axes[n].offset, axes[n].units) for n in ("dy", "dx")] == \
            [(0.5, 0.0, "nm")] * 2
