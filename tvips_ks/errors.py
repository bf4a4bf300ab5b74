"""The exception family of tvips-ks.

Every error the library raises on purpose is a :class:`TvipsError`, a
``ValueError`` subclass, so ``except ValueError`` in existing code keeps
working.  Messages name the file, the byte offset where it matters, and what
the user can do about it.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings

__all__ = [
    "TvipsError",
    "HeaderError",
    "SeriesError",
    "TruncatedRecordError",
    "ArgumentError",
    "ScanDetectionError",
    "WriteError",
    "MissingDependencyError",
    "TruncatedRecordWarning",
    "TvipsWarning",
    "warn",
    "require",
]


class TvipsError(ValueError):
    """Base class of every error raised by tvips-ks.

    ``path`` and ``offset`` are kept as attributes (``None`` when they do not
    apply) so that callers can act on them without parsing the message.
    """

    def __init__(self, message: str, *, path: str | os.PathLike | None = None,
                 offset: int | None = None):
        self.path = os.fspath(path) if path is not None else None
        self.offset = offset
        parts = []
        if self.path is not None:
            parts.append(self.path)
        if offset is not None:
            parts.append(f"byte {offset}")
        prefix = ": ".join(parts)
        text = f"{prefix}: {message}" if prefix else message
        # a file name that is not valid UTF-8 decodes to lone surrogates, which
        # cannot be printed or logged: show them as escapes in the message
        # (``path`` keeps the name as the file system gave it)
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        self._message = message
        super().__init__(text)

    @property
    def message(self) -> str:
        """The message without the file name and offset in front."""
        return self._message

    def __reduce__(self):
        # keep path and offset through pickling (dask.distributed, multiprocessing)
        return (_rebuild, (type(self), self._message, self.path, self.offset))


def _rebuild(cls, message, path, offset):
    return cls(message, path=path, offset=offset)


class HeaderError(TvipsError):
    """A main header or frame header that is not a valid TVIPS header."""


class SeriesError(TvipsError):
    """A series whose parts are missing, mismatched or stale."""


class TruncatedRecordError(TvipsError):
    """A part that does not hold a whole number of records where it must."""


class ArgumentError(TvipsError):
    """An argument that is out of range or inconsistent with the data."""


class ScanDetectionError(TvipsError):
    """Automatic scan detection was not confident enough to give a result."""


class WriteError(TvipsError):
    """Writing an output failed (a full disk, a read-only directory, …).

    The message names the file that was being written; the ``OSError`` is the
    ``__cause__``.  Nothing half-written is left behind, and a file that was to
    be replaced is left as it was.
    """


class MissingDependencyError(TvipsError, ImportError):
    """An optional dependency is not installed; the message gives the command to install it.

    Also an ``ImportError``, so ``except ImportError`` keeps working.
    """


class TvipsWarning(UserWarning):
    """Base class of the warnings tvips-ks emits."""


class TruncatedRecordWarning(TvipsWarning):
    """A trailing partial record was dropped (an acquisition stopped mid-frame)."""


_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def warn(warning: Warning) -> None:
    """Issue ``warning`` attributed to the first caller outside tvips-ks.

    The user sees the line of their own code that led to it, however deep in
    the library the warning arose.
    """
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(warning, stacklevel=level)


def require(module: str, *, extra: str, purpose: str):
    """Import an optional dependency, or raise :class:`MissingDependencyError` saying how to
    install it (``pip install 'tvips-ks[extra]'``)."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingDependencyError(
            f"{purpose} needs {module.split('.')[0]}, which is not installed ({err}): "
            f"pip install 'tvips-ks[{extra}]'") from None
