"""Every frame header of a series in one structured array, read in bulk.

The headers of consecutive records are one record apart, so a strided dtype
over a map of the records reads a field of thousands of frames in one numpy
operation.  Maps cover at most 64 MiB and are dropped in turn, so the
resident pages stay bounded however large the series is.
"""

from __future__ import annotations

import numpy as np

from ..format import frame_header_dtype
from .gather import map_records
from .parts import PartTable

__all__ = ["read_frame_headers"]

#: Frame headers are read through maps of at most this many bytes.
_WINDOW_BYTES = 64 * 2**20


def read_frame_headers(table: PartTable, *, names: tuple[str, ...] | None = None,
                       padding: bool = False) -> np.ndarray:
    """Every frame header of the series as one packed structured array.

    ``names`` picks fields (those the header size holds); default all.
    ``padding=True`` adds the bytes after the last whole known field.
    """
    layout = table.layout
    full = frame_header_dtype(layout.len_frame_header, padding=padding)
    keep = [n for n in full.names if names is None or n in names]
    out_dtype = np.dtype([(n, full.fields[n][0]) for n in keep]) if names else full
    strided = np.dtype({"names": keep,
                        "formats": [full.fields[n][0] for n in keep],
                        "offsets": [full.fields[n][1] for n in keep],
                        "itemsize": layout.len_record})
    out = np.empty(table.num_frames, dtype=out_dtype)
    window = max(1, _WINDOW_BYTES // layout.len_record)
    for part in table.used:
        for start in range(0, part.num_frames, window):
            count = min(window, part.num_frames - start)
            view = map_records(part, start, count, strided)
            dest = out[part.first_frame + start:part.first_frame + start + count]
            for name in keep:
                dest[name] = view[name]
            del view
    return out
