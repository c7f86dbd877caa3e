"""Supports during the ``support`` phase: commit, change the level, withdraw.

A support commits a collectivité, not a person: an approved elected official
(or an agent, where the consultation's ``agents_may_support`` says so) commits
it for the collectivité they act for, and any of its eligible members may
change or withdraw it until the deadline. Every click re-checks phase, role,
membership and cap, since a button proves nothing; the database keeps one
support per collectivité and proposal.
"""

from __future__ import annotations

from bot.core.callbacks import ButtonData, Id, Token
from bot.core.context import Context, Refused
from bot.core.messages import Choice
from bot.core.router import Router
from handlers.common import place, require_consultation, stale_button
from handlers.proposal_common import (
    CODE_OF_LEVEL,
    LEVEL_CODES,
    LEVEL_LABELS,
    LevelCode,
    ShowProposal,
    cap,
    heading,
    proposal_from,
    require_open,
)
from storage import collectivites, memberships, persons, supports
from storage.consultations import Consultation
from storage.memberships import Membership
from storage.proposals import Proposal
from storage.supports import Level, Support

router = Router("support")

SETTING = "supports_per_collectivite"


class Commit(ButtonData, prefix="sup.add"):
    """Commit (or change) the support of ``code``, else of the collectivité acted for."""

    proposal: Id
    level: LevelCode
    code: Token | None = None


class Withdraw(ButtonData, prefix="sup.rm"):
    proposal: Id
    code: Token | None = None


class ChooseCollectivite(ButtonData, prefix="sup.who"):
    proposal: Id


class ActFor(ButtonData, prefix="sup.as"):
    proposal: Id
    code: Token


class OurSupports(ButtonData, prefix="sup.mine"):
    pass


def may_commit(consultation: Consultation, membership: Membership) -> bool:
    agents = consultation.settings.get("agents_may_support") is True
    return membership.status == "approved" and (
        membership.role == "elu" or (agents and membership.role == "agent")
    )


def _not_allowed(ctx: Context, membership: Membership) -> Refused:
    return Refused(
        ctx._(
            "Only an elected official of {name} can commit its support.",
            name=membership.collectivite_name,
        )
    )


def _acting(ctx: Context, able: list[Membership]) -> Membership:
    """The collectivité the person acts for, if they may commit its support."""
    return next((m for m in able if m.collectivite == ctx.person.acting_for), able[0])


async def _committer(ctx: Context, consultation: Consultation, code: str | None) -> Membership:
    """Whose support a click commits: the collectivité named, else the one acted for."""
    mine = await memberships.approved_of_person(ctx.db, ctx.person.id)
    if code is not None:
        named = next((m for m in mine if m.collectivite == code), None)
        if named is None:
            raise stale_button(ctx)
        if not may_commit(consultation, named):
            raise _not_allowed(ctx, named)
        return named
    able = [m for m in mine if may_commit(consultation, m)]
    if not able:
        raise _not_allowed(ctx, mine[0])
    return _acting(ctx, able)


def _choices(
    ctx: Context, proposal: Proposal, member: Membership, current: Support | None, several: bool
) -> list[Choice]:
    number, code, name = proposal.id, member.collectivite, member.collectivite_name
    if current is None:
        choices = [
            Choice(
                ctx._("Support it, on behalf of {name}", name=name),
                Commit(proposal=number, level="so", code=code).pack(),
            ),
            Choice(
                ctx._("Ready to co-build it, on behalf of {name}", name=name),
                Commit(proposal=number, level="co", code=code).pack(),
            ),
        ]
    else:
        other: Level = "co_construction" if current.level == "soutien" else "soutien"
        choices = [
            Choice(
                ctx._(
                    "Change the support of {name} to: {level}",
                    name=name,
                    level=ctx._(LEVEL_LABELS[other]),
                ),
                Commit(proposal=number, level=CODE_OF_LEVEL[other], code=code).pack(),
            ),
            Choice(
                ctx._("Withdraw the support of {name}", name=name),
                Withdraw(proposal=number, code=code).pack(),
            ),
        ]
    if several:
        choices.append(
            Choice(
                ctx._("Act for another collectivité"),
                ChooseCollectivite(proposal=number).pack(),
            )
        )
    return choices


def _committed(ctx: Context, support: Support) -> str:
    return ctx._(
        "{name} supports it ({level}); committed by {person}.",
        name=support.collectivite_name,
        level=ctx._(LEVEL_LABELS[support.level]),
        person=support.committed_by_name or "—",
    )


async def panel(
    ctx: Context, consultation: Consultation, proposal: Proposal
) -> tuple[list[str], list[Choice]]:
    """What the detail view says and offers about the supports of this person's collectivités."""
    mine = await memberships.approved_of_person(ctx.db, ctx.person.id)
    lines = []
    for membership in mine:
        found = await supports.get(ctx.db, membership.collectivite, proposal.id)
        if found is not None:
            lines.append(_committed(ctx, found))
    phase = consultation.open_phase(ctx.now)
    if phase is None or phase.kind != "support" or proposal.status != "open":
        return lines, []
    able = [m for m in mine if may_commit(consultation, m)]
    if not mine:
        lines.append(
            ctx._(
                "To support it, first say which collectivité you represent: {start}.",
                start=ctx.cmd("start"),
            )
        )
    elif not able:
        lines.append(_not_allowed(ctx, mine[0]).message)
    if not able:
        return lines, []
    member = _acting(ctx, able)
    current = await supports.get(ctx.db, member.collectivite, proposal.id)
    return lines, _choices(ctx, proposal, member, current, len(able) > 1)


async def _room_left(ctx: Context, consultation: Consultation, member: Membership) -> str:
    limit = cap(consultation, SETTING)
    if limit is None:
        return ""
    used = await supports.count_of_collectivite(ctx.db, member.collectivite, consultation.id)
    return "\n" + ctx.t.ngettext(
        "{name} may support {n} more proposal.",
        "{name} may support {n} more proposals.",
        max(limit - used, 0),
        name=member.collectivite_name,
    )


async def _after(
    ctx: Context, consultation: Consultation, proposal: Proposal, member: Membership, text: str
) -> None:
    able = [
        m
        for m in await memberships.approved_of_person(ctx.db, ctx.person.id)
        if may_commit(consultation, m)
    ]
    current = await supports.get(ctx.db, member.collectivite, proposal.id)
    choices = _choices(ctx, proposal, member, current, len(able) > 1)
    choices.append(Choice(ctx._("Back to the proposal"), ShowProposal(proposal=proposal.id).pack()))
    choices.append(Choice(ctx._("Our supports"), OurSupports().pack()))
    ctx.reply(text + await _room_left(ctx, consultation, member), choices)


@router.action(Commit, audience="member", phases=["support"])
async def commit(ctx: Context, pressed: Commit) -> None:
    consultation = await require_consultation(ctx)
    proposal = await proposal_from(ctx, consultation, pressed.proposal)
    member = await _committer(ctx, consultation, pressed.code)
    require_open(ctx, proposal)
    level = LEVEL_CODES[pressed.level]
    outcome = await supports.commit(
        ctx.db,
        member.collectivite,
        proposal.id,
        consultation.id,
        level=level,
        person_id=ctx.person.id,
        cap=cap(consultation, SETTING),
        now=ctx.now,
    )
    name, label = member.collectivite_name, ctx._(LEVEL_LABELS[level])
    what = heading(ctx.t, proposal)
    if outcome == "full":
        limit = cap(consultation, SETTING) or 0
        raise Refused(
            ctx.t.ngettext(
                "{name} already supports {n} proposal, the most allowed per collectivité. "
                "Withdraw a support to commit this one.",
                "{name} already supports {n} proposals, the most allowed per collectivité. "
                "Withdraw a support to commit this one.",
                limit,
                name=name,
            )
        )
    texts = {
        "added": ctx._(
            "{name} now supports {proposal}: {level}.", name=name, proposal=what, level=label
        ),
        "changed": ctx._(
            "The support of {name} for {proposal} is now: {level}.",
            name=name,
            proposal=what,
            level=label,
        ),
        "same": ctx._(
            "{name} already supports {proposal} ({level}); nothing was changed.",
            name=name,
            proposal=what,
            level=label,
        ),
    }
    await _after(ctx, consultation, proposal, member, texts[outcome])


@router.action(Withdraw, audience="member", phases=["support"])
async def withdraw(ctx: Context, pressed: Withdraw) -> None:
    consultation = await require_consultation(ctx)
    proposal = await proposal_from(ctx, consultation, pressed.proposal)
    member = await _committer(ctx, consultation, pressed.code)
    require_open(ctx, proposal)
    name, what = member.collectivite_name, heading(ctx.t, proposal)
    if await supports.withdraw(ctx.db, member.collectivite, proposal.id):
        text = ctx._("{name} no longer supports {proposal}.", name=name, proposal=what)
    else:
        text = ctx._(
            "{name} does not support {proposal}; nothing was changed.", name=name, proposal=what
        )
    await _after(ctx, consultation, proposal, member, text)


@router.action(ChooseCollectivite, audience="member", phases=["support"])
async def choose(ctx: Context, pressed: ChooseCollectivite) -> None:
    consultation = await require_consultation(ctx)
    proposal = await proposal_from(ctx, consultation, pressed.proposal)
    able = [
        m
        for m in await memberships.approved_of_person(ctx.db, ctx.person.id)
        if may_commit(consultation, m)
    ]
    if not able:
        raise stale_button(ctx)
    choices = []
    for member in sorted(able, key=lambda m: m.collectivite_name):
        found = await collectivites.get(ctx.db, member.collectivite)
        label = place(ctx.t, found) if found else member.collectivite_name
        choices.append(Choice(label, ActFor(proposal=proposal.id, code=member.collectivite).pack()))
    ctx.reply(ctx._("On behalf of which collectivité?"), choices)


@router.action(ActFor, audience="member", phases=["support"])
async def act_for(ctx: Context, pressed: ActFor) -> None:
    consultation = await require_consultation(ctx)
    proposal = await proposal_from(ctx, consultation, pressed.proposal)
    member = await _committer(ctx, consultation, pressed.code)
    await persons.set_acting_for(ctx.db, ctx.person.id, member.collectivite)
    text = ctx._("You now act for {name}.", name=member.collectivite_name)
    await _after(ctx, consultation, proposal, member, text)
