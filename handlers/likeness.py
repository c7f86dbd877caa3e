"""What the flows ask of the similarity index (storage/similarity), in their terms.

The need flow asks what already exists like the need being written; the
staff's queue asks which proposals a contribution could join; the clusters
ask which waiting contributions look alike. Each question reads the
consultation's live index (caught up with the database first) and turns its
ids back into rows. Suggestions only inform: every grouping is a staff
member's press.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.context import Context
from bot.core.messages import Choice
from handlers.common import quote
from handlers.proposal_common import ShowProposal, number_label
from storage import contributions, proposals
from storage.contributions import Contribution
from storage.proposals import Proposal
from storage.similarity.clusters import clusters
from storage.similarity.sync import need_text

SHOWN = 3


@dataclass(frozen=True)
class Alike:
    """What the need flow shows: proposals and other collectivités' needs, and duplicates."""

    proposals: list[tuple[Proposal, float]]
    needs: list[tuple[Contribution, float]]  # the flow shows their titles only
    duplicates: list[Contribution]  # the same collectivité's, likely the same need


def score(ctx: Context, value: float) -> str:
    """A likeness as a percentage, as people read it ("43 %")."""
    return ctx.t.percent(min(max(value, 0.0), 1.0))


async def _proposals(
    ids_scores: Sequence[tuple[int, float]], ctx: Context
) -> list[tuple[Proposal, float]]:
    found = {p.id: p for p in await proposals.of_ids(ctx.db, [i for i, _ in ids_scores])}
    return [(found[i], s) for i, s in ids_scores if i in found]


async def _needs(
    ids_scores: Sequence[tuple[int, float]], ctx: Context
) -> list[tuple[Contribution, float]]:
    rows = [(await contributions.get(ctx.db, i), s) for i, s in ids_scores]
    return [(row, s) for row, s in rows if row is not None]


async def alike(
    ctx: Context,
    consultation_id: int,
    *,
    title: str,
    body: str,
    collectivite: str,
    editing: int | None = None,
) -> Alike:
    """Up to three items like this need (proposals first when as close), and duplicates."""
    text = need_text(title, body)
    async with ctx.services.similarity.of(ctx.db, consultation_id).reading() as index:
        found_proposals = index.suggest_proposals(text, k=SHOWN, exclude_need=editing)
        shown = {m.id for m in found_proposals}
        found_needs = index.similar_needs(
            text,
            k=SHOWN,
            keep=lambda n: (
                n.collectivite != collectivite and n.id != editing and n.proposal_id not in shown
            ),
        )
        twins = index.duplicates(text, collectivite=collectivite, exclude=[editing or 0])
    ranked = sorted(
        [("p", m.id, m.score) for m in found_proposals]
        + [("n", m.id, m.score) for m in found_needs],
        key=lambda item: -item[2],
    )[:SHOWN]
    return Alike(
        proposals=await _proposals([(i, s) for kind, i, s in ranked if kind == "p"], ctx),
        needs=await _needs([(i, s) for kind, i, s in ranked if kind == "n"], ctx),
        duplicates=[row for row, _ in await _needs([(m.id, m.score) for m in twins], ctx)],
    )


async def suggested_proposals(
    ctx: Context, consultation_id: int, text: str, *, exclude_need: int | None = None
) -> list[tuple[Proposal, float]]:
    """The proposals staff could group this text into, best first, with their scores."""
    async with ctx.services.similarity.of(ctx.db, consultation_id).reading() as index:
        found = index.suggest_proposals(text, k=SHOWN, exclude_need=exclude_need)
    return await _proposals([(m.id, m.score) for m in found], ctx)


async def look_alike(ctx: Context, consultation_id: int) -> list[list[int]]:
    """Clusters of waiting contributions (ids), largest first."""
    async with ctx.services.similarity.of(ctx.db, consultation_id).reading() as index:
        waiting = sorted(n.id for n in index.needs.values() if n.waiting)
        return clusters(index, waiting)


async def for_need(
    ctx: Context,
    consultation_id: int,
    *,
    title: str,
    body: str,
    collectivite: str,
    editing: int | None = None,
) -> tuple[list[str], list[Choice]]:
    """The lines and buttons the need's summary adds: what exists like it, and duplicates.

    Other collectivités' needs are shown by their title only: never who wrote
    them nor from where. A duplicate of the same collectivité says whether the
    person wrote it themselves, never which colleague did.
    """
    found = await alike(
        ctx, consultation_id, title=title, body=body, collectivite=collectivite, editing=editing
    )
    lines: list[str] = []
    choices: list[Choice] = []
    if found.proposals or found.needs:
        lines.append(ctx._("Already proposed or sent, and close to yours:"))
        for proposal, _ in found.proposals:
            lines.append(
                "– "
                + ctx._(
                    "Proposal {number}: “{title}”",
                    number=number_label(ctx.t, proposal.number),
                    title=proposal.title,
                )
            )
            choices.append(
                Choice(
                    ctx._("Open proposal {number}", number=proposal.number),
                    ShowProposal(proposal=proposal.id).pack(),
                )
            )
        for need, _ in found.needs:
            lines.append(
                "– " + ctx._("A need from another collectivité: “{title}”", title=need.title)
            )
        lines.append(
            ctx._(
                "You can send yours all the same, or open a proposal to vote for it or "
                "support it instead."
            )
            if found.proposals
            else ctx._("You can send yours all the same: the staff group needs that are alike.")
        )
    for twin in found.duplicates[:1]:
        lines.append("")
        lines.append(
            ctx._(
                "You already sent a need very like this one: “{title}”. It may be the same: "
                "check before sending this one.",
                title=quote(twin.title, 80),
            )
            if twin.author_id == ctx.person.id
            else ctx._(
                "Your collectivité already sent a need very like this one: “{title}”. It may "
                "be the same: check before sending yours.",
                title=quote(twin.title, 80),
            )
        )
    return lines, choices
