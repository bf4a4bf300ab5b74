"""A one-look PNG of a scan: is the scan shape, start frame and snake right, and the beam?

Drawn with matplotlib's Agg canvas (no display, no pyplot state) from a
:func:`tvips_ks.quicklook` of the series (one pass over it):

* top left: the virtual bright field (VBF, mean of an aperture of each frame)
  of every scan position.  A right scan gives a clean image of the specimen; a
  wrong row length shears it, a wrong start frame shifts rows, a wrong
  snake/hysteresis makes alternate rows jagged.
* top right: per frame, the scan positions ``scan_x``/``scan_y`` (EM-Scan) or
  the ``rotator_index`` (EM-Konos) when the headers hold them, else the VBF
  itself, with the frame-by-frame VBF in grey behind, the scan's first and
  last frames marked, and a suggested scan start when there is no scan.
* bottom: the mean and the maximum pattern (log scale) with the beam centre
  (+) and the VBF aperture (circle), and the numbers in words.
"""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import numpy as np

from ..errors import ArgumentError, require
from ..io.atomic import AtomicOutputs
from .quicklook import quicklook

__all__ = ["render_preview", "DEFAULT_SIZE"]

#: Default image size in pixels (width, height).
DEFAULT_SIZE = (1200, 900)
_DPI = 100


def _scan_image(image: np.ndarray) -> tuple[np.ndarray, str]:
    if image.ndim == 1:
        return image[None, :], ""
    if image.ndim > 2:
        lead = image.shape[:-2]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns (padding)
            image = np.nanmean(image.reshape(-1, *image.shape[-2:]), axis=0)
        return image, f" (mean over the leading axes {lead})"
    return image, ""


def _has(headers, name) -> bool:
    return headers is not None and name in headers.dtype.names


def _pattern(fig, ax, pattern, look, title):
    shown = np.log1p(np.clip(np.asarray(pattern, np.float64) - float(np.min(pattern)), 0, None))
    image = ax.imshow(shown, cmap="gray", interpolation="nearest")
    cax = ax.inset_axes([1.03, 0.0, 0.045, 1.0])
    fig.colorbar(image, cax=cax)
    cax.tick_params(labelsize=7)
    y, x = look.beam_center
    ax.plot([x], [y], marker="+", color="tab:red", markersize=14, mew=1.5,
            label="beam centre")
    circle = _circle(look.vbf_center, look.vbf_radius)
    ax.plot(circle[1], circle[0], color="tab:cyan", lw=1, label="VBF aperture")
    ax.set_xlim(-0.5, pattern.shape[1] - 0.5)
    ax.set_ylim(pattern.shape[0] - 0.5, -0.5)
    ax.set_title(f"{title}, log(1 + counts − min)", fontsize=9)
    ax.set_xlabel("x (pixel)", fontsize=8)
    ax.set_ylabel("y (pixel)", fontsize=8)
    ax.tick_params(labelsize=7)


def _circle(center, radius):
    t = np.linspace(0, 2 * np.pi, 181)
    return center[0] + radius * np.sin(t), center[1] + radius * np.cos(t)


def _numbers(look) -> str:
    cy, cx = look.vbf_center
    lines = [f"beam centre: {look.describe_beam_center()}", "",
             f"VBF aperture: centre (y, x) = ({cy:.2f}, {cx:.2f}) px, radius "
             f"{look.vbf_radius:.2f} px ({look.vbf_aperture})", ""]
    if look.suggested_scan_start is not None:
        lines.append(f"suggested scan start: frame {look.suggested_scan_start.frame} "
                     f"(not applied): {look.suggested_scan_start.evidence}")
    else:
        lines.append(f"scan start: {look.scan_start_note}")
    return "\n".join(textwrap.fill(line, 52) if line else "" for line in lines)


def render_preview(ds, out, *, size=DEFAULT_SIZE, radius=None, center=None, look=None,
                   note: str | None = None, title: str | None = None, overwrite: bool = False,
                   progress=None) -> dict:
    """Draw the preview of ``ds`` (opened with its scan options) into the PNG ``out``.

    ``center`` ``(y, x)`` and ``radius`` (pixels) give the VBF aperture
    (default: a disc around the beam centre); ``look`` is the
    :func:`tvips_ks.quicklook` of ``ds`` if already computed.  ``note``
    replaces the scan image with a message (used when no scan could be
    found); ``title`` is added to the figure's title (e.g. the scan options
    given).  An existing ``out`` is replaced only with ``overwrite=True``.
    Returns a summary: ``path``, ``size``, ``panel`` (what the right panel
    plots), ``scan_frames`` (first and last frame of the scan, or None) and
    ``look`` (the quick look).
    """
    matplotlib = require("matplotlib", extra="preview", purpose="preview")
    Figure = require("matplotlib.figure", extra="preview", purpose="preview").Figure
    out = Path(out).absolute()
    if out.suffix.lower() != ".png":
        raise ArgumentError(f"the preview is a PNG image: name the output *.png, not "
                            f"{out.name!r}")
    if not out.parent.is_dir():
        raise ArgumentError(f"the directory {out.parent} does not exist")
    existing = [out] if out.exists() or out.is_symlink() else []
    if existing and not overwrite:
        raise ArgumentError(f"{out} exists; pass overwrite=True (--overwrite) to replace it")
    width, height = (int(v) for v in size)
    if width < 200 or height < 150 or width > 20000 or height > 20000:
        raise ArgumentError(f"the image size {width}x{height} is out of range "
                            f"(200x150 to 20000x20000 pixels)")

    if look is None:
        look = quicklook(ds, vbf_center=center, vbf_radius=radius, progress=progress)
    vbf = look.vbf
    headers = ds.frame_headers
    n = ds.num_frames
    frame_numbers = np.arange(n)
    scan_frames = None
    if ds.frame_index is not None and (ds.frame_index >= 0).any():
        used = ds.frame_index[ds.frame_index >= 0]
        scan_frames = (int(used.min()), int(used.max()))

    fig = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI, layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.05])
    left, right = top.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.35]})
    mean_ax, max_ax, text_ax = bottom.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 0.9]})

    # -- left: the VBF image of the scan ----------------------------------------------
    if note and look.suggested_scan_start is not None:
        note += f" --scan-start-frame {look.suggested_scan_start.frame} (suggested)"
    if ds.frame_index is None or note:
        left.set_axis_off()
        left.text(0.5, 0.5, note or "no scan shape given", ha="center", va="center",
                  wrap=True, fontsize=10, transform=left.transAxes)
        left.set_title("virtual bright field: no scan")
    else:
        image, extra = _scan_image(look.vbf_image)
        shown = left.imshow(image, cmap="gray", interpolation="nearest",
                            aspect="equal" if image.shape[0] > 1 else "auto")
        cax = left.inset_axes([1.03, 0.0, 0.045, 1.0])  # as tall as the image, whatever its aspect
        fig.colorbar(shown, cax=cax)
        cax.tick_params(labelsize=8)
        shape = " × ".join(str(s) for s in ds.frame_index.shape)
        start = ds.scan.scan_start_frame if ds.scan is not None else scan_frames[0]
        left.set_title(f"virtual bright field (aperture mean, counts/pixel)\n{shape} scan from "
                       f"frame {start}{extra}", fontsize=10)
        left.set_xlabel("x (scan column)")
        left.set_ylabel("y (scan row)")

    # -- right: the per-frame scan signal ----------------------------------------------
    def varies(name):
        return _has(headers, name) and n > 1 and not (headers[name] == headers[name][0]).all()

    if varies("scan_x") or varies("scan_y"):
        panel = "scan_position"
        right.step(frame_numbers, headers["scan_x"], where="post", lw=1, label="scan_x")
        right.step(frame_numbers, headers["scan_y"], where="post", lw=1, label="scan_y")
        right.set_ylabel("scan position")
    elif varies("rotator_index"):
        panel = "rotator_index"
        right.step(frame_numbers, headers["rotator_index"].astype(np.int64), where="post",
                   lw=1, label="rotator_index")
        right.set_ylabel("rotator index")
    else:
        panel = "vbf"
        right.plot(frame_numbers, vbf, lw=0.8, color="0.3", label="VBF")
        right.set_ylabel("aperture mean (counts/pixel)")
    if panel != "vbf":
        twin = right.twinx()
        twin.plot(frame_numbers, vbf, lw=0.6, color="0.6", alpha=0.7, zorder=0)
        twin.set_ylabel("VBF (grey)", color="0.45")
        twin.tick_params(axis="y", colors="0.45")
        right.set_zorder(twin.get_zorder() + 1)
        right.patch.set_visible(False)
    if scan_frames is not None:
        first, last = scan_frames
        right.axvspan(first, last, color="tab:green", alpha=0.08, lw=0)
        right.axvline(first, color="tab:green", lw=1.2, ls="--",
                      label=f"start (frame {first})")
        right.axvline(last, color="tab:red", lw=1.2, ls="--",
                      label=f"end (frame {last})")
    if look.suggested_scan_start is not None:
        start = look.suggested_scan_start.frame
        right.axvline(start, color="tab:orange", lw=1.4, ls="-.",
                      label=f"suggested start (frame {start})")
    right.set_xlabel("frame number")
    right.set_xlim(-0.5, max(n - 0.5, 0.5))
    right.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=4, fontsize=8,
                 frameon=False, borderaxespad=0.2, handlelength=1.5, columnspacing=1.0)
    what = {"scan_position": "scan positions", "rotator_index": "rotator index",
            "vbf": "virtual bright field"}[panel]
    right.set_title(f"{what} per frame ({n} frames)\n", fontsize=10)

    # -- bottom: the patterns, the beam centre, the aperture -----------------------------
    _pattern(fig, mean_ax, look.mean, look, f"mean pattern ({n} frames)")
    _pattern(fig, max_ax, look.maximum, look, "maximum pattern")
    mean_ax.legend(loc="upper left", fontsize=7, framealpha=0.7)
    text_ax.set_axis_off()
    text_ax.text(0.0, 1.0, _numbers(look), va="top", ha="left", fontsize=8.5,
                 transform=text_ax.transAxes)

    heading = Path(ds.path).name
    if ds.scan is not None:
        heading += f"  —  detected by {ds.scan.method}: {ds.scan.headline}"
    if title:
        heading += f"  —  {title}"
    fig.suptitle(heading, fontsize=10, wrap=True)

    with AtomicOutputs([out], replace=existing) as (temp,):
        fig.savefig(temp, dpi=_DPI, format="png", metadata={
            "Software": f"tvips-ks, matplotlib {matplotlib.__version__}"})
    return {"path": out, "size": (width, height), "panel": panel, "scan_frames": scan_frames,
            "look": look}
