"""Calibrations the user gives, validated once: scan step, pixel size, camera length.

The format records no scan step, and its ``pixel_size_nm`` is either the
detector pixel (camera files) or a calibrated scale (HyperSpy and tvips-ks
files); it never records a camera length in a known unit.  So the user says
them once, to ``open`` or on the command line, and :class:`Calibration`
keeps them; :mod:`tvips_ks.metadata` puts them on the axes (``source="user"``),
from where HyperSpy signals and every output take them.

* ``scan_step``: ``(2.5, "nm")``, ``((2.5, 3.0), "nm")`` for ``(y, x)``, or
  the text ``"2.5nm"``/``"2.5,3nm"``; a length unit (pm, Å/A, nm, µm/um, mm),
  kept as given.
* ``diffraction_pixel_size``: ``(0.01, "1/nm")``, ``(0.001, "1/Å")`` (stored
  as 1/nm: ×10, exact) or ``(0.05, "mrad")`` (kept in mrad), or the text
  ``"0.01/nm"``, ``"0.001/A"``, ``"0.05mrad"``.
* ``image_pixel_size``: a length, as the scan step (one value).
* ``camera_length_mm``: a number of mm, or the text ``"250mm"``/``"25cm"``/``"0.25m"``.

Refused (:class:`ArgumentError`): a value that is not a finite positive
number, an unknown unit, a diffraction and an image pixel size together, and
a camera length with an image pixel size (a camera length belongs to
diffraction).  Against the file, :meth:`Calibration.check_detector` refuses
a camera length and a diffraction pixel size that contradict the detector
pixel the header records (mrad ↔ 1/nm through the relativistic electron
wavelength of the header's high tension).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .errors import ArgumentError

__all__ = ["Calibration", "electron_wavelength_nm", "parse_quantity", "LENGTH_UNITS",
           "AGREEMENT"]

#: Length units accepted for the scan step and the image pixel, as written, to
#: their canonical spelling and its size in nm.
LENGTH_UNITS = {
    "pm": ("pm", 1e-3), "A": ("Å", 0.1), "\u00c5": ("Å", 0.1), "\u212b": ("Å", 0.1),
    "angstrom": ("Å", 0.1), "nm": ("nm", 1.0), "um": ("µm", 1e3), "µm": ("µm", 1e3),
    "μm": ("µm", 1e3), "micron": ("µm", 1e3), "mm": ("mm", 1e6),
}
#: Reciprocal units of a diffraction pixel, to their factor to 1/nm (1/Å = 10/nm exactly).
_RECIPROCAL_PER_NM = {"nm": 1, "A": 10, "\u00c5": 10, "\u212b": 10, "angstrom": 10}
_CAMERA_MM = {"mm": 1, "cm": 10, "m": 1000}
#: How far apart (relative) a camera length and a diffraction pixel may imply
#: detector pixels before they count as contradicting the header: nominal
#: camera lengths are seldom closer than a few per cent to calibrated ones.
AGREEMENT = 0.05

# CODATA 2018 (h, e, c exact)
_H = 6.62607015e-34
_E = 1.602176634e-19
_M0 = 9.1093837015e-31
_C = 299792458.0

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*(?P<numbers>{_NUMBER}(?:\s*,\s*{_NUMBER})*)\s*(?P<unit>.*?)\s*$")


def electron_wavelength_nm(high_tension_kv: float) -> float:
    """The relativistic electron wavelength at ``high_tension_kv`` kV, in nm."""
    energy = float(high_tension_kv) * 1e3 * _E
    if not (energy > 0 and math.isfinite(energy)):
        raise ArgumentError(f"the electron wavelength needs a positive high tension, got "
                            f"{high_tension_kv} kV")
    momentum = math.sqrt(2 * _M0 * energy * (1 + energy / (2 * _M0 * _C * _C)))
    return _H / momentum * 1e9


def _positive(value, name) -> float:
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise ArgumentError(f"{name} must be a positive number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be a positive number, got {value!r}") from None
    if not (number > 0 and math.isfinite(number)):
        raise ArgumentError(f"{name} must be a finite positive number, got {value!r}")
    return number


def parse_quantity(value, name: str) -> tuple[tuple[float, ...], str]:
    """``((numbers…), unit)`` from ``(2.5, "nm")``, ``((2.5, 3), "nm")`` or ``"2.5,3nm"``."""
    if isinstance(value, str):
        match = _QUANTITY.match(value)
        numbers = re.split(r"\s*,\s*", match["numbers"]) if match else []
        unit = (match["unit"] or "") if match else ""
        try:
            floats = tuple(float(p) for p in numbers)
        except ValueError:
            floats = ()
        if not floats or not unit:
            raise ArgumentError(f"{name}: cannot read {value!r}; give a number and its unit, "
                                f"e.g. '2.5nm' (or '2.5,3nm' for y,x)")
        return tuple(_positive(f, name) for f in floats), unit.strip()
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not isinstance(value[1], str):
        raise ArgumentError(f"{name} must be (value, unit), e.g. (2.5, 'nm'), or the text "
                            f"'2.5nm'; got {value!r}")
    numbers, unit = value
    if isinstance(numbers, (tuple, list)) or np.ndim(numbers) == 1:
        floats = tuple(_positive(n, name) for n in numbers)
    else:
        floats = (_positive(numbers, name),)
    if not floats:
        raise ArgumentError(f"{name} holds no number: {value!r}")
    return floats, unit.strip()


def _length(value, name, count) -> tuple[tuple[float, ...], str]:
    numbers, unit = parse_quantity(value, name)
    if unit not in LENGTH_UNITS:
        raise ArgumentError(f"{name}: unknown length unit {unit!r}; use one of pm, Å (A), nm, "
                            f"µm (um), mm")
    if len(numbers) not in count:
        raise ArgumentError(f"{name} takes {' or '.join(map(str, count))} value(s) "
                            f"({'y, x' if 2 in count else 'one'}), got {len(numbers)}")
    return numbers, LENGTH_UNITS[unit][0]


def _reciprocal_inner(unit: str) -> str | None:
    """``"nm"`` of ``1/nm``, ``/nm``, ``nm^-1``, ``nm-1``, ``nm⁻¹``; None otherwise."""
    for pattern in (r"^1?\s*/\s*(.+)$", r"^(.+?)\s*(?:\^|\*\*)?\s*-1$", r"^(.+?)⁻¹$"):
        match = re.match(pattern, unit)
        if match:
            return match[1].strip()
    return None


def _diffraction(value) -> tuple[float, str, tuple[float, str]]:
    name = "diffraction_pixel_size"
    (number, *rest), unit = parse_quantity(value, name)
    if rest:
        raise ArgumentError(f"{name} takes one value (square pixels), got {1 + len(rest)}")
    if unit == "mrad":
        return number, "mrad", (number, unit)
    inner = _reciprocal_inner(unit)
    if inner in _RECIPROCAL_PER_NM:
        return number * _RECIPROCAL_PER_NM[inner], "1/nm", (number, f"1/{inner}")
    raise ArgumentError(f"{name}: unknown unit {unit!r}; use 1/nm, 1/Å (1/A) or mrad "
                        f"(e.g. '0.01/nm', '0.05mrad')")


def _camera_length(value) -> float:
    if isinstance(value, str):
        (number, *rest), unit = parse_quantity(value, "camera_length_mm")
        if rest or unit not in _CAMERA_MM:
            raise ArgumentError(f"camera_length_mm: cannot read {value!r}; give one length "
                                f"in mm, cm or m, e.g. '250mm'")
        return number * _CAMERA_MM[unit]
    return _positive(value, "camera_length_mm")


@dataclass(frozen=True)
class Calibration:
    """What the user says about the axes; build with :meth:`from_arguments`.

    ``scan_step`` is ``(y, x)`` in ``scan_step_units``; ``diffraction_pixel``
    is in ``diffraction_units`` (``"1/nm"`` or ``"mrad"``) and
    ``diffraction_given`` is the value and unit as given; ``image_pixel`` is
    in ``image_units``.  An empty calibration (nothing given) is falsy.
    """

    scan_step: tuple[float, float] | None = None
    scan_step_units: str | None = None
    diffraction_pixel: float | None = None
    diffraction_units: str | None = None
    diffraction_given: tuple[float, str] | None = None
    image_pixel: float | None = None
    image_units: str | None = None
    camera_length_mm: float | None = None

    @classmethod
    def from_arguments(cls, scan_step=None, diffraction_pixel_size=None, image_pixel_size=None,
                       camera_length_mm=None) -> "Calibration":
        fields = {}
        if scan_step is not None:
            numbers, units = _length(scan_step, "scan_step", (1, 2))
            fields.update(scan_step=(numbers[0], numbers[-1]), scan_step_units=units)
        if diffraction_pixel_size is not None and image_pixel_size is not None:
            raise ArgumentError("diffraction_pixel_size and image_pixel_size both given: the "
                                "signal is a diffraction pattern or an image, give one")
        if diffraction_pixel_size is not None:
            pixel, units, given = _diffraction(diffraction_pixel_size)
            fields.update(diffraction_pixel=pixel, diffraction_units=units,
                          diffraction_given=given)
        if image_pixel_size is not None:
            (pixel,), units = _length(image_pixel_size, "image_pixel_size", (1,))
            fields.update(image_pixel=pixel, image_units=units)
        if camera_length_mm is not None:
            if image_pixel_size is not None:
                raise ArgumentError("camera_length_mm and image_pixel_size both given: a "
                                    "camera length belongs to a diffraction pattern; give "
                                    "diffraction_pixel_size, or leave the camera length out")
            fields["camera_length_mm"] = _camera_length(camera_length_mm)
        return cls(**fields)

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.scan_step, self.diffraction_pixel,
                                           self.image_pixel, self.camera_length_mm))

    def as_open_kwargs(self) -> dict:
        """The keyword arguments of ``tvips_ks.open`` that give this calibration."""
        out = {}
        if self.scan_step is not None:
            out["scan_step"] = (self.scan_step, self.scan_step_units)
        if self.diffraction_given is not None:
            out["diffraction_pixel_size"] = self.diffraction_given
        if self.image_pixel is not None:
            out["image_pixel_size"] = (self.image_pixel, self.image_units)
        if self.camera_length_mm is not None:
            out["camera_length_mm"] = self.camera_length_mm
        return out

    @property
    def signal(self) -> tuple[float, str] | None:
        """``(scale, units)`` of the signal axes, or None when not given."""
        if self.diffraction_pixel is not None:
            return self.diffraction_pixel, self.diffraction_units
        if self.image_pixel is not None:
            return self.image_pixel, self.image_units
        return None

    def diffraction_mrad(self, high_tension_kv) -> float | None:
        """The diffraction pixel as an angle in mrad (1/nm × wavelength), None if not given."""
        if self.diffraction_pixel is None:
            return None
        if self.diffraction_units == "mrad":
            return self.diffraction_pixel
        return self.diffraction_pixel * electron_wavelength_nm(high_tension_kv) * 1e3

    def diffraction_per_nm(self, high_tension_kv) -> float | None:
        """The diffraction pixel in 1/nm (mrad / wavelength), None if not given."""
        if self.diffraction_pixel is None:
            return None
        if self.diffraction_units == "1/nm":
            return self.diffraction_pixel
        return self.diffraction_pixel * 1e-3 / electron_wavelength_nm(high_tension_kv)

    def check_detector(self, detector_pixel_nm, high_tension_kv, path=None) -> None:
        """Refuse a camera length and diffraction pixel that contradict the detector pixel.

        ``detector_pixel_nm`` is the binned detector pixel ``(y, x)`` the header
        records (camera files), or None; the check needs it, both values, and
        for a pixel in 1/nm a high tension.  They agree when the detector pixel
        they imply (angle per pixel × camera length) is within
        :data:`AGREEMENT` of the header's.
        """
        if self.camera_length_mm is None or self.diffraction_pixel is None \
                or not detector_pixel_nm:
            return
        if self.diffraction_units != "mrad" and not high_tension_kv:
            return
        mrad = self.diffraction_mrad(high_tension_kv)
        implied_nm = mrad * 1e-3 * self.camera_length_mm * 1e6
        for recorded in set(detector_pixel_nm):
            if abs(implied_nm - recorded) > AGREEMENT * recorded:
                given = self.diffraction_given
                raise ArgumentError(
                    f"diffraction_pixel_size={given[0]:g} {given[1]} and camera_length_mm="
                    f"{self.camera_length_mm:g} disagree with the header: together they mean a "
                    f"{implied_nm / 1e3:.4g} µm detector pixel ({mrad:.4g} mrad per pixel), "
                    f"the header records {recorded / 1e3:.4g} µm (binned); check both, or give "
                    f"only one of them", path=path)

    def describe(self) -> list[str]:
        """The calibration in words, one item per value given."""
        items = []
        if self.scan_step is not None:
            y, x = self.scan_step
            step = f"{y:g} {self.scan_step_units}" if y == x else \
                f"{y:g} × {x:g} {self.scan_step_units} (y × x)"
            items.append(f"scan step {step}")
        if self.diffraction_pixel is not None:
            text = f"diffraction pixel {self.diffraction_pixel:g} {self.diffraction_units}"
            value, unit = self.diffraction_given
            if unit not in ("mrad", "1/nm"):
                text += f" (given as {value:g} {unit})"
            items.append(text)
        if self.image_pixel is not None:
            items.append(f"image pixel {self.image_pixel:g} {self.image_units}")
        if self.camera_length_mm is not None:
            items.append(f"camera length {self.camera_length_mm:g} mm")
        return items

    def as_metadata(self) -> dict:
        """The values given, as a HyperSpy metadata node (plain floats and strings)."""
        out = {}
        if self.scan_step is not None:
            out.update(scan_step_y=self.scan_step[0], scan_step_x=self.scan_step[1],
                       scan_step_units=self.scan_step_units)
        if self.diffraction_pixel is not None:
            out.update(diffraction_pixel_size=self.diffraction_pixel,
                       diffraction_pixel_units=self.diffraction_units)
        if self.image_pixel is not None:
            out.update(image_pixel_size=self.image_pixel, image_pixel_units=self.image_units)
        if self.camera_length_mm is not None:
            out["camera_length_mm"] = self.camera_length_mm
        return out
