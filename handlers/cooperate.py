"""``/cooperer N``: a collectivité volunteers to co-build a selected proposal.

The territoires référents of the 2021 consultation: collectivités that said
they were "ready to co-build" a proposal are asked, once it is selected, to
confirm (``bot.delivery.workspaces`` sends the question); they need no
approval. Any other collectivité may apply, and the staff decide
(``handlers.coop_staff``). Each proposal has a number of places; beyond them a
volunteer waits in line and gets the first place that frees up. Whoever holds
a place is let into the proposal's working space by the keeper, which this
flow wakes after every change.
"""

from __future__ import annotations

from functools import partial

from bot.core.arguments import proposal_number
from bot.core.callbacks import ButtonData, Id, Token
from bot.core.context import Context, Recipient, Refused
from bot.core.i18n import N_
from bot.core.messages import Choice, Reply
from bot.core.router import Router
from bot.delivery.workspaces import IMPLIES
from handlers.common import require_consultation, stale_button
from handlers.proposal_common import heading
from handlers.support import may_commit
from storage import memberships, persons, proposals, volunteers, workspaces
from storage.consultations import Consultation
from storage.memberships import Membership
from storage.proposals import Proposal
from storage.volunteers import Status, Volunteer

router = Router("cooperate")
PHASES = ["coconstruction"]

STATUS_LINES = {
    "invited": N_("{name} is invited to co-build {proposal} and has not answered yet."),
    "applied": N_("{name} volunteered for {proposal}: the staff will answer."),
    "approved": N_("{name} holds a place among the volunteers of {proposal}."),
    "declined": N_("{name} declined to co-build {proposal}."),
    "rejected": N_("The staff did not retain {name} for {proposal}."),
    "withdrawn": N_("{name} withdrew from {proposal}."),
}


class Volunteer_(ButtonData, prefix="coop.yes"):
    """Volunteer ``code`` for a proposal (confirm an invitation, or apply)."""

    proposal: Id
    code: Token


class Withdraw(ButtonData, prefix="coop.no"):
    """Decline an invitation, withdraw a request or give up a place."""

    proposal: Id
    code: Token


def places_of(consultation: Consultation) -> int:
    return volunteers.default_places(consultation.settings)


async def capacity(ctx: Context, consultation: Consultation, proposal_id: int) -> int:
    return await volunteers.places(ctx.db, proposal_id, places_of(consultation))


async def _selected(ctx: Context, consultation: Consultation, proposal_id: int) -> Proposal:
    proposal = await proposals.get(ctx.db, proposal_id)
    if proposal is None or proposal.consultation_id != consultation.id:
        raise stale_button(ctx)
    if proposal.status != "selected":
        raise Refused(
            ctx._(
                "{proposal} was not selected: only selected proposals are co-built.",
                proposal=heading(ctx.t, proposal),
            )
        )
    return proposal


async def _member(ctx: Context, consultation: Consultation, code: str | None) -> Membership:
    """Who volunteers: the collectivité named, else the one acted for, if the person
    may commit it (as for a support: an elected official, or an agent if allowed)."""
    mine = await memberships.approved_of_person(ctx.db, ctx.person.id)
    able = [m for m in mine if may_commit(consultation, m)]
    if code is not None:
        named = next((m for m in able if m.collectivite == code), None)
        if named is None:
            raise stale_button(ctx)
        return named
    if not able:
        raise Refused(
            ctx._(
                "Only an elected official of {name} can volunteer it.",
                name=mine[0].collectivite_name if mine else "—",
            )
        )
    return next((m for m in able if m.collectivite == ctx.person.acting_for), able[0])


def status_line(t: Recipient | Context, volunteer: Volunteer, rank: int = 0) -> str:
    named = heading(t.t, _as_proposal(volunteer))
    if volunteer.status == "waiting":
        return t._(
            "{name} is number {rank} on the waiting list of {proposal}.",
            name=volunteer.collectivite_name,
            rank=t.t.number(rank),
            proposal=named,
        )
    return t._(STATUS_LINES[volunteer.status], name=volunteer.collectivite_name, proposal=named)


def _as_proposal(volunteer: Volunteer) -> Proposal:
    return Proposal(
        id=volunteer.proposal_id,
        consultation_id=0,
        number=volunteer.proposal_number,
        title=volunteer.proposal_title,
        summary="",
        theme="",
        status="selected",
    )


async def show(
    ctx: Context, consultation: Consultation, proposal: Proposal, member: Membership
) -> None:
    code = member.collectivite
    current = await volunteers.get_for(ctx.db, proposal.id, code)
    lines: list[str] = []
    choices: list[Choice] = []
    if current is not None:
        lines.append(status_line(ctx, current, await volunteers.rank(ctx.db, current)))
    if current is None or not current.active:
        lines += [ctx._(IMPLIES), ctx._("Should {name} volunteer?", name=member.collectivite_name)]
        choices.append(
            Choice(
                ctx._("Volunteer {name}", name=member.collectivite_name),
                Volunteer_(proposal=proposal.id, code=code).pack(),
            )
        )
    elif current.status == "invited":
        lines.append(ctx._(IMPLIES))
        choices += [
            Choice(
                ctx._("Confirm: {name} volunteers", name=member.collectivite_name),
                Volunteer_(proposal=proposal.id, code=code).pack(),
            ),
            Choice(ctx._("Decline"), Withdraw(proposal=proposal.id, code=code).pack()),
        ]
    else:
        if current.status == "approved":
            lines += await _spaces(ctx, proposal)
        choices.append(
            Choice(
                ctx._("Withdraw {name}", name=member.collectivite_name),
                Withdraw(proposal=proposal.id, code=code).pack(),
            )
        )
    ctx.reply("\n".join(lines), choices)


async def _spaces(ctx: Context, proposal: Proposal) -> list[str]:
    found = await workspaces.of_proposal(ctx.db, proposal.id)
    if not found:
        return [ctx._("Its working space is being prepared: you will be told when you can join.")]
    return [ctx._("You are invited to its working space; the invitation was sent to you.")]


@router.command(
    "cooperate",
    "cooperer",
    "cooperate",
    N_("Volunteer your collectivité to co-build a selected proposal"),
    audience="member",
    phases=PHASES,
)
async def cooperate_command(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    number = proposal_number(ctx.incoming.arg_text) if ctx.incoming.args else None
    found = await proposals.by_number(ctx.db, consultation.id, number) if number else None
    if found is None:
        selected = [
            p
            for p in await proposals.page(ctx.db, consultation.id, limit=1000)
            if p.status == "selected"
        ]
        lines = [
            ctx._(
                "Type the number of a selected proposal after the command, e.g. {example}.",
                example=ctx.cmd("cooperate") + " 3",
            )
        ]
        lines += [f"• {heading(ctx.t, p)}" for p in selected[:30]]
        ctx.reply("\n".join(lines))
        return
    proposal = await _selected(ctx, consultation, found.id)
    await show(ctx, consultation, proposal, await _member(ctx, consultation, None))


@router.action(Volunteer_, audience="member", phases=PHASES)
async def volunteer(ctx: Context, data: Volunteer_) -> None:
    consultation = await require_consultation(ctx)
    proposal = await _selected(ctx, consultation, data.proposal)
    member = await _member(ctx, consultation, data.code)
    current = await volunteers.get_for(ctx.db, proposal.id, member.collectivite)
    places = await capacity(ctx, consultation, proposal.id)
    if current is not None and current.status == "invited":
        await volunteers.confirm(ctx.db, current.id, ctx.person.id, places, ctx.now)
    elif current is not None and current.active:
        await show(ctx, consultation, proposal, member)
        return
    else:
        current = await volunteers.apply(
            ctx.db, proposal.id, member.collectivite, ctx.person.id, ctx.now
        )
        await _tell_staff(ctx, current)
    after = await volunteers.get(ctx.db, current.id)
    assert after is not None
    ctx.services.on_workspace()
    ctx.reply(status_line(ctx, after, await volunteers.rank(ctx.db, after)))


@router.action(Withdraw, audience="member", phases=PHASES)
async def withdraw(ctx: Context, data: Withdraw) -> None:
    consultation = await require_consultation(ctx)
    proposal = await _selected(ctx, consultation, data.proposal)
    member = await _member(ctx, consultation, data.code)
    current = await volunteers.get_for(ctx.db, proposal.id, member.collectivite)
    if current is None or not current.active:
        raise stale_button(ctx)
    status: Status = "declined" if current.status == "invited" else "withdrawn"
    promoted = await volunteers.leave(
        ctx.db, current.id, status, await capacity(ctx, consultation, proposal.id), ctx.now
    )
    await tell_promoted(ctx, promoted)
    ctx.services.on_workspace()
    after = await volunteers.get(ctx.db, current.id)
    assert after is not None
    ctx.reply(status_line(ctx, after))


async def panel(
    ctx: Context, consultation: Consultation, proposal: Proposal
) -> tuple[list[str], list[Choice]]:
    """For the proposal's page during the co-construction: its places, and the
    button to volunteer the collectivité the person acts for."""
    phase = consultation.open_phase(ctx.now)
    if phase is None or phase.kind != "coconstruction" or proposal.status != "selected":
        return [], []
    counts = await volunteers.counts(ctx.db, proposal.id)
    line = ctx._(
        "Co-construction: {placed} of {places} places taken, {waiting} waiting.",
        placed=ctx.t.number(counts.get("approved", 0)),
        places=ctx.t.number(await capacity(ctx, consultation, proposal.id)),
        waiting=ctx.t.number(counts.get("waiting", 0)),
    )
    mine = await memberships.approved_of_person(ctx.db, ctx.person.id)
    able = [m for m in mine if may_commit(consultation, m)]
    if not able:
        return [line], []
    member = next((m for m in able if m.collectivite == ctx.person.acting_for), able[0])
    current = await volunteers.get_for(ctx.db, proposal.id, member.collectivite)
    if current is not None and current.active:
        return [line, status_line(ctx, current, await volunteers.rank(ctx.db, current))], []
    name = member.collectivite_name
    data = Volunteer_(proposal=proposal.id, code=member.collectivite).pack()
    return [line], [Choice(ctx._("Volunteer {name}", name=name), data)]


def _freed(volunteer: Volunteer, r: Recipient) -> Reply:
    return Reply(r._("A place freed up: {line}", line=status_line(r, volunteer)))


def _request(volunteer: Volunteer, r: Recipient) -> Reply:
    return Reply(
        r._(
            "{name} volunteers to co-build {proposal}. To answer: {command}.",
            name=volunteer.collectivite_name,
            proposal=heading(r.t, _as_proposal(volunteer)),
            command=f"{r.cmd('volunteers')} {volunteer.proposal_number}",
        )
    )


async def tell_promoted(ctx: Context, promoted: list[Volunteer]) -> None:
    """The first in line got a place that freed up: they are told."""
    for volunteer in promoted:
        if volunteer.person_id is not None:
            await ctx.notify(volunteer.person_id, "coop", partial(_freed, volunteer))


async def _tell_staff(ctx: Context, volunteer: Volunteer) -> None:
    for someone in await persons.with_role(ctx.db, "staff", "admin"):
        await ctx.notify(someone.id, "coop", partial(_request, volunteer))
