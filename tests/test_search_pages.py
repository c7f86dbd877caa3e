"""``/start``'s search lists every match a page at a time; a number beyond the
list asks again instead of starting a new search."""

from __future__ import annotations

from bot.backends.memory import MemoryBackend
from tests.conftest import text


async def _search(chat: MemoryBackend, user: str, query: str) -> str:
    await chat.say(user, "/start")
    await chat.say(user, "1")  # français
    return text(await chat.say(user, query))


async def test_a_postcode_of_thirteen_communes_reaches_them_all(chat: MemoryBackend) -> None:
    first = await _search(chat, "maire", "24250")
    assert first.count(" — 24250]") == 8 and "[Plus de résultats]" in first
    second = text(await chat.say("maire", "9"))  # the ninth choice: more results
    assert "à partir du n° 9" in second
    assert second.count(" — 24250]") == 5 and "Plus de résultats" not in second
    assert "Nabirat" in first + second and "Bouzic" in first + second
    assert "Florimont-Gaumier" in first + second
    role = text(await chat.say("maire", "nabirat"))  # a typed label picks it
    assert "Nabirat (Dordogne, 24) : quel y est votre rôle" in role


async def test_a_number_beyond_the_list_asks_again(chat: MemoryBackend) -> None:
    await _search(chat, "maire", "24370")
    again = text(await chat.say("maire", "12"))
    assert "Tapez un nombre entre 1 et 9" in again and "Paris" not in again
    assert "quel y est votre rôle" in text(await chat.say("maire", "n°1"))


async def test_in_english(chat: MemoryBackend) -> None:
    await chat.say("jane", "/begin")
    await chat.say("jane", "2")
    assert "[More results]" in text(await chat.say("jane", "24250"))
