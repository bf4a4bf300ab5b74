"""Frame times: the one place that reads the time stamps of a series.

``timestamp_s`` + ``timestamp_ms`` of a frame are its Unix time in whole
milliseconds; the arithmetic stays in integers (no float epoch rounding).
The frame interval is the span over the frames, ``(last − first) / (n − 1)``,
so it is exact to a millisecond over the whole series even when frames come
faster than one per millisecond (the median of the rounded steps would say
1 ms at 3000 frames/s).  ``info``, the metadata, HyperSpy's time axis and
``check`` all use this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

__all__ = ["frame_times_ms", "TimeSpan", "time_span", "format_utc"]


def frame_times_ms(frame_headers: np.ndarray) -> np.ndarray:
    """Each frame's time in whole Unix milliseconds (int64)."""
    return (frame_headers["timestamp_s"].astype(np.int64) * 1000
            + frame_headers["timestamp_ms"].astype(np.int64))


def format_utc(ms: int) -> str:
    """``2024-05-17 09:30:00.000`` (UTC) for a time in Unix milliseconds."""
    return datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S.%f")[:-3]


@dataclass(frozen=True)
class TimeSpan:
    """The first and last frame times of a series and what follows from them."""

    first_ms: int | None
    last_ms: int | None
    num_frames: int

    @property
    def first(self) -> datetime | None:
        """The first frame's time, UTC-aware (the file's Unix time stamps are UTC)."""
        if self.first_ms is None:
            return None
        return datetime.fromtimestamp(self.first_ms // 1000, tz=timezone.utc).replace(
            microsecond=(self.first_ms % 1000) * 1000)

    @property
    def duration_s(self) -> float | None:
        if self.first_ms is None:
            return None
        return (self.last_ms - self.first_ms) / 1000.0

    @property
    def interval_s(self) -> float | None:
        """Seconds between frames over the whole series; None when time does not advance."""
        if self.num_frames < 2 or self.last_ms <= self.first_ms:
            return None
        return (self.last_ms - self.first_ms) / 1000.0 / (self.num_frames - 1)

    @property
    def frame_rate(self) -> float | None:
        interval = self.interval_s
        return None if interval is None else 1.0 / interval


def time_span(frame_headers: np.ndarray) -> TimeSpan:
    """The :class:`TimeSpan` of a series' frame headers."""
    n = len(frame_headers)
    if not n:
        return TimeSpan(None, None, 0)
    ends = frame_headers[[0, n - 1]]
    times = frame_times_ms(ends)
    return TimeSpan(int(times[0]), int(times[1]), n)
