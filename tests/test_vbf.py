"""Tests of tvips_ks.vbf: the virtual bright field."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tvips_ks.errors import ArgumentError
from tvips_ks.scan.vbf import disk_mask, virtual_bright_field


class SliceOnly:
    """A lazy frame source: ``[i:j, rows, cols]`` reads frames i..j only, recording the calls."""

    def __init__(self, array):
        self._array = array
        self.shape = array.shape
        self.calls = []

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        frames, *pixels = key if isinstance(key, tuple) else (key,)
        if not isinstance(frames, slice):
            raise TypeError("slices only")
        i, j, _ = frames.indices(self.shape[0])
        self.calls.append((i, j))
        return np.array(self._array[i:j])[(slice(None), *pixels)]


def test_hand_computed_disk():
    # 5x5 frame, centre (2, 2), radius 1: the centre pixel and its 4 neighbours.
    frame = np.arange(25, dtype=np.uint16).reshape(5, 5)
    got = virtual_bright_field(frame[None], radius=1, center=(2, 2))
    assert got.tolist() == [(12 + 7 + 17 + 11 + 13) / 5]
    assert got.dtype == np.float64


def test_default_disk_is_centred_with_radius_min_over_8():
    # 16x16: radius 2 about (7.5, 7.5) holds the 4 central pixels (distance
    # 0.71) and the 8 next to them (1.58); the diagonal ones (2.12) are out.
    mask = disk_mask((16, 16))
    assert mask.sum() == 12
    assert mask[7:9, 6:10].all() and mask[6:10, 7:9].all()
    assert not mask[6, 6] and not mask[5, 7]


def test_default_radius_is_at_least_one():
    mask = disk_mask((4, 6))  # min//8 == 0 -> radius 1 about (1.5, 2.5)
    assert np.argwhere(mask).tolist() == [[1, 2], [1, 3], [2, 2], [2, 3]]


def test_off_centre_disk_and_values():
    rng = np.random.default_rng(1)
    frames = rng.integers(0, 60000, (7, 9, 11), dtype=np.uint16)
    got = virtual_bright_field(frames, radius=2.5, center=(3, 7))
    yy, xx = np.mgrid[:9, :11]
    mask = (yy - 3) ** 2 + (xx - 7) ** 2 <= 6.25
    assert np.array_equal(got, frames[:, mask].astype(np.float64).mean(axis=1))


def test_large_integer_sums_are_exact():
    frames = np.full((3, 64, 64), 65535, dtype=np.uint16)
    frames[1] = 1
    got = virtual_bright_field(frames, radius=30)
    assert got.tolist() == [65535.0, 1.0, 65535.0]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 256])
def test_chunking_does_not_change_the_result(chunk):
    rng = np.random.default_rng(2)
    frames = rng.random((20, 12, 10)).astype(np.float32)
    ref = frames[:, disk_mask((12, 10))].astype(np.float64).mean(axis=1)
    assert np.allclose(virtual_bright_field(frames, chunk_frames=chunk), ref,
                       rtol=0, atol=1e-12)


def test_memmap_input(tmp_path):
    rng = np.random.default_rng(3)
    frames = rng.integers(0, 255, (30, 16, 16), dtype=np.uint8)
    path = tmp_path / "frames.raw"
    frames.tofile(path)
    mm = np.memmap(path, dtype=np.uint8, mode="r", shape=frames.shape)
    assert np.array_equal(virtual_bright_field(mm, chunk_frames=8),
                          virtual_bright_field(frames))


def test_slice_only_source_is_read_in_chunks():
    rng = np.random.default_rng(4)
    frames = rng.random((25, 8, 8))
    source = SliceOnly(frames)
    got = virtual_bright_field(source, chunk_frames=10)
    assert source.calls == [(0, 10), (10, 20), (20, 25)]  # not one per frame
    assert np.allclose(got, virtual_bright_field(frames))


def test_object_without_shape_is_refused():
    frames = np.random.default_rng(5).random((6, 8, 8))

    class NoShape:
        def __len__(self):
            return 6

        def __getitem__(self, key):
            return frames[key]

    with pytest.raises(ArgumentError, match="stack"):
        virtual_bright_field(NoShape(), chunk_frames=4)


def test_empty_series():
    got = virtual_bright_field(np.zeros((0, 8, 8)))
    assert got.shape == (0,) and got.dtype == np.float64


def test_source_returning_wrong_shape():
    class Broken(SliceOnly):
        def __getitem__(self, key):
            return super().__getitem__(key)[:, :1]

    with pytest.raises(ArgumentError, match="expected"):
        virtual_bright_field(Broken(np.zeros((4, 8, 8))))


@pytest.mark.parametrize("kwargs,match", [
    (dict(radius=-1), "radius"),
    (dict(radius=float("nan")), "radius"),
    (dict(radius=0, center=(3.5, 3.5)), "holds no pixel"),
    (dict(radius=1, center=(50, 50)), "holds no pixel"),
    (dict(center=(1,)), "center"),
    (dict(chunk_frames=0), "chunk_frames"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ArgumentError, match=match):
        virtual_bright_field(np.zeros((2, 8, 8)), **kwargs)


def test_needs_a_stack():
    with pytest.raises(ArgumentError, match=r"\(N, h, w\)"):
        virtual_bright_field(np.zeros((8, 8)))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 12), h=st.integers(1, 12), w=st.integers(1, 12),
       chunk=st.integers(1, 5), seed=st.integers(0, 2**16),
       radius=st.floats(0.5, 8), cy=st.floats(0, 11), cx=st.floats(0, 11))
def test_matches_direct_computation(n, h, w, chunk, seed, radius, cy, cx):
    frames = np.random.default_rng(seed).integers(0, 1000, (n, h, w))
    yy, xx = np.mgrid[:h, :w]
    mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2
    if not mask.any():
        with pytest.raises(ArgumentError):
            virtual_bright_field(frames, radius, (cy, cx), chunk)
        return
    got = virtual_bright_field(frames, radius, (cy, cx), chunk)
    assert np.array_equal(got, frames[:, mask].sum(axis=1) / mask.sum())
