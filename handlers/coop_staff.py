"""The staff's side of the co-construction: volunteers, places, and Telegram groups.

``/volontaires`` lists the selected proposals with their places, volunteers,
waiting lists and working spaces; ``/volontaires N`` one proposal's
volunteers, with a button to approve or reject each request;
``/volontaires N places K`` changes its places (more places let the first in
line in). ``/lier N``, typed in a Telegram group the staff created and added
the bot to (as an administrator), makes it proposal N's working group: the
keeper then sends each volunteer a personal invitation link.
"""

from __future__ import annotations

from functools import partial
from typing import Literal

from bot.core.arguments import proposal_number, whole_number
from bot.core.callbacks import ButtonData, Id
from bot.core.context import Context, Recipient, Refused
from bot.core.i18n import N_
from bot.core.messages import Choice, Reply
from bot.core.router import Router
from handlers.common import require_consultation, stale_button
from handlers.cooperate import capacity, status_line, tell_promoted
from handlers.proposal_common import heading
from storage import proposals, volunteers, workspaces
from storage.consultations import Consultation
from storage.proposals import Proposal
from storage.volunteers import Volunteer

router = Router("coop_staff", audience="staff", reveals="staff")
PLACES_WORDS = ("places", "place")
SPACE_LABELS = {"matrix": N_("Matrix room"), "telegram": N_("Telegram group")}


class Decide(ButtonData, prefix="coop.dec"):
    volunteer: Id
    answer: Literal["y", "n"]


class Volunteers(ButtonData, prefix="coop.list"):
    proposal: Id


async def _by_number(ctx: Context, consultation: Consultation, raw: str) -> Proposal:
    number = proposal_number(raw)
    found = await proposals.by_number(ctx.db, consultation.id, number) if number else None
    if found is None:
        raise Refused(ctx._("There is no proposal numbered “{typed}”.", typed=raw[:20]))
    if found.status != "selected":
        raise Refused(
            ctx._(
                "{proposal} was not selected: only selected proposals are co-built.",
                proposal=heading(ctx.t, found),
            )
        )
    return found


async def overview(ctx: Context, consultation: Consultation) -> None:
    selected = [
        p
        for p in await proposals.page(ctx.db, consultation.id, limit=100_000)
        if p.status == "selected"
    ]
    if not selected:
        ctx.reply(ctx._("No proposal is selected yet: volunteers come after the selection."))
        return
    lines = [ctx._("Co-construction: places, volunteers and working spaces.")]
    choices = []
    for proposal in selected:
        counts = await volunteers.counts(ctx.db, proposal.id)
        spaces = await workspaces.of_proposal(ctx.db, proposal.id)
        lines.append(
            "• "
            + ctx._(
                "{proposal}: {approved} of {places} places taken, {waiting} waiting, "
                "{applied} to decide, {invited} invited; {spaces}",
                proposal=heading(ctx.t, proposal),
                approved=ctx.t.number(counts.get("approved", 0)),
                places=ctx.t.number(await capacity(ctx, consultation, proposal.id)),
                waiting=ctx.t.number(counts.get("waiting", 0)),
                applied=ctx.t.number(counts.get("applied", 0)),
                invited=ctx.t.number(counts.get("invited", 0)),
                spaces=", ".join(ctx._(SPACE_LABELS[s.backend]) for s in spaces)
                or ctx._("no working space yet"),
            )
        )
        if counts.get("applied"):
            choices.append(
                Choice(heading(ctx.t, proposal, 40), Volunteers(proposal=proposal.id).pack())
            )
    ctx.reply("\n".join(lines), choices[:20])


async def detail(ctx: Context, consultation: Consultation, proposal: Proposal) -> None:
    found = await volunteers.of_proposal(ctx.db, proposal.id)
    lines = [
        ctx._(
            "Volunteers of {proposal} ({places} places):",
            proposal=heading(ctx.t, proposal),
            places=ctx.t.number(await capacity(ctx, consultation, proposal.id)),
        )
    ]
    choices = []
    for volunteer in found:
        line = status_line(ctx, volunteer, await volunteers.rank(ctx.db, volunteer))
        who = volunteer.person_name or ctx._("nobody answers for it any more")
        lines.append(f"• {line} ({who})")
        if volunteer.status == "applied":
            name = volunteer.collectivite_name
            choices += [
                Choice(
                    ctx._("Approve {name}", name=name),
                    Decide(volunteer=volunteer.id, answer="y").pack(),
                ),
                Choice(
                    ctx._("Reject {name}", name=name),
                    Decide(volunteer=volunteer.id, answer="n").pack(),
                ),
            ]
    if not found:
        lines.append(ctx._("No volunteer yet."))
    lines.append(
        ctx._(
            "To change the number of places: {command}.",
            command=f"{ctx.cmd('volunteers')} {proposal.number} places 12",
        )
    )
    ctx.reply("\n".join(lines), choices)


@router.command(
    "volunteers",
    "volontaires",
    "volunteers",
    N_("Volunteers of the selected proposals: approve them, set the places"),
)
async def volunteers_command(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    args = ctx.incoming.args
    if not args:
        await overview(ctx, consultation)
        return
    proposal = await _by_number(ctx, consultation, args[0])
    if len(args) >= 2 and args[1].lower() in PLACES_WORDS:
        count = whole_number(args[2], most=10_000) if len(args) == 3 else None
        if count is None:
            raise Refused(
                ctx._(
                    "Type the number of places after the word, e.g. {command}.",
                    command=f"{ctx.cmd('volunteers')} {proposal.number} places 12",
                )
            )
        promoted = await volunteers.set_places(ctx.db, proposal.id, count, ctx.now)
        await tell_promoted(ctx, promoted)
        await ctx.audit("coop.places", f"proposal:{proposal.number}", places=count)
        ctx.services.on_workspace()
        ctx.reply(
            ctx._(
                "{proposal} now has {places} places.",
                proposal=heading(ctx.t, proposal),
                places=ctx.t.number(count),
            )
        )
    await detail(ctx, consultation, proposal)


@router.action(Volunteers)
async def list_volunteers(ctx: Context, data: Volunteers) -> None:
    consultation = await require_consultation(ctx)
    proposal = await proposals.get(ctx.db, data.proposal)
    if proposal is None or proposal.consultation_id != consultation.id:
        raise stale_button(ctx)
    await detail(ctx, consultation, proposal)


def _decided(volunteer: Volunteer, rank: int, r: Recipient) -> Reply:
    return Reply(status_line(r, volunteer, rank))


@router.action(Decide)
async def decide(ctx: Context, data: Decide) -> None:
    consultation = await require_consultation(ctx)
    volunteer = await volunteers.get(ctx.db, data.volunteer)
    if volunteer is None:
        raise stale_button(ctx)
    if volunteer.status != "applied":
        ctx.reply(ctx._("Already decided: {line}", line=status_line(ctx, volunteer)))
        return
    places = await capacity(ctx, consultation, volunteer.proposal_id)
    status = await volunteers.decide(
        ctx.db, volunteer.id, data.answer == "y", ctx.person.id, places, ctx.now
    )
    after = await volunteers.get(ctx.db, volunteer.id)
    assert after is not None
    rank = await volunteers.rank(ctx.db, after)
    if after.person_id is not None:
        await ctx.notify(after.person_id, "coop", partial(_decided, after, rank))
    await ctx.audit(
        "coop.decide",
        f"proposal:{after.proposal_number}",
        collectivite=after.collectivite,
        status=status,
    )
    ctx.services.on_workspace()
    ctx.reply(status_line(ctx, after, rank))
    proposal = await proposals.get(ctx.db, after.proposal_id)
    assert proposal is not None
    await detail(ctx, consultation, proposal)


@router.command(
    "bind",
    "lier",
    "bind",
    N_("In a Telegram group: make it the working group of a selected proposal"),
    group_ok=True,
    # Typed in the group it binds, for that group to read: which proposal it now serves.
    reveals="public",
)
async def bind_command(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    if ctx.incoming.backend != "telegram" or not ctx.incoming.room:
        raise Refused(
            ctx._(
                "Type this command in the Telegram group you created for the proposal, "
                "after adding me to it as an administrator."
            )
        )
    if not ctx.incoming.args:
        raise Refused(
            ctx._(
                "Type the proposal's number after the command, e.g. {example}.",
                example=ctx.cmd("bind") + " 3",
            )
        )
    proposal = await _by_number(ctx, consultation, ctx.incoming.args[0])
    room = ctx.incoming.room
    taken = await workspaces.by_room(ctx.db, "telegram", room)
    if taken is not None and taken.proposal_id != proposal.id:
        raise Refused(
            ctx._(
                "This group is already the working group of no. {number}.",
                number=taken.proposal_number,
            )
        )
    await workspaces.bind(ctx.db, proposal.id, "telegram", room, ctx.person.id, ctx.now)
    await ctx.audit("coop.bind", f"proposal:{proposal.number}", room=room)
    ctx.services.on_workspace()
    ctx.reply(
        ctx._(
            "This group is now the working group of {proposal}. Each volunteer holding a "
            "place will get a personal link to join it; I will tell the staff who joins. "
            "I must stay an administrator of the group to do so.",
            proposal=heading(ctx.t, proposal),
        )
    )
