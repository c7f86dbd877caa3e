"""Catalogs stay complete, and the person's language follows them everywhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.backends.memory import MemoryBackend
from bot.core.french import typography_faults
from bot.core.i18n import Translations, guess_locale
from tests.conftest import text

ROOT = Path(__file__).resolve().parent.parent
# "{place}", or "{place:de}" where French contracts a preposition with it.
PLACEHOLDER = re.compile(r"\{(\w+)(?::(?:de|a))?\}")


def _code_msgids() -> set[str]:
    found: set[str] = set()
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    for package in ("bot", "handlers", "storage"):
        for _, _, message, _, _ in extract_from_dir(ROOT / package, keywords=keywords):
            found.update([message] if isinstance(message, str) else message[:1])
    return found


@pytest.mark.parametrize("locale", ["fr", "en"])
def test_catalog_is_complete(locale: str) -> None:
    with open(ROOT / "locales" / locale / "LC_MESSAGES" / "guichet.po", "rb") as handle:
        catalog = read_po(handle)
    entries = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    missing = sorted(_code_msgids() - set(entries))
    assert not missing, f"strings of the code missing from {locale}: {missing}"
    for msgid, message in entries.items():
        assert "fuzzy" not in message.flags, f"fuzzy in {locale}: {msgid}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated in {locale}: {msgid}"
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(msgid)), (
                f"placeholders differ in {locale}: {msgid!r} → {string!r}"
            )


def test_every_french_entry_follows_french_typography() -> None:
    """No-break space before ':', narrow no-break before ';', '!', '?' and inside
    « », and « » rather than English quotation marks, in every French entry."""
    with open(ROOT / "locales" / "fr" / "LC_MESSAGES" / "guichet.po", "rb") as handle:
        catalog = read_po(handle)
    faults = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            faults += typography_faults(string)
    assert faults == []


def test_french_contracts_prepositions_with_the_article_of_a_name() -> None:
    fr = Translations().get("fr")
    # The French entry writes {place:de}; whatever the code passed is contracted.
    assert fr._(
        "Welcome! You are registered as {role} of {place}. Type {help} to see what you can do.",
        role="agent",
        place="Les Eyzies (Dordogne, 24)",
        help="/aide",
    ) == (
        "Bienvenue\u202f! Vous êtes inscrit·e en tant qu'agent des Eyzies (Dordogne, 24). "
        "Tapez /aide pour voir ce que vous pouvez faire."
    )


def test_formatting_follows_the_locale_in_paris_time() -> None:
    translations = Translations()
    fr, en = translations.get("fr"), translations.get("en")
    at = datetime(2021, 3, 15, 23, 30, tzinfo=UTC)  # already 16 March in Paris
    assert fr.date(at) == "16 mars 2021"
    assert en.date(at) == "March 16, 2021"
    first = datetime(2021, 4, 1, 8, tzinfo=UTC)
    assert fr.date(first) == "1er avril 2021"  # as French writes the first of a month
    assert fr.date(first, "full") == "jeudi 1er avril 2021"
    assert en.date(first) == "April 1, 2021"
    assert fr.number(34969) == "34\u202f969"
    assert en.number(34969) == "34,969"
    assert fr.duration(timedelta(days=39, hours=3)) == "39\u00a0jours"
    assert en.duration(timedelta(hours=5)) == "5 hours"


def test_unknown_locale_falls_back_to_french() -> None:
    assert guess_locale("de-DE") == "fr"
    assert guess_locale("en_US") == "en"
    assert guess_locale(None) == "fr"
    assert Translations().get("xx").locale == "fr"


async def test_language_is_stored_and_changed(chat: MemoryBackend) -> None:
    assert "Désormais, je vous écris en français." in text(await chat.say("a", "/langue fr"))
    replies = await chat.say("a", "/langue")
    assert "Choisissez votre langue" in text(replies)
    assert "From now on I will write to you in English." in text(await chat.say("a", "2"))
    assert "What you can do now" in text(await chat.say("a", "/aide"))
    assert "I don't know the language “klingon”" in text(await chat.say("a", "/language klingon"))
