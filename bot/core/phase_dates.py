"""Dates as the staff type them for a phase: ``01/03/2027 [9:00] 15/04/2027 [18:00]``.

French day-first or ISO days, an optional time after each, ``-`` for no end.
A last day without a time means the phase closes at the midnight after it,
as ``/calendrier`` shows it, so what the staff type and what people read agree.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from bot.core.clock import PARIS

NO_END = ("-", "–", "—", "…")
_DATE = re.compile(r"^(?:(\d{1,2})/(\d{1,2})/(\d{4})|(\d{4})-(\d{1,2})-(\d{1,2}))$")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2})|h(\d{2})?)$", re.IGNORECASE)


def _day(raw: str) -> date | None:
    match = _DATE.match(raw)
    if match is None:
        return None
    d, m, y, y2, m2, d2 = match.groups()
    try:
        return date(int(y or y2), int(m or m2), int(d or d2))
    except ValueError:
        return None


def _clock_time(raw: str) -> time | None:
    match = _TIME.match(raw)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or match.group(3) or 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def parse_dates(tokens: list[str]) -> tuple[datetime, datetime | None] | None:
    """``01/03/2027 [9:00] 15/04/2027 [18:00]`` or ``… -``: first and last day.

    Without a time a phase opens at midnight and closes at the midnight after
    its last day, as the calendar shows it.
    """
    items = list(tokens)
    bounds: list[datetime | None] = []
    for position in ("start", "end"):
        if not items:
            return None
        word = items.pop(0)
        if position == "end" and word in NO_END:
            bounds.append(None)
            continue
        day = _day(word)
        if day is None:
            return None
        at = _clock_time(items[0]) if items else None
        if at is not None:
            items.pop(0)
            bounds.append(datetime.combine(day, at, tzinfo=PARIS))
        elif position == "start":
            bounds.append(datetime.combine(day, time(0), tzinfo=PARIS))
        else:
            bounds.append(datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS))
    if items or bounds[0] is None:
        return None
    return bounds[0], bounds[1]
