"""What the rest of the database says about a person, taken out at their erasure.

Erasing a person's own rows is not enough: staff notices waiting in (or kept
by) the outbox name them, and the audit log records actions on them
(``person:3``, ``{"person": 3}``) and, for staff, by them, under their name and
identity. The actions stay, for accountability; who they were about, and who
a since-erased staff member was, do not.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from storage.audit import public_detail, public_target

ERASED = "—"


def forget_in_audit(
    conn: sqlite3.Connection,
    person_id: int,
    identities: Sequence[str],
    membership_ids: Sequence[int],
) -> None:
    """Actions by the person keep no label; actions on them keep no id or identity."""
    conn.execute(
        "UPDATE audit_log SET staff_id = NULL, staff_label = '' WHERE staff_id = ?", (person_id,)
    )
    for identity in identities:
        conn.execute(
            "UPDATE audit_log SET staff_label = '' WHERE staff_label LIKE ? ESCAPE '\\'",
            (f"%({_like(identity)})",),
        )
    targets = [f"person:{person_id}", *(f"membership:{m}" for m in membership_ids)]
    marks = ", ".join("?" for _ in targets)
    idents = ", ".join("?" for _ in identities) or "NULL"
    rows = conn.execute(
        f"SELECT id, target, detail FROM audit_log WHERE target IN ({marks})"
        " OR json_extract(detail, '$.person') = ?"
        f" OR json_extract(detail, '$.identity') IN ({idents})",
        (*targets, person_id, *identities),
    ).fetchall()
    for row_id, target, raw in rows:
        conn.execute(
            "UPDATE audit_log SET target = ?, detail = ? WHERE id = ?",
            (public_target(str(target)), public_detail(str(raw)), row_id),
        )


def forget_in_outbox(conn: sqlite3.Connection, exact: Sequence[str], name: str) -> None:
    """Replace the person's identities and display name in every message to others.

    A display name is matched as a whole word, and only from two characters
    on: shorter, it would eat into everyone else's words.
    """
    name = name.strip()
    patterns = [re.escape(term) for term in exact if term]
    if len(name) >= 2:
        patterns.append(rf"(?<!\w){re.escape(name)}(?!\w)")
    if not patterns:
        return
    pattern = re.compile("|".join(patterns))
    needles = [*exact, name] if len(name) >= 2 else list(exact)
    found: dict[int, str] = {}
    for needle in needles:
        stored = json.dumps(needle, ensure_ascii=False)[1:-1]
        for row_id, payload in conn.execute(
            "SELECT id, payload FROM outbox WHERE instr(payload, ?) > 0", (stored,)
        ):
            found[int(row_id)] = str(payload)
    for row_id, payload in found.items():
        cleaned = _replace(json.loads(payload), pattern)
        conn.execute(
            "UPDATE outbox SET payload = ? WHERE id = ?",
            (json.dumps(cleaned, ensure_ascii=False), row_id),
        )


def _replace(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_replace(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, pattern) for k, v in value.items()}
    return value


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
