"""What can go wrong with the database file, named for those who must act.

Two kinds, handled differently:

- the file cannot be *used* (``DatabaseUnusable``: damaged, not a database,
  unreadable, written by a newer Guichet): at start-up, the process stops with
  one line saying which file and what to do;
- the file cannot be *written right now* (``StorageUnavailable``: disk full,
  read-only, I/O error, locked past the busy timeout): while running, the person
  is told that nothing could be recorded, the event is left for the platform
  to deliver again, and everything works again once the cause is gone.
"""

from __future__ import annotations

import sqlite3

# Primary result codes (https://sqlite.org/rescode.html) of a file that is fine
# but cannot take a write now.
_UNAVAILABLE = {
    5: "locked",  # SQLITE_BUSY: another process held the lock past the busy timeout
    6: "locked",  # SQLITE_LOCKED
    8: "read-only",  # SQLITE_READONLY
    10: "I/O error",  # SQLITE_IOERR
    13: "full",  # SQLITE_FULL
    14: "cannot open",  # SQLITE_CANTOPEN (journal or WAL file)
}


class StorageUnavailable(sqlite3.OperationalError):
    """The database cannot be written now (``reason``: full, read-only, locked…)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class DatabaseUnusable(Exception):
    """The file cannot serve as Guichet's database; the message says what to do."""


class SchemaTooNew(DatabaseUnusable):
    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            f"written by a newer version of Guichet (schema {found}; this one knows "
            f"up to {known}): upgrade Guichet, or restore a backup made by this version"
        )
        self.found, self.known = found, known


def unavailable(exc: sqlite3.Error) -> StorageUnavailable | None:
    """``exc`` as a ``StorageUnavailable`` if it is one of those faults, else None."""
    if isinstance(exc, StorageUnavailable):
        return exc
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(exc, sqlite3.OperationalError) or code is None:
        return None
    reason = _UNAVAILABLE.get(code & 0xFF)
    return None if reason is None else StorageUnavailable(str(exc), reason)


def unusable(path: str, exc: sqlite3.Error) -> DatabaseUnusable:
    """A start-up failure on ``path``, as one line an operator can act on."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (11, 26):  # SQLITE_CORRUPT, SQLITE_NOTADB
        return DatabaseUnusable(
            f"{path} is damaged or is not a Guichet database ({exc}): put a backup "
            f"back with: guichet restore BACKUP --db {path}"
        )
    if code in (8, 14, 23):  # SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_AUTH
        return DatabaseUnusable(
            f"{path} cannot be opened for writing ({exc}): check that the file and its "
            "folder exist and belong to the user running Guichet"
        )
    if code in (10, 13):  # SQLITE_IOERR, SQLITE_FULL
        return DatabaseUnusable(f"{path} cannot be written ({exc}): check the disk")
    if code == 5:  # SQLITE_BUSY
        return DatabaseUnusable(
            f"{path} stayed locked by another process ({exc}): is a restore running?"
        )
    return DatabaseUnusable(f"{path} cannot be used ({exc}): guichet restore BACKUP --db {path}")
