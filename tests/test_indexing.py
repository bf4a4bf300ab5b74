"""ds.frames and ds.data index exactly as numpy arrays do (issue 12).

For every key numpy accepts on an array of the same shape, the result equals
``expected[key]`` in shape, dtype and values; where numpy raises
``IndexError``, so does tvips-ks.  ``expected`` is built from the builder's
frames with numpy alone (tests/builders.py writes the files byte by byte), so
the comparison does not go through the library's own reading.

Keys are drawn by hypothesis: integers (negative, out of range), slices with
steps (negative too), integer arrays that broadcast together, boolean masks
over the leading axes, ``...`` and ``None``, in any mixture, for stacks and
for 1-, 2- and 3-D scans, with and without padding, over series of several
parts (so that selections cross part boundaries).
"""

from __future__ import annotations

import os
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tvips_ks
from tvips_ks import indexing
from builders import Series
from tvips_ks.scan.arrange import scan_index_map

FRAME = (3, 4)  # small, non-square frames: every axis is told apart


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """One 3-part series of 30 frames, and its frames as the builder made them."""
    d = tmp_path_factory.mktemp("indexing")
    s = Series(num_frames=30, frames_per_part=(7, 13, 10), height=FRAME[0], width=FRAME[1],
               seed=11)
    paths = s.write(d)
    return paths[0], s.images


# (scan options, the position -> frame map they describe)
ARRANGEMENTS = {
    "stack": None,
    "scan1d": dict(scan_shape=(12,), scan_start_frame=9),
    "scan2d": dict(scan_shape=(5, 6), winding_scan_axis="x", hysteresis=1),
    "scan2d-padded": dict(scan_shape=(4, 9), scan_start_frame=-3, pad=True),
    "scan3d": dict(scan_shape=(2, 3, 4), scan_start_frame=4, winding_scan_axis="y"),
    "scan3d-padded": dict(scan_shape=(2, 4, 5), scan_start_frame=5, pad=True),
}


def expected_array(images, options):
    if options is None:
        return images
    index = scan_index_map(len(images), options["scan_shape"], options.get("scan_start_frame", 0),
                           options.get("winding_scan_axis"), options.get("hysteresis", 0),
                           pad=options.get("pad", False))
    out = np.zeros((*index.shape, *images.shape[1:]), dtype=images.dtype)
    out[index >= 0] = images[index[index >= 0]]
    return out


@st.composite
def keys(draw, shape):
    """Any key numpy accepts for ``shape`` (and some it refuses)."""
    kind = draw(st.sampled_from(["basic", "basic", "advanced", "mask", "mixed", "wild"]))
    if kind == "basic":
        return draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    if kind == "advanced":
        return draw(hnp.integer_array_indices(
            shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=3)))
    if kind == "mask":
        lead = draw(st.integers(1, min(2, len(shape))))
        mask = draw(hnp.arrays(bool, shape[:lead]))
        rest = draw(st.lists(st.sampled_from([slice(None), 0, -1, slice(None, None, -2)]),
                             max_size=len(shape) - lead))
        where = draw(st.sampled_from(["front", "after-slice", "ellipsis"]))
        if where == "after-slice" and lead < len(shape):
            inner = draw(hnp.arrays(bool, shape[1:1 + lead]))
            return (slice(None), inner, *rest[:len(shape) - 1 - lead])
        if where == "ellipsis":
            return (mask, Ellipsis)
        return (mask, *rest)
    # a mixture: per axis an int, a slice, an index array (broadcasting), or a None
    items = []
    length = draw(st.integers(0, len(shape) + 1))
    broadcast = draw(st.sampled_from([(2,), (1, 2), (2, 1), ()]))
    for axis in range(length):
        size = shape[axis] if axis < len(shape) else 1
        choice = draw(st.sampled_from(["int", "slice", "array", "none", "ellipsis"]
                                      if kind == "wild" else ["int", "slice", "array", "none"]))
        if choice == "int":
            items.append(draw(st.integers(-size - (kind == "wild"), size - 1
                                          + (kind == "wild"))))
        elif choice == "slice":
            items.append(slice(draw(st.none() | st.integers(-size - 1, size + 1)),
                               draw(st.none() | st.integers(-size - 1, size + 1)),
                               draw(st.none() | st.sampled_from([1, 2, 3, -1, -2]))))
        elif choice == "array":
            items.append(draw(hnp.arrays(np.int64, broadcast or (1,),
                                         elements=st.integers(-size, max(size - 1, 0)))))
        elif choice == "none":
            items.append(None)
        else:
            items.append(Ellipsis)
    return tuple(items)


def numpy_result(expected, key):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return expected[key], None
    except (IndexError, DeprecationWarning) as err:
        return None, err


@pytest.mark.parametrize("name", ARRANGEMENTS)
@settings(max_examples=int(os.environ.get("TVIPS_KS_INDEXING_EXAMPLES", 150)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_key_gives_numpys_result(written, name, data):
    path, images = written
    options = ARRANGEMENTS[name]
    expected = expected_array(images, options)
    key = data.draw(keys(expected.shape), label="key")
    want, refused = numpy_result(expected, key)
    with tvips_ks.open(path, **(options or {})) as ds:
        array = ds.data
        assert array.shape == expected.shape
        if refused is not None:
            assume(isinstance(refused, IndexError))  # numpy's deprecations are not the point
            with pytest.raises(IndexError):
                array[key]
            return
        got = array[key]
    assert type(got) is type(want)  # a numpy scalar where numpy gives one
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    if isinstance(got, np.ndarray):
        assert got.flags.writeable  # docs/architecture.md: every result is a writable array


@settings(max_examples=int(os.environ.get("TVIPS_KS_INDEXING_EXAMPLES", 150)) * 4,
          deadline=None)
@given(data=st.data())
def test_the_key_is_judged_as_numpy_judges_it(data):
    """indexing's shortcut (the axes after the last advanced index judged apart) gives
    numpy's result shape, scalar-ness and exact IndexError message."""
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4),
                      label="shape")
    key = data.draw(keys(shape), label="key")
    want, refused = numpy_result(np.zeros(shape, dtype=np.uint8), key)
    if refused is not None:
        assume(isinstance(refused, IndexError))
        with pytest.raises(IndexError) as err:
            indexing._judge(key, shape)
        assert str(err.value) == str(refused)
        return
    assert indexing._judge(key, shape) == (want.shape, not isinstance(want, np.ndarray))


# -- the examples of issue 12, one by one -----------------------------------------------------

@pytest.fixture(scope="module")
def scan10(tmp_path_factory):
    """A 10×10 scan of 8×8 frames in 3 parts."""
    d = tmp_path_factory.mktemp("scan10")
    s = Series(num_frames=100, frames_per_part=(30, 40, 30), height=8, width=8, seed=3)
    paths = s.write(d)
    return paths[0], s.images, s.images.reshape(10, 10, 8, 8)


@pytest.mark.parametrize("key", [
    ([1, 2], [3, 4], [5, 6]),            # was (2, 2, 8); numpy (2, 8)
    (1, None, 2),                        # was (1, 10, 8); numpy (1, 8, 8)
    (Ellipsis, [1, 2]),                  # an index array next to ...
    (Ellipsis, 3, 4),
    (None,),
], ids=["three-arrays", "none-between-ints", "array-after-ellipsis", "ellipsis-ints", "none"])
def test_the_keys_issue_12_names(scan10, key):
    path, images, expected = scan10
    with tvips_ks.open(path, scan_shape=(10, 10)) as ds:
        got = ds.data[key]
        np.testing.assert_array_equal(got, expected[key])
        assert got.shape == expected[key].shape
        frames = ds.frames[key[:3] if isinstance(key, tuple) else key]
        np.testing.assert_array_equal(frames, images[key[:3] if isinstance(key, tuple)
                                                      else key])


def test_masks_over_the_scan(scan10):
    path, images, expected = scan10
    rng = np.random.default_rng(0)
    mask2d = rng.random((10, 10)) < 0.3
    mask1d = rng.random(10) < 0.5
    with tvips_ks.open(path, scan_shape=(10, 10)) as ds:
        np.testing.assert_array_equal(ds.data[mask2d], expected[mask2d])
        np.testing.assert_array_equal(ds.data[mask1d], expected[mask1d])
        np.testing.assert_array_equal(ds.data[:, mask1d], expected[:, mask1d])
        np.testing.assert_array_equal(ds.data[mask2d, 2:5], expected[mask2d, 2:5])


@pytest.mark.parametrize("key", [1.0, "a", (0, 0, 0, 0, 0), 100, -101, [100], (slice(None), 10)])
def test_what_numpy_refuses_is_refused(scan10, key):
    path, _, expected = scan10
    with pytest.raises(IndexError):
        expected[key]
    with tvips_ks.open(path, scan_shape=(10, 10)) as ds:
        with pytest.raises(IndexError):
            ds.data[key]
    with tvips_ks.open(path) as ds:
        with pytest.raises(IndexError):
            ds.frames[key if not isinstance(key, tuple) else key + (0,) * 2]


def test_pixels_picked_from_every_frame_read_in_bounded_blocks(scan10, monkeypatch):
    """An advanced index on the signal axes reads frames block by block, not all at once."""
    import tvips_ks.arrays as arrays

    path, images, expected = scan10
    monkeypatch.setattr(arrays, "_BLOCK_BYTES", 2 * 3 * 2 * 8)  # a few frames' worth of hull
    calls = []
    real = arrays.read_frames
    monkeypatch.setattr(arrays, "read_frames", lambda t, f, p=(): calls.append(np.size(f))
                        or real(t, f, p))
    with tvips_ks.open(path, scan_shape=(10, 10)) as ds:
        got = ds.data[:, :, [1, 2], [3, 5]]
    np.testing.assert_array_equal(got, expected[:, :, [1, 2], [3, 5]])
    assert len(calls) > 1 and max(calls) < 100


# -- what the results are: views, copies, pickles -----------------------------------------------

def test_pickles_never_carry_pixels(scan10):
    path, images, expected = scan10
    with tvips_ks.open(path, scan_shape=(10, 10)) as ds:
        before = len(pickle.dumps(ds))
        ds.frames[0], ds.data[3, 4], ds.frame_headers, ds.metadata  # read and cache things
        for obj in (ds, ds.frames, ds.data):
            size = len(pickle.dumps(obj))
            assert size < 20_000, (type(obj), size)  # paths, header and a 100-entry index
        assert len(pickle.dumps(ds)) <= before + 1000
        copy = pickle.loads(pickle.dumps(ds))
    np.testing.assert_array_equal(copy.data[3, 4], expected[3, 4])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(copy.frames))[5], images[5])


def test_paths_are_absolute_so_a_dataset_survives_chdir(scan10, monkeypatch, tmp_path):
    path, images, _ = scan10
    monkeypatch.chdir(path.parent)
    ds = tvips_ks.open(path.name, scan_shape=(10, 10))
    graph = ds.to_dask()
    assert ds.path.is_absolute() and all(p.path.is_absolute() for p in ds.files)
    monkeypatch.chdir(tmp_path)  # elsewhere: the dataset and its graph still find the files
    np.testing.assert_array_equal(ds.frames[42], images[42])
    np.testing.assert_array_equal(graph[4, 2].compute(), images[42])


# -- keys the hypothesis strategy does not draw ------------------------------------------------

BOOLEAN_SCALAR_KEYS = [
    True, False, np.True_, np.False_, np.array(True), np.array(False),
    (0, True), (True, 0), (slice(None), False, 1), (Ellipsis, True), (True, Ellipsis, False),
    (None, True, [0, 1]), ([0, 1], True, slice(None), [1, 2]), (slice(1, 3), [0, 2], True),
    (slice(1, 3), [0, 2], False), (np.array(True), [1, 3], slice(None, None, -1)),
    (1, slice(None), True, [2, 0]), ([[1], [2]], True, [0, 4]),
]


@pytest.mark.parametrize("arrangement", ["stack", "scan2d", "scan3d-padded"])
@pytest.mark.parametrize("key", BOOLEAN_SCALAR_KEYS, ids=repr)
def test_scalar_booleans_index_as_numpy(written, arrangement, key):
    """A Python or numpy boolean (or a 0-d boolean array) adds an advanced axis of
    length 1 (True) or 0 (False), and counts as advanced where the others go."""
    path, images = written
    options = ARRANGEMENTS[arrangement]
    expected = expected_array(images, options)
    want, refused = numpy_result(expected, key)
    with tvips_ks.open(path, **(options or {})) as ds:
        if refused is not None:
            with pytest.raises(IndexError):
                ds.data[key]
            return
        got = ds.data[key]
    assert type(got) is type(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.uint64])
def test_index_arrays_of_every_integer_dtype(tmp_path, dtype):
    """Narrow index arrays address axes longer than their dtype can count (-1 of an int8
    array on 130 frames is frame 129), as numpy's do."""
    s = Series(num_frames=130, frames_per_part=(60, 70), height=2, width=3, seed=5)
    path = s.write(tmp_path)[0]
    rows = [0, 1, 127, 129] if np.dtype(dtype).kind == "u" else [-1, -128, 5, 127]
    index = np.array(rows, dtype=dtype)
    cols = np.array([2, 0, 1, 2], dtype=dtype)
    with tvips_ks.open(path) as ds:
        for key in (index, (index, slice(None), cols), (index[:, None], 1, cols[:2])):
            want = s.images[key]
            got = ds.data[key]
            assert got.shape == want.shape
            np.testing.assert_array_equal(got, want)
