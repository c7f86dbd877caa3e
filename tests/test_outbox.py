"""The outbox: written with the fact, delivered through the person's backend."""

from __future__ import annotations

from typing import Any

from bot.backends.base import Blocked, RetryAfter
from bot.backends.memory import MemoryBackend
from bot.core.context import Context
from bot.core.messages import Reply
from storage import outbox, persons


class FlakyBackend(MemoryBackend):
    """Fails the way platforms do, on demand."""

    name = "flaky"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.failure: Exception | None = None

    async def deliver(self, identity: str, address: str, reply: Reply, **how: Any) -> None:
        if self.failure is not None:
            raise self.failure
        await super().deliver(identity, address, reply, **how)


async def _notify_on_command(chat: MemoryBackend, fail: bool) -> None:
    router = chat.app.router

    @router.command("poke", "poke", "poke", "Poke")
    async def poke(ctx: Context) -> None:
        target = await persons.by_identity(ctx.db, f"{chat.name}:bob")
        assert target is not None
        await ctx.notify(target.id, "test", lambda r: Reply(r._("Nothing was changed.")))
        if fail:
            raise RuntimeError("after the notification")


async def test_notification_is_committed_with_its_fact_or_not_at_all(chat: MemoryBackend) -> None:
    await chat.say("bob", "/langue en")
    await _notify_on_command(chat, fail=True)
    await chat.say("alice", "/poke")
    assert await outbox.counts(chat.app.services.db) == {}
    assert chat.inbox("bob") == []


async def test_notification_is_delivered_in_the_recipients_language(chat: MemoryBackend) -> None:
    await chat.say("bob", "/langue en")
    await _notify_on_command(chat, fail=False)
    await chat.say("alice", "/poke")
    assert [r.text for r in chat.inbox("bob")] == ["Nothing was changed."]
    assert await outbox.counts(chat.app.services.db) == {"sent": 1}


async def test_blocked_and_rate_limited_deliveries(chat: MemoryBackend) -> None:
    flaky = FlakyBackend(chat.app)
    await flaky.say("bob", "/aide")
    await _notify_on_command(flaky, fail=False)
    db = chat.app.services.db

    flaky.failure = RetryAfter(30)
    await flaky.say("alice", "/poke")
    row = await db.fetchone("SELECT status, not_before, created_at FROM outbox")
    assert row is not None and row["status"] == "pending" and row["not_before"] > row["created_at"]

    await db.execute("UPDATE outbox SET not_before = created_at")
    flaky.failure = Blocked("bot was blocked by the user")
    assert await chat.app.sender.drain() == 0
    assert await outbox.counts(db) == {"blocked": 1}


async def test_an_offline_backend_keeps_the_message_pending(chat: MemoryBackend) -> None:
    await chat.say("bob", "/aide")
    await _notify_on_command(chat, fail=False)
    del chat.app.backends["memory"]
    await chat.say("alice", "/poke")
    assert await outbox.counts(chat.app.services.db) == {"pending": 1}
    chat.app.add_backend(chat)
    await chat.app.services.db.execute("UPDATE outbox SET not_before = created_at")
    assert await chat.app.sender.drain() == 1
    assert len(chat.inbox("bob")) == 1
