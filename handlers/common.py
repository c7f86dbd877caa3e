"""Labels and small checks several flows share, so they read the same everywhere."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.context import Context, Refused
from bot.i18n import N_, Translator
from storage.collectivites import Collectivite
from storage.consultations import Consultation, Phase

PHASE_LABELS = {
    "needs": N_("collection of needs"),
    "vote": N_("vote on the proposals"),
    "support": N_("declaration of support"),
    "selection": N_("selection of the projects"),
}
ROLE_LABELS = {
    "elu": N_("elected official"),
    "agent": N_("agent"),
}
STATUS_LABELS = {
    "pending": N_("waiting for the staff's approval"),
    "approved": N_("approved"),
    "rejected": N_("not approved"),
}


def phase_label(t: Translator, kind: str) -> str:
    return t._(PHASE_LABELS[kind])


def last_day(phase: Phase) -> datetime | None:
    """Phases close at midnight; people think of the day before as the last one."""
    return None if phase.closes_at is None else phase.closes_at - timedelta(seconds=1)


def phase_span(t: Translator, phase: Phase) -> str:
    end = last_day(phase)
    if end is None:
        return t._("from {start}", start=t.date(phase.opens_at))
    return t._("from {start} to {end}", start=t.date(phase.opens_at), end=t.date(end))


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


def stale_button(ctx: Context) -> Refused:
    """A pressed button whose conversation is over, or forged data."""
    return Refused(
        ctx._(
            "This button is no longer valid. Type {help} to see what you can do.",
            help=ctx.cmd("help"),
        )
    )
