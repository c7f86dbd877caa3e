"""The consultation's themes: keys in its settings, labels in the catalogs.

A deployment may add its own themes as ``{"key", "fr", "en"}`` objects in the
consultation settings; the well-known keys are translated by the catalogs.
"""

from __future__ import annotations

from typing import Any

from bot.core.i18n import N_, Translator
from storage.consultations import Consultation

KNOWN = {
    "mobility": N_("Mobility"),
    "culture": N_("Culture"),
    "sharing": N_("Sharing of resources"),
    "citizen_services": N_("Services to citizens"),
    "schools": N_("Schools"),
    "environment": N_("Environment"),
    "data": N_("Data"),
    "administration": N_("Administration and internal tools"),
    "other": N_("Other"),
}


def _entries(consultation: Consultation | None) -> list[Any]:
    raw = consultation.settings.get("themes") if consultation else None
    return list(raw) if isinstance(raw, list) and raw else list(KNOWN)


OTHER = "other"


def keys(consultation: Consultation | None) -> list[str]:
    """The theme keys of this consultation, in the order staff set them, and
    "other" last if they left it out: a need that fits no theme still has one
    (the demo's list of 2021 had none, so such a need went under a wrong one)."""
    found = [
        entry["key"] if isinstance(entry, dict) else str(entry) for entry in _entries(consultation)
    ]
    return found if OTHER in found else [*found, OTHER]


def label(t: Translator, key: str, consultation: Consultation | None = None) -> str:
    for entry in _entries(consultation):
        if isinstance(entry, dict) and entry.get("key") == key:
            return str(entry.get(t.locale) or entry.get("fr") or key)
    return t._(KNOWN[key]) if key in KNOWN else key
