"""Units as HyperSpy signals spell them: lengths, reciprocal lengths, times, pixels."""

from __future__ import annotations

import re

__all__ = ["length_kind", "seconds_factor"]

_LENGTH_NM = {  # exact spellings: case matters ("Mm" is not "mm")
    "m": 1e9, "cm": 1e7, "mm": 1e6, "um": 1e3, "\u00b5m": 1e3, "\u03bcm": 1e3, "micron": 1e3,
    "nm": 1.0, "A": 0.1, "\u00c5": 0.1, "\u212b": 0.1, "angstrom": 0.1, "Angstrom": 0.1,
    "pm": 1e-3,
}
_TIME_S = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ns": 1e-9,
           "min": 60.0, "h": 3600.0}
_PIXEL_UNITS = {"", "px", "pixel", "pixels", "<undefined>", "none", "undefined"}
_RECIPROCAL = re.compile(r"^(?:1\s*/\s*(?P<a>.+)"                       # 1/nm
                         r"|(?P<b>.+?)\s*(?:\^|\*\*)\s*\(?-1\)?"        # nm^-1, nm**-1
                         r"|(?P<c>.+?)⁻¹)$")                             # nm⁻¹
_UREG = None


def _pint_factor(units: str, target: str) -> float | None:
    global _UREG
    try:
        import pint
    except ImportError:  # pragma: no cover - pint comes with HyperSpy
        return None
    try:
        if _UREG is None:
            _UREG = pint.UnitRegistry()
        return float(_UREG.Quantity(1.0, units).to(target).magnitude)
    except Exception:  # pint raises many kinds of errors for foreign unit strings
        return None


def _units_text(units) -> str:
    return units.strip() if isinstance(units, str) else ""


def length_kind(units) -> tuple[str | None, float]:
    """``("length", to-nm factor)``, ``("reciprocal", to-1/nm factor)`` or ``(None, 1)``."""
    text = _units_text(units)
    if text.lower() in _PIXEL_UNITS:
        return None, 1.0
    if text in _LENGTH_NM:
        return "length", _LENGTH_NM[text]
    match = _RECIPROCAL.match(text)
    if match:
        inner = (match["a"] or match["b"] or match["c"]).strip()
        if inner in _LENGTH_NM:
            return "reciprocal", 1.0 / _LENGTH_NM[inner]
    factor = _pint_factor(text, "nm")
    if factor is not None:
        return "length", factor
    factor = _pint_factor(text, "1/nm")
    if factor is not None:
        return "reciprocal", factor
    return None, 1.0


def seconds_factor(units) -> float | None:
    """The factor to seconds of a time unit, None for pixels or anything else."""
    text = _units_text(units)
    if text in _TIME_S:
        return _TIME_S[text]
    if text.lower() in _PIXEL_UNITS:
        return None
    return _pint_factor(text, "s")
