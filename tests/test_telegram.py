"""bot.backends.telegram.backend end to end: the real python-telegram-bot, the real App
and SQLite, against the local Bot API server of tests/fake_telegram.py."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.backends.telegram.backend import TelegramBackend
from bot.backends.telegram.polling import OFFSET_KEY, stored_offset
from bot.backends.telegram.render import TEXT_LIMIT, utf16_len
from bot.core.callbacks import ButtonData, Id
from bot.core.clock import FrozenClock, to_iso
from bot.core.config import ConfigError, TelegramConfig
from bot.core.context import Context
from bot.core.messages import Choice, File, Image, Reply
from storage import events, memberships, outbox, persons
from tests.conftest import NOW, make_app, plain
from tests.fake_telegram import BOT_USER, TOKEN, FakeTelegram, group_chat
from tests.telegram_support import JOHN, MARIE, Running, serving, start

GROUP = -100777
BOT_NAME = BOT_USER["username"]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with serving() as server:
        yield server


@pytest.fixture
async def tg(fake: FakeTelegram, db_path: Path, clock: FrozenClock) -> AsyncIterator[Running]:
    app = await make_app(db_path, clock)
    running = await start(app, fake)
    yield running
    await running.halt()
    await app.close()


def texts(fake: FakeTelegram, chat: int) -> list[str]:
    return [m.get("text", m.get("caption", "")) for m in fake.sent(chat)]


# -- private chats -------------------------------------------------------------------------
async def test_french_onboarding_with_buttons(tg: Running) -> None:
    fake = tg.fake
    welcome = await tg.say(MARIE, "/start")
    assert "Bienvenue sur Guichet" in plain(welcome["text"])
    assert fake.buttons(welcome) == [("Français", "onb.lang:fr"), ("English", "onb.lang:en")]

    search = await tg.press(MARIE, welcome, "onb.lang:fr")
    assert fake.answered_queries == [
        fake.calls_to("answerCallbackQuery")[0].params["callback_query_id"]
    ]
    assert plain(search["text"]).startswith("Quelle collectivité représentez-vous ?")

    found = await tg.say(MARIE, "st julien 24")
    assert "Plusieurs collectivités correspondent à « st julien 24 »" in plain(found["text"])
    first_label, first_data = fake.buttons(found)[0]
    assert first_label == "Saint-Julien-de-Lampon (Dordogne, 24) — 24370"
    assert first_data == "onb.pick:24432"
    assert len(fake.buttons(found)) == 5

    role = await tg.press(MARIE, found, first_data)
    # French typography reaches Telegram: no-break space before ":", narrow before "?".
    assert (
        role["text"] == "Saint-Julien-de-Lampon (Dordogne, 24)\u00a0: quel y est votre rôle\u202f?"
    )
    assert [d for _, d in fake.buttons(role)] == ["onb.role:elu", "onb.role:agent", "onb.again"]

    confirm = await tg.press(MARIE, role, "onb.role:elu")
    assert "vous représentez Saint-Julien-de-Lampon (Dordogne, 24) en tant qu'élu·e" in (
        plain(confirm["text"])
    )
    assert fake.buttons(confirm) == [("Confirmer", "onb.ok"), ("Recommencer", "onb.again")]

    done = await tg.press(MARIE, confirm, "onb.ok")
    assert plain(done["text"]).startswith("Bienvenue ! Vous êtes inscrit·e en tant qu'élu·e")
    assert "/aide" in plain(done["text"]) and "reply_markup" not in done
    assert len(fake.answered_queries) == 4

    person = await persons.by_identity(tg.app.services.db, "telegram:1001")
    assert person is not None and person.display_name == "Marie Dupont"
    approved = await memberships.approved_of_person(tg.app.services.db, person.id)
    assert [m.collectivite for m in approved] == ["24432"]
    assert await persons.delivery_target(tg.app.services.db, person.id) == ("telegram:1001", "1001")


async def test_deep_link_start_carries_the_insee_code(tg: Running) -> None:
    welcome = await tg.say(MARIE, "/start 24432")
    role = await tg.press(MARIE, welcome, "onb.lang:fr")
    # French typography reaches Telegram: no-break space before ":", narrow before "?".
    assert (
        role["text"] == "Saint-Julien-de-Lampon (Dordogne, 24)\u00a0: quel y est votre rôle\u202f?"
    )


async def test_english_user_gets_english_replies(tg: Running) -> None:
    welcome = await tg.say(JOHN, "/start")
    search = await tg.press(JOHN, welcome, "onb.lang:en")
    assert plain(search["text"]).startswith("Which collectivité do you represent?")
    recalled = await tg.say(JOHN, "/help")
    # Help, then the registration kept and its question asked again, with its buttons.
    assert plain(recalled["text"]).startswith("Your registration in progress is kept.")
    help_text = texts(tg.fake, JOHN.id)[-2]
    assert "What you can do now:" in help_text and "/calendar" in help_text


async def test_unknown_person_is_answered_in_the_language_telegram_reports(tg: Running) -> None:
    reply = await tg.say(JOHN, "/nonsense")
    assert plain(reply["text"]).startswith("I don't know the command /nonsense")


async def test_command_menu_in_french_and_english(tg: Running) -> None:
    menus = {
        key: {c["command"]: c["description"] for c in commands}
        for key, commands in tg.fake.menus.items()
    }
    french, english = menus[("default", "")], menus[("default", "en")]
    assert french["aide"] == "Ce que vous pouvez faire maintenant"
    assert english["help"] == "What you can do now"
    assert {"start", "aide", "calendrier", "profil", "langue", "annuler"} <= set(french)
    assert "equipe" not in french and "team" not in english  # admins only
    assert set(menus[("all_group_chats", "")]) == {"aide", "calendrier"}
    assert set(menus[("all_group_chats", "en")]) == {"help", "calendar"}


async def test_forged_button_is_answered_and_refused(tg: Running) -> None:
    shown = await tg.say(MARIE, "/langue")
    for forged in ("onb.ok:forged", "x" * 80):
        refused = await tg.press(MARIE, shown, forged)
        assert plain(refused["text"]) == (
            "Ce bouton n'est plus valable. Tapez /aide pour voir ce que vous pouvez faire."
        )
    assert len(tg.fake.answered_queries) == 2


async def test_user_text_is_escaped_for_html(tg: Running) -> None:
    welcome = await tg.say(MARIE, "/start")
    await tg.press(MARIE, welcome, "onb.lang:fr")
    reply = await tg.say(MARIE, "<b>x</b> & co")
    assert "« <b>x</b> & co »" in plain(reply["text"])  # shown as typed, not as bold
    raw = tg.fake.calls_to("sendMessage")[-1].params
    assert raw["parse_mode"] == "HTML"
    assert "&lt;b&gt;x&lt;/b&gt; &amp; co" in plain(raw["text"])


class Flip(ButtonData, prefix="t.edit"):
    page: Id


async def test_edit_replaces_the_pressed_message(tg: Running) -> None:
    @tg.app.router.action(Flip)
    async def flip(ctx: Context, pressed: Flip) -> None:
        following = Flip(page=pressed.page + 1).pack()
        ctx.reply(f"Page {pressed.page}", [Choice("Next", following)], edit=True)

    first = await tg.say(MARIE, "/langue")
    edited = await tg.press(MARIE, first, "t.edit:2")
    assert edited["message_id"] == first["message_id"]
    assert plain(edited["text"]) == "Page 2" and tg.fake.buttons(edited) == [("Next", "t.edit:3")]
    assert len(tg.fake.calls_to("editMessageText")) == 1
    assert not tg.fake.calls_to("sendMessage")[1:]  # nothing sent beside /langue's answer


async def test_image_and_file_are_sent_natively(tg: Running) -> None:
    @tg.app.router.command("chart", "graphique", "chart", "A chart")
    async def chart(ctx: Context) -> None:
        alt = ctx.incoming.arg_text or "Participation par département"
        ctx.reply(
            "Voici le graphique.",
            [Choice("Export", "t.export")],
            image=Image(b"\x89PNG fake", alt),
            file=File("export.csv", b"a;b\n1;2\n"),
        )

    await tg.say(MARIE, "/graphique")
    text, photo, document = tg.fake.sent(MARIE.id)
    assert plain(text["text"]) == "Voici le graphique." and "reply_markup" not in text
    assert photo["caption"] == "Participation par département"
    assert tg.fake.calls_to("sendPhoto")[0].files["photo"][1] == b"\x89PNG fake"
    assert document["document"]["file_name"] == "export.csv"
    assert tg.fake.buttons(document) == [("Export", "t.export")]  # keyboard on the last part

    long_alt = "Une description très détaillée. " * 40
    await tg.say(MARIE, "/graphique " + long_alt)
    *_, photo, alt_text, document = tg.fake.sent(MARIE.id)
    assert "caption" not in photo and plain(alt_text["text"]) == long_alt.strip()


# -- delivery through the outbox ------------------------------------------------------------
async def test_long_reply_is_split_with_the_keyboard_last(tg: Running) -> None:
    paragraphs = [f"Paragraphe {i} :" + " la consultation avance." * 40 for i in range(12)]
    reply = Reply("\n\n".join(paragraphs), [Choice("OK", "lang:fr")])
    await tg.backend.deliver("telegram:1001", "", reply)
    parts = tg.fake.sent(MARIE.id)
    assert len(parts) == 3
    assert all(utf16_len(plain(p["text"])) <= TEXT_LIMIT for p in parts)
    assert all(plain(p["text"]).startswith("Paragraphe") for p in parts)  # cut between paragraphs
    assert "\n\n".join(plain(p["text"]) for p in parts) == reply.text
    assert [bool(tg.fake.buttons(p)) for p in parts] == [False, False, True]


async def test_too_long_callback_data_falls_back_to_a_numbered_list(tg: Running) -> None:
    await tg.backend.deliver(
        "telegram:1001",
        "1001",
        Reply("Choisissez :", [Choice("Court", "a:1"), Choice("Long", "b:" + "é" * 40)]),
    )
    message = tg.fake.last(MARIE.id)
    assert plain(message["text"]) == "Choisissez :\n  1. Court\n  2. Long"
    assert "reply_markup" not in message


async def _queue(app: App, identity: str, text: str) -> int:
    db = app.services.db
    async with db.transaction():
        person = await persons.ensure(db, identity, now=NOW)
        await outbox.enqueue(db, person.id, "test", Reply(text), NOW)
    return person.id


async def _row(app: App) -> Any:
    return await app.services.db.fetchone(
        "SELECT status, attempts, not_before, error FROM outbox WHERE kind != 'answer'"
    )


async def test_outbox_to_a_blocked_user_is_marked_blocked(tg: Running) -> None:
    await tg.say(MARIE, "/aide")
    await _queue(tg.app, "telegram:1001", "La phase de vote est ouverte.")
    tg.fake.blocked.add(MARIE.id)
    assert await tg.app.sender.drain() == 0
    row = await _row(tg.app)
    assert row["status"] == "blocked" and "blocked by the user" in row["error"]


async def test_outbox_honours_retry_after(tg: Running, clock: FrozenClock) -> None:
    await _queue(tg.app, "telegram:1001", "Rappel : plus que trois jours.")
    tg.fake.flood[MARIE.id] = [7]
    assert await tg.app.sender.drain() == 0
    row = await _row(tg.app)
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["not_before"] == to_iso(NOW + timedelta(seconds=7))
    clock.advance(timedelta(seconds=7))
    assert await tg.app.sender.drain() == 1
    assert texts(tg.fake, MARIE.id) == ["Rappel : plus que trois jours."]


async def test_a_person_waiting_gets_the_answer_after_a_429(tg: Running) -> None:
    tg.fake.flood[MARIE.id] = [1]
    reply = await tg.say(MARIE, "/calendrier")
    assert plain(reply["text"]).startswith("Calendrier de la consultation")
    statuses = [c.status for c in tg.fake.calls_to("sendMessage")]
    assert statuses == [429, 200]


async def test_an_answer_telegram_did_not_take_is_sent_again_at_once(tg: Running) -> None:
    await tg.say(MARIE, "/aide")
    tg.fake.failing = 1  # Telegram has a hiccup: the answer to /calendrier fails
    reply = await tg.say(MARIE, "/calendrier")
    assert reply["text"].startswith("Calendrier de la consultation")
    assert [c.status for c in tg.fake.calls_to("sendMessage")][-2:] == [502, 200]
    sent = await tg.app.services.db.fetchval(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'answer' AND status = 'sent'"
    )
    assert sent == 2


async def test_an_answer_refused_with_429_waits_as_told_each_time(tg: Running) -> None:
    """After each 429 the answer waits the retry_after Telegram gave (1 s here),
    also when refused more often than a waiting person's patience."""
    tg.fake.flood[MARIE.id] = [1, 1, 1]
    await tg.fake.handled(tg.fake.say(MARIE, "/calendrier"))
    await tg.fake.wait_for(lambda: tg.fake.calls_to("sendMessage"))
    await asyncio.sleep(0.2)  # the wait is written to the row
    row = await tg.app.services.db.fetchone(
        "SELECT status, attempts FROM outbox WHERE kind = 'answer'"
    )
    assert row is not None and row["status"] == "sending"  # still this process's
    assert row["attempts"] >= 1
    await tg.app.sender.answered()
    assert texts(tg.fake, MARIE.id)[0].startswith("Calendrier de la consultation")
    calls = tg.fake.calls_to("sendMessage")
    assert [c.status for c in calls] == [429, 429, 429, 200]
    times = [c.at for c in calls]
    assert all(later - earlier >= 0.99 for earlier, later in itertools.pairwise(times))


# -- restarts -------------------------------------------------------------------------------
async def test_restart_resumes_after_the_last_handled_update(
    fake: FakeTelegram, db_path: Path, clock: FrozenClock
) -> None:
    app = await make_app(db_path, clock)
    first = await start(app, fake)
    handled = fake.say(MARIE, "/aide")
    await fake.handled(handled)
    await first.halt()
    await app.close()
    stored = await stored_offset_of(db_path, clock)
    assert stored == handled + 1

    # Telegram never heard the confirmation (as after a crash), and two updates came meanwhile.
    replayed = fake.message_update(MARIE, "/aide")
    fake.pending.insert(0, {**replayed, "update_id": handled})
    later = [fake.say(MARIE, "/calendrier"), fake.say(MARIE, "/profil")]
    sent_before = len(fake.sent(MARIE.id))

    app = await make_app(db_path, clock, seed=False)
    polls_before = len(fake.polls)
    second = await start(app, fake)
    await fake.handled(later[-1])
    await app.sender.answered()
    assert fake.polls[polls_before] == handled + 1  # resumed from SQLite, not from scratch
    new = texts(fake, MARIE.id)[sent_before:]
    assert len(new) == 2
    assert new[0].startswith("Calendrier") and new[1].startswith("Votre profil")
    await second.halt()
    await app.close()


async def stored_offset_of(db_path: Path, clock: FrozenClock) -> int | None:
    app = await make_app(db_path, clock, seed=False)
    try:
        raw = await events.get_state(app.services.db, OFFSET_KEY)
        assert raw is not None and json.loads(raw)["offset"]
        return await stored_offset(app)
    finally:
        await app.close()


async def test_an_offset_older_than_a_day_is_not_trusted(app: App, clock: FrozenClock) -> None:
    db = app.services.db
    async with db.transaction():
        await events.set_state(
            db, OFFSET_KEY, json.dumps({"offset": 99, "saved_at": NOW.isoformat()})
        )
    assert await stored_offset(app) == 99
    clock.advance(timedelta(hours=25))
    assert await stored_offset(app) is None


# -- groups ---------------------------------------------------------------------------------
async def test_group_answers_only_what_is_addressed_to_the_bot(tg: Running) -> None:
    fake, chat = tg.fake, group_chat(GROUP)
    for ignored in ("bonjour à tous", "/aide", "/aide@other_bot", f"@{BOT_NAME} bonjour"):
        await fake.handled(fake.say(MARIE, ignored, chat=chat))
    assert fake.sent(GROUP) == []

    # /aide depends on who asks: the group reads only that the answer went private.
    helped = await tg.say(MARIE, f"/aide@{BOT_NAME}", chat=chat)
    assert plain(helped["text"]).startswith("Je vous réponds en conversation privée")
    assert f"https://t.me/{BOT_NAME}" in helped["text"]
    mentioned = await tg.say(MARIE, f"@{BOT_NAME} /calendrier", chat=chat)
    assert plain(mentioned["text"]).startswith("Calendrier de la consultation")
    replied = await tg.say(MARIE, "/calendrier", chat=chat, reply_to=helped)
    assert replied["message_id"] != helped["message_id"] and len(fake.sent(GROUP)) == 3
    assert await tg.app.sender.drain() == 1
    assert "Ce que vous pouvez faire maintenant :" in plain(texts(fake, MARIE.id)[0])

    # Speaking in a group does not make the group where notifications go.
    person = await persons.by_identity(tg.app.services.db, "telegram:1001")
    assert person is not None
    assert await persons.delivery_target(tg.app.services.db, person.id) == ("telegram:1001", "")
    await _queue(tg.app, "telegram:1001", "Notification personnelle")
    assert await tg.app.sender.drain() == 1
    assert texts(fake, MARIE.id)[1:] == ["Notification personnelle"]


async def test_a_group_answer_waits_until_the_person_opens_the_private_chat(
    tg: Running,
) -> None:
    fake, chat = tg.fake, group_chat(GROUP)
    fake.unstarted.add(JOHN.id)
    notice = await tg.say(JOHN, f"/help@{BOT_NAME}", chat=chat)
    assert f"open https://t.me/{BOT_NAME} and press Start" in plain(notice["text"])
    await tg.app.sender.drain()
    assert fake.sent(JOHN.id) == []  # Telegram refused: the bot may not write first
    await tg.say(JOHN, "/start")
    await tg.app.sender.drain()
    assert any("What you can do now:" in plain(t) for t in texts(fake, JOHN.id))


async def test_nothing_personal_or_staff_only_is_posted_in_a_group(tg: Running) -> None:
    """Every command, then every button, as an administrator in a group."""
    fake, db = tg.fake, tg.app.services.db
    await tg.say(MARIE, "/aide")
    person = await persons.by_identity(db, "telegram:1001")
    assert person is not None
    await persons.set_role(db, person.id, "admin")
    # One group per command and per button: Telegram lets a bot post 20 messages a
    # minute in a group, which would make this test last minutes.
    groups = itertools.count(GROUP)
    clock = tg.app.services.clock
    assert isinstance(clock, FrozenClock)
    public_groups = set()  # where a command declared public and allowed in groups went
    for command in tg.app.router.commands:
        clock.advance(timedelta(seconds=5))  # below the flood limit
        group = next(groups)
        if command.reveals == "public" and command.group_ok:
            public_groups.add(group)
        said = fake.say(MARIE, f"/{command.fr}@{BOT_NAME} 1", chat=group_chat(group))
        await fake.handled(said)
    anchor = await tg.say(MARIE, f"/calendrier@{BOT_NAME}", chat=group_chat(next(groups)))
    for action in tg.app.router.actions:
        clock.advance(timedelta(seconds=5))
        pressed = dict(anchor, chat=group_chat(next(groups)))
        await fake.handled(fake.press(MARIE, pressed, f"{action.name}:1"))
    last_group = next(groups)
    await tg.app.sender.answered()  # answers leave once their event is committed
    assert len(public_groups) == 2  # /calendrier, and /lier for the group it binds
    allowed = (
        "Je vous réponds en conversation privée",
        "Continuons en conversation privée",
        "Calendrier de la consultation",  # the anchor of the buttons
    )
    posted = [
        plain(t) for g in range(GROUP, last_group) if g not in public_groups for t in texts(fake, g)
    ]
    assert len(posted) > len(tg.app.router.actions)
    assert [t for t in posted if not t.startswith(allowed)] == []
    for method in ("sendDocument", "sendPhoto"):
        assert all(int(c.params["chat_id"]) > 0 for c in fake.calls_to(method))
    moved = await db.fetchval("SELECT COUNT(*) FROM outbox WHERE kind = 'private'")
    assert moved > len(tg.app.router.actions) // 2


async def test_personal_flows_move_to_a_private_chat(tg: Running) -> None:
    chat, translations = group_chat(GROUP), tg.app.services.translations
    start_reply = await tg.say(MARIE, f"/start@{BOT_NAME} 24432", chat=chat)
    assert start_reply["text"] == translations.get("fr")._(
        "Let's continue in a private chat, so that your answers stay between us: {link}",
        link=f"https://t.me/{BOT_NAME}?start=24432",
    )
    profile = await tg.say(JOHN, f"/profile@{BOT_NAME}", chat=chat)
    assert plain(profile["text"]) == (
        "Let's continue in a private chat, so that your answers stay between us: "
        f"open https://t.me/{BOT_NAME} and type /profile there."
    )
    assert tg.fake.sent(MARIE.id) == []  # nothing personal was started
    # The deep link's /start 24432 then runs the flow in private.
    welcome = await tg.say(MARIE, "/start 24432")
    role = await tg.press(MARIE, welcome, "onb.lang:fr")
    assert plain(role["text"]).startswith("Saint-Julien-de-Lampon (Dordogne, 24)")


# -- configuration errors -------------------------------------------------------------------
@pytest.mark.parametrize("token", ["", "4242:revoked"])
async def test_a_missing_or_rejected_token_is_a_config_error(
    fake: FakeTelegram, app: App, token: str
) -> None:
    backend = TelegramBackend(TelegramConfig(token=token, base_url=fake.base_url))
    with pytest.raises(ConfigError) as raised:
        await asyncio.wait_for(backend.run(app, asyncio.Event()), 10)
    assert "GUICHET_TELEGRAM_TOKEN" in str(raised.value)
    assert "revoked" not in str(raised.value)  # the token itself is never echoed


@pytest.mark.parametrize(
    ("url", "secret", "complaint"),
    [
        ("http://bot.example.fr/tg", "s3cret", "https"),
        ("https://bot.example.fr/tg", "", "GUICHET_TELEGRAM_WEBHOOK_SECRET"),
        ("https://bot.example.fr/tg", "with space", "A-Z"),
    ],
)
async def test_an_unsafe_webhook_is_a_config_error(
    app: App, url: str, secret: str, complaint: str
) -> None:
    config = TelegramConfig(token=TOKEN, webhook_url=url, webhook_secret=secret)
    with pytest.raises(ConfigError, match=complaint):
        await TelegramBackend(config).run(app, asyncio.Event())


# -- webhook --------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _post(url: str, update: dict[str, Any], secret: str) -> int:
    """POST as Telegram would; the server may still be starting after setWebhook."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.post(url, json=update, headers=headers) as response:
                    return response.status
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.01)
    raise AssertionError(f"nothing listens on {url}")


async def test_webhook_mode_takes_only_updates_carrying_the_secret(
    fake: FakeTelegram, app: App
) -> None:
    pytest.importorskip("tornado")
    port = _free_port()
    config = TelegramConfig(
        token=TOKEN,
        base_url=fake.base_url,
        webhook_secret="s3cret-Token",
        webhook_url="https://guichet.example.fr/telegram/hook",
    )
    backend = TelegramBackend(config, app.router.commands, webhook_listen=("127.0.0.1", port))
    app.add_backend(backend)
    stop = asyncio.Event()
    task = asyncio.create_task(backend.run(app, stop))
    await fake.wait_for(lambda: fake.calls_to("setWebhook"))
    registered = fake.calls_to("setWebhook")[0].params
    assert registered["url"] == "https://guichet.example.fr/telegram/hook"
    assert registered["secret_token"] == "s3cret-Token"
    assert registered["allowed_updates"] == [
        "message",
        "edited_message",
        "callback_query",
        "chat_member",
    ]

    url = f"http://127.0.0.1:{port}/telegram/hook"
    assert await _post(url, fake.message_update(MARIE, "/aide"), "forged") == 403
    assert await _post(url, fake.message_update(MARIE, "/calendrier"), "s3cret-Token") == 200
    await fake.wait_for(lambda: fake.sent(MARIE.id))
    assert texts(fake, MARIE.id)[0].startswith("Calendrier de la consultation")
    assert not fake.calls_to("getUpdates")
    stop.set()
    await asyncio.wait_for(task, 10)
