"""Labels and small checks several flows share, so they read the same everywhere."""

from __future__ import annotations

from bot.core.calendar_text import phase_label, phase_span
from bot.core.context import Context, Refused
from bot.core.i18n import N_, Translator
from storage.collectivites import Collectivite
from storage.consultations import Consultation

ROLE_LABELS = {
    "elu": N_("elected official"),
    "agent": N_("agent"),
}
STATUS_LABELS = {
    "pending": N_("waiting for the staff's approval"),
    "approved": N_("approved"),
    "rejected": N_("not approved"),
}


def place(t: Translator, collectivite: Collectivite) -> str:
    """``Saint-Julien-de-Lampon (Dordogne, 24)``: enough to tell homonyms apart."""
    if collectivite.kind == "epci":
        return t._(
            "{name} (intercommunality, SIREN {siren})",
            name=collectivite.name,
            siren=collectivite.code,
        )
    if collectivite.departement_name:
        return f"{collectivite.name} ({collectivite.departement_name}, {collectivite.departement})"
    return f"{collectivite.name} ({collectivite.departement})"


async def require_consultation(ctx: Context) -> Consultation:
    consultation = await ctx.consultation()
    if consultation is None:
        raise Refused(ctx._("No consultation is running at the moment."))
    return consultation


def require_staff(ctx: Context) -> None:
    if not ctx.person.is_staff:
        raise Refused(ctx._("This command is reserved for the consultation staff."))


def stale_button(ctx: Context) -> Refused:
    """A pressed button whose conversation is over, or forged data."""
    return Refused(
        ctx._(
            "This button is no longer valid. Type {help} to see what you can do.",
            help=ctx.cmd("help"),
        )
    )


def closed_phase(ctx: Context, consultation: Consultation, kind: str) -> Refused:
    """The answer to an action outside its phase: when it is possible, and what is open now."""
    phase = next((p for p in consultation.phases if p.kind == kind), None)
    current = consultation.open_phase(ctx.now)
    now_open = (
        ctx._("Open now: {phase}.", phase=phase_label(ctx.t, current.kind))
        if current
        else ctx._("No phase is open right now.")
    )
    if phase is None:
        return Refused(ctx._("This consultation has no {phase}.", phase=phase_label(ctx.t, kind)))
    if phase.opens_at > ctx.now:
        text = ctx._(
            "This will be possible during the {phase}, {span}.",
            phase=phase_label(ctx.t, kind),
            span=phase_span(ctx.t, phase),
        )
    else:
        text = ctx._(
            "This was possible during the {phase}, {span}; it is closed now.",
            phase=phase_label(ctx.t, kind),
            span=phase_span(ctx.t, phase),
        )
    return Refused(f"{text} {now_open}")


async def require_phase(ctx: Context, kind: str) -> Consultation:
    """The consultation, if ``kind`` is the phase open now; a clear refusal otherwise."""
    consultation = await require_consultation(ctx)
    current = consultation.open_phase(ctx.now)
    if current is None or current.kind != kind:
        raise closed_phase(ctx, consultation, kind)
    return consultation


def quote(text: str, limit: int = 80) -> str:
    """A user's text shortened for a list or a button label."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
