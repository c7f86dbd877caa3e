"""Votes during the ``vote`` phase, and ``/mes_votes``.

Any person with an approved membership votes in their own name (the
collectivité's commitment is the support, later). Each click re-checks the
phase, the membership, the proposal and the cap, since a button proves
nothing; the cap and the vote are written together (``storage.votes.cast``).
"""

from __future__ import annotations

from bot.core.context import Context, Refused
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.router import Router
from handlers.common import require_consultation
from handlers.proposal_common import (
    button,
    cap,
    counts,
    heading,
    proposal_from,
    require_open,
    supports_begun,
)
from storage import memberships, votes
from storage.consultations import Consultation
from storage.proposals import Proposal

router = Router("vote")

SETTING = "votes_per_person"


async def votes_left(ctx: Context, consultation: Consultation) -> str:
    limit = cap(consultation, SETTING)
    if limit is None:
        return ctx._("You may vote for as many proposals as you like.")
    used = await votes.count_of_person(ctx.db, ctx.person.id, consultation.id)
    return ctx.t.ngettext(
        "You have {n} vote left out of {total}.",
        "You have {n} votes left out of {total}.",
        max(limit - used, 0),
        total=ctx.t.number(limit),
    )


def _choices(ctx: Context, proposal: Proposal, voted: bool) -> list[Choice]:
    number = proposal.number
    first = (
        Choice(ctx._("Withdraw my vote"), f"prop.uv:{number}")
        if voted
        else Choice(ctx._("Vote for it"), f"prop.v:{number}")
    )
    return [
        first,
        Choice(ctx._("Back to the proposal"), f"prop.d:{number}"),
        Choice(ctx._("My votes"), "vote.mine"),
    ]


async def panel(
    ctx: Context, consultation: Consultation, proposal: Proposal
) -> tuple[list[str], list[Choice]]:
    """What the detail view says and offers about this person's vote."""
    voted = await votes.has_voted(ctx.db, ctx.person.id, proposal.id)
    lines = [ctx._("You voted for this proposal.")] if voted else []
    phase = consultation.open_phase(ctx.now)
    if phase is None or phase.kind != "vote" or proposal.status != "open":
        return lines, []
    if not await memberships.approved_of_person(ctx.db, ctx.person.id):
        lines.append(
            ctx._(
                "To vote, first say which collectivité you represent: {start}.",
                start=ctx.cmd("start"),
            )
        )
        return lines, []
    lines.append(await votes_left(ctx, consultation))
    return lines, _choices(ctx, proposal, voted)[:1]


async def _checked(ctx: Context, args: list[str]) -> tuple[Consultation, Proposal]:
    """Everything a vote click must satisfy, in the order a person would fix it."""
    consultation = await require_consultation(ctx)
    proposal = await proposal_from(ctx, consultation, args)
    require_open(ctx, proposal)
    return consultation, proposal


async def show_mine(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    mine = await votes.of_person(ctx.db, ctx.person.id, consultation.id)
    phase = consultation.open_phase(ctx.now)
    voting = phase is not None and phase.kind == "vote"
    if not mine:
        lines = [ctx._("You have not voted for any proposal.")]
    else:
        lines = [ctx._("Your votes:")]
        with_supports = supports_begun(ctx, consultation)
        lines += [f"• {heading(ctx.t, p)} — {counts(ctx.t, p, with_supports)}" for p in mine]
    if voting:
        lines += ["", await votes_left(ctx, consultation)]
    choices = [Choice(button(ctx.t, p), f"prop.d:{p.number}") for p in mine[:10]]
    if voting:
        choices.append(Choice(ctx._("See the proposals"), "prop.l:0"))
    ctx.reply("\n".join(lines), choices)


@router.action("prop.v", audience="member", phases=["vote"])
async def vote(ctx: Context, args: list[str]) -> None:
    consultation, proposal = await _checked(ctx, args)
    limit = cap(consultation, SETTING)
    outcome = await votes.cast(ctx.db, ctx.person.id, proposal, cap=limit, now=ctx.now)
    if outcome == "full":
        assert limit is not None
        raise Refused(
            ctx.t.ngettext(
                "You have no vote left (at most {n} vote per person). Withdraw one of "
                "your votes to vote for this proposal.",
                "You have no vote left (at most {n} votes per person). Withdraw one of "
                "your votes to vote for this proposal.",
                limit,
            )
        )
    if outcome == "already":
        text = ctx._(
            "You have already voted for {proposal}; nothing was changed.",
            proposal=heading(ctx.t, proposal),
        )
    else:
        text = ctx._("Your vote for {proposal} is recorded.", proposal=heading(ctx.t, proposal))
    left = await votes_left(ctx, consultation)
    ctx.reply(f"{text}\n{left}", _choices(ctx, proposal, True))


@router.action("prop.uv", audience="member", phases=["vote"])
async def withdraw(ctx: Context, args: list[str]) -> None:
    consultation, proposal = await _checked(ctx, args)
    if await votes.withdraw(ctx.db, ctx.person.id, proposal.id):
        text = ctx._("Your vote for {proposal} is withdrawn.", proposal=heading(ctx.t, proposal))
    else:
        text = ctx._(
            "You had not voted for {proposal}; nothing was changed.",
            proposal=heading(ctx.t, proposal),
        )
    left = await votes_left(ctx, consultation)
    ctx.reply(f"{text}\n{left}", _choices(ctx, proposal, False))


@router.command(
    "my_votes",
    "mes_votes",
    "my_votes",
    N_("The proposals you voted for"),
    audience="member",
    suggested=["vote", "support", "selection"],
)
async def my_votes(ctx: Context) -> None:
    await show_mine(ctx)


@router.action("vote.mine")
async def mine(ctx: Context, args: list[str]) -> None:
    await show_mine(ctx)
