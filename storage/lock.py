"""Who is using a database file: a lock file beside it, taken with ``flock``.

Every process that opens the database holds a shared lock on ``FILE.lock``
for as long as it keeps it open; ``guichet restore`` needs it exclusively.
So a restore cannot replace the file under a running bot (which would go on
confirming writes into the deleted file), and a bot cannot start in the
middle of a restore. ``flock`` rather than ``fcntl``'s record locks: those
belong to the process and vanish when any descriptor of the file is closed,
and SQLite itself opens and closes the database file. The kernel drops the
lock when the process dies, so a crash never leaves the file locked.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from storage.faults import DatabaseUnusable


class InUse(DatabaseUnusable):
    """Another process holds the lock in a way that excludes us."""


def lock_path(db_path: str | Path) -> Path:
    return Path(f"{db_path}.lock")


class FileLock:
    """A held ``flock`` on the lock file of a database; ``release`` to let go."""

    def __init__(self, db_path: str | Path, *, exclusive: bool) -> None:
        path = lock_path(db_path)
        try:
            self._fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except PermissionError:  # created by another user: reading is enough to lock
            self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise DatabaseUnusable(
                f"{path} cannot be opened for writing ({exc.strerror}): the folder of "
                f"{db_path} must exist and be writable by the user running Guichet "
                "(SQLite writes its journal there too)"
            ) from exc
        try:
            fcntl.flock(self._fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            self.release()
            if exclusive:
                raise InUse(
                    f"{db_path} is in use by a running Guichet process (guichet run, or "
                    "another command): stop it first, e.g. systemctl stop guichet"
                ) from None
            raise InUse(
                f"{db_path} is being restored (guichet restore): start again once it is done"
            ) from None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None
