"""The router: commands and aliases, stored steps, cancel, dedup, refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from bot.core.context import Context
from bot.core.messages import Incoming, Kind, Reply
from tests.conftest import make_app, onboard, text


async def test_french_and_english_names_reach_the_same_command(chat: MemoryBackend) -> None:
    fr = text(await chat.say("a", "/aide"))
    en = text(await chat.say("a", "/help"))
    assert fr == en
    assert "/calendrier" in fr


async def test_unknown_command_gets_a_translated_answer(chat: MemoryBackend) -> None:
    assert "Je ne connais pas la commande /nimporte" in text(await chat.say("a", "/nimporte"))
    await chat.say("a", "/langue en")
    assert "I don't know the command /whatever" in text(await chat.say("a", "/whatever"))


async def test_unexpected_text_is_answered(chat: MemoryBackend) -> None:
    assert "Je n'attendais pas de message" in text(await chat.say("a", "bonjour"))


async def test_cancel_everywhere(chat: MemoryBackend) -> None:
    assert "rien à annuler" in text(await chat.say("a", "/annuler"))
    await chat.say("a", "/start")
    await chat.say("a", "1")
    assert "C'est annulé" in text(await chat.say("a", "/annuler"))
    # the pending step is gone: the next text is unexpected
    assert "Je n'attendais pas" in text(await chat.say("a", "Bordeaux"))
    await chat.say("a", "/start")
    assert "C'est annulé" in text(await chat.say("a", "/cancel"))
    assert "rien à annuler" in text(await chat.say("a", "/cancel"))


async def test_same_event_id_is_processed_once(chat: MemoryBackend) -> None:
    first = await chat.say("a", "/aide", event_id="tg:42")
    again = await chat.say("a", "/aide", event_id="tg:42")
    assert first and again == []


async def test_conversation_survives_a_restart(db_path: Path, clock: FrozenClock) -> None:
    app = await make_app(db_path, clock)
    chat = MemoryBackend(app)
    await chat.say("maire", "/start")
    await chat.say("maire", "1")
    await chat.say("maire", "24432")
    await app.close()

    app = await make_app(db_path, clock)  # same file, already seeded
    chat = MemoryBackend(app)
    replies = await chat.say("maire", "1")  # elu, in the stored role step
    assert "Merci de confirmer" in text(replies)
    assert "Registered" not in text(replies)
    assert "Bienvenue !" in text(await chat.say("maire", "1"))
    row = await app.services.db.fetchone("SELECT role, status FROM memberships")
    assert row is not None and (row["role"], row["status"]) == ("elu", "approved")
    await app.close()


async def test_too_long_message_is_refused_without_losing_the_step(chat: MemoryBackend) -> None:
    await chat.say("a", "/start")
    await chat.say("a", "1")
    replies = await chat.say("a", "x" * 100_000)
    assert "trop long" in text(replies)
    assert "100" in text(replies)
    # still in the search step
    assert "rôle" in text(await chat.say("a", "24432"))


async def test_forged_button_is_refused_and_changes_nothing(chat: MemoryBackend) -> None:
    for data in (
        "nope",
        "onb.ok",
        "onb.role:maire",
        "mod.ok:1",
        "x" * 200,
        "prof.act:99999",
        ":::",
    ):
        replies = await chat.press("a", data)
        assert "n'est plus valable" in text(replies) or "réservée" in text(replies), data
    count = await chat.app.services.db.fetchval("SELECT COUNT(*) FROM memberships")
    assert count == 0


async def test_typed_number_picks_from_the_menu_and_out_of_range_is_explained(
    chat: MemoryBackend,
) -> None:
    await chat.say("a", "/langue")
    assert "entre 1 et 2" in text(await chat.say("a", "7"))
    assert "English" in text(await chat.say("a", "2"))


async def test_a_failing_handler_rolls_back_and_apologises(chat: MemoryBackend) -> None:
    router = chat.app.router

    @router.command("boom", "boum", "boom", "Explode")
    async def boom(ctx: Context) -> None:
        await ctx.db.execute("UPDATE persons SET display_name = 'changed'")
        raise RuntimeError("bug")

    replies = await chat.say("a", "/boum")
    assert "rien n'a été modifié" in text(replies)
    names = await chat.app.services.db.fetchall("SELECT display_name FROM persons")
    assert all(r["display_name"] != "changed" for r in names)


async def test_work_after_commit_leaves_the_database_to_others(chat: MemoryBackend) -> None:
    router = chat.app.router
    drawing, drawn = asyncio.Event(), asyncio.Event()

    @router.command("draw", "dessin", "draw", "Draw slowly")
    async def draw(ctx: Context) -> None:
        await ctx.db.execute(
            "UPDATE persons SET display_name = 'drew' WHERE id = ?", (ctx.person.id,)
        )
        ctx.reply("Voici :")

        async def slow() -> list[Reply]:
            drawing.set()
            await drawn.wait()  # a long render, holding nothing
            return [Reply("le dessin")]

        ctx.after_commit(slow)

    pending = asyncio.create_task(chat.say("a", "/dessin"))
    await drawing.wait()
    # Someone else is answered while the first event's work runs…
    assert "/calendrier" in text(await asyncio.wait_for(chat.say("b", "/aide"), 5))
    drawn.set()
    # …and the first person gets both parts, in order, the change committed.
    assert [r.text for r in await pending] == ["Voici :", "le dessin"]
    assert (
        await chat.app.services.db.fetchval(
            "SELECT COUNT(*) FROM persons WHERE display_name = 'drew'"
        )
        == 1
    )


async def test_work_after_commit_that_fails_apologises_and_keeps_the_change(
    chat: MemoryBackend,
) -> None:
    router = chat.app.router

    @router.command("half", "moitie", "half", "Half done")
    async def half(ctx: Context) -> None:
        await ctx.db.execute(
            "UPDATE persons SET display_name = 'kept' WHERE id = ?", (ctx.person.id,)
        )
        ctx.reply("Enregistré.")

        async def broken() -> list[Reply]:
            raise RuntimeError("the renderer broke")

        ctx.after_commit(broken)

    replies = await chat.say("a", "/moitie")
    assert replies[0].text == "Enregistré."
    assert "pendant la préparation" in replies[1].text
    assert (
        await chat.app.services.db.fetchval(
            "SELECT COUNT(*) FROM persons WHERE display_name = 'kept'"
        )
        == 1
    )


async def test_choice_event_reaches_an_action(chat: MemoryBackend) -> None:
    incoming = Incoming("memory:b", "e1", Kind.CHOICE, data="lang:en")
    replies = await chat.send(incoming)
    assert "English" in text(replies)


async def test_member_only_command_is_refused_to_newcomers(chat: MemoryBackend) -> None:
    router = chat.app.router

    @router.command("members", "membres", "members", "Members", audience="member")
    async def members(ctx: Context) -> None:
        ctx.reply("secret")

    assert "rattaché·e à une collectivité" in text(await chat.say("a", "/membres"))
    await onboard(chat, "a")
    assert "secret" in text(await chat.say("a", "/membres"))


async def test_flood_gets_one_answer_then_silence_for_a_minute(chat: MemoryBackend) -> None:
    from datetime import timedelta

    burst = int(chat.app.router.flood.burst)  # a reader's burst passes (tests/test_flood.py)
    for _ in range(burst):
        assert await chat.say("flood", "/aide")
    warning = await chat.say("flood", "/aide")
    assert "plus vite que je ne peux suivre" in text(warning)
    assert await chat.say("flood", "/aide") == []
    assert await chat.say("calm", "/aide")  # others are not affected
    clock = chat.app.services.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(minutes=1, seconds=1))
    assert "/calendrier" in text(await chat.say("flood", "/aide"))
