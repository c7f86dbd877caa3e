"""How instants are stored: UTC ISO 8601 text, which sorts as time does.

Kept in ``storage`` because the storage form is the database's concern; the
clocks in ``bot.core.clock`` re-use it, so the storage layer depends on nothing
above it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def to_iso(at: datetime) -> str:
    """Storage form of an instant: UTC ISO 8601, which sorts as text."""
    return at.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(raw: str) -> datetime:
    value = datetime.fromisoformat(raw)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
