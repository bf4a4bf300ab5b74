"""Finding the parts of a series: ``stem_000.tvips``, ``stem_001.tvips``, …

A part is ``<stem>_<NNN>.<ext>`` with exactly three digits and the extension
``tvips`` in any case.  Only files with exactly the same stem and extension
belong to a series, so a neighbouring series (``stem_b_000.tvips``) is never
mixed in, and numbering must run from 000 without gaps.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import ArgumentError, SeriesError

__all__ = ["SeriesName", "parse_series_name", "list_parts", "find_parts", "part_path"]

_PART = re.compile(r"^(?P<stem>.+)_(?P<index>\d{3})(?P<ext>\.tvips)$", re.IGNORECASE)
_BARE = re.compile(r"^(?P<stem>.+)(?P<ext>\.tvips)$", re.IGNORECASE)


@dataclass(frozen=True)
class SeriesName:
    """Where a series lives: ``directory / f"{stem}_{index:03d}{ext}"``."""

    directory: Path
    stem: str
    ext: str

    def part(self, index: int) -> Path:
        return self.directory / f"{self.stem}_{index:03d}{self.ext}"

    def numbers(self) -> list[int]:
        """Part numbers present in the directory, sorted (``OSError`` if unlistable)."""
        pattern = re.compile(re.escape(self.stem) + r"_(\d{3})" + re.escape(self.ext) + "$")
        entries = os.listdir(self.directory or ".")
        return sorted(int(m.group(1)) for m in map(pattern.match, entries) if m)


def parse_series_name(path: str | os.PathLike) -> tuple[SeriesName, int | None]:
    """Split a path into its series name and part number.

    ``scan_001.tvips`` gives (scan, 1); ``scan.tvips`` gives (scan, None),
    which names the series whose first part is ``scan_000.tvips``.
    """
    try:
        path = Path(os.fsdecode(path))  # bytes paths too (names that are not UTF-8)
    except TypeError:
        raise ArgumentError(f"expected a path (str or os.PathLike), got {type(path).__name__}"
                            ) from None
    match = _PART.match(path.name)
    if match:
        return SeriesName(path.parent, match["stem"], match["ext"]), int(match["index"])
    match = _BARE.match(path.name)
    if match:
        return SeriesName(path.parent, match["stem"], match["ext"]), None
    raise ArgumentError(
        "not a TVIPS file name: expected NAME_000.tvips (or NAME.tvips for the series "
        "NAME_000.tvips, NAME_001.tvips, …)", path=path)


def part_path(path: str | os.PathLike, index: int) -> Path:
    """The path of part ``index`` of the series that ``path`` names."""
    name, _ = parse_series_name(path)
    return name.part(index)


def list_parts(path: str | os.PathLike) -> tuple[list[Path], list[Path], Path | None]:
    """The parts of the series that ``path`` belongs to, as found on disk.

    Returns ``(consecutive, after_gap, missing)``: the parts numbered from 000
    without a gap, the parts after the first gap, and the first missing part
    (``None`` when there is no gap).  Raises :class:`SeriesError` when ``_000``
    itself is missing or unusable: it holds the main header.
    """
    name, index = parse_series_name(path)
    first = name.part(0)
    try:
        os.stat(first)
    except FileNotFoundError:
        given = Path(os.fsdecode(path))
        if index is None and given.is_file():
            raise SeriesError(
                f"{given.name} has no part number; TVIPS series are named NAME_000.tvips, "
                f"NAME_001.tvips, …: rename it to {first.name}", path=given) from None
        if os.path.lexists(first):
            raise SeriesError(f"the first part {first.name} is a symbolic link to a file that "
                              f"does not exist; fix the link", path=first) from None
        raise SeriesError(f"the first part {first.name} of this series does not exist; "
                          f"it holds the main header, so the series cannot be read without it",
                          path=first) from None
    except OSError as err:  # a link loop, a permission problem, a name too long, …
        from .reader import _os_error

        raise _os_error(err, first) from None
    if first.is_dir():
        raise SeriesError("is a directory, not a TVIPS file; give the path of a .tvips file",
                          path=first)

    try:
        numbers = name.numbers()
    except OSError as err:
        raise SeriesError(f"cannot list the directory to find the parts of the series: "
                          f"{err.strerror or err}; check the directory's permissions",
                          path=name.directory) from None
    gap = next((i for i, n in enumerate(numbers) if i != n), None)
    if gap is None:
        return [name.part(n) for n in numbers], [], None
    return ([name.part(n) for n in numbers[:gap]], [name.part(n) for n in numbers[gap:]],
            name.part(gap))


def find_parts(path: str | os.PathLike) -> list[Path]:
    """The parts of the series that ``path`` belongs to, ``_000`` first.

    Raises :class:`SeriesError` when ``_000`` is missing or the numbering has
    a gap (a part after the gap would otherwise be silently dropped).
    """
    parts, after_gap, missing = list_parts(path)
    if missing is not None:
        later = [p.name for p in after_gap]
        raise SeriesError(
            f"part {missing.name} is missing but later parts exist "
            f"({', '.join(later[:3])}{', …' if len(later) > 3 else ''}); restore the missing "
            f"part, or move the later parts away to read the series up to the gap",
            path=missing)
    return parts
