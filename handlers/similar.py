"""``/ressemblances``: waiting contributions that look alike, grouped in one action.

In 2021 the staff read 476 contributions one by one and grouped 391 of them
into 67 proposals by hand. Here they ask for clusters ("these 7 contributions
look alike"), open one, take out what does not belong, and group the rest
into a new proposal or an existing one — one press for the whole cluster.
The clusters only propose: nothing is grouped until a staff member presses.
The clusters found are kept in the conversation, so a button names a cluster
as it was shown, not as a later computation would number it.
"""

from __future__ import annotations

from typing import Any

from bot.core.callbacks import ButtonData, Id
from bot.core.context import Context, Refused
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.router import Router
from handlers import proposal_admin
from handlers.common import quote, require_consultation, stale_button
from handlers.likeness import look_alike, score, suggested_proposals
from handlers.proposal_common import typed_proposals
from handlers.review import group_into
from storage import contributions, proposals
from storage.contributions import Contribution
from storage.proposals import Proposal
from storage.similarity.sync import need_text

router = Router("similar", audience="staff", reveals="staff")
LIST_STEP = "sim.list"
CLUSTER_STEP = "sim.cluster"
FIND_STEP = "sim.find"
MAX_CLUSTERS = 8
TITLES_IN_LIST = 3


class ShowClusters(ButtonData, prefix="sim.all"):
    pass


class OpenCluster(ButtonData, prefix="sim.open"):
    cluster: Id


class TakeOut(ButtonData, prefix="sim.out"):
    contribution: Id


class IntoNew(ButtonData, prefix="sim.new"):
    pass


class IntoProposal(ButtonData, prefix="sim.to"):
    proposal: Id


class IntoAnother(ButtonData, prefix="sim.other"):
    pass


@router.command(
    "similar",
    "ressemblances",
    "similar",
    N_("Waiting contributions that look alike, to group each cluster at once"),
)
async def similar_command(ctx: Context) -> None:
    await show_clusters(ctx)


@router.action(ShowClusters)
async def again(ctx: Context, pressed: ShowClusters) -> None:
    await show_clusters(ctx)


async def _waiting(ctx: Context, ids: list[int]) -> list[Contribution]:
    """The contributions of ``ids`` still waiting (another staff member may have acted)."""
    rows = [await contributions.get(ctx.db, i) for i in ids]
    return [row for row in rows if row is not None and row.status == "submitted"]


async def show_clusters(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    found = (await look_alike(ctx, consultation.id))[:MAX_CLUSTERS]
    ctx.end()
    if not found:
        ctx.reply(ctx._("No waiting contributions look alike right now."))
        return
    lines = [ctx._("Waiting contributions that look alike, largest clusters first:")]
    choices = []
    for position, ids in enumerate(found):
        items = await _waiting(ctx, ids)
        titles = ", ".join(f"“{quote(i.title, 40)}”" for i in items[:TITLES_IN_LIST])
        more = len(items) - TITLES_IN_LIST
        if more > 0:
            titles = ctx._("{titles} and {more} more", titles=titles, more=more)
        lines.append("")
        lines.append(
            ctx.t.ngettext(
                "{index}. {n} contribution stands alone: {titles}",
                "{index}. These {n} contributions look alike: {titles}",
                len(items),
                index=position + 1,
                titles=titles,
            )
        )
        choices.append(
            Choice(
                ctx._("Open cluster {index}", index=position + 1),
                OpenCluster(cluster=position).pack(),
            )
        )
    ctx.ask(LIST_STEP, "\n".join(lines), choices, clusters=found)


def _cluster(ctx: Context, *steps: str) -> list[int]:
    """The cluster this conversation is about, as staff last saw it."""
    value: Any = ctx.conversation.data.get("cluster")
    if ctx.conversation.step not in steps or not isinstance(value, list):
        raise stale_button(ctx)
    return [i for i in value if isinstance(i, int)]


@router.action(OpenCluster)
async def open_cluster(ctx: Context, pressed: OpenCluster) -> None:
    found: Any = ctx.conversation.data.get("clusters")
    if ctx.conversation.step != LIST_STEP or not isinstance(found, list):
        raise stale_button(ctx)
    if pressed.cluster >= len(found):
        raise stale_button(ctx)
    await _show_cluster(ctx, [i for i in found[pressed.cluster] if isinstance(i, int)])


async def _show_cluster(ctx: Context, ids: list[int]) -> None:
    consultation = await require_consultation(ctx)
    items = await _waiting(ctx, ids)
    if not items:
        ctx.reply(ctx._("None of these contributions is waiting any more."))
        await show_clusters(ctx)
        return
    lines = [
        ctx.t.ngettext(
            "{n} contribution is left:",
            "These {n} contributions look alike:",
            len(items),
        )
    ]
    for item in items:
        lines.append(
            ctx._(
                "no. {id} “{title}” ({place})",
                id=item.id,
                title=quote(item.title, 80),
                place=item.collectivite_name,
            )
        )
    text = " ".join(need_text(i.title, i.body) for i in items)
    suggested = await suggested_proposals(ctx, consultation.id, text)
    choices = [Choice(ctx._("Group them into a new proposal"), IntoNew().pack())]
    if suggested:
        lines += ["", ctx._("Proposals they could join:")]
    for proposal, value in suggested:
        lines.append(
            ctx._(
                "{number}. “{title}” ({score} alike)",
                number=proposal.number,
                title=quote(proposal.title, 60),
                score=score(ctx, value),
            )
        )
        choices.append(
            Choice(
                ctx._("Group them into proposal {number}", number=proposal.number),
                IntoProposal(proposal=proposal.id).pack(),
            )
        )
    choices.append(Choice(ctx._("Group them into another proposal"), IntoAnother().pack()))
    if len(items) > 1:
        choices += [
            Choice(ctx._("Take out no. {id}", id=item.id), TakeOut(contribution=item.id).pack())
            for item in items
        ]
    choices.append(Choice(ctx._("Back to the clusters"), ShowClusters().pack()))
    ctx.ask(CLUSTER_STEP, "\n".join(lines), choices, cluster=[i.id for i in items])


@router.action(TakeOut)
async def take_out(ctx: Context, pressed: TakeOut) -> None:
    ids = _cluster(ctx, CLUSTER_STEP)
    if pressed.contribution not in ids:
        raise stale_button(ctx)
    await _show_cluster(ctx, [i for i in ids if i != pressed.contribution])


@router.action(IntoAnother)
async def into_another(ctx: Context, pressed: IntoAnother) -> None:
    _cluster(ctx, CLUSTER_STEP)
    ctx.ask(FIND_STEP, ctx._("Type the number of the proposal, or words of its title."))


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
        ctx._("Group them into which proposal?"),
        [
            Choice(f"{p.number}. {quote(p.title, 50)}", IntoProposal(proposal=p.id).pack())
            for p in matches
        ],
    )


@router.action(IntoProposal)
async def into_proposal(ctx: Context, pressed: IntoProposal) -> None:
    consultation = await require_consultation(ctx)
    ids = _cluster(ctx, CLUSTER_STEP, FIND_STEP)
    proposal = await proposals.get(ctx.db, pressed.proposal)
    if proposal is None or proposal.consultation_id != consultation.id:
        raise stale_button(ctx)
    await _group(ctx, ids, proposal)


async def _group(ctx: Context, ids: list[int], proposal: Proposal) -> None:
    items = await _waiting(ctx, ids)
    if not items:
        raise Refused(ctx._("None of these contributions is waiting any more."))
    done = await group_into(ctx, items, proposal)
    ctx.end()
    ctx.reply(
        ctx.t.ngettext(
            "{n} contribution is grouped into proposal {number}.",
            "{n} contributions are grouped into proposal {number}.",
            len(done),
            number=proposal.number,
        )
    )


@router.action(IntoNew)
async def into_new(ctx: Context, pressed: IntoNew) -> None:
    """The proposal flow of ``proposal_admin``, told to group the whole cluster at the end."""
    ids = _cluster(ctx, CLUSTER_STEP)
    ctx.end()
    ctx.ask(proposal_admin.TITLE_STEP, ctx._("Title of the new proposal?"), group_all=ids)
