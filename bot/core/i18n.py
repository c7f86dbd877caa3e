"""Translations and locale-aware formatting.

Catalogs are gettext files managed with Babel. The compiled ``.mo`` is used
when it is fresh; otherwise the ``.po`` is compiled in memory, so a checkout
that skipped ``make locales`` still speaks both languages.
"""

from __future__ import annotations

import gettext
import io
import string
from datetime import datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from babel import Locale
from babel.dates import format_date, format_datetime, format_time, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from bot.core.clock import PARIS
from bot.core.french import PREPOSITIONS, contract

DOMAIN = "guichet"
LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


def _load(locale: str) -> gettext.GNUTranslations:
    folder = Path(str(resources.files("locales"))) / locale / "LC_MESSAGES"
    po = folder / f"{DOMAIN}.po"
    mo = folder / f"{DOMAIN}.mo"
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return gettext.GNUTranslations(io.BytesIO(mo.read_bytes()))
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """Everything locale-dependent a handler needs, bound to one language."""

    def __init__(self, locale: str, translations: gettext.GNUTranslations) -> None:
        self.locale = locale
        self._translations = translations
        self._babel = Locale.parse(locale)

    def _(self, message: str, **params: object) -> str:
        text = self._translations.gettext(message)
        return _format(text, params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> str:
        text = self._translations.ngettext(singular, plural, n)
        return _format(text, {"n": self.number(n), **params})

    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=self._babel)

    def percent(self, value: float) -> str:
        """A share as people read it: "43 %" in French (with its no-break space), "43%"."""
        return format_percent(value, locale=self._babel)

    def date(self, at: datetime, fmt: str = "long") -> str:
        day = at.astimezone(PARIS).date()
        if self.locale == "fr" and day.day == 1 and fmt in ("long", "full"):
            # French writes the first of a month "1er avril", which CLDR's patterns do not.
            pattern = self._babel.date_formats[fmt].pattern.replace("d ", "d'er' ", 1)
            return format_date(day, format=pattern, locale=self._babel)
        return format_date(day, format=fmt, locale=self._babel)

    def datetime(self, at: datetime, fmt: str = "medium") -> str:
        return format_datetime(at, format=fmt, tzinfo=PARIS, locale=self._babel)

    def hour(self, hour: int) -> str:
        """An hour of the day as people write it: "9 h" in French (CLDR's "09:00"
        is how a timetable writes it, not a sentence), "9:00 AM" in English."""
        if self.locale == "fr":
            return f"{hour % 24}\u00a0h"
        return format_time(time(hour % 24), format="short", locale=self._babel)

    def duration(self, delta: timedelta) -> str:
        """Time left in the unit a person counts in: days, then hours, then minutes."""
        granularity: Literal["day", "hour", "minute"]
        if delta >= timedelta(days=2):
            granularity = "day"
        elif delta >= timedelta(hours=2):
            granularity = "hour"
        else:
            granularity = "minute"
        return format_timedelta(
            delta, granularity=granularity, threshold=10_000, locale=self._babel
        )


class _Formatter(string.Formatter):
    """``str.format``, plus the French prepositions: a translation may write
    ``{place:de}`` ("du Bugue") or ``{place:a}`` whatever the code passed."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec in PREPOSITIONS:
            return contract(format_spec, str(value))
        return str(super().format_field(value, format_spec))


_FORMATTER = _Formatter()


def _format(text: str, params: dict[str, object]) -> str:
    """``str.format`` unless the text contracts a preposition (the formatter is
    ten times slower, and reminders render one text per recipient)."""
    if ":de}" in text or ":a}" in text or ":à}" in text:
        return _FORMATTER.vformat(text, (), params)
    return text.format(**params)


class Translations:
    """The loaded catalogs, one Translator per supported locale."""

    def __init__(self) -> None:
        self._by_locale = {code: Translator(code, _load(code)) for code in LOCALES}

    def get(self, locale: str | None) -> Translator:
        return self._by_locale.get(locale or DEFAULT_LOCALE) or self._by_locale[DEFAULT_LOCALE]


def guess_locale(hint: str | None) -> str:
    """First language for a newcomer, from what the platform says (``en-GB`` → en)."""
    if hint:
        code = hint.replace("_", "-").split("-", 1)[0].lower()
        if code in LOCALES:
            return code
    return DEFAULT_LOCALE
