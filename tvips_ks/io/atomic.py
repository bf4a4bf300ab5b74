"""Outputs that appear whole or not at all.

Every output of the library (series parts, conversions, previews) is written
under a hidden temporary name beside its final name and moved into place
only when all of it is written.  Files that the new outputs replace (with the
caller's consent) are first moved aside to hidden backups and removed only
after the new files are in place; if anything fails, the new files are
removed and the backups put back, so the old outputs are left byte for byte
as they were.  Renames within one directory never copy data.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from pathlib import Path

from ..errors import TvipsWarning, WriteError, warn

__all__ = ["AtomicOutputs"]


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def _remove_quietly(paths) -> None:
    for path in paths:
        try:
            _remove(path)
        except OSError:
            pass


class AtomicOutputs:
    """``with AtomicOutputs(finals, replace=old) as temps:`` write ``temps``, then all move.

    ``finals`` are the paths the outputs get; ``replace`` the existing paths
    they supersede (the caller has the user's consent), which may include
    paths that no new output takes (the surplus parts of a longer series).
    An ``OSError`` while writing or moving becomes a :class:`WriteError`
    naming the final file, with the ``OSError`` as its cause.
    """

    def __init__(self, finals, *, replace=()):
        self.finals = [Path(p) for p in finals]
        self.replace = [Path(p) for p in replace]
        self.token = uuid.uuid4().hex[:8]
        self.temps = [p.with_name(f".{p.name}.{self.token}.partial") for p in self.finals]

    def __enter__(self) -> list[Path]:
        return self.temps

    @staticmethod
    def reserve(temp: Path, nbytes: int) -> None:
        """Claim ``nbytes`` of disk for ``temp`` before a writer that cannot survive a full disk.

        HDF5 crashes the interpreter when a write fails inside it (h5py cannot
        release the file's objects afterwards), so room is proven first: a full
        disk or a file-size limit then fails here, as an ``OSError`` the
        context turns into a :class:`WriteError`.  The file is left empty for
        the writer, which truncates it anyway.
        """
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            try:
                os.posix_fallocate(fd, 0, max(int(nbytes), 1))
            except OSError as err:
                if err.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
                    raise  # a file system without fallocate proves nothing either way
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            _remove_quietly(self.temps)
            if isinstance(exc, OSError):
                raise self._write_error(exc) from exc
            return False
        try:
            self._commit()
        except OSError as err:
            raise self._write_error(err) from err
        return False

    def _final_of(self, err: OSError) -> Path:
        for name in (err.filename, getattr(err, "filename2", None)):
            if name is None:
                continue
            name = Path(os.fsdecode(name))
            for temp, final in zip(self.temps, self.finals):
                if name == temp or temp in name.parents or name == final:
                    return final
        return self.finals[0]

    def _write_error(self, err: OSError) -> WriteError:
        final = self._final_of(err)
        reason = err.strerror or str(err)
        return WriteError(f"cannot write the file: {reason}; nothing was written (an existing "
                          f"file of that name is unchanged): free space or choose a writable "
                          f"directory, then try again", path=final)

    def _commit(self) -> None:
        backups = [p.with_name(f".{p.name}.{self.token}.old") for p in self.replace]
        moved_aside, placed = [], []
        try:
            for old, backup in zip(self.replace, backups):
                os.replace(old, backup)
                moved_aside.append((old, backup))
            for temp, final in zip(self.temps, self.finals):
                os.replace(temp, final)
                placed.append(final)
        except BaseException as err:
            _remove_quietly(placed)
            _remove_quietly(self.temps)
            lost = []
            for old, backup in moved_aside:
                try:
                    os.replace(backup, old)
                except OSError:
                    lost.append((old, backup))
            if lost:  # never delete a backup we could not restore: name it instead
                names = ", ".join(f"{b.name} (was {o.name})" for o, b in lost)
                raise WriteError(
                    f"writing the new files failed ({err!r}) and the previous files could not "
                    f"be renamed back; they are intact under the hidden names {names}: rename "
                    f"them back by hand", path=lost[0][1]) from err
            raise
        leftover = []
        for backup in backups:
            try:
                _remove(backup)
            except OSError:
                leftover.append(backup)
        if leftover:
            warn(TvipsWarning(
                f"the new files are in place, but the previous ones could not be removed: "
                f"{', '.join(str(p) for p in leftover)}; delete them by hand"))


