"""Following a proposal: ``/suivre N``, ``/ne_plus_suivre N``, and the staff's ``/actualite N``.

Whoever voted for a proposal, speaks for a collectivité that supported it or
volunteers to co-build it follows it already (``storage.follows``); anyone
else may, and anyone may stop. The staff's news of a proposal, and a change
of its title or summary once people voted for or supported it (``edited``,
called by ``handlers.proposal_admin``), go to every follower through the
outbox: rendered once per language, held to the send hours of working days.
"""

from __future__ import annotations

from bot.core.arguments import proposal_number
from bot.core.callbacks import ButtonData
from bot.core.context import Context, Recipient, Refused
from bot.core.i18n import N_
from bot.core.messages import Choice, Reply
from bot.core.router import Router
from bot.delivery.fanout import Render, fan_out
from bot.delivery.workdays import SendWindow
from handlers.common import require_consultation, stale_button
from handlers.proposal_common import heading
from storage import follows, proposals
from storage.consultations import Consultation
from storage.proposals import Proposal

router = Router("follow")
NEWS_STEP = "follow.news"
CONFIRM_STEP = "follow.confirm"
NEWS_LIMIT = 2000


class SendNews(ButtonData, prefix="follow.send"):
    pass


class KeepNews(ButtonData, prefix="follow.keep"):
    pass


async def _proposal(ctx: Context, consultation: Consultation, example: str) -> Proposal:
    args = ctx.incoming.args
    number = proposal_number(args[0]) if args else None
    found = await proposals.by_number(ctx.db, consultation.id, number) if number else None
    if found is None:
        if args:
            raise Refused(ctx._("There is no proposal numbered “{typed}”.", typed=args[0][:20]))
        raise Refused(ctx._("Type the number after the command, e.g. {example}.", example=example))
    return found


@router.command(
    "follow",
    "suivre",
    "follow",
    N_("Follow a proposal: its news and changes"),
    suggested=["vote", "support", "selection", "coconstruction"],
)
async def follow_command(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    proposal = await _proposal(ctx, consultation, ctx.cmd("follow") + " 12")
    await follows.set_following(ctx.db, ctx.person.id, proposal.id, True, ctx.now)
    ctx.reply(
        ctx._(
            "You follow {proposal}: its news and changes will reach you. To stop: {command}.",
            proposal=heading(ctx.t, proposal),
            command=f"{ctx.cmd('unfollow')} {proposal.number}",
        )
    )


@router.command(
    "unfollow",
    "ne_plus_suivre",
    "unfollow",
    N_("Stop following a proposal"),
    suggested=["vote", "support", "selection", "coconstruction"],
)
async def unfollow_command(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    proposal = await _proposal(ctx, consultation, ctx.cmd("unfollow") + " 12")
    await follows.set_following(ctx.db, ctx.person.id, proposal.id, False, ctx.now)
    ctx.reply(
        ctx._(
            "You no longer follow {proposal}. To follow it again: {command}.",
            proposal=heading(ctx.t, proposal),
            command=f"{ctx.cmd('follow')} {proposal.number}",
        )
    )


async def panel(
    ctx: Context, consultation: Consultation, proposal: Proposal
) -> tuple[list[str], list[Choice]]:
    """For the proposal's page: whether this person follows it, and how to change that."""
    if await follows.reason(ctx.db, ctx.person.id, proposal.id) is None:
        line = ctx._(
            "To follow its news: {command}.", command=f"{ctx.cmd('follow')} {proposal.number}"
        )
    else:
        line = ctx._(
            "You follow its news. To stop: {command}.",
            command=f"{ctx.cmd('unfollow')} {proposal.number}",
        )
    return [line], []


def _footer(r: Recipient, proposal: Proposal) -> str:
    return r._(
        "You get this because you follow {proposal}. To stop: {command}.",
        proposal=heading(r.t, proposal),
        command=f"{r.cmd('unfollow')} {proposal.number}",
    )


async def send_to_followers(
    ctx: Context, proposal: Proposal, render: Render, kind: str, text: str
) -> int:
    """Queue ``render`` for every follower, within the send hours; how many."""
    consultation = await require_consultation(ctx)
    targets = await follows.targets(ctx.db, proposal.id)
    start = SendWindow.from_settings(consultation.settings).next_open(ctx.now)
    count = await fan_out(
        ctx.services, ctx.commands, targets, "news", render, now=ctx.now, not_before=start
    )
    await follows.record(
        ctx.db,
        proposal.id,
        author_id=ctx.person.id,
        kind="edit" if kind == "edit" else "news",
        text=text,
        recipients=count,
        now=ctx.now,
    )
    return count


@router.command(
    "news",
    "actualite",
    "news",
    N_("Post news of a proposal to its followers"),
    audience="staff",
    reveals="staff",
)
async def news_command(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    proposal = await _proposal(ctx, consultation, ctx.cmd("news") + " 12 …")
    text = " ".join(ctx.incoming.args[1:]).strip()
    if not text:
        ctx.ask(
            NEWS_STEP,
            ctx._(
                "What is the news of {proposal}? Type it in one message.",
                proposal=heading(ctx.t, proposal),
            ),
            id=proposal.id,
        )
        return
    await _confirm(ctx, proposal, text)


@router.step(NEWS_STEP, audience="staff", reveals="staff")
async def typed_news(ctx: Context, text: str) -> None:
    raw = ctx.conversation.data.get("id")
    proposal = await proposals.get(ctx.db, raw) if isinstance(raw, int) else None
    if proposal is None:
        raise stale_button(ctx)
    await _confirm(ctx, proposal, text.strip())


async def _confirm(ctx: Context, proposal: Proposal, text: str) -> None:
    if len(text) > NEWS_LIMIT:
        raise Refused(
            ctx._(
                "The news is too long ({length} characters; at most {limit}).",
                length=ctx.t.number(len(text)),
                limit=ctx.t.number(NEWS_LIMIT),
            )
        )
    count = await follows.count(ctx.db, proposal.id)
    ctx.ask(
        CONFIRM_STEP,
        ctx._(
            "Send this news of {proposal} to its {n} followers?\n\n{text}",
            proposal=heading(ctx.t, proposal),
            n=ctx.t.number(count),
            text=text,
        ),
        [Choice(ctx._("Send"), SendNews().pack()), Choice(ctx._("Not now"), KeepNews().pack())],
        id=proposal.id,
        news=text,
    )


def _news(proposal: Proposal, text: str, r: Recipient) -> Reply:
    return Reply(
        r._("News of {proposal}:", proposal=heading(r.t, proposal))
        + f"\n{text}\n\n"
        + _footer(r, proposal)
    )


@router.action(SendNews, audience="staff", reveals="staff")
async def send_news(ctx: Context, data: SendNews) -> None:
    raw, text = ctx.conversation.data.get("id"), ctx.conversation.data.get("news")
    proposal = await proposals.get(ctx.db, raw) if isinstance(raw, int) else None
    if ctx.conversation.step != CONFIRM_STEP or proposal is None or not isinstance(text, str):
        raise stale_button(ctx)
    count = await send_to_followers(ctx, proposal, lambda r: _news(proposal, text, r), "news", text)
    await ctx.audit("proposal.news", f"proposal:{proposal.number}", recipients=count)
    ctx.end()
    ctx.reply(
        ctx.t.ngettext(
            "The news is queued for {n} follower, within the send hours.",
            "The news is queued for {n} followers, within the send hours.",
            count,
        )
    )


@router.action(KeepNews, audience="staff", reveals="staff")
async def keep_news(ctx: Context, data: KeepNews) -> None:
    ctx.end()
    ctx.reply(ctx._("Nothing was sent."))


@router.step(CONFIRM_STEP, audience="staff", reveals="staff")
async def typed_confirm(ctx: Context, text: str) -> None:
    ctx.end()
    ctx.reply(ctx._("Nothing was sent."))


def _changes(before: Proposal, after: Proposal, r: Recipient) -> Reply:
    lines = [r._("{proposal}, which you follow, was changed:", proposal=heading(r.t, after))]
    if before.title != after.title:
        lines.append(r._("Title: “{old}” became “{new}”.", old=before.title, new=after.title))
    if before.summary != after.summary:
        lines.append(r._("Summary, before: {old}", old=before.summary))
        lines.append(r._("Summary, now: {new}", new=after.summary))
    return Reply("\n".join(lines) + "\n\n" + _footer(r, after))


async def edited(ctx: Context, before: Proposal, after: Proposal) -> int:
    """Tell the followers what changed in a title or summary people already voted for or
    supported; how many are told (none before any vote or support)."""
    if (before.title, before.summary) == (after.title, after.summary):
        return 0
    if not (after.votes or after.supports):
        return 0
    text = f"{before.title} → {after.title}\n{before.summary} → {after.summary}"
    return await send_to_followers(ctx, after, lambda r: _changes(before, after, r), "edit", text)
