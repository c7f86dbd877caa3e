"""Telling people what the steering committee decided, once, in their language.

Who hears about a proposal (``storage.results``): every person who voted for
it, every approved member of a collectivité that supported it, and every
author of a need grouped into it. Each person gets one message listing every
decided proposal that concerns them, with why. The message is a fan-out
(``bot.delivery.fanout``): recorded with the decision, then queued in short
batches, persons who read the same text sharing one stored copy.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from bot.core.context import Context, Recipient, Services, VariantRender
from bot.core.messages import Reply
from bot.delivery import fanout
from handlers.proposal_common import RESULT_LABELS, consultation_title, heading
from storage import audiences, consultations, outbox, proposals, results
from storage.audiences import TargetGroup, Targets
from storage.consultations import Consultation
from storage.db import Database
from storage.proposals import Proposal

KIND = "result"


def _why(r: Recipient, concern: dict[str, Any]) -> str:
    why = [r._("you voted for it")] if concern["vote"] else []
    why += [r._("{name} supported it", name=name) for name in concern["support"]]
    why += [r._("your need “{title}” is part of it", title=title) for title in concern["need"]]
    return ", ".join(why)


def _result(consultation: Consultation, decided: dict[int, Proposal]) -> VariantRender:
    def render(r: Recipient, variant: str) -> Reply:
        lines = [
            r._(
                "Results of the consultation “{title}”:",
                title=consultation_title(r, consultation),
            )
        ]
        concerns = [c for c in json.loads(variant) if c["proposal"] in decided]
        for concern in sorted(concerns, key=lambda c: decided[c["proposal"]].number):
            proposal = decided[concern["proposal"]]
            lines.append(
                "• "
                + r._(
                    "{proposal}: {result} ({why})",
                    proposal=heading(r.t, proposal),
                    result=r._(RESULT_LABELS[proposal.status]),
                    why=_why(r, concern),
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

    return render


class Results:
    """The bulk message of the results: its variant is what concerns the person."""

    async def targets(self, db: Database, spec: dict[str, Any], low: int, high: int) -> Targets:
        found: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        for person_id, why, proposal_id, detail in await results.concerns_between(
            db, spec["proposals"], low, high
        ):
            concern = found[person_id].setdefault(
                proposal_id, {"proposal": proposal_id, "vote": False, "support": [], "need": []}
            )
            if why == "vote":
                concern["vote"] = True
            else:
                concern[why].append(detail)
        groups: dict[tuple[str | None, str | None, str, str], list[int]] = defaultdict(list)
        for person_id, locale, hint, backend in await audiences.reach(db, sorted(found)):
            variant = json.dumps(list(found[person_id].values()), ensure_ascii=False)
            groups[(locale, hint, backend, variant)].append(person_id)
        return Targets(
            tuple(
                TargetGroup(locale, hint, backend, ids[0], len(ids), json.dumps(ids), variant)
                for (locale, hint, backend, variant), ids in groups.items()
            )
        )

    async def renderer(self, services: Services, spec: dict[str, Any]) -> VariantRender | None:
        consultation = await consultations.current(services.db)
        if consultation is None or consultation.id != spec["consultation"]:
            return None
        decided = {p.id: p for p in await proposals.of_ids(services.db, spec["proposals"])}
        return _result(consultation, decided)


async def concerned(ctx: Context, proposal_ids: list[int]) -> int:
    """How many persons these results concern (shown before they are announced)."""
    return await results.concerned_count(ctx.db, proposal_ids)


async def announce(ctx: Context, consultation: Consultation, proposal_ids: list[int]) -> int:
    """Record the results of these just-decided proposals for everyone concerned;
    the fan-out's id (its rows are queued once the decision is committed)."""
    return await fanout.start(
        ctx.services,
        ctx.commands,
        KIND,
        {"consultation": consultation.id, "proposals": sorted(proposal_ids)},
        now=ctx.now,
        quiet=False,
        priority=outbox.BULK,
    )
