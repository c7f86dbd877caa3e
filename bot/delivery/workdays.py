"""When a bulk message may reach people: working days, office hours, Paris time.

Announcements, reminders and broadcasts go to mayors' and agents' phones;
nobody should be woken up by one, so they are held to the hours of the
consultation's ``send_hours`` setting on working days (Monday to Friday,
French public holidays excluded). The holidays are those of metropolitan
France; Alsace-Moselle's two extra days and overseas days are not counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from bot.core.clock import PARIS
from bot.core.limits import SEND_HOURS


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def french_holidays(year: int) -> frozenset[date]:
    sunday = easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    movable = [sunday + timedelta(days=n) for n in (1, 39, 50)]  # Monday, Ascension, Whit Monday
    return frozenset([date(year, m, d) for m, d in fixed] + movable)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in french_holidays(day.year)


@dataclass(frozen=True)
class SendWindow:
    """Office hours on working days, Europe/Paris: ``start`` ≤ hour < ``end``."""

    start: int = SEND_HOURS[0]
    end: int = SEND_HOURS[1]

    @classmethod
    def from_settings(cls, settings: dict[str, object]) -> SendWindow:
        """The consultation's ``send_hours`` ([9, 19]), or the default when unusable."""
        raw = settings.get("send_hours")
        if isinstance(raw, Iterable) and not isinstance(raw, str | bytes):
            hours = list(raw)
            if (
                len(hours) == 2
                and all(isinstance(h, int) for h in hours)
                and 0 <= hours[0] < hours[1] <= 24
            ):
                return cls(hours[0], hours[1])
        return cls()

    def _bounds(self, day: date) -> tuple[datetime, datetime]:
        opens = datetime.combine(day, time(self.start), tzinfo=PARIS)
        closes = datetime.combine(day, time(0), tzinfo=PARIS) + timedelta(hours=self.end)
        return opens, closes

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(PARIS)
        if not is_working_day(local.date()):
            return False
        opens, closes = self._bounds(local.date())
        return opens <= local < closes

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when inside the window, else the next opening."""
        return self._nearest_open(at, later=True)

    def last_open_before(self, at: datetime) -> datetime:
        """``at`` itself when inside the window, else the opening of the last
        working day before it (a reminder that cannot wait goes early instead)."""
        return self._nearest_open(at, later=False)

    def _nearest_open(self, at: datetime, *, later: bool) -> datetime:
        if self.contains(at):
            return at
        day = at.astimezone(PARIS).date()
        step = timedelta(days=1 if later else -1)
        for _ in range(30):
            if is_working_day(day):
                opens, _ = self._bounds(day)
                if (opens >= at) if later else (opens <= at):
                    return opens
            day += step
        raise ValueError("no working day within a month")  # pragma: no cover
