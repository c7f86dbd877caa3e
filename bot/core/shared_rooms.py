"""Answers given in a room others read go to the person's private chat instead.

A Telegram group or a Matrix room of more than two is read by people who are
neither the person asking nor the staff: an answer there must show nothing
but what anyone may see. Each handler declares what its answer reveals
(``Rules.reveals``); in a shared room only ``public`` answers are posted
there, and never a file or an image. Everything else goes to the person's
private chat through the outbox, in the event's own transaction, and the
room is told so in a line that says nothing about the answer. The outbox
reaches Telegram users in their private chat with the bot, once they have
opened it (``storage.persons`` hands their waiting answers back when they
do), and Matrix users in their direct room, which the bot opens if need be.

The outbox keeps text and choices, not files: an answer that carries one is
replaced there by a line asking to request it again in the private chat.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import Reply
from storage import outbox

KIND = outbox.PRIVATE_ANSWER


class Notice(Reply):
    """The line a shared room reads in place of an answer sent privately."""


def is_public(ctx: Context, reply: Reply) -> bool:
    """Whether ``reply`` may be posted where others read it.

    Only a handler declared ``public`` may; a generic answer given when no
    handler was found (an unknown command, a stale button) shows nothing of
    anyone. Files and images never do, whatever the handler declared.
    """
    if reply.file is not None or reply.image is not None:
        return False
    return ctx.reveals in (None, "public")


async def keep_private(ctx: Context, replies: list[Reply]) -> list[Reply]:
    """The replies to post where the event came from; the others are queued to
    the person's private chat, with a notice in their place."""
    if not ctx.incoming.shared:
        return replies
    posted = [r for r in replies if is_public(ctx, r)]
    moved = [r for r in replies if not is_public(ctx, r)]
    if not moved:
        return replies
    for reply in moved:
        if reply.file is not None or reply.image is not None:
            reply = Reply(
                ctx._(
                    "{text}\n\n(The file that goes with this answer is only sent in a private "
                    "chat: please ask for it again here.)",
                    text=reply.text,
                ),
                reply.choices,
            )
        await outbox.enqueue(ctx.db, ctx.person.id, KIND, reply, ctx.now)
    ctx.services.on_outbox()
    return [*posted, notice(ctx)]


def notice(ctx: Context) -> Reply:
    """What the room reads instead of the answer: that it went elsewhere, and how
    to open the private chat where the platform cannot open it for the bot."""
    link = ctx.services.direct_links.get(ctx.incoming.backend)
    if link:
        return Notice(
            ctx._(
                "I answer you in a private chat, so that it stays between us. If you have "
                "never written to me there, open {link} and press Start: your answer waits "
                "for you.",
                link=link,
            )
        )
    return Notice(
        ctx._(
            "I answer you in a private chat, so that it stays between us (I invite you "
            "to one if we have none yet)."
        )
    )


def merge(first: list[Reply], later: list[Reply]) -> list[Reply]:
    """Replies of the event and of its work after commit, with one notice at most."""
    noticed = any(isinstance(r, Notice) for r in first)
    return first + [r for r in later if not (noticed and isinstance(r, Notice))]
