"""The example series shipped inside the package."""

from pathlib import Path

import numpy as np

import tvips_ks
from tvips_ks.examples import FRAMES_BEFORE, SCAN_SHAPE, example_frames, make_example


def shipped_parts():
    first = Path(str(tvips_ks.example_path()))
    return sorted(first.parent.glob("example_*.tvips"))


def test_shipped_example_is_what_make_example_builds(tmp_path):
    """The committed bytes are reproducible from the documented recipe."""
    built = make_example(tmp_path)
    assert [p.name for p in built] == [p.name for p in shipped_parts()]
    for ours, shipped in zip(built, shipped_parts()):
        assert ours.read_bytes() == shipped.read_bytes(), shipped.name


def test_example_holds_its_documented_scan():
    frames, headers = example_frames()
    rows, cols = SCAN_SHAPE
    with tvips_ks.open(tvips_ks.example_path(), scan_shape=SCAN_SHAPE,
                       scan_start_frame=FRAMES_BEFORE) as ds:
        assert ds.data.shape == (rows, cols, 32, 32)
        assert np.array_equal(np.asarray(ds.data),
                              frames[FRAMES_BEFORE:FRAMES_BEFORE + rows * cols].reshape(ds.data.shape))
        fh = ds.frame_headers
        assert np.array_equal(fh["scan_x"], headers["scan_x"])
        assert np.array_equal(fh["scan_y"], headers["scan_y"])
