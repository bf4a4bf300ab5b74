"""What every command shares: output, argument types, the scan options, messages."""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
import sys
import textwrap

import numpy as np

from ..calibration import Calibration
from ..scan.options import ScanOptions

PROG = "tvips-ks"
EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block) that ``main`` turns into status 2."""

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def err(line: str) -> None:
    sys.stderr.write(f"{PROG}: {cli_text(line)}\n")
    sys.stderr.flush()


# The library's messages name its keyword arguments; on the command line the
# same advice names the flags.
_FLAGS = [
    (re.compile(r"open\(\.\.\., permissive=True\)|permissive=True"), "--permissive"),
    (re.compile(r"overwrite=True(?: \(--overwrite\))?"), "--overwrite"),
    (re.compile(r"\bpad=True\b"), "--pad"),
    (re.compile(r"\bscan_shape=\((\d+), (\d+)\)"), r"--scan-shape \1,\2"),
    (re.compile(r"\bscan_shape=\(rows, cols\)"), "--scan-shape ROWS,COLS"),
    (re.compile(r"\bscan_shape='auto'"), "--scan-shape auto"),
    (re.compile(r"\bscan_start_frame=(-?\d+|k)\b"), r"--scan-start-frame \1"),
    (re.compile(r"\bwinding_scan_axis='x'"), "--winding x"),
    (re.compile(r"\bwinding_scan_axis\b"), "--winding"),
    (re.compile(r"\bscan_start_frame\b"), "--scan-start-frame"),
    (re.compile(r"\bscan_shape\b"), "--scan-shape"),
    (re.compile(r"\bhysteresis=(-?\d+)"), r"--hysteresis \1"),
    (re.compile(r"\bto open\(\)"), ""),
    (re.compile(r"\bscan_step\b"), "--scan-step"),
    (re.compile(r"\bdiffraction_pixel_size\b"), "--diffraction-pixel"),
    (re.compile(r"\bimage_pixel_size\b"), "--image-pixel"),
    (re.compile(r"\bcamera_length_mm\b"), "--camera-length"),
]


def cli_text(text: str) -> str:
    """A library message with its keyword arguments spelled as command-line flags."""
    for pattern, flag in _FLAGS:
        text = pattern.sub(flag, text)
    return text.replace(" .", ".")


def message(error: BaseException) -> str:
    if isinstance(error, OSError):
        reason = error.strerror or str(error)
        return f"{error.filename}: {reason}" if error.filename else reason
    return str(error).replace("\n", " ")


# -- argument types ---------------------------------------------------------------------

def scan_shape(text: str):
    value = text.strip().lower()
    if value in ("auto", "none"):
        return None if value == "none" else "auto"
    parts = [p for p in re.split(r"[,x×\s]+", value) if p]
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        dims = ()
    if not dims or any(d < 1 for d in dims):
        raise argparse.ArgumentTypeError(
            f"expected ROWS,COLS (e.g. 64,64; any number of positive sizes) or 'auto', "
            f"got {text!r}")
    return dims


def pair(kind, sep=r"[,x×\s]+", example="1200x500"):
    def parse(text: str):
        parts = [p for p in re.split(sep, text.strip().lower()) if p]
        try:
            values = tuple(kind(p) for p in parts)
        except ValueError:
            values = ()
        if len(values) != 2:
            raise argparse.ArgumentTypeError(f"expected two numbers like {example}, got "
                                             f"{text!r}")
        return values
    return parse


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def nonneg_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def add_scan_options(p, default_shape=None):
    g = p.add_argument_group("scan options (as tvips_ks.open)")
    shape_help = ("ROWS,COLS (any number of sizes, e.g. 64,64 or 10,64,64) or 'auto' to "
                  "detect it" + (f" (default: {default_shape})" if default_shape else
                                 " (default: the frames as a stack)"))
    g.add_argument("--scan-shape", type=scan_shape, default=default_shape, metavar="SHAPE",
                   help=shape_help)
    g.add_argument("--scan-start-frame", type=int, default=0, metavar="N",
                   help="frame at the first scan position (default 0; may be negative)")
    g.add_argument("--winding", choices=("x", "y"), default=None,
                   help="snake scan: reverse every other row (x) or column (y)")
    g.add_argument("--hysteresis", type=int, default=0, metavar="N",
                   help="cyclic shift of the reversed rows of a snake scan")
    g.add_argument("--pad", action="store_true",
                   help="let the scan run past the last frame (missing positions are zeros)")
    add_calibration_options(p)


def add_calibration_options(p):
    g = p.add_argument_group("calibration options (as tvips_ks.open; the format records none "
                             "of these)")
    g.add_argument("--scan-step", default=None, metavar="STEP",
                   help="scan step with its unit: 2.5nm, or 2.5,3nm for y,x (pm, A, nm, um, mm)")
    g.add_argument("--diffraction-pixel", default=None, metavar="SIZE",
                   help="diffraction pixel size: 0.01/nm, 0.001/A or 0.05mrad")
    g.add_argument("--image-pixel", default=None, metavar="SIZE",
                   help="image pixel size with its unit, e.g. 0.5nm")
    g.add_argument("--camera-length", default=None, metavar="LENGTH",
                   help="camera length: 250mm (or cm, m)")


@dataclasses.dataclass(frozen=True)
class CommandOptions(ScanOptions):
    """The scan options and the calibration given on the command line.

    A :class:`ScanOptions` whose ``as_open_kwargs`` gives the calibration too,
    so every command that opens with the scan options opens calibrated.
    """

    calibration: Calibration = Calibration()

    def as_open_kwargs(self) -> dict:
        return {**super().as_open_kwargs(), **self.calibration.as_open_kwargs()}


def calibration(args) -> Calibration:
    """The calibration given on the command line, checked as ``open`` checks it."""
    return Calibration.from_arguments(getattr(args, "scan_step", None),
                                      getattr(args, "diffraction_pixel", None),
                                      getattr(args, "image_pixel", None),
                                      getattr(args, "camera_length", None))


def scan_options(args) -> CommandOptions:
    """The scan options (and calibration) given on the command line, checked as ``open`` does."""
    scan = ScanOptions.from_arguments(args.scan_shape, args.scan_start_frame, args.winding,
                                      args.hysteresis, args.pad)
    values = {f.name: getattr(scan, f.name) for f in dataclasses.fields(ScanOptions)}
    return CommandOptions(**values, calibration=calibration(args))


# -- formatting -----------------------------------------------------------------------

def fmt_bytes(n: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def fmt_float(value) -> str:
    return str(np.float32(value))


def kv(key: str, value: str = "", width: int = 14) -> None:
    lines = value.split("\n") if value else [""]
    out(f"{key + ':':<{width}}{lines[0]}".rstrip())
    for line in lines[1:]:
        out(f"{'':<{width}}{line}".rstrip())


def wrap(items, width=84) -> str:
    return "\n".join(textwrap.wrap(", ".join(items), width=width, break_on_hyphens=False)
                     or [""])
