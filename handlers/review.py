"""The staff's review of needs: re-route, reject, or group into proposals.

One contribution at a time, as in 2021 when 476 contributions became 81
re-routed, 4 rejected and 391 grouped into 67 proposals. Every decision
re-checks the staff role and that the contribution is still waiting, and
tells its author through the outbox, in the author's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import Field

from bot.core import themes
from bot.core.arguments import CommandArgs, Number
from bot.core.callbacks import ButtonData, Id
from bot.core.context import Context, Recipient, Refused
from bot.core.i18n import N_
from bot.core.messages import Choice, Reply
from bot.core.router import Router
from handlers import likeness
from handlers.common import quote, require_consultation, stale_button
from handlers.proposal_common import typed_proposals
from storage import collectivites, contributions, proposals
from storage.contributions import Contribution
from storage.proposals import Proposal
from storage.similarity.sync import need_text

router = Router("review", audience="staff", reveals="staff")
FIND_STEP = "rev.find"
POINTER_STEP = "rev.pointer"
REASON_STEP = "rev.reason"


class ContributionQueue(ButtonData, prefix="rev.q"):
    offset: Id = 0


class NewProposalFrom(ButtonData, prefix="rev.new"):
    contribution: Id


class IntoExisting(ButtonData, prefix="rev.ex"):
    contribution: Id


class Reroute(ButtonData, prefix="rev.rr"):
    contribution: Id


class Reject(ButtonData, prefix="rev.rj"):
    contribution: Id


class GroupInto(ButtonData, prefix="rev.to"):
    proposal: Id


class GroupSuggested(ButtonData, prefix="rev.sg"):
    """A suggested proposal, pressed: the staff member's decision, not the suggestion's."""

    contribution: Id
    proposal: Id


MAX_REASON = 500
MAX_SUMMARY = 1000


async def show_contribution_queue(ctx: Context, offset: int = 0) -> None:
    consultation = await require_consultation(ctx)
    total = await contributions.queue_size(ctx.db, consultation.id)
    if total == 0:
        ctx.reply(ctx._("No contribution is waiting for review."))
        return
    offset %= total
    item = (await contributions.queue(ctx.db, consultation.id, limit=1, offset=offset))[0]
    found = await collectivites.get(ctx.db, item.collectivite)
    population = ctx.t.number(found.population) if found and found.population else "—"
    text = ctx._(
        "Contribution {index} of {total} (no. {id}):\n“{title}”\n{body}\n\nTheme: {theme}\n"
        "From: {name} ({departement}, {population} inhabitants), on {date}",
        index=ctx.t.number(offset + 1),
        total=ctx.t.number(total),
        id=item.id,
        title=item.title,
        body=quote(item.body, 600),
        theme=themes.label(ctx.t, item.theme, consultation),
        name=item.collectivite_name,
        departement=item.departement or "—",
        population=population,
        date=ctx.t.date(item.created_at),
    )
    choices = [
        Choice(ctx._("Group into a new proposal"), NewProposalFrom(contribution=item.id).pack()),
        Choice(ctx._("Group into an existing proposal"), IntoExisting(contribution=item.id).pack()),
        Choice(ctx._("Re-route to another programme"), Reroute(contribution=item.id).pack()),
        Choice(ctx._("Reject as off-topic"), Reject(contribution=item.id).pack()),
    ]
    if total > 1:
        choices.append(
            Choice(ctx._("Next contribution"), ContributionQueue(offset=offset + 1).pack())
        )
    suggested = await likeness.suggested_proposals(
        ctx, consultation.id, need_text(item.title, item.body), exclude_need=item.id
    )
    if suggested:
        text += "\n\n" + ctx._("Suggested proposals:")
    for proposal, value in suggested:
        label = likeness.score(ctx, value)
        text += "\n" + ctx._(
            "{number}. “{title}” ({score} alike)",
            number=proposal.number,
            title=quote(proposal.title, 60),
            score=label,
        )
        choices.append(
            Choice(
                ctx._(
                    "Group into proposal {number} ({score})", number=proposal.number, score=label
                ),
                GroupSuggested(contribution=item.id, proposal=proposal.id).pack(),
            )
        )
    if total > 1:
        text += "\n\n" + ctx._(
            "Waiting contributions that look alike: {command}", command=ctx.cmd("similar")
        )
    ctx.reply(text, choices)


def _asked_about(ctx: Context) -> int:
    """The contribution this conversation is about (0, which names none, if lost)."""
    value = ctx.conversation.data.get("id")
    return value if isinstance(value, int) else 0


async def waiting_contribution(ctx: Context, contribution_id: int) -> Contribution:
    item = await contributions.get(ctx.db, contribution_id)
    if item is None:
        raise stale_button(ctx)
    if item.status != "submitted":
        raise Refused(ctx._("This contribution was already reviewed."))
    return item


def _grouped_notice(item: Contribution, proposal: Proposal) -> Callable[[Recipient], Reply]:
    def render(r: Recipient) -> Reply:
        return Reply(
            r._(
                "Your need “{title}” was grouped with others into proposal {number}: “{proposal}”. "
                "Type {command} to see it.",
                title=quote(item.title),
                number=proposal.number,
                proposal=proposal.title,
                command=r.cmd("proposals"),
            )
        )

    return render


async def group_into(ctx: Context, items: list[Contribution], proposal: Proposal) -> list[int]:
    done = await contributions.group(
        ctx.db, [i.id for i in items], proposal.id, staff_id=ctx.person.id, now=ctx.now
    )
    if done:
        await ctx.audit("contribution.group", f"proposal:{proposal.number}", contributions=done)
    for item in items:
        if item.id in done and item.author_id is not None:
            await ctx.notify(item.author_id, "review", _grouped_notice(item, proposal))
    return done


@router.action(ContributionQueue)
async def queue(ctx: Context, pressed: ContributionQueue) -> None:
    await show_contribution_queue(ctx, pressed.offset)


# -- re-route / reject: a reason, and for re-routing where to go --------------------
@router.action(Reroute)
async def reroute(ctx: Context, pressed: Reroute) -> None:
    item = await waiting_contribution(ctx, pressed.contribution)
    ctx.ask(
        REASON_STEP,
        ctx._("Why is it re-routed? This is sent to the author."),
        id=item.id,
        decision="rerouted",
    )


@router.action(Reject)
async def reject(ctx: Context, pressed: Reject) -> None:
    item = await waiting_contribution(ctx, pressed.contribution)
    ctx.ask(
        REASON_STEP,
        ctx._("Why is it off-topic? This is sent to the author."),
        id=item.id,
        decision="rejected",
    )


def _bounded(ctx: Context, step: str, text: str, again: str) -> bool:
    """A reason or a pointer the author will read: present, and not an essay."""
    if text and len(text) <= MAX_REASON:
        return True
    ctx.ask(step, again)
    return False


@router.step(REASON_STEP)
async def reason(ctx: Context, text: str) -> None:
    limit = ctx.t.number(MAX_REASON)
    again = ctx._("Please give a reason of at most {limit} characters.", limit=limit)
    if not _bounded(ctx, REASON_STEP, text, again):
        return
    ctx.conversation.data["reason"] = text
    if ctx.conversation.data.get("decision") == "rerouted":
        ctx.ask(
            POINTER_STEP,
            ctx._("Where should the author go instead? A programme, a service or a web address."),
        )
        return
    await _decide(ctx, "")


@router.step(POINTER_STEP)
async def pointer(ctx: Context, text: str) -> None:
    limit = ctx.t.number(MAX_REASON)
    again = ctx._("Please say where to go, in at most {limit} characters.", limit=limit)
    if _bounded(ctx, POINTER_STEP, text, again):
        await _decide(ctx, text)


async def _decide(ctx: Context, where: str) -> None:
    data = ctx.conversation.data
    item = await waiting_contribution(ctx, _asked_about(ctx))
    decision: Literal["rerouted", "rejected"] = (
        "rerouted" if data.get("decision") == "rerouted" else "rejected"
    )
    why = str(data.get("reason", ""))
    await contributions.review(
        ctx.db,
        item.id,
        decision,
        reason=why,
        pointer=where,
        staff_id=ctx.person.id,
        now=ctx.now,
    )
    await ctx.audit(
        f"contribution.{'reroute' if decision == 'rerouted' else 'reject'}",
        f"contribution:{item.id}",
        reason=why,
        pointer=where,
    )
    ctx.end()
    if item.author_id is not None:

        def render(r: Recipient) -> Reply:
            if decision == "rerouted":
                return Reply(
                    r._(
                        "Your need “{title}” is better served elsewhere: {reason}\n"
                        "Where to go: {pointer}",
                        title=quote(item.title),
                        reason=why,
                        pointer=where,
                    )
                )
            return Reply(
                r._(
                    "Your need “{title}” was not kept for this consultation: {reason}",
                    title=quote(item.title),
                    reason=why,
                )
            )

        await ctx.notify(item.author_id, "review", render)
    ctx.reply(
        ctx._("Done: contribution no. {id} is re-routed.", id=item.id)
        if decision == "rerouted"
        else ctx._("Done: contribution no. {id} is rejected.", id=item.id)
    )
    await show_contribution_queue(ctx)


# -- group into an existing proposal ------------------------------------------------
@router.action(IntoExisting)
async def existing(ctx: Context, pressed: IntoExisting) -> None:
    item = await waiting_contribution(ctx, pressed.contribution)
    ctx.ask(FIND_STEP, ctx._("Type the number of the proposal, or words of its title."), id=item.id)


@router.step(FIND_STEP)
async def find(ctx: Context, text: str) -> None:
    consultation = await require_consultation(ctx)
    matches = await typed_proposals(ctx, consultation, text)
    if not matches:
        ctx.ask(
            FIND_STEP,
            ctx._(
                "No proposal matches “{query}”. Try another number or other words.",
                query=quote(text, 60),
            ),
        )
        return
    ctx.ask(
        FIND_STEP,
        ctx._("Group it into which proposal?"),
        [
            Choice(f"{p.number}. {quote(p.title, 50)}", GroupInto(proposal=p.id).pack())
            for p in matches
        ],
    )


@router.action(GroupSuggested)
async def to_suggested(ctx: Context, pressed: GroupSuggested) -> None:
    item = await waiting_contribution(ctx, pressed.contribution)
    proposal = await proposals.get(ctx.db, pressed.proposal)
    if proposal is None or proposal.consultation_id != item.consultation_id:
        raise stale_button(ctx)
    await group_into(ctx, [item], proposal)
    ctx.reply(
        ctx._(
            "Contribution no. {id} is grouped into proposal {number}.",
            id=item.id,
            number=proposal.number,
        )
    )
    await show_contribution_queue(ctx)


@router.action(GroupInto)
async def to_existing(ctx: Context, pressed: GroupInto) -> None:
    if ctx.conversation.step != FIND_STEP:
        raise stale_button(ctx)
    item = await waiting_contribution(ctx, _asked_about(ctx))
    proposal = await proposals.get(ctx.db, pressed.proposal)
    if proposal is None or proposal.consultation_id != item.consultation_id:
        raise stale_button(ctx)
    await group_into(ctx, [item], proposal)
    ctx.end()
    ctx.reply(
        ctx._(
            "Contribution no. {id} is grouped into proposal {number}.",
            id=item.id,
            number=proposal.number,
        )
    )
    await show_contribution_queue(ctx)


# -- typed equivalent for grouping several at once -----------------------------------
class GroupArgs(CommandArgs):
    usage = N_(
        "Type {command} followed by the proposal number, then the "
        "contribution numbers, e.g. {command} 5 12 13 14"
    )
    proposal: Number
    contributions: Annotated[list[Number], Field(min_length=1)]


@router.command(
    "group",
    "regrouper",
    "group",
    N_("Group contributions into a proposal: proposal number, then their numbers"),
    args=GroupArgs,
)
async def group_command(ctx: Context, args: GroupArgs) -> None:
    consultation = await require_consultation(ctx)
    proposal = await proposals.by_number(ctx.db, consultation.id, args.proposal)
    if proposal is None:
        raise Refused(ctx._("There is no proposal {number}.", number=args.proposal))
    items = []
    for raw in args.contributions:
        item = await contributions.get(ctx.db, raw)
        if item is None or item.consultation_id != consultation.id:
            raise Refused(ctx._("There is no contribution no. {id}.", id=raw))
        if item.status != "submitted":
            raise Refused(
                ctx._("Contribution no. {id} was already reviewed; nothing was changed.", id=raw)
            )
        items.append(item)
    done = await group_into(ctx, items, proposal)
    ctx.reply(
        ctx.t.ngettext(
            "{n} contribution is grouped into proposal {number}.",
            "{n} contributions are grouped into proposal {number}.",
            len(done),
            number=proposal.number,
        )
    )
