"""Which files make up a series: ``stem_000.tvips``, ``stem_001.tvips``, … or one file.

A part is ``<stem>_<NNN>.<ext>`` with exactly three digits and the extension
``tvips`` in any case.  Only files with exactly the same stem and extension
belong to a series, so a neighbouring series (``stem_b_000.tvips``) is never
mixed in, and numbering must run from 000 without gaps.

A ``.tvips`` file without a part number (``scan.tvips``, as an unsplit camera
file or a renamed one) is a series of its own, of one part, unless the
numbered series ``scan_000.tvips`` … exists beside it: then the numbered
series is opened and :attr:`SeriesFiles.shadowed` names the other file.
Writing always produces numbered parts.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ArgumentError, SeriesError, TvipsWarning, warn
from .files import os_error

__all__ = ["SeriesName", "SeriesFiles", "parse_series_name", "list_parts", "find_parts"]

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

    @property
    def unnumbered(self) -> Path:
        """``stem.ext``: a single-file series of this name."""
        return self.directory / f"{self.stem}{self.ext}"

    def numbers(self) -> list[int]:
        """Part numbers present in the directory, sorted (``OSError`` if unlistable)."""
        pattern = re.compile(re.escape(self.stem) + r"_(\d{3})" + re.escape(self.ext) + "$")
        entries = os.listdir(self.directory or ".")
        return sorted(int(m.group(1)) for m in map(pattern.match, entries) if m)


def parse_series_name(path: str | os.PathLike) -> tuple[SeriesName, int | None]:
    """Split a path into its series name and part number.

    ``scan_001.tvips`` gives (scan, 1); ``scan.tvips`` gives (scan, None):
    the numbered series ``scan_000.tvips`` … or the single file itself.
    The directory is made absolute, so that a series found here stays
    found after ``os.chdir`` and on a worker started elsewhere.
    """
    try:
        path = Path(os.path.abspath(os.fsdecode(path)))  # bytes paths too (non-UTF-8 names)
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
        "not a TVIPS file name: expected NAME_000.tvips (a series NAME_000.tvips, "
        "NAME_001.tvips, …) or NAME.tvips (a single file, or the series of that name)",
        path=path)


def series_title(path: str | os.PathLike) -> str:
    """The series' name alone: ``scan`` for ``…/scan_001.tvips`` or ``…/scan.tvips``."""
    return parse_series_name(path)[0].stem


@dataclass(frozen=True)
class SeriesFiles:
    """The files of one series as found on disk."""

    name: SeriesName
    parts: list[Path]                 #: the parts read, ``_000`` (or the single file) first
    after_gap: list[Path] = field(default_factory=list)  #: numbered parts after a gap
    missing: Path | None = None       #: the first missing part number, if there is a gap
    single: bool = False              #: an un-numbered single file
    shadowed: Path | None = None      #: an un-numbered file passed while the numbered series won

    @property
    def first(self) -> Path:
        return self.parts[0]


def _exists(path: Path) -> bool:
    try:
        os.stat(path)
    except FileNotFoundError:
        return False
    except OSError as err:  # a link loop, a permission problem, a name too long, …
        raise os_error(err, path) from None
    return True


_DIGITS = re.compile(r"^(?P<stem>.*?)(?P<number>\d{3})$")


def _warn_of_unmarked_parts(name: SeriesName) -> None:
    """A single file ``Image000.tvips`` next to ``Image001.tvips`` is likely a split series
    whose parts lack the underscore (a docstring in Leginon names them so)."""
    match = _DIGITS.match(name.stem)
    if not match:
        return
    following = name.directory / (f"{match['stem']}{int(match['number']) + 1:03d}{name.ext}")
    if _exists(following):
        warn(TvipsWarning(
            f"{name.unnumbered} is read as a single file, but {following.name} beside it looks "
            f"like its next part; if it is, rename the parts {match['stem']}_000{name.ext}, "
            f"{match['stem']}_001{name.ext}, … to read them as one series"))


def list_parts(path: str | os.PathLike) -> SeriesFiles:
    """The files of the series that ``path`` names, as found on disk.

    Raises :class:`SeriesError` when the first part (``_000``, or the single
    file) is missing or unusable: it holds the main header.  A gap in the
    numbering is reported in the result, not raised (see :func:`find_parts`).
    """
    name, index = parse_series_name(path)
    first = name.part(0)
    shadowed = None
    if not _exists(first):
        single = name.unnumbered
        if index is None and _exists(single):
            if single.is_dir():
                raise SeriesError("is a directory, not a TVIPS file; give the path of a .tvips "
                                  "file", path=single)
            _warn_of_unmarked_parts(name)
            return SeriesFiles(name, [single], single=True)
        if os.path.lexists(first):
            raise SeriesError(f"the first part {first.name} is a symbolic link to a file that "
                              f"does not exist; fix the link", path=first)
        if index is None:
            raise SeriesError(f"neither {single.name} nor the first part {first.name} of a "
                              f"series of that name exists; check the path", path=single)
        raise SeriesError(f"the first part {first.name} of this series does not exist; "
                          f"it holds the main header, so the series cannot be read without it",
                          path=first)
    if index is None and _exists(name.unnumbered):
        shadowed = name.unnumbered
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
        return SeriesFiles(name, [name.part(n) for n in numbers], shadowed=shadowed)
    return SeriesFiles(name, [name.part(n) for n in numbers[:gap]],
                       [name.part(n) for n in numbers[gap:]], name.part(gap), shadowed=shadowed)


def find_parts(path: str | os.PathLike) -> SeriesFiles:
    """:func:`list_parts`, refusing a gap in the numbering.

    A part after the gap would otherwise be silently dropped.
    """
    found = list_parts(path)
    if found.missing is not None:
        later = [p.name for p in found.after_gap]
        raise SeriesError(
            f"part {found.missing.name} is missing but later parts exist "
            f"({', '.join(later[:3])}{', …' if len(later) > 3 else ''}); restore the missing "
            f"part, or move the later parts away to read the series up to the gap",
            path=found.missing)
    return found
