"""``.to_dask()`` graphs run unchanged on dask.distributed, and carry no arrays.

A ``LocalCluster`` with two worker processes computes virtual images (the sum
of each frame) of a small multi-part series, plain and as a snake scan, and
they must equal the eager numpy result.  The graphs are inspected: every task
argument is a path, a number, a tuple of them or a small index array, never a
memory map or a block of pixels, and the pickled graph stays small.
"""

from __future__ import annotations

import functools
import mmap
import pickle

import numpy as np
import pytest

import tvips_ks
from tvips_ks.io.daskio import graph_size_bytes
from tvips_ks.io.parts import PartTable

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

FRAMES, HEIGHT, WIDTH = 90, 12, 10
SCAN = dict(scan_shape=(8, 11), scan_start_frame=1, winding_scan_axis="x", hysteresis=2)


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    rng = np.random.default_rng(6)
    data = rng.integers(0, 2**16, (FRAMES, HEIGHT, WIDTH), dtype=np.uint16)
    record = 60 + HEIGHT * WIDTH * 2
    paths = tvips_ks.save(tmp_path_factory.mktemp("dist") / "scan.tvips", data,
                          max_file_size=256 + 40 * record, progress=False)
    assert len(paths) == 3
    return paths[0], data


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                      dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


def _leaves(node):
    """Every leaf argument of a task graph, whatever the task representation."""
    if isinstance(node, functools.partial):  # the loader shared by every task
        yield node.func
        yield from _leaves(node.args)
        yield from _leaves(node.keywords)
    elif isinstance(node, (tuple, list)):
        for item in node:
            yield from _leaves(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from _leaves(item)
    elif type(node).__name__ in ("Task", "DataNode", "Alias", "TaskRef", "List", "Dict",
                                 "Tuple", "Set") and type(node).__module__.startswith("dask"):
        for name in ("func", "args", "kwargs", "value", "target", "key"):
            if hasattr(node, name):
                yield from _leaves(getattr(node, name))
    else:
        yield node


def _check_graph(array, max_index_size):
    """Task arguments are paths, numbers and small index arrays: never pixels."""
    graphs = [dict(array.__dask_graph__())]
    (optimized,) = __import__("dask").optimize(array)
    graphs.append(dict(optimized.__dask_graph__()))
    seen_paths = set()
    for graph in graphs:
        for leaf in _leaves(list(graph.values())):
            assert not isinstance(leaf, (np.memmap, mmap.mmap, memoryview, bytes, bytearray)), \
                type(leaf)
            if isinstance(leaf, np.ndarray):
                assert leaf.ndim == 1 and leaf.dtype.kind == "i", (leaf.dtype, leaf.shape)
                assert leaf.size <= max_index_size
            elif isinstance(leaf, str):
                seen_paths.add(leaf)
            elif isinstance(leaf, PartTable):  # the part table: paths, sizes and offsets
                assert len(pickle.dumps(leaf)) < 2000 * len(leaf.parts)
                seen_paths.update(str(p.path) for p in leaf.parts)
            else:
                assert leaf is None or callable(leaf) or isinstance(
                    leaf, (int, float, np.integer, np.dtype)), type(leaf)
    return seen_paths


def test_virtual_image_on_a_cluster_equals_numpy(series, client):
    path, data = series
    with tvips_ks.open(path) as ds:
        array = ds.to_dask(chunks=(16, HEIGHT, WIDTH))
        assert array.numblocks[0] == 6
        paths = _check_graph(array, max_index_size=0)
        assert {str(p.path) for p in ds.files} <= paths  # the tasks name the files
        expected = np.asarray(ds.data).sum(axis=(-2, -1))
        assert np.array_equal(expected, data.sum(axis=(-2, -1)))
        image = client.compute(array.sum(axis=(-2, -1))).result()
    assert np.array_equal(image, expected)


def test_scan_virtual_image_on_a_cluster_equals_numpy(series, client):
    path, data = series
    with tvips_ks.open(path, **SCAN) as ds:
        array = ds.to_dask(chunks=(3, 11, HEIGHT, WIDTH))
        _check_graph(array, max_index_size=3 * 11)  # one index block per task at most
        expected = np.asarray(ds.data).sum(axis=(-2, -1))
        image = client.compute(array.sum(axis=(-2, -1))).result()
    assert image.shape == SCAN["scan_shape"]
    assert np.array_equal(image, expected)
    # the scan map by hand (RosettaSciIO's semantics): the image holds the right frames
    index = np.arange(1, 1 + 88).reshape(8, 11)
    index[::2] = np.roll(index[::2, ::-1], 2, axis=1)
    assert np.array_equal(image, data.sum(axis=(-2, -1))[index])


def test_graph_pickles_small(series):
    path, data = series
    with tvips_ks.open(path) as ds:
        array = ds.to_dask(chunks=(16, HEIGHT, WIDTH))
        size = graph_size_bytes(array)
        # six tasks of a part table and a range: kilobytes, whatever the data size
        assert size < 8 * 1024 < data.nbytes
        assert len(pickle.dumps(array)) < 16 * 1024
        default = ds.to_dask()
        assert graph_size_bytes(default) < 8 * 1024


def test_lazy_virtual_image_on_a_cluster_equals_numpy(series, client, monkeypatch):
    """virtual_image(lazy=True): one task per part-aligned range, then the scan map."""
    from tvips_ks import virtual

    monkeypatch.setattr(virtual, "TASK_BYTES", 16 * HEIGHT * WIDTH * 2)  # several tasks
    path, data = series
    mask = tvips_ks.disk_mask((HEIGHT, WIDTH), 3)
    with tvips_ks.open(path, **SCAN) as ds:
        lazy = ds.virtual_image(mask, lazy=True)
        graph = dict(lazy.__dask_graph__())
        # frames 1-88 of parts of 40, 40, 10: 3 + 3 + 1 tasks of <= 16 frames, and the arrangement
        assert len(graph) == 8
        for leaf in _leaves(list(graph.values())):
            assert not isinstance(leaf, (np.memmap, mmap.mmap, memoryview, bytes, bytearray))
        # the pixels stay out of the graph: the part table, the scan map and the mask
        assert graph_size_bytes(lazy) < 8 * 1024 + ds.frame_index.nbytes + mask.size
        expected = np.asarray(ds.data)[..., mask].sum(axis=-1)
        image = client.compute(lazy).result()
    assert image.dtype == expected.dtype
    assert np.array_equal(image, expected)
