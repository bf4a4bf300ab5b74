"""The scan options, validated once: RosettaSciIO's names and meanings, without its bugs.

``scan_shape`` (a tuple of positive integers, or ``"auto"`` to detect the
scan), ``scan_start_frame`` (may be negative), ``winding_scan_axis`` (None,
``"x"``/0, ``"y"``/1) and ``hysteresis`` (for a snake scan), and ``pad``
(positions past the last frame read as zeros).  :class:`ScanOptions` holds
them once checked; ``open``, the CLI, ``convert`` and ``preview`` all take
them from here, and a dataset keeps the ones it was opened with.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np

from ..errors import ArgumentError

__all__ = ["ScanOptions", "as_int", "as_shape", "normalize_winding_axis"]

_WINDING_HELP = "None, 'x' (or 0) or 'y' (or 1)"
#: No series has a frame this far from frame 0 (and int64 arithmetic stays exact).
_FAR = 2**62


def as_int(value, name):
    """``operator.index`` with a library error; bools and floats are refused."""
    if isinstance(value, (bool, np.bool_)):
        raise ArgumentError(f"{name} must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise ArgumentError(f"{name} must be an integer, got {value!r}") from None


def as_shape(scan_shape) -> tuple[int, ...]:
    """A scan shape as a tuple of positive ints (a list or 1-D array also does)."""
    try:  # a str is 0-d to numpy, as a number is
        ndim = np.ndim(scan_shape)
        dims = tuple(np.asarray(scan_shape, dtype=object).ravel()) if ndim == 1 else None
    except (TypeError, ValueError):  # ragged nesting, or an object numpy cannot read
        ndim = dims = None
    if ndim == 0:
        raise ArgumentError(f"scan_shape must be a tuple of positive integers or 'auto', "
                            f"got {scan_shape!r}")
    if dims is None:
        raise ArgumentError(f"scan_shape must be a tuple of positive integers, got "
                            f"{scan_shape!r}")
    if not dims:
        raise ArgumentError("scan_shape must have at least one axis, got ()")
    dims = tuple(as_int(d, "every scan_shape entry") for d in dims)
    if any(d < 1 for d in dims):
        raise ArgumentError(f"scan_shape must be a tuple of positive integers, got {dims}")
    return dims


def normalize_winding_axis(winding_scan_axis):
    """Return ``None``, ``"x"`` or ``"y"`` for an accepted winding value.

    ``0`` means ``"x"`` and ``1`` means ``"y"`` (RosettaSciIO's spelling).
    Anything else raises :class:`ArgumentError` naming the allowed values.
    """
    if winding_scan_axis is None:
        return None
    if isinstance(winding_scan_axis, (bool, np.bool_)):
        pass  # True == 1 would silently mean "y": refuse it
    elif isinstance(winding_scan_axis, str):
        if winding_scan_axis in ("x", "y"):
            return winding_scan_axis
    else:
        try:
            axis = operator.index(winding_scan_axis)
        except TypeError:
            axis = None
        if axis == 0:
            return "x"
        if axis == 1:
            return "y"
    raise ArgumentError(
        f"winding_scan_axis must be {_WINDING_HELP}, got {winding_scan_axis!r}")


@dataclass(frozen=True)
class ScanOptions:
    """How a series' frames are arranged into a scan, as the user asked for it.

    ``scan_shape`` is None (the frames as a stack), ``"auto"`` (detect it) or a
    tuple.  Build with :meth:`from_arguments`, which checks everything.
    """

    scan_shape: tuple[int, ...] | str | None = None
    scan_start_frame: int = 0
    winding_scan_axis: str | None = None
    hysteresis: int = 0
    pad: bool = False

    @classmethod
    def from_arguments(cls, scan_shape=None, scan_start_frame=0, winding_scan_axis=None,
                       hysteresis=0, pad=False) -> "ScanOptions":
        if isinstance(scan_shape, str):
            if scan_shape != "auto":
                raise ArgumentError(f"scan_shape must be a tuple of positive integers or "
                                    f"'auto', got {scan_shape!r}")
        elif scan_shape is not None:
            scan_shape = as_shape(scan_shape)
        start = as_int(scan_start_frame, "scan_start_frame")
        if abs(start) >= _FAR:
            raise ArgumentError(f"scan_start_frame={start} is beyond any series (a frame number "
                                f"needs fewer than 63 bits); check the value")
        winding = normalize_winding_axis(winding_scan_axis)
        hysteresis = as_int(hysteresis, "hysteresis")
        if not isinstance(pad, (bool, np.bool_)):
            raise ArgumentError(f"pad must be True or False, got {pad!r}")
        given = [name for name, value in (("scan_start_frame", start),
                                          ("winding_scan_axis", winding),
                                          ("hysteresis", hysteresis), ("pad", pad)) if value]
        if scan_shape is None and given:
            raise ArgumentError(f"{', '.join(given)} need(s) scan_shape")
        if scan_shape == "auto" and given:
            raise ArgumentError(f"{', '.join(given)} cannot be combined with "
                                f"scan_shape='auto' (detection finds the scan); give an "
                                f"explicit scan_shape")
        if hysteresis and winding is None:
            raise ArgumentError("hysteresis applies to a snake scan: give winding_scan_axis "
                                "too")
        if winding is not None and isinstance(scan_shape, tuple) and len(scan_shape) < 2:
            raise ArgumentError(f"winding_scan_axis={winding!r} needs at least 2 scan axes, "
                                f"but scan_shape is {scan_shape}")
        return cls(scan_shape, start, winding, hysteresis, bool(pad))

    @property
    def detect(self) -> bool:
        return self.scan_shape == "auto"

    def as_open_kwargs(self) -> dict:
        """The keyword arguments of ``tvips_ks.open`` that give these options."""
        out = {"scan_shape": self.scan_shape}
        if isinstance(self.scan_shape, tuple):
            out.update(scan_start_frame=self.scan_start_frame,
                       winding_scan_axis=self.winding_scan_axis, hysteresis=self.hysteresis,
                       pad=self.pad)
        return out

    def describe(self) -> str:
        """``"64 × 64 from frame 0, fly-back (no winding)"``."""
        return describe_scan(self.scan_shape, self.scan_start_frame, self.winding_scan_axis,
                             self.hysteresis)


def describe_scan(shape, start, winding, hysteresis) -> str:
    """A scan in words, as ``info``, ``convert`` and ``preview`` print it."""
    text = f"{' × '.join(str(s) for s in shape)} from frame {start}"
    if winding:
        text += f", snake along {winding} (hysteresis {hysteresis})"
    else:
        text += ", fly-back (no winding)"
    return text
