"""Telling people what the steering committee decided, once, in their language.

Who hears about a proposal: every person who voted for it, and every approved
member of a collectivité that supported it (the support committed the
collectivité, so all who speak for it should know). Each person gets one
message listing every decided proposal that concerns them, with why.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial

from bot.core.context import Context, Recipient
from bot.core.messages import Reply
from handlers.proposal_common import RESULT_LABELS, consultation_title, heading
from storage import proposals, supports, votes
from storage.consultations import Consultation
from storage.proposals import Proposal


@dataclass
class Concern:
    """Why one person hears about one proposal's result."""

    voted: bool = False
    supporters: list[str] = field(default_factory=list)


async def concerns(ctx: Context, proposal_ids: list[int]) -> dict[int, dict[int, Concern]]:
    """person → proposal → why they are told: their vote, their collectivités' supports."""
    found: dict[int, dict[int, Concern]] = defaultdict(lambda: defaultdict(Concern))
    for person_id, proposal_id in await votes.voters(ctx.db, proposal_ids):
        found[person_id][proposal_id].voted = True
    for person_id, name, proposal_id in await supports.supporters(ctx.db, proposal_ids):
        found[person_id][proposal_id].supporters.append(name)
    return found


def _result(
    consultation: Consultation,
    decided: dict[int, Proposal],
    concerns: dict[int, Concern],
    r: Recipient,
) -> Reply:
    lines = [
        r._("Results of the consultation “{title}”:", title=consultation_title(r, consultation))
    ]
    for proposal_id, concern in sorted(concerns.items(), key=lambda kv: decided[kv[0]].number):
        proposal = decided[proposal_id]
        why = [r._("you voted for it")] if concern.voted else []
        why += [r._("{name} supported it", name=name) for name in concern.supporters]
        lines.append(
            "• "
            + r._(
                "{proposal}: {result} ({why})",
                proposal=heading(r.t, proposal),
                result=r._(RESULT_LABELS[proposal.status]),
                why=", ".join(why),
            )
        )
    lines += [
        "",
        r._(
            "Thank you for taking part. Every proposal and its result: {command}.",
            command=r.cmd("proposals"),
        ),
    ]
    return Reply("\n".join(lines))


async def announce(ctx: Context, consultation: Consultation, proposal_ids: list[int]) -> int:
    """Queue the results of these just-decided proposals; return how many people are told."""
    decided = {p.id: p for p in await proposals.of_ids(ctx.db, proposal_ids)}
    found = await concerns(ctx, proposal_ids)
    for person_id, about in sorted(found.items()):
        await ctx.notify(person_id, "result", partial(_result, consultation, decided, about))
    return len(found)
