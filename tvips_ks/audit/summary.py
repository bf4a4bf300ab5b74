"""What ``tvips-ks info`` shows about a series, as data.

:func:`summarize` opens the series permissively (a damaged series is
summarised, not refused), reads the frame headers once, and gathers the
parts, the layout, the main header, which frame-header fields vary, the time
span, the optics, the scan (as given, or detected) and the anomalies
``check`` finds.  The command line formats it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..calibration import Calibration
from ..dataset import TvipsDataset
from ..errors import ScanDetectionError, TvipsWarning
from ..format import RecordLayout, frame_header_fields, layout_usable
from ..generated import tables
from ..io.files import read_main_header
from ..io.naming import list_parts
from ..metadata import Metadata, writer_of
from ..scan.detect import ScanDetection, detect_scan
from ..scan.options import ScanOptions
from ..timing import TimeSpan, time_span
from .check import SeriesCheck, check_series

__all__ = ["SeriesSummary", "FieldSummary", "summarize"]


@dataclass(frozen=True)
class FieldSummary:
    """The frame-header fields of a series, by how their values behave."""

    len_frame_header: int
    num_known: int                #: known fields a header of this size holds whole
    known_end: int                #: end of the last whole known field
    varying: list[str]
    constant: list[tuple[str, object]]  #: (name, value) of constant non-zero fields
    zero: list[str]

    @property
    def padding(self) -> int:
        return self.len_frame_header - self.known_end


@dataclass
class SeriesSummary:
    path: Path                        #: the first part (or the single file)
    single: bool                      #: an un-numbered single file
    shadowed: Path | None             #: an un-numbered file left aside for the numbered series
    header: np.void
    writer: str                       #: who wrote it, from the filler
    usable: bool                      #: the header describes a record layout
    check: SeriesCheck
    layout: RecordLayout | None = None
    parts: list = field(default_factory=list)
    num_frames: int = 0
    fields: FieldSummary | None = None
    times: TimeSpan | None = None
    metadata: Metadata | None = None
    scan: ScanDetection | None = None  #: a detected scan
    scan_given: ScanOptions | None = None
    scan_error: str | None = None      #: why no scan was detected
    calibration: Calibration = Calibration()  #: as given


def field_summary(frame_headers: np.ndarray, len_frame_header: int) -> FieldSummary:
    """Which fields vary over the frames, which hold one non-zero value, which are zero."""
    fields = frame_header_fields(len_frame_header)
    end = max((f.offset + f.size for f in fields), default=0)
    varying, constant, zero = [], [], []
    for name in frame_headers.dtype.names:
        bits = np.ascontiguousarray(frame_headers[name]).view(np.uint32)
        if bits.size and (bits != bits[0]).any():
            varying.append(name)
        elif bits.size == 0 or bits[0] == 0:
            zero.append(name)
        else:
            constant.append((name, frame_headers[name][0]))
    return FieldSummary(len_frame_header, len(fields), end, varying, constant, zero)


def summarize(path, options: ScanOptions = ScanOptions(), *, detect: bool = True,
              max_anomalies: int | None = 5,
              calibration: Calibration = Calibration()) -> SeriesSummary:
    """Summarise a series (see the module doc); ``options`` are the scan options to show.

    ``calibration`` is applied to the metadata (its scan step only to a scan
    given in ``options``: a detected scan is shown, not opened).
    """
    found = list_parts(path)
    header = read_main_header(found.first)
    summary = SeriesSummary(found.first, found.single, found.shadowed, header,
                            writer_of(header), layout_usable(header), None)
    if not summary.usable:
        summary.check = check_series(path, max_per_kind=max_anomalies)
        return summary
    scan_given = isinstance(options.scan_shape, tuple)
    applied = calibration if scan_given else replace(calibration, scan_step=None,
                                                     scan_step_units=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TvipsWarning)
        ds = TvipsDataset(path, permissive=True, **(
            ScanOptions.as_open_kwargs(options) if scan_given else {}),
            **applied.as_open_kwargs())
    summary.calibration = calibration
    fh = ds.frame_headers
    summary.check = check_series(path, max_per_kind=max_anomalies, frame_headers=fh)
    summary.layout = ds.layout
    summary.parts = ds.files
    summary.num_frames = ds.num_frames
    summary.fields = field_summary(fh, ds.layout.len_frame_header)
    summary.times = time_span(fh)
    summary.metadata = ds.metadata
    if scan_given:
        summary.scan_given = options
    elif detect:
        try:
            summary.scan = detect_scan(fh, ds.frames)
        except ScanDetectionError as err:
            summary.scan_error = str(err)
    return summary


def enum_text(name: str, value) -> str | None:
    """The enum name of a field's value (``"diffraction"`` for tem_mode 2), if it has one."""
    spec_field = next((f for f in tables.FRAME_HEADER_FIELDS if f.id == name), None)
    if spec_field is None or not spec_field.enum:
        return None
    return tables.ENUMS.get(spec_field.enum, {}).get(int(value))
