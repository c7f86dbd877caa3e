"""Whole journeys through Telegram: the real python-telegram-bot, the real App
and SQLite, against the fake Bot API server. A mayor onboards and sends a need
in French; an English-speaking official onboards and commits a support."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.backends.telegram import send as telegram_send
from bot.backends.telegram.render import CALLBACK_DATA_LIMIT, Rendered, render
from bot.core.clock import FrozenClock
from bot.core.messages import Reply
from storage import persons
from tests.conftest import make_app, plain
from tests.fake_telegram import FakeTelegram, TgUser
from tests.telegram_support import JOHN, MARIE, Running, callback_data_sent, serving, start


@dataclass
class Rendering:
    """Every reply the backend rendered for Telegram, and what it became."""

    seen: list[tuple[Reply, Rendered]] = field(default_factory=list)

    def wrap(self, render: Callable[[Reply], Rendered]) -> Callable[[Reply], Rendered]:
        def spy(reply: Reply) -> Rendered:
            rendered = render(reply)
            self.seen.append((reply, rendered))
            return rendered

        return spy


@pytest.fixture
def rendering(monkeypatch: pytest.MonkeyPatch) -> Rendering:
    spy = Rendering()
    monkeypatch.setattr(telegram_send, "render", spy.wrap(render))
    return spy


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with serving() as server:
        yield server


async def _running(
    fake: FakeTelegram, db_path: Path, clock: FrozenClock, phase: str
) -> AsyncIterator[Running]:
    app: App = await make_app(db_path, clock, phase=phase)
    running = await start(app, fake)
    yield running
    await running.halt()
    await app.close()


@pytest.fixture
async def needs_tg(fake: FakeTelegram, db_path: Path, clock: FrozenClock) -> AsyncIterator[Running]:
    async for running in _running(fake, db_path, clock, "needs"):
        yield running


@pytest.fixture
async def support_tg(
    fake: FakeTelegram, db_path: Path, clock: FrozenClock
) -> AsyncIterator[Running]:
    async for running in _running(fake, db_path, clock, "support"):
        yield running


def data_of(fake: FakeTelegram, message: dict[str, Any], label: str) -> str:
    """The callback data of the button labelled ``label`` (the one a person reads)."""
    found = [data for shown, data in fake.buttons(message) if shown == label]
    assert found, f"no button “{label}” in {fake.buttons(message)}"
    return found[0]


def assert_flow_clean(tg: Running, rendering: Rendering, presses: int) -> None:
    """Every keyboard asked for reached Telegram as buttons whose data fits in 64
    bytes, every message was accepted, and every button press was answered once."""
    fake = tg.fake
    assert any(reply.choices for reply, _ in rendering.seen), "the flow showed no keyboard"
    for reply, rendered in rendering.seen:
        if reply.choices:
            assert rendered.keyboard is not None, f"fell back to a numbered list: {reply.text}"
    data = callback_data_sent(fake)
    assert data and all(0 < len(d.encode("utf-8")) <= CALLBACK_DATA_LIMIT for d in data)
    assert [(c.method, c.status) for c in fake.calls if c.status != 200] == []
    assert len(fake.issued_queries) == presses
    assert sorted(fake.answered_queries) == sorted(fake.issued_queries)


async def onboard(
    tg: Running, user: TgUser, code: str, language: str, labels: tuple[str, str]
) -> str:
    """``/start CODE`` as a deep link brings it, then the buttons labelled
    ``language``, then ``labels`` (role, confirmation); the last answer's text."""
    fake = tg.fake
    welcome = await tg.say(user, f"/start {code}")
    asked_role = await tg.press(user, welcome, data_of(fake, welcome, language))
    confirm = await tg.press(user, asked_role, data_of(fake, asked_role, labels[0]))
    done = await tg.press(user, confirm, data_of(fake, confirm, labels[1]))
    assert "reply_markup" not in done
    return str(plain(done["text"]))


def texts_since(fake: FakeTelegram, chat: int, first: dict[str, Any]) -> list[str]:
    """What the bot wrote in ``chat`` from the message ``first`` on, buttons included."""
    sent = fake.sent(chat)
    shown = sent[[m["message_id"] for m in sent].index(first["message_id"]) :]
    return [m.get("text", "") for m in shown] + [
        label for m in shown for label, _ in fake.buttons(m)
    ]


# -- what is not text ----------------------------------------------------------------------
async def test_what_is_not_text_is_answered_and_the_step_waits(needs_tg: Running) -> None:
    """A photo in the middle of /besoin used to vanish, its caption becoming the title."""
    tg, fake = needs_tg, needs_tg.fake
    await onboard(tg, MARIE, "24432", "Français", ("Élu·e (peut engager le soutien)", "Confirmer"))
    await tg.say(MARIE, "/besoin")
    kinds = ("photo", "sticker", "voice", "document", "location", "contact")
    for kind in kinds:
        await fake.handled(fake.send_media(MARIE, kind, "Covoiturage" if kind == "photo" else None))
        await tg.app.sender.answered()  # answers leave once their event is committed
        assert plain(fake.last(MARIE.id)["text"]).startswith("Je ne lis que le texte"), kind
    asked_body = await tg.say(MARIE, "Covoiturage rural")
    assert plain(asked_body["text"]).startswith("Décrivez le besoin")
    # an edited title changes nothing, and says so
    await fake.handled(fake.edit(MARIE, "Covoiturage solidaire"))
    await tg.app.sender.answered()
    assert "j'ai gardé cette version" in plain(fake.last(MARIE.id)["text"])


# -- French: a need --------------------------------------------------------------------------
async def test_french_mayor_onboards_and_sends_a_need(
    needs_tg: Running, rendering: Rendering
) -> None:
    tg, fake, db = needs_tg, needs_tg.fake, needs_tg.app.services.db
    done = await onboard(
        tg, MARIE, "24432", "Français", ("Élu·e (peut engager le soutien)", "Confirmer")
    )
    assert done.startswith("Bienvenue ! Vous êtes inscrit·e en tant qu'élu·e")

    asked_title = await tg.say(MARIE, "/besoin")
    assert plain(asked_title["text"]).startswith("Quel est le besoin de votre territoire ?")
    asked_body = await tg.say(MARIE, "Covoiturage rural")
    assert plain(asked_body["text"]).startswith("Décrivez le besoin")
    body = "Mettre en relation les habitants des hameaux qui vont au bourg le jeudi."
    asked_theme = await tg.say(MARIE, body)
    assert plain(asked_theme["text"]) == "Quel thème lui correspond le mieux ?"
    assert len(fake.buttons(asked_theme)) == 9  # the eight of 2021 and "Autre"

    summary = await tg.press(MARIE, asked_theme, data_of(fake, asked_theme, "Mobilité"))
    assert plain(summary["text"]).splitlines() == [
        "Votre besoin, avant de l'envoyer :",
        "",
        "Titre : Covoiturage rural",
        f"Description : {body}",
        "Thème : Mobilité",
        "Au nom de : Saint-Julien-de-Lampon (Dordogne, 24)",
    ]
    assert [label for label, _ in fake.buttons(summary)] == [
        "Envoyer",
        "Modifier le titre",
        "Modifier la description",
        "Changer de thème",
        "Annuler",
    ]
    thanks = await tg.press(MARIE, summary, data_of(fake, summary, "Envoyer"))
    assert plain(thanks["text"]).startswith("Merci ! Votre besoin n° 1 est enregistré.")
    assert "/mes_besoins" in plain(thanks["text"])

    person = await persons.by_identity(db, "telegram:1001")
    assert person is not None
    rows = await db.fetchall(
        "SELECT author_id, collectivite, title, body, theme, status FROM contributions"
    )
    assert [tuple(r) for r in rows] == [
        (person.id, "24432", "Covoiturage rural", body, "mobility", "submitted")
    ]

    mine = await tg.say(MARIE, "/mes_besoins")
    assert plain(mine["text"]).splitlines() == [
        "Vos besoins :",
        "• n° 1 — Covoiturage rural — Saint-Julien-de-Lampon — "
        "reçu, en attente de l'examen de l'équipe",
    ]
    assert fake.buttons(mine) == [
        ("Modifier «\u202fCovoiturage rural\u202f»", "need.edit:1"),
        ("Retirer «\u202fCovoiturage rural\u202f»", "need.wd:1"),
    ]
    assert_flow_clean(tg, rendering, presses=5)


# -- English: a support ----------------------------------------------------------------------
FRENCH_WORDS = ("Proposition", "Thème", "soutient", "Retour", "Vos ", "au nom de", "Bienvenue !")


async def test_english_official_onboards_and_commits_a_support(
    support_tg: Running, rendering: Rendering
) -> None:
    tg, fake, db = support_tg, support_tg.fake, support_tg.app.services.db
    done = await onboard(
        tg, JOHN, "24037", "English", ("Elected official (may commit the support)", "Confirm")
    )
    assert done.startswith("Welcome! You are registered as an elected official of Bergerac")
    assert "/help" in done

    listed = await tg.say(JOHN, "/proposals")
    assert plain(listed["text"]).startswith("Proposals, page 1 of 4 (19 in all):")
    assert "To see one, choose it or type /proposal followed by its number." in plain(
        listed["text"]
    )
    assert fake.buttons(listed)[-3:] == [
        ("Next page", "prop.l:5"),
        ("Filter by theme", "prop.th"),
        ("Search by words", "prop.s"),
    ]
    detail = await tg.press(
        JOHN, listed, data_of(fake, listed, "No. 3: Gérer électroniquement les documents")
    )
    assert plain(detail["text"]).startswith(
        "Proposal no. 3: Gérer électroniquement les documents\nTheme: "
        "Administration and internal tools"
    )
    assert "Supporting collectivités: " in plain(detail["text"])
    assert [label for label, _ in fake.buttons(detail)] == [
        "Support it, on behalf of Bergerac",
        "Ready to co-build it, on behalf of Bergerac",
        "Back to the list",
    ]
    before = await db.fetchval("SELECT COUNT(*) FROM supports")

    committed = await tg.press(
        JOHN, detail, data_of(fake, detail, "Ready to co-build it, on behalf of Bergerac")
    )
    assert plain(committed["text"]) == (
        "Bergerac now supports no. 3 “Gérer électroniquement les documents”: ready to co-build."
    )
    assert [label for label, _ in fake.buttons(committed)] == [
        "Change the support of Bergerac to: support",
        "Withdraw the support of Bergerac",
        "Back to the proposal",
        "Our supports",
    ]

    person = await persons.by_identity(db, "telegram:1002")
    assert person is not None and person.locale == "en"
    row = await db.fetchone(
        "SELECT s.collectivite, p.number, s.level, s.committed_by FROM supports s"
        " JOIN proposals p ON p.id = s.proposal_id WHERE s.collectivite = '24037'"
    )
    assert row is not None and tuple(row) == ("24037", 3, "co_construction", person.id)
    assert await db.fetchval("SELECT COUNT(*) FROM supports") == before + 1

    again = await tg.press(JOHN, committed, data_of(fake, committed, "Back to the proposal"))
    assert "Bergerac supports it (ready to co-build); committed by John Smith." in plain(
        again["text"]
    )
    assert fake.buttons(again)[0] == (
        "Change the support of Bergerac to: support",
        "sup.add:3:so:24037",
    )

    ours = await tg.say(JOHN, "/my_supports")
    assert plain(ours["text"]).splitlines() == [
        "Supports of Bergerac:",
        "• no. 3 “Gérer électroniquement les documents” — ready to co-build — committed by "
        "John Smith on December 1, 2026",
    ]
    assert fake.buttons(ours) == [("No. 3: Gérer électroniquement les documents", "prop.d:3")]

    english = texts_since(fake, JOHN.id, listed)
    assert len(english) > 20
    assert [t for t in english if any(word in t for word in FRENCH_WORDS)] == []
    assert_flow_clean(tg, rendering, presses=6)
