"""numpy's indexing rules, applied to a key for an array that is not in memory.

:func:`analyse` takes any key numpy accepts for an array of a given shape and
describes what it selects, axis by axis, in a form a reader can act on
without building the array: per input axis a slice, an integer or
coordinates over the broadcast shape of the advanced indices; where the
advanced dimensions go in the result; and where ``None`` adds axes.

numpy itself judges the key first, on a zero-byte stand-in of the same shape,
so every key numpy refuses raises the same ``IndexError`` here, and the
result shape is numpy's.  (An advanced key visits every element of the
stand-in's result, so the axes after the key's last integer, array or mask are
given size 1 there and their basic part is judged on its own: 1,000 frame
numbers for a stack of 256×256 frames judge 1,000 elements, not 65 million.)  The rules followed (numpy's "Indexing on ndarrays"):

* integer and boolean arrays (and 0-d ones, and Python booleans) are
  advanced indices; once any is present, integers are advanced too;
* an n-d boolean array stands for the n integer arrays of its ``nonzero()``;
* the advanced indices broadcast together to one shape ``B``; if they are
  next to each other in the key, ``B`` replaces them in place, otherwise it
  comes first (``None``, a slice or ``...`` between them separates them,
  even an ``...`` that stands for no axis).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np

__all__ = ["Selection", "analyse", "as_numpy"]

_STANDIN = np.empty((), dtype="V0")


@dataclass
class Selection:
    """What a key selects from an array of ``shape``.

    ``axes[i]`` is, for input axis ``i``, a ``slice`` (normalised like
    ``range``: give it to numpy through :func:`as_numpy`; a basic output
    axis), an ``int`` (dropped) or an int64 array of shape
    :attr:`adv_shape` (its coordinate for every advanced element).
    :attr:`canonical_shape` is the result with the advanced
    dimensions first and then the basic ones in key order (``None`` axes
    included); :attr:`adv_position` is where numpy puts the advanced
    dimensions in the real result (0: they stay first).
    """

    shape: tuple[int, ...]
    axes: list
    adv_shape: tuple[int, ...] | None    #: None when the key has no advanced index
    basic_dims: list                     #: in key order: input axis i, or None for a new axis
    adv_position: int
    result_shape: tuple[int, ...]
    scalar: bool = False                 #: numpy gives a scalar, not a 0-d array (all integers)

    @property
    def canonical_shape(self) -> tuple[int, ...]:
        basic = []
        for axis in self.basic_dims:
            if axis is None:
                basic.append(1)
            else:
                s = self.axes[axis]
                basic.append(len(range(s.start, s.stop, s.step)))
        return (*(self.adv_shape or ()), *basic)

    def to_result(self, canonical: np.ndarray) -> np.ndarray:
        """The canonical-order array rearranged as numpy would return it."""
        nadv = len(self.adv_shape or ())
        if self.adv_position:  # only ever set when there are advanced dimensions
            order = list(range(nadv, nadv + self.adv_position)) + list(range(nadv)) \
                + list(range(nadv + self.adv_position, canonical.ndim))
            canonical = canonical.transpose(order)
        assert canonical.shape == self.result_shape, (canonical.shape, self.result_shape)
        return canonical[()] if self.scalar else canonical


def as_numpy(component):
    """An axis component of :class:`Selection` as numpy takes it back.

    Normalised slices are kept range-like (``slice(1, -1, -1)`` is 1, 0); numpy
    would read that stop as the last element, so it becomes None.
    """
    if isinstance(component, slice):
        if not len(range(component.start, component.stop, component.step)):
            return slice(0, 0)
        if component.stop < 0:
            return slice(component.start, None, component.step)
    return component


def _is_int(item) -> bool:
    if isinstance(item, (bool, np.bool_)) or isinstance(item, np.ndarray):
        return False
    try:
        operator.index(item)
    except TypeError:
        return False
    return True


def _basic(item) -> bool:
    return item is None or item is Ellipsis or isinstance(item, slice)


def _judge(key, shape: tuple[int, ...]) -> tuple[tuple[int, ...], bool]:
    """numpy's result shape for ``key`` (its ``IndexError`` if it refuses), and whether
    the result is a scalar."""
    items = key if isinstance(key, tuple) else (key,)
    last = max((i for i, item in enumerate(items) if not _basic(item)), default=-1)
    lead, tail = items[:last + 1], items[last + 1:]
    consumed = 0
    for item in lead:
        if item is Ellipsis:  # which axes the rest addresses depends on the whole key
            consumed = len(shape)
            break
        if item is None or isinstance(item, (bool, np.bool_)):
            continue
        arr = item if isinstance(item, np.ndarray) else None
        if arr is None and not _is_int(item) and not isinstance(item, slice):
            arr = np.asarray(item)
        consumed += arr.ndim if arr is not None and arr.dtype == bool else 1
    tail_axes = len(shape) - consumed
    tail_consumed = sum(1 for item in tail if isinstance(item, slice))
    if last >= 0 and 0 < tail_axes and tail_consumed <= tail_axes:
        # the axes after the lead are basic whatever the lead is, and come last in the result
        try:
            head = np.broadcast_to(_STANDIN, shape[:consumed] + (1,) * tail_axes)[lead]
            rest = np.broadcast_to(_STANDIN, shape[consumed:])[tail]
            return head.shape[:head.ndim - tail_axes] + rest.shape, False
        except (IndexError, TypeError, ValueError):
            pass  # numpy's own error is the whole key's, in the order numpy checks it
    judged = np.broadcast_to(_STANDIN, shape)[key]  # numpy judges the key
    return judged.shape, not isinstance(judged, np.ndarray)


def analyse(key, shape: tuple[int, ...]) -> Selection:
    """Describe what ``key`` selects from an array of ``shape`` (see :class:`Selection`)."""
    shape = tuple(int(s) for s in shape)
    result_shape, scalar = _judge(key, shape)
    items = key if isinstance(key, tuple) else (key,)

    # classify, as numpy does; arrays are converted once
    parts = []  # (kind, value): slice, int, array, bool0, none, ellipsis
    for item in items:
        if item is None:
            parts.append(("none", None))
        elif item is Ellipsis:
            parts.append(("ellipsis", None))
        elif isinstance(item, slice):
            parts.append(("slice", item))
        elif isinstance(item, (bool, np.bool_)):
            parts.append(("bool0", bool(item)))
        elif _is_int(item):
            parts.append(("int", operator.index(item)))
        else:
            arr = np.asarray(item)
            if arr.dtype == bool:
                if arr.ndim == 0:
                    parts.append(("bool0", bool(arr)))
                else:
                    parts.append(("mask", arr))
            else:
                parts.append(("array", arr))
    consumed = sum(p[1].ndim if p[0] == "mask" else 1
                   for p in parts if p[0] in ("slice", "int", "array", "mask"))
    if not any(p[0] == "ellipsis" for p in parts):
        parts.append(("ellipsis", None))
    has_adv = any(p[0] in ("array", "mask", "bool0") for p in parts)

    # which parts are advanced, and are they next to each other in the key?
    adv_at = [i for i, p in enumerate(parts)
              if p[0] in ("array", "mask", "bool0") or (has_adv and p[0] == "int")]
    consecutive = bool(adv_at) and adv_at[-1] - adv_at[0] + 1 == len(adv_at)
    # (an ellipsis appended above comes after every advanced part: it separates none)

    # assign input axes; collect advanced coordinate arrays (before broadcasting)
    axes: list = [None] * len(shape)
    basic_dims: list = []
    adv_arrays: list = []   # (axis or None, array)
    axis = 0
    adv_position = 0  # basic output dims before the advanced ones, when they stay in place
    for i, (kind, value) in enumerate(parts):
        if consecutive and i == adv_at[0]:
            adv_position = len(basic_dims)
        if kind == "none":
            basic_dims.append(None)
        elif kind == "ellipsis":  # numpy allows one; the appended one comes only when none is
            for _ in range(len(shape) - consumed):
                axes[axis] = slice(*slice(None).indices(shape[axis]))
                basic_dims.append(axis)
                axis += 1
        elif kind == "slice":
            axes[axis] = slice(*value.indices(shape[axis]))
            basic_dims.append(axis)
            axis += 1
        elif kind == "int" and not has_adv:
            axes[axis] = value + shape[axis] if value < 0 else value
            axis += 1
        elif kind in ("int", "array"):
            arr = np.asarray(value, dtype=np.int64)
            adv_arrays.append((axis, np.where(arr < 0, arr + shape[axis], arr)))
            axis += 1
        elif kind == "mask":
            for coords in np.nonzero(value):
                adv_arrays.append((axis, coords.astype(np.int64)))
                axis += 1
        elif kind == "bool0":  # True adds an advanced axis of 1, False one of 0
            adv_arrays.append((None, np.zeros(1 if value else 0, dtype=np.int64)))
    adv_shape = None
    if has_adv:
        broadcast = np.broadcast_arrays(*(a for _, a in adv_arrays))
        adv_shape = broadcast[0].shape
        for (ax, _), arr in zip(adv_arrays, broadcast):
            if ax is not None:
                axes[ax] = arr
    return Selection(shape, axes, adv_shape, basic_dims, adv_position, result_shape, scalar)
