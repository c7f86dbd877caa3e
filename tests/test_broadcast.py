"""``/diffuser``: text, audience, preview with the count, confirmation, delivery report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.backends.base import Blocked, DeliveryError
from bot.backends.memory import MemoryBackend
from bot.core.clock import PARIS, to_iso
from bot.core.messages import Reply
from storage import audiences, broadcasts, consultations
from storage.audiences import Audience, AudienceKind
from tests.calendar_support import add_proposal, add_support, clock_of, member, rows, staff
from tests.conftest import text


class ConsoleStub(MemoryBackend):
    """Where the demo's own staff member is reached, so broadcasts to everyone complete."""

    name = "console"


class Unreachable(MemoryBackend):
    """One person blocked the bot; another's messages keep failing."""

    name = "unreachable"

    async def deliver(self, identity: str, address: str, reply: Reply, **how: Any) -> None:
        if identity.endswith(":gone"):
            raise Blocked("Forbidden: bot was blocked by the user")
        raise DeliveryError("Bad Gateway")


async def _write(
    chat: MemoryBackend, fr: str = "Bonjour à toutes et à tous.", en: str = "-"
) -> str:
    await chat.say("boss", "/broadcast new")
    await chat.say("boss", fr)
    return text(await chat.say("boss", en))


async def test_staff_broadcast_to_everyone_in_their_language(chat: MemoryBackend) -> None:
    ConsoleStub(chat.app)
    await member(chat, "maire")
    await member(chat, "jane", english=True)
    await staff(chat)
    listing = await chat.say("boss", "/broadcast")
    assert "No broadcast yet." in text(listing) and "[New broadcast]" in text(listing)
    assert "Write the message in French (2,000 characters at most)" in text(
        await chat.say("boss", "1")
    )
    assert "Now the English version" in text(await chat.say("boss", "Bonjour à toutes et à tous."))
    menu = text(await chat.say("boss", "Hello everyone."))
    assert "Who should receive it?" in menu and "[Supporters of a proposal]" in menu
    preview = text(await chat.say("boss", "1"))
    assert "Preview, in French:" in preview and "Bonjour à toutes et à tous." in preview
    assert "In English:\nMessage from the consultation team:\n\nHello everyone." in preview
    assert "Audience: everyone." in preview and "Recipients: 4." in preview
    assert "[Send to 4 recipients]" in preview
    assert await rows(chat.app) == []  # nothing before the confirmation

    sent = text(await chat.say("boss", "1"))
    assert "Broadcast no. 1 is queued for 4 recipients" in sent and "/broadcast" in sent
    assert chat.inbox("maire")[-1].text.endswith("\n\nBonjour à toutes et à tous.")
    assert chat.inbox("jane")[-1].text == "Message from the consultation team:\n\nHello everyone."
    report = chat.inbox("boss")[-1].text
    assert report == (
        "Your broadcast no. 1 (“Bonjour à toutes et à tous.”) is delivered: 4 sent, 0 failed, "
        "0 blocked (the person blocked the bot or left)."
    )
    listing_text = text(await chat.say("boss", "/broadcast"))
    assert "no. 1 — " in listing_text
    assert "everyone — delivered: 4 sent, 0 failed, 0 blocked, 0 waiting, of 4" in listing_text
    assert len(await rows(chat.app, "report")) == 1
    await chat.app.sender.drain()
    assert len(await rows(chat.app, "report")) == 1  # told once


async def test_choosing_a_departement_and_changing_the_audience(chat: MemoryBackend) -> None:
    await member(chat, "maire")
    await member(chat, "bordeaux", code="33063")
    await staff(chat)
    assert "Who should receive it?" in await _write(chat)
    assert "Which département?" in text(await chat.say("boss", "3"))
    assert "I know no département “Ardèche du Nord”" in text(
        await chat.say("boss", "Ardèche du Nord")
    )
    preview = text(await chat.say("boss", "dordogne"))
    assert "Audience: members in the département Dordogne (24)." in preview
    assert "Recipients: 1." in preview
    assert "Who should receive it?" in text(await chat.say("boss", "2"))  # change the audience
    await chat.say("boss", "3")
    preview = text(await chat.say("boss", "40"))
    assert "Recipients: 0." in preview and "Nobody is in this audience" in preview
    assert "[Send" not in preview
    await chat.say("boss", "1")
    await chat.say("boss", "4")  # below a population
    assert "Type a number of inhabitants" in text(await chat.say("boss", "beaucoup"))
    preview = text(await chat.say("boss", "10 000"))
    assert "members of collectivités under 10,000 inhabitants" in preview
    assert "Recipients: 1." in preview
    await chat.say("boss", "1")
    assert [r["display_name"] for r in await rows(chat.app, "broadcast")] == ["maire"]


async def test_audiences(chat: MemoryBackend) -> None:
    app = chat.app
    db = app.services.db
    await member(chat, "maire")  # Saint-Julien-de-Lampon, Dordogne, Nouvelle-Aquitaine
    await member(chat, "agent", role="2")
    await member(chat, "paris", code="75056")
    consultation = await consultations.current(db)
    assert consultation is not None
    cid = consultation.id

    async def count(kind: AudienceKind, value: str = "", agents: bool = False) -> int:
        audience = Audience(kind, value)
        return await audiences.count(db, audience, cid, agents_may_support=agents)

    assert await count("everyone") == 4  # with the demo's staff on the console
    assert await count("region", "75") == 2 and await count("region", "11") == 1
    assert await audiences.region_code(db, "ile de france") == ("11", "Île-de-France")
    assert await audiences.departement_code(db, "2a") == ("2A", "Corse-du-Sud")
    assert await count("population", "1000") == 2
    assert await count("not_supported") == 2  # elected members only
    assert await count("not_supported", agents=True) == 3
    proposal = await add_proposal(app, 7, clock_of(app).now())
    await add_support(app, "24432", proposal, clock_of(app).now())
    assert await count("not_supported") == 1
    assert await count("supporters", "7") == 2
    assert await count("supporters", "8") == 0

    await staff(chat)
    await _write(chat)
    await chat.say("boss", "6")
    assert "There is no proposal number 8." in text(await chat.say("boss", "8"))
    assert "whole number" in text(await chat.say("boss", "sept"))
    preview = text(await chat.say("boss", "7"))
    assert "members of the collectivités supporting proposal 7" in preview
    assert "Recipients: 2." in preview


async def test_only_staff_broadcast_and_buttons_prove_nothing(chat: MemoryBackend) -> None:
    await member(chat, "maire")
    assert "réservée à l'équipe" in text(await chat.say("maire", "/diffuser"))
    for data in ("bc.send", "bc.new", "bc.aud:everyone", "bc.noen", "bc.cancel"):
        assert "réservée à l'équipe" in text(await chat.press("maire", data))
    await staff(chat)
    assert "no longer valid" in text(await chat.press("boss", "bc.send"))
    await _write(chat)
    assert "no longer valid" in text(await chat.press("boss", "bc.aud:nobody"))
    assert "Please choose an audience" in text(await chat.say("boss", "all of them"))
    await chat.say("boss", "1")
    assert "Please press a button" in text(await chat.say("boss", "yes"))
    # demoted while the preview is on screen: the confirmation re-checks the role
    await chat.app.services.db.execute(
        "UPDATE persons SET role = 'user' WHERE display_name = 'boss'"
    )
    assert "reserved for the consultation staff" in text(await chat.say("boss", "1"))
    assert await rows(chat.app) == []


async def test_bad_texts_and_cancel(chat: MemoryBackend) -> None:
    await staff(chat)
    await chat.say("boss", "/broadcast new")
    assert "The message is too long (2,001 characters; at most 2,000)" in text(
        await chat.say("boss", "x" * 2001)
    )
    assert "Now the English version" in text(await chat.say("boss", "Court."))
    await chat.say("boss", "No English.")
    await chat.say("boss", "1")
    assert "Cancelled: nothing was sent." in text(await chat.say("boss", "3"))
    assert await broadcasts.recent(chat.app.services.db) == []


async def test_a_broadcast_at_night_waits_and_failures_are_reported(chat: MemoryBackend) -> None:
    ConsoleStub(chat.app)
    unreachable = Unreachable(chat.app)
    await member(chat, "maire")
    await member(unreachable, "gone")
    await member(unreachable, "lost")
    await staff(chat)
    clock = clock_of(chat.app)
    clock.set(datetime(2026, 12, 4, 21, 0, tzinfo=PARIS))  # a Friday evening
    await _write(chat, en="Good evening.")
    preview = text(await chat.say("boss", "1"))
    assert "Delivery starts 12/7/26, 9:00 AM: nobody is messaged at night" in preview
    await chat.say("boss", "1")
    monday = to_iso(datetime(2026, 12, 7, 9, tzinfo=PARIS))
    assert {r["not_before"] for r in await rows(chat.app, "broadcast")} == {monday}
    assert "in progress: 0 sent" in text(await chat.say("boss", "/broadcast"))

    clock.set(datetime(2026, 12, 7, 9, 0, tzinfo=PARIS))
    await chat.app.sender.drain()
    listing = text(await chat.say("boss", "/broadcast"))
    assert "in progress: 3 sent, 0 failed, 1 blocked, 1 waiting, of 5" in listing
    db = chat.app.services.db
    await db.execute(
        "UPDATE outbox SET attempts = 7, not_before = created_at WHERE status = 'pending'"
    )
    await chat.app.sender.drain()
    assert "delivered: 3 sent, 1 failed, 1 blocked, 0 waiting, of 5" in text(
        await chat.say("boss", "/broadcast")
    )
    assert "is delivered: 3 sent, 1 failed, 1 blocked" in chat.inbox("boss")[-1].text
