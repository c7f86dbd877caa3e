"""A small consultation with known figures, for the statistics, export and audit tests.

Written with plain SQL against the schema so the figures below do not move
when the flows that normally produce these rows change. The support phase is
open at ``tests.conftest.NOW`` (1 December 2026, 10:00 Paris).

Collectivités taking part (8): six communes with members, one EPCI with a
member, and Brest, whose only trace is a support left by a person since erased.

| code | name | population | dépt | région | members |
|---|---|---|---|---|---|
| 24432 | Saint-Julien-de-Lampon | 660 | 24 | 75 | Alice (elu), Bruno (agent) |
| 24081 | Carlux | 671 | 24 | 75 | Chloé |
| 01001 | L'Abergement-Clémenciat | 860 | 01 | 84 | David |
| 46029 | Biars-sur-Cère | 1,957 | 46 | 76 | Emma |
| 85113 | L'Île-d'Yeu | 4,883 | 85 | 52 | Farid, Léo (who did nothing else) |
| 33063 | Bordeaux | 267,991 | 33 | 75 | Gaëlle (+ Hugo, pending) |
| 200040830 | CC du Pays de Fénelon | — | 24 | 75 | Inès (approved 25 Nov) |
| 29019 | Brest | 142,346 | 29 | 53 | — |

Julie's request for Cahors (46042) was rejected: neither counts.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.clock import PARIS, to_iso
from storage.db import Database

PEOPLE = {  # key → (display name, [(collectivité, role, status, decided)])
    "alice": ("Alice Martin", [("24432", "elu", "approved", "2026-10-02T08:00:00+00:00")]),
    "bruno": ("Bruno Petit", [("24432", "agent", "approved", "2026-10-02T09:00:00+00:00")]),
    "chloe": ("Chloé Durand", [("24081", "elu", "approved", "2026-10-03T08:00:00+00:00")]),
    "david": ("David Moreau", [("01001", "elu", "approved", "2026-10-04T08:00:00+00:00")]),
    "emma": ("Emma Laurent", [("46029", "elu", "approved", "2026-10-05T08:00:00+00:00")]),
    "farid": ("Farid Benali", [("85113", "elu", "approved", "2026-10-06T08:00:00+00:00")]),
    "leo": ("Léo Girard", [("85113", "agent", "approved", "2026-10-09T08:00:00+00:00")]),
    "gaelle": ("Gaëlle Roux", [("33063", "elu", "approved", "2026-10-07T08:00:00+00:00")]),
    "hugo": ("Hugo Blanc", [("33063", "agent", "pending", None)]),
    "ines": ("Inès Garnier", [("200040830", "elu", "approved", "2026-11-25T09:00:00+00:00")]),
    "julie": ("Julie Fontaine", [("46042", "elu", "rejected", "2026-10-08T08:00:00+00:00")]),
}
PERSON_NAMES = [name for name, _ in PEOPLE.values()]

PHASES = [
    ("needs", "2026-10-01", "2026-11-01"),
    ("vote", "2026-11-01", "2026-11-21"),
    ("support", "2026-11-21", "2026-12-21"),
    ("selection", "2026-12-21", None),
]
PROPOSALS = [  # number, title, theme
    (1, "Partager des véhicules entre habitants", "mobility"),
    (2, "Visualiser et piloter par la donnée", "data"),
    (3, "Faciliter l'accès à la culture", "culture"),
]
CONTRIBUTIONS = [  # author, collectivité, title, theme, status, proposal number
    ("alice", "24432", "Covoiturage rural", "mobility", "grouped", 1),
    ("chloe", "24081", "Transport à la demande", "mobility", "grouped", 1),
    ("david", "01001", "Tableau de bord communal", "data", "grouped", 2),
    ("emma", "46029", "Haut débit au bourg", "data", "rerouted", None),
    ("farid", "85113", "Musée numérique", "culture", "rejected", None),
    ("gaelle", "33063", '=HYPERLINK("http://x";"clic")', "data", "submitted", None),
    ("bruno", "24432", "Bibliothèque en ligne", "culture", "withdrawn", None),
]
VOTES = {1: ["alice", "bruno", "chloe", "david"], 2: ["alice", "emma", "farid"], 3: ["gaelle"]}
SUPPORTS = [  # proposal, collectivité, level, committed by, created (UTC)
    (1, "24432", "soutien", "alice", "2026-11-25T09:00:00+00:00"),
    (1, "24081", "co_construction", "chloe", "2026-11-25T10:00:00+00:00"),
    (1, "200040830", "soutien", "ines", "2026-11-25T11:00:00+00:00"),
    # 00:30 on 22 November in Paris: counts on the 22nd, not the 21st.
    (1, "29019", "soutien", None, "2026-11-21T23:30:00+00:00"),
    (2, "01001", "co_construction", "david", "2026-11-25T12:00:00+00:00"),
    (2, "33063", "soutien", "gaelle", "2026-12-01T08:00:00+00:00"),
]


def _midnight(day: str) -> str:
    return to_iso(datetime.fromisoformat(day).replace(tzinfo=PARIS))


async def seed(db: Database, *, staff: str = "staff", admin: str = "boss") -> dict[str, int]:
    """Create the consultation; return person ids by key (plus staff and admin)."""
    created = "2026-09-01T08:00:00+00:00"
    ids: dict[str, int] = {}
    async with db.transaction():
        cid = await db.execute(
            "INSERT INTO consultations(slug, title, settings, created_at) VALUES (?, ?, ?, ?)",
            ("test-2026", "Consultation de test", "{}", created),
        )
        for position, (kind, opens, closes) in enumerate(PHASES, start=1):
            await db.execute(
                "INSERT INTO phases(consultation_id, position, kind, opens_at, closes_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (cid, position, kind, _midnight(opens), _midnight(closes) if closes else None),
            )
        everyone = {**{k: v[0] for k, v in PEOPLE.items()}, staff: staff, admin: admin}
        for key, name in everyone.items():
            role = "staff" if key == staff else "admin" if key == admin else "user"
            pid = await db.execute(
                "INSERT INTO persons(display_name, locale, role, created_at) VALUES (?, ?, ?, ?)",
                (name, "en", role, created),
            )
            await db.execute(
                "INSERT INTO identities(identity, backend, person_id, address, last_seen,"
                " created_at) VALUES (?, 'memory', ?, ?, ?, ?)",
                (f"memory:{key}", pid, key, created, created),
            )
            ids[key] = pid
        for key, (_name, claims) in PEOPLE.items():
            for code, role, status, decided in claims:
                await db.execute(
                    "INSERT INTO memberships(person_id, collectivite, role, status, decided_at,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (ids[key], code, role, status, decided, decided or created),
                )
        numbers: dict[int, int] = {}
        for number, title, theme in PROPOSALS:
            numbers[number] = await db.execute(
                "INSERT INTO proposals(consultation_id, number, title, summary, theme,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (cid, number, title, f"Résumé de {title}", theme, created, created),
            )
        for day, (author, code, title, theme, status, number) in enumerate(CONTRIBUTIONS, 10):
            at = f"2026-10-{day}T09:00:00+00:00"
            await db.execute(
                "INSERT INTO contributions(consultation_id, author_id, collectivite, title, body,"
                " theme, status, proposal_id, reason, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    cid,
                    ids[author],
                    code,
                    title,
                    f"{title} : description du besoin.",
                    theme,
                    status,
                    numbers[number] if number else None,
                    "Hors sujet" if status == "rejected" else "",
                    at,
                    at,
                ),
            )
        for number, voters in VOTES.items():
            for voter in voters:
                await db.execute(
                    "INSERT INTO votes(person_id, proposal_id, created_at) VALUES (?, ?, ?)",
                    (ids[voter], numbers[number], "2026-11-05T09:00:00+00:00"),
                )
        for number, code, level, by, at in SUPPORTS:
            await db.execute(
                "INSERT INTO supports(collectivite, proposal_id, level, committed_by,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (code, numbers[number], level, ids[by] if by else None, at, at),
            )
    return ids
