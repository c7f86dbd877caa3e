"""Online copies of the database, and putting one back without losing anything.

SQLite's backup API copies page by page under the database's own locking, so
a copy taken during a broadcast is a snapshot, never a torn file. Both ways
write to a temporary file beside the target, check it, then rename it into
place: a failure at any point leaves the old file as it was.

A restore reads its source through an ``immutable`` read-only URI, so the
backup being restored is never written to (not even a journal mode or a
``-shm`` file), and it refuses while any process uses the database
(``storage.lock``): replacing the file under a running bot would let it go on
confirming writes into the deleted file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from storage.db import migration_files
from storage.faults import DatabaseUnusable
from storage.lock import FileLock

HEADER = b"SQLite format 3\x00"


class BadBackup(DatabaseUnusable):
    """The file given to restore (or a copy just written) is not one to use."""


@dataclass(frozen=True)
class Copied:
    pages: int
    version: int


async def copy(source: str | Path, destination: str | Path) -> Copied:
    """Copy the live ``source`` into ``destination``, checked before it takes the name."""
    return await asyncio.to_thread(_backup, str(source), Path(destination))


async def restore(source: str | Path, database: str | Path) -> Copied:
    """Check ``source``, then replace ``database`` with it, atomically.

    Raises ``InUse`` while a process uses ``database``, ``BadBackup`` when
    ``source`` is not a sound Guichet database this version knows.
    """
    return await asyncio.to_thread(_restore, Path(source), Path(database))


def _backup(source: str, destination: Path) -> Copied:
    if not Path(source).is_file():  # sqlite3.connect would create an empty one
        raise DatabaseUnusable(f"no database at {source}")
    temporary = _fresh(destination.with_name(f".{destination.name}.partial"))
    try:
        with _writing(temporary):
            with (
                _closing(sqlite3.connect(source)) as src,
                _closing(sqlite3.connect(temporary)) as dst,
            ):
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
        checked = inspect(temporary, "the copy")
        with _writing(destination):
            _fsync(temporary)
            os.replace(temporary, destination)
            _fsync_folder(destination)
    finally:
        _drop(temporary)
    again = inspect(destination, "the copy")  # what is on disk under its final name
    if again != checked:
        raise BadBackup(f"{destination} changed while it was checked")
    return checked


def _restore(source: Path, database: Path) -> Copied:
    if not source.is_file():
        raise BadBackup(f"no backup at {source}")
    exclusive = FileLock(database, exclusive=True)
    temporary = database.with_name(f".{database.name}.restoring")
    try:
        found = inspect(source, str(source))
        _fresh(temporary)
        with _writing(temporary):
            with _closing(_read_only(source)) as src, _closing(sqlite3.connect(temporary)) as dst:
                src.backup(dst)
        if inspect(temporary, "the restored copy") != found:
            raise BadBackup(f"the copy of {source} differs from it")
        with _writing(database):
            _fsync(temporary)
            os.replace(temporary, database)
            # The old file's write-ahead log must not be replayed onto the new one.
            for suffix in ("-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
            _fsync_folder(database)
        return found
    finally:
        _drop(temporary)
        exclusive.release()


def inspect(path: Path, label: str) -> Copied:
    """What a Guichet database file holds, read without writing to it; raise
    ``BadBackup`` if it is not SQLite, not Guichet's, too new or damaged."""
    try:
        with path.open("rb") as handle:
            header = handle.read(len(HEADER))
    except OSError as exc:
        raise BadBackup(f"{label} cannot be read: {exc.strerror}") from exc
    if header != HEADER:
        raise BadBackup(f"{label} is not an SQLite database")
    if Path(f"{path}-wal").exists() and Path(f"{path}-wal").stat().st_size > 0:
        raise BadBackup(
            f"{label} has a write-ahead log beside it ({path}-wal): take the copy "
            "with guichet backup instead of copying the live files"
        )
    known = len(migration_files())
    try:
        with _closing(_read_only(path)) as conn:
            found = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
            if found != ["ok"]:
                first = " ".join(found[0].split())[:200]  # one line, however SQLite wrote it
                raise BadBackup(
                    f"{label} is damaged: PRAGMA integrity_check found {len(found)} "
                    f"problem(s), the first: {first}"
                )
            has_versions = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
            ).fetchone()
            if has_versions is None:
                raise BadBackup(f"{label} is not a Guichet database")
            version = int(conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])
            pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise BadBackup(f"{label} is damaged: {exc}") from exc
    except TypeError as exc:  # MAX(version) of an empty table
        raise BadBackup(f"{label} is not a Guichet database") from exc
    if version > known:
        raise BadBackup(
            f"{label} was written by a newer version of Guichet (schema {version}; this one "
            f"knows up to {known}): restore it with that version"
        )
    return Copied(pages=pages, version=version)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1", uri=True)


def _fresh(path: Path) -> Path:
    """``path`` free for a new copy: a file left by an interrupted run is removed."""
    if path.is_file():
        path.unlink()
    return path


def _drop(path: Path) -> None:
    if path.is_file():
        path.unlink()


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """An error while writing ``path`` as one line for the operator."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        raise DatabaseUnusable(f"could not write {path}: {exc}") from exc


class _closing(contextlib.closing[sqlite3.Connection]):
    """``sqlite3.Connection`` as a context manager commits; this one closes."""


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(path: Path) -> None:
    """The rename itself survives a power cut only once the folder is synced."""
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
