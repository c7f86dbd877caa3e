"""In a room others read, nothing personal or staff-only is posted.

Every command, every button and every step is run as an administrator with
an approved membership (the person who sees the most), as if said in a
shared room: what comes back for the room is either a public answer or the
one line saying the answer went to the private chat, never a file or an
image; the answer itself reaches the person's private chat.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from bot.core.messages import Incoming, Kind, Reply
from bot.core.shared_rooms import Notice
from storage import conversations, persons
from tests.conftest import onboard

_events = itertools.count(1)

WHO = "memory:alice"


def _shared(chat: MemoryBackend, kind: Kind, **fields: object) -> Incoming:
    clock = chat.app.services.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(seconds=3))  # below the flood limit
    return Incoming(WHO, f"room:{next(_events)}", kind, shared=True, display_name="alice", **fields)  # type: ignore[arg-type]


def _posted_safely(replies: list[Reply], public: bool, what: str) -> None:
    assert all(r.file is None and r.image is None for r in replies), what
    if public:
        assert not any(isinstance(r, Notice) for r in replies), what
    else:
        assert all(isinstance(r, Notice) for r in replies), (what, [r.text for r in replies])
        assert len(replies) <= 1, what


async def _moved(chat: MemoryBackend, before: int, replies: list[Reply], what: str) -> None:
    if any(isinstance(r, Notice) for r in replies):
        assert len(chat.inbox("alice")) > before, f"{what}: nothing reached the private chat"


async def test_every_command_button_and_step_in_a_shared_room(chat: MemoryBackend) -> None:
    await onboard(chat, "alice")
    db = chat.app.services.db
    alice = await persons.by_identity(db, WHO)
    assert alice is not None
    await persons.set_role(db, alice.id, "admin")
    dispatcher = chat.app.router
    ran = 0
    for command in dispatcher.commands:
        for args in ((), ("1",)):
            before = len(chat.inbox("alice"))
            replies = await chat.send(_shared(chat, Kind.COMMAND, command=command.fr, args=args))
            what = f"/{command.fr} {' '.join(args)}"
            _posted_safely(replies, command.reveals == "public", what)
            await _moved(chat, before, replies, what)
            ran += 1
    for action in dispatcher.actions:
        for data in (action.name, f"{action.name}:1", f"{action.name}:1:1"):
            before = len(chat.inbox("alice"))
            replies = await chat.send(_shared(chat, Kind.CHOICE, data=data))
            _posted_safely(replies, action.rules.reveals == "public", data)
            await _moved(chat, before, replies, data)
            ran += 1
    for step in dispatcher.steps:
        for typed in ("1", "Une réponse de quelques mots"):
            conversation = conversations.Conversation(step=step.name, data={"code": "24432"})
            await conversations.save(db, alice.id, conversation, chat.app.services.clock.now())
            before = len(chat.inbox("alice"))
            replies = await chat.send(_shared(chat, Kind.TEXT, text=typed))
            what = f"step {step.name}: {typed}"
            _posted_safely(replies, step.rules.reveals == "public", what)
            await _moved(chat, before, replies, what)
            ran += 1
    assert ran > 150


async def test_personal_data_and_exports_never_reach_the_room(chat: MemoryBackend) -> None:
    await onboard(chat, "alice")
    [notice] = await chat.send(_shared(chat, Kind.COMMAND, command="mes_donnees"))
    assert isinstance(notice, Notice) and "conversation privée" in notice.text
    [private] = chat.inbox("alice")[-1:]
    assert "JSON" in private.text and "demandez-le à nouveau ici" in private.text
    assert private.file is None  # the outbox carries no file: asked again in private
    [file_reply] = await chat.say("alice", "/mes_donnees")
    assert file_reply.file is not None


async def test_public_answers_stay_in_the_room(chat: MemoryBackend) -> None:
    replies = await chat.send(_shared(chat, Kind.COMMAND, command="calendrier"))
    assert replies and not any(isinstance(r, Notice) for r in replies)
    assert "Calendrier" in replies[0].text or "calendrier" in replies[0].text.lower()
