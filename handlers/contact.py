"""``/ecrire`` (``/contact``): a person writes to the consultation team, staff answer.

Nobody could reach the staff: notices said "write to the consultation team",
and a mayor who typed "please restore my access" got "I was not expecting a
message".  A message waits in the staff's queue (``/moderation``); a staff
member answers from the chat and the answer reaches the person through the
outbox, introduced in the person's own language.  Answers are audited.
"""

from __future__ import annotations

from bot.core.callbacks import ButtonData, Id
from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.messages import Choice, Reply
from bot.core.router import Router
from bot.core.text import chosen
from handlers.common import quote
from storage import contact, persons

router = Router("contact")

WRITE_STEP = "contact.body"
ANSWER_STEP = "contact.answer"


class MessageQueue(ButtonData, prefix="contact.q"):
    offset: Id = 0


class AnswerMessage(ButtonData, prefix="contact.ans"):
    message: Id


def _checked(ctx: Context, text: str) -> str | None:
    """The message as it will be kept, or None after asking again."""
    body = text.strip()
    limit = ctx.config.limits.text_chars
    step = ctx.conversation.step or WRITE_STEP
    if not body:
        ctx.ask(step, ctx._("The message is empty: please write it."))
        return None
    if len(body) > limit:
        ctx.ask(
            step,
            ctx._(
                "Your message is too long: {length} characters, {limit} at most. "
                "Please shorten it and send it again.",
                length=ctx.t.number(len(body)),
                limit=ctx.t.number(limit),
            ),
        )
        return None
    return body


async def _send(ctx: Context, body: str) -> None:
    message_id = await contact.add(ctx.db, ctx.person.id, body, ctx.now)
    ctx.end()
    ctx.reply(
        ctx._(
            "Your message no. {number} is sent to the consultation team. Their answer "
            "will come here, in this conversation.",
            number=ctx.t.number(message_id),
        )
    )
    author = ctx.person.display_name
    for member in await persons.with_role(ctx.db, "staff", "admin"):
        await ctx.notify(
            member.id,
            "staff",
            lambda r: Reply(
                r._(
                    "New message no. {number} to the team from {person}: “{text}”. "
                    "Type {command} to answer it.",
                    number=r.t.number(message_id),
                    person=chosen(author),
                    text=quote(body, 300),
                    command=r.cmd("moderation"),
                )
            ),
        )


@router.command("contact", "ecrire", "contact", N_("Write to the consultation team"))
async def write(ctx: Context) -> None:
    if ctx.incoming.args:
        body = _checked(ctx, ctx.incoming.arg_text)
        if body is not None:
            await _send(ctx, body)
        return
    ctx.ask(
        WRITE_STEP,
        ctx._(
            "What would you like to tell the consultation team? Write it in one message "
            "({limit} characters at most); the answer will come here.",
            limit=ctx.t.number(ctx.config.limits.text_chars),
        ),
    )


@router.step(WRITE_STEP)
async def typed_message(ctx: Context, text: str) -> None:
    body = _checked(ctx, text)
    if body is not None:
        await _send(ctx, body)


# -- the staff's side ---------------------------------------------------------------------


async def show_messages(ctx: Context, offset: int = 0) -> None:
    """One waiting message at a time, oldest first, as the other queues."""
    total = await contact.count_waiting(ctx.db)
    if total == 0:
        ctx.reply(ctx._("No message to the team is waiting."))
        return
    offset = offset % total
    found = (await contact.waiting(ctx.db, limit=offset + 1))[offset:]
    if not found:  # answered meanwhile by someone else
        await show_messages(ctx)
        return
    item = found[0]
    choices = [Choice(ctx._("Answer"), AnswerMessage(message=item.id).pack())]
    if total > 1:
        choices.append(Choice(ctx._("Next message"), MessageQueue(offset=offset + 1).pack()))
    ctx.reply(
        ctx._(
            "Message {index} of {total} to the team, no. {number}, from {person}, "
            "on {date}:\n\n{text}",
            index=ctx.t.number(offset + 1),
            total=ctx.t.number(total),
            number=ctx.t.number(item.id),
            person=chosen(item.author),
            date=ctx.t.datetime(item.created_at),
            text=item.body,
        ),
        choices,
    )


@router.action(MessageQueue, audience="staff", reveals="staff")
async def next_message(ctx: Context, pressed: MessageQueue) -> None:
    await show_messages(ctx, pressed.offset)


@router.action(AnswerMessage, audience="staff", reveals="staff")
async def start_answer(ctx: Context, pressed: AnswerMessage) -> None:
    item = await contact.get(ctx.db, pressed.message)
    if item is None or item.answered_at is not None:
        ctx.reply(ctx._("This message was already answered."))
        return
    ctx.ask(
        ANSWER_STEP,
        ctx._(
            "Write your answer to message no. {number} from {person} (“{text}”). It is "
            "sent as you write it, after a line saying it comes from the consultation team.",
            number=ctx.t.number(item.id),
            person=chosen(item.author),
            text=quote(item.body, 200),
        ),
        message=item.id,
    )


@router.step(ANSWER_STEP, audience="staff", reveals="staff")
async def typed_answer(ctx: Context, text: str) -> None:
    stored = ctx.conversation.data.get("message")
    item = await contact.get(ctx.db, stored) if isinstance(stored, int) else None
    if item is None:
        ctx.end()
        ctx.reply(ctx._("This message was already answered."))
        return
    body = _checked(ctx, text)
    if body is None:
        return
    if not await contact.answer(ctx.db, item.id, ctx.person.id, body, ctx.now):
        ctx.end()
        ctx.reply(ctx._("This message was already answered."))
        return
    await ctx.audit("contact.answer", f"contact:{item.id}", person=item.person_id)
    asked_on = item.created_at
    await ctx.notify(
        item.person_id,
        "contact",
        lambda r: Reply(
            r._(
                "Answer from the consultation team to your message of {date}:\n\n{answer}",
                date=r.t.date(asked_on),
                answer=body,
            )
        ),
    )
    ctx.end()
    ctx.reply(ctx._("Your answer is on its way to {person}.", person=chosen(item.author)))
    await show_messages(ctx)
