"""Telling the staff that a membership request waits, without burying them.

Each request used to notify every staff member: one account filing hundreds
of requests sent thousands of notices. While the queue is short each request
is announced as before; once it holds more than ``DIGEST_FROM`` requests the
staff get one digest (how many wait) at most every ``DIGEST_EVERY``, since a
notice per request no longer tells them anything the queue does not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.core.clock import from_iso, to_iso
from bot.core.context import Context, Recipient
from bot.core.messages import Reply
from storage import events, memberships, persons

DIGEST_FROM = 5
"""Beyond this many requests waiting, a digest replaces the notice per request."""
DIGEST_EVERY = timedelta(hours=1)
_LAST_DIGEST = "staff.requests_digest_at"


async def request_filed(ctx: Context, notice: Callable[[Recipient], Reply]) -> None:
    """Queue ``notice`` (about this request) or a digest for every staff member, or nothing."""
    waiting = await memberships.queue_size(ctx.db)
    staff = await persons.with_role(ctx.db, "staff", "admin")
    if waiting <= DIGEST_FROM:
        for member in staff:
            await ctx.notify(member.id, "staff", notice)
        return
    last = await events.get_state(ctx.db, _LAST_DIGEST)
    if last is not None and from_iso(last) > ctx.now - DIGEST_EVERY:
        return
    await events.set_state(ctx.db, _LAST_DIGEST, to_iso(ctx.now))

    def digest(r: Recipient) -> Reply:
        return Reply(
            r.t.ngettext(
                "{n} membership request is waiting for review. While the queue is this long "
                "I will not announce each new one, only how many wait, at most once an hour. "
                "Type {command} to review them.",
                "{n} membership requests are waiting for review. While the queue is this long "
                "I will not announce each new one, only how many wait, at most once an hour. "
                "Type {command} to review them.",
                waiting,
                command=r.cmd("moderation"),
            )
        )

    for member in staff:
        await ctx.notify(member.id, "staff", digest)
