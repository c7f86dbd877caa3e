"""Votes during the ``vote`` phase, and ``/mes_votes``.

Any person with an approved membership votes in their own name (the
collectivité's commitment is the support, later). Each click re-checks the
phase, the membership, the proposal and the cap, since a button proves
nothing; the cap and the vote are written together (``storage.votes.cast``).
"""

from __future__ import annotations

from bot.core.callbacks import ButtonData, Id
from bot.core.context import Context, Refused
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.router import Router
from handlers.common import require_consultation
from handlers.proposal_common import (
    ProposalPage,
    ShowProposal,
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


class Vote(ButtonData, prefix="prop.v"):
    proposal: Id


class Unvote(ButtonData, prefix="prop.uv"):
    proposal: Id


class MyVotes(ButtonData, prefix="vote.mine"):
    pass


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
    first = (
        Choice(ctx._("Withdraw my vote"), Unvote(proposal=proposal.id).pack())
        if voted
        else Choice(ctx._("Vote for it"), Vote(proposal=proposal.id).pack())
    )
    return [
        first,
        Choice(ctx._("Back to the proposal"), ShowProposal(proposal=proposal.id).pack()),
        Choice(ctx._("My votes"), MyVotes().pack()),
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


async def _checked(ctx: Context, proposal_id: int) -> tuple[Consultation, Proposal]:
    """What a vote click must satisfy beyond its rules (member, vote phase)."""
    consultation = await require_consultation(ctx)
    proposal = await proposal_from(ctx, consultation, proposal_id)
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
    choices = [Choice(button(ctx.t, p), ShowProposal(proposal=p.id).pack()) for p in mine[:10]]
    if voting:
        choices.append(Choice(ctx._("See the proposals"), ProposalPage().pack()))
    ctx.reply("\n".join(lines), choices)


@router.action(Vote, audience="member", phases=["vote"])
async def vote(ctx: Context, pressed: Vote) -> None:
    consultation, proposal = await _checked(ctx, pressed.proposal)
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


@router.action(Unvote, audience="member", phases=["vote"])
async def withdraw(ctx: Context, pressed: Unvote) -> None:
    consultation, proposal = await _checked(ctx, pressed.proposal)
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


@router.action(MyVotes)
async def mine(ctx: Context, pressed: MyVotes) -> None:
    await show_mine(ctx)
