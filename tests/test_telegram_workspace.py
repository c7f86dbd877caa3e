"""Co-construction groups on Telegram, with the real python-telegram-bot against the
local Bot API server: the staff bind a group with /lier typed in it, each volunteer
gets a private one-person invitation link (in their language), the staff are told
who joined, and a volunteer who withdraws is taken out of the group."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.core.clock import FrozenClock
from storage import memberships, persons, proposals, volunteers, workspaces
from tests.conftest import make_app
from tests.fake_telegram import ApiError, FakeTelegram, TgUser, group_chat
from tests.telegram_support import JOHN, MARIE, Running, serving, start

STAFF = TgUser(1003, "Claire", "Equipe", "en")
GROUP = group_chat(-1001234, "Co-construction GRU")


async def _volunteer(app: App, user: TgUser, code: str, locale: str) -> int:
    db, now = app.services.db, app.services.clock.now()
    async with db.transaction():
        person = await persons.ensure(
            db, f"telegram:{user.id}", now=now, display_name=f"{user.first_name} {user.last_name}"
        )
        await persons.set_locale(db, person.id, locale)
        await memberships.request(db, person.id, code, "elu", approve=True, evidence="", now=now)
        first = await proposals.by_number(db, 1, 1)
        assert first is not None
        applied = await volunteers.apply(db, first.id, code, person.id, now)
        await volunteers.decide(db, applied.id, True, person.id, 10, now)
    return person.id


@pytest.fixture
async def running(db_path: Path, clock: FrozenClock) -> AsyncIterator[Running]:
    app = await make_app(db_path, clock, phase="coconstruction")
    db = app.services.db
    await db.execute("UPDATE proposals SET status = 'not_selected' WHERE number > 2")
    async with db.transaction():
        staff = await persons.ensure(db, f"telegram:{STAFF.id}", now=clock.now())
        await persons.set_role(db, staff.id, "staff")
        await persons.set_locale(db, staff.id, "en")
    async with serving() as fake:
        fake.bot_admin_in.add(GROUP["id"])
        bot = await start(app, fake)
        yield bot
        await bot.halt()
    await app.close()


def _links(fake: FakeTelegram, chat: int) -> list[str]:
    return [
        word.rstrip(".")
        for message in fake.sent(chat)
        for word in message.get("text", "").split()
        if word.startswith("https://t.me/+")
    ]


async def test_bind_links_joins_and_removal(running: Running) -> None:
    app, fake = running.app, running.fake
    keeper = app.keeper
    assert keeper is not None
    marie = await _volunteer(app, MARIE, "24520", "fr")
    await _volunteer(app, JOHN, "33063", "en")

    # only the staff may bind, and in the group itself
    refused = await running.say(JOHN, "/lier@guichet_test_bot 1", chat=GROUP)
    assert "reserved for the consultation staff" in refused["text"]
    bound = await running.say(STAFF, "/bind@guichet_test_bot 1", chat=GROUP)
    assert "This group is now the working group of no. 1" in bound["text"]
    first = await proposals.by_number(app.services.db, 1, 1)
    assert first is not None
    [space] = await workspaces.of_proposal(app.services.db, first.id)
    assert (space.backend, space.room) == ("telegram", str(GROUP["id"]))

    tally = await keeper.reconcile()
    assert (tally.admitted, tally.failed) == (2, 0)
    created = fake.calls_to("createChatInviteLink")
    assert len(created) == 2
    assert all(c.params["member_limit"] == 1 for c in created)
    assert all(int(c.params["chat_id"]) == GROUP["id"] for c in created)
    await app.sender.drain()
    [marie_link] = _links(fake, MARIE.id)
    [john_link] = _links(fake, JOHN.id)
    assert marie_link != john_link
    assert "Voici votre lien personnel" in fake.last(MARIE.id)["text"]
    assert "Here is your personal link" in fake.last(JOHN.id)["text"]
    assert _links(fake, GROUP["id"]) == []  # never in the group itself

    # Marie joins with her link; nobody else can use it; the staff are told
    await fake.handled(fake.join(MARIE, marie_link))
    with pytest.raises(ApiError):
        fake.join(JOHN, marie_link)
    told = await keeper.reconcile()
    assert told.reported == 1
    await app.sender.drain()
    assert "Marie Dupont joined the Telegram group of proposal no. 1" in fake.last(STAFF.id)["text"]

    # Marie withdraws: out of the group; John's unused link stays valid
    [mine] = [
        v for v in await volunteers.of_proposal(app.services.db, first.id) if v.person_id == marie
    ]
    async with app.services.db.transaction():
        await volunteers.leave(app.services.db, mine.id, "withdrawn", 10, app.services.clock.now())
    gone = await keeper.reconcile()
    assert (gone.removed, gone.failed) == (1, 0)
    assert MARIE.id not in fake.members[GROUP["id"]]
    assert [int(c.params["user_id"]) for c in fake.calls_to("banChatMember")] == [MARIE.id]
    assert fake.calls_to("unbanChatMember")  # removed, not barred from coming back
    assert not fake.invite_links[john_link]["is_revoked"]


async def test_a_group_where_the_bot_is_no_admin_is_retried(running: Running) -> None:
    app, fake = running.app, running.fake
    fake.bot_admin_in.clear()
    await _volunteer(app, MARIE, "24520", "fr")
    await running.say(STAFF, "/bind@guichet_test_bot 1", chat=GROUP)
    keeper = app.keeper
    assert keeper is not None
    assert (await keeper.reconcile()).failed == 1
    fake.bot_admin_in.add(GROUP["id"])  # the staff made the bot an administrator
    assert (await keeper.reconcile()).admitted == 1


async def test_while_telegram_is_away_the_pass_gives_up_at_once(running: Running) -> None:
    app, fake = running.app, running.fake
    await _volunteer(app, MARIE, "24520", "fr")
    await _volunteer(app, JOHN, "33063", "en")
    await running.say(STAFF, "/bind@guichet_test_bot 1", chat=GROUP)
    await running.halt()  # the backend is stopped: not connected
    keeper = app.keeper
    assert keeper is not None
    tally = await keeper.reconcile()
    assert (tally.admitted, tally.failed) == (0, 1)  # one try for the platform, not one per person
    assert fake.calls_to("createChatInviteLink") == []
    first = await proposals.by_number(app.services.db, 1, 1)
    assert first is not None
    [space] = await workspaces.of_proposal(app.services.db, first.id)
    assert len(await workspaces.to_admit(app.services.db, space.id)) == 2  # kept for later
