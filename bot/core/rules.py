"""Who may use a command, a button or a step, when, where, and what its answer shows.

Each declaration carries one ``Rules``; the dispatcher checks it before the
handler runs, ``/aide`` and each backend's command menu read it, and no handler
checks any of it again. Keeping the check here, with its wording, is what lets
a reader see a flow's permissions at its registration rather than in its body.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from bot.core.calendar_text import phase_label, phase_span
from bot.core.context import Context
from storage import memberships
from storage.consultations import Consultation
from storage.persons import Person

Audience = Literal["everyone", "member", "staff", "admin"]
Reveals = Literal["public", "personal", "staff"]
"""What an answer shows: ``public`` (anyone may read it: the calendar),
``personal`` (this person's own affairs: their needs, votes, profile), ``staff``
(what only the staff may read: queues, figures, the audit log)."""


@dataclass(frozen=True)
class Rules:
    """``audience``: who may; ``phases``: the phases in which it acts (None:
    always); ``group_ok``: whether it may answer in a room others read;
    ``reveals``: what its answer shows."""

    audience: Audience = "everyone"
    phases: frozenset[str] | None = None
    group_ok: bool = False
    reveals: Reveals = "personal"


def admits(audience: Audience, person: Person, member: bool) -> bool:
    """Whether ``person`` (``member``: with an approved membership) is in ``audience``."""
    if audience == "admin":
        return person.is_admin
    if audience == "staff":
        return person.is_staff
    if audience == "member":
        return member
    return True


async def refusal(ctx: Context, rules: Rules) -> str | None:
    """Why this person may not do this now, translated; None if they may.

    The audience comes first: whoever may not use it at all is not told when
    it would open.
    """
    member = rules.audience == "member" and bool(
        await memberships.approved_of_person(ctx.db, ctx.person.id)
    )
    if not admits(rules.audience, ctx.person, member):
        if rules.audience == "member":
            waiting = await pending_notice(ctx)
            if waiting:
                return waiting
        return _not_for(ctx, rules.audience)
    if rules.phases is None:
        return None
    consultation = await ctx.consultation()
    if consultation is None:
        return ctx._("No consultation is running at the moment.")
    current = consultation.open_phase(ctx.now)
    if current is not None and current.kind in rules.phases:
        return None
    return closed_phase(ctx, consultation, rules.phases)


async def pending_notice(ctx: Context) -> str | None:
    """What a person whose request waits for the staff is told, or None.

    They used to be told to type /start, and doing so filed the request again.
    """
    mine = await memberships.of_person(ctx.db, ctx.person.id)
    waiting = [m for m in mine if m.status == "pending"]
    if not waiting:
        return None
    return ctx._(
        "Your request to represent {name} is waiting for the staff's approval; I will "
        "tell you as soon as it is decided. Nothing else to do until then.",
        name=", ".join(m.collectivite_name for m in waiting),
    )


def _not_for(ctx: Context, audience: Audience) -> str:
    if audience == "admin":
        return ctx._("This command is reserved for administrators.")
    if audience == "staff":
        return ctx._("This command is reserved for the consultation staff.")
    return ctx._(
        "You first need to be known as a member of a collectivité. Type {start}.",
        start=ctx.cmd("start"),
    )


def closed_phase(ctx: Context, consultation: Consultation, kinds: Collection[str]) -> str:
    """The answer to an action outside its phase: when it is possible, and what is open now.

    Of several phases, the one a person can still wait for is named, else the last.
    """
    current = consultation.open_phase(ctx.now)
    now_open = (
        ctx._("Open now: {phase}.", phase=phase_label(ctx.t, current.kind))
        if current
        else ctx._("No phase is open right now.")
    )
    candidates = [p for p in consultation.phases if p.kind in kinds]
    if not candidates:
        kind = sorted(kinds)[0]
        return ctx._("This consultation has no {phase}.", phase=phase_label(ctx.t, kind))
    phase = next((p for p in candidates if p.opens_at > ctx.now), candidates[-1])
    if phase.opens_at > ctx.now:
        text = ctx._(
            "This will be possible during the {phase}, {span}.",
            phase=phase_label(ctx.t, phase.kind),
            span=phase_span(ctx.t, phase),
        )
    else:
        text = ctx._(
            "This was possible during the {phase}, {span}; it is closed now.",
            phase=phase_label(ctx.t, phase.kind),
            span=phase_span(ctx.t, phase),
        )
    return f"{text} {now_open}"
