"""How a phase is named and dated for people: one wording for the chat, the
notices and the command line.

Phases close at midnight (the next day, Paris time); people think of the day
before as the last one, so every text shows that day.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.i18n import N_, Translator
from storage.consultations import Phase

PHASE_LABELS = {
    "needs": N_("collection of needs"),
    "vote": N_("vote on the proposals"),
    "support": N_("declaration of support"),
    "selection": N_("selection of the projects"),
    "coconstruction": N_("co-construction with the volunteer collectivités"),
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
