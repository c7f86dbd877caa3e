"""Labels and small checks several flows share, so they read the same everywhere."""

from __future__ import annotations

from bot.core.context import Context, Refused
from bot.core.i18n import N_, Translator
from storage.collectivites import Collectivite
from storage.consultations import Consultation

# With their article in English, as every sentence needs it ("registered as an
# elected official"); French has none after "en tant qu'".
ROLE_LABELS = {
    "elu": N_("an elected official"),
    "agent": N_("an agent"),
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


def stale_button(ctx: Context) -> Refused:
    """A pressed button whose conversation is over, or forged data."""
    return Refused(
        ctx._(
            "This button is no longer valid. Type {help} to see what you can do.",
            help=ctx.cmd("help"),
        )
    )


def quote(text: str, limit: int = 80) -> str:
    """A user's text shortened for a list or a button label."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
