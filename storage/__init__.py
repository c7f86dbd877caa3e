"""Storage: one SQLite connection in a thread of its own, numbered migrations,
one repository per aggregate."""

from storage.db import Database

__all__ = ["Database"]
