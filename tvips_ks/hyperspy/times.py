"""HyperSpy's ``General.date``/``time``/``time_zone``, read and written."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone

from ..errors import TvipsWarning, warn

__all__ = ["iso_time", "parse_start", "get"]


def get(tree: Mapping, dotted: str):
    """``tree["A"]["B"]`` for ``"A.B"``, or None where a key is missing."""
    node = tree
    for key in dotted.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def iso_time(moment: datetime) -> str:
    """``HH:MM:SS``, or ``HH:MM:SS.mmm`` when there are milliseconds (the format's resolution)."""
    moment = moment + timedelta(microseconds=500)  # to the nearest millisecond, not truncated
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return moment.time().isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


def parse_start(metadata: Mapping):
    """General.date/time/time_zone as an aware datetime (UTC when no zone), or None."""
    day = get(metadata, "General.date")
    if not day:
        return None
    try:
        moment = datetime.combine(date.fromisoformat(str(day)), time())
    except ValueError:
        warn(TvipsWarning(f"General.date {day!r} is not an ISO date (YYYY-MM-DD); the time "
                          f"stamps are set to the time of writing"))
        return None
    clock = get(metadata, "General.time")
    if clock:
        try:
            parsed = time.fromisoformat(str(clock))
        except ValueError:
            warn(TvipsWarning(f"General.time {clock!r} is not an ISO time (HH:MM:SS); midnight "
                              f"is used"))
        else:
            moment = datetime.combine(moment.date(), parsed.replace(tzinfo=None))
            if parsed.tzinfo is not None:
                return moment.replace(tzinfo=parsed.tzinfo)
    return moment.replace(tzinfo=_zone(get(metadata, "General.time_zone")))


_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*(?P<sign>[+-])(?P<h>\d{1,2}):?(?P<m>\d{2})?$", re.IGNORECASE)


def _zone(name):
    """A tzinfo for HyperSpy's ``General.time_zone``: IANA names, offsets, "UTC"; None → UTC."""
    if name is None or (isinstance(name, str) and not name.strip()):
        return timezone.utc
    text = str(name).strip()
    if text.upper() in ("UTC", "Z", "GMT", "ZULU"):
        return timezone.utc
    match = _OFFSET.match(text)
    if match:
        delta = timedelta(hours=int(match["h"]), minutes=int(match["m"] or 0))
        return timezone(-delta if match["sign"] == "-" else delta)
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(text)
    except (ImportError, ValueError, OSError, KeyError):
        pass
    try:  # dateutil (a HyperSpy dependency) knows Windows names and a few more
        from dateutil import tz

        found = tz.gettz(text)
        if found is not None:
            return found
    except ImportError:  # pragma: no cover
        pass
    warn(TvipsWarning(f"General.time_zone {text!r} is not a known time zone (an IANA name such "
                      f"as 'Europe/Berlin', an offset such as '+02:00', or 'UTC'); the time is "
                      f"taken as UTC"))
    return timezone.utc
