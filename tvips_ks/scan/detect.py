"""Automatic scan detection: shape, start frame and snake of a TVIPS series.

Nothing in a TVIPS file states the scan.  :func:`detect_scan` works it out
from what the acquisition software left behind, trying in order:

1. **Scan positions** (``scan_x``/``scan_y``, EM-Scan): the raster itself.
   The scan starts at the first row 0 that is followed by row 1 (for a
   fly-back scan: the first frame at (y, x) = (0, 0) followed by (0, 1));
   the row length comes from row 1, the height from the rows that follow
   until the positions drop back, and an incomplete last row is left out.
   Fly-back and snake scans (rows alternating direction) are recognised.
2. **Rotator index** (``rotator_index``, EM-Konos): the 1-based scan-point
   number, which repeats and skips.  The scan runs from the first increase
   to the last increase before the value drops (or the series ends); the
   number of points N is the largest value.  Square when N is a perfect
   square; otherwise the row length comes from the image content (3.) and
   must divide N.
3. **Image content**: one pass over the frames gives several virtual
   detectors (bright field, annular dark field, centre of mass) and the
   principal components of the binned patterns; beam-blanked or constant
   frames before and after the scan are set aside, and every fly-back and
   snake layout of the candidate row lengths is scored by how alike
   vertical neighbours are (:mod:`.layouts`).  A shape that explains every
   frame is preferred, and the winner must beat every rival clearly, or
   the method refuses naming the two best layouts.  Without frames set
   aside the start is frame 0, since the content does not show where a row
   begins.

The result's ``frame_index`` is the detected position -> frame map (what a
reader should use); ``as_open_kwargs()`` gives the equivalent arguments of
``open`` where they can express it (see ``ScanDetection.kwargs_exact``).
Headers alone decide methods 1 and 2 unless ``image_content=True`` asks for
the frames too (to tell a rotator scan's fly-back from snake); the frames
are read, once and in chunks, only when needed.

A detection that is not confident raises :class:`ScanDetectionError` saying
what was found and which arguments to pass to ``open``.  Everything is
vectorised numpy; the only Python loops run over candidate row lengths,
hysteresis shifts and chunks of frames, never over frames.
"""

from __future__ import annotations

import numpy as np

from ..errors import ArgumentError, ScanDetectionError
from .content import from_image
from .hysteresis import refine_hysteresis
from .positions import from_positions
from .result import ScanDetection
from .rotator import from_rotator

__all__ = ["ScanDetection", "detect_scan"]


def detect_scan(ds_or_headers, frames=None, *, image_content=None) -> ScanDetection:
    """Detect the scan of a TVIPS series.

    Parameters
    ----------
    ds_or_headers :
        A dataset with ``.frame_headers`` (a numpy structured array with any
        of the fields ``scan_x``, ``scan_y``, ``rotator_index``) and
        ``.frames`` (an ``(N, h, w)`` array-like), or the structured array of
        frame headers itself, or None when there are no headers.
    frames : array-like, optional
        The ``(N, h, w)`` frames, for the image-content method; defaults to
        the dataset's ``.frames``.
    image_content : None, True or False
        None (default): read the frames only when the headers cannot settle
        the scan.  True: for a rotator-index scan also decide fly-back or
        snake and the hysteresis from the image content, and for a
        scan-position snake check its hysteresis against the image content
        (positions can be where the beam was sent rather than where it
        was); one pass over the scan's frames.  False: never read frames.

    Returns
    -------
    ScanDetection

    Raises
    ------
    ScanDetectionError
        When no method gives a confident result.
    """
    headers, frames = _inputs(ds_or_headers, frames)
    if image_content is False:
        frames = None
    num_frames = len(headers) if headers is not None else len(frames)
    notes = []  # what each method found, for the final error message

    if headers is None:
        notes.append("no frame headers")
    else:
        found = from_positions(headers, num_frames, notes)
        if found is not None and image_content is True and frames is not None \
                and found.winding_scan_axis == "x" and found.kwargs_exact:
            # Positions may be where the beam was sent, not where it was.
            found = refine_hysteresis(found, frames, num_frames, headers)
        if found is not None:
            return found
        found = from_rotator(headers, num_frames, frames, image_content, notes)
        if found is not None:
            return found
    if frames is None:
        notes.append("image content: no frames to look at")
        raise ScanDetectionError(
            "could not detect the scan: " + "; ".join(notes)
            + ". Pass scan_shape=(rows, cols) and scan_start_frame=k to open().")
    return from_image(frames, num_frames, notes)


# -- inputs ---------------------------------------------------------------------------

def _inputs(ds_or_headers, frames):
    if hasattr(ds_or_headers, "frame_headers"):
        headers = ds_or_headers.frame_headers
        if frames is None:
            frames = getattr(ds_or_headers, "frames", None)
    else:
        headers = ds_or_headers
    if headers is not None:
        headers = np.asarray(headers)
        if headers.dtype.names is None or headers.ndim != 1:
            raise ArgumentError(
                "frame headers must be a 1-D numpy structured array, got "
                f"dtype {headers.dtype} and shape {headers.shape}")
    if headers is None and frames is None:
        raise ArgumentError("detect_scan needs frame headers or frames")
    if headers is not None and frames is not None and len(frames) != len(headers):
        raise ArgumentError(
            f"{len(headers)} frame headers but {len(frames)} frames")
    return headers, frames


