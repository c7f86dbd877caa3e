"""``guichet proposals import FILE``: proposals from a CSV or JSON file, all or nothing.

Staff often prepare proposals in a spreadsheet. Every line is checked first
and every problem reported with its line number; only a file without errors
is loaded, in one transaction, creating or updating proposals by number.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from storage import consultations, proposals
from storage.db import Database

FIELDS = ("number", "title", "summary", "theme")
MAX_TITLE = 200
MAX_SUMMARY = 2000


@dataclass(frozen=True)
class Row:
    line: int
    number: int
    title: str
    summary: str
    theme: str


class ImportRefused(ValueError):
    """The file was refused; ``errors`` lists every problem with its line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def _records(path: Path) -> list[tuple[int, dict[str, Any]]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        if isinstance(data, dict):
            data = data.get("proposals", [])
        if not isinstance(data, list):
            raise ImportRefused(["the JSON file must hold a list of proposals"])
        return [(i + 1, r if isinstance(r, dict) else {}) for i, r in enumerate(data)]
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;\t")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    missing = [f for f in FIELDS if f not in (reader.fieldnames or [])]
    if missing:
        raise ImportRefused([f"line 1: missing column(s) {', '.join(missing)}"])
    return [(i + 2, row) for i, row in enumerate(reader)]


def parse(path: Path, themes: list[str]) -> list[Row]:
    """Every row, checked; raises ImportRefused with all problems at once."""
    try:
        records = _records(path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        raise ImportRefused([f"cannot read {path}: {exc}"]) from exc
    rows: list[Row] = []
    errors: list[str] = []
    seen: dict[int, int] = {}
    for line, record in records:
        number_raw = str(record.get("number", "")).strip()
        title = str(record.get("title") or "").strip()
        summary = str(record.get("summary") or "").strip()
        theme = str(record.get("theme") or "").strip()
        problems = []
        if not number_raw.isdigit() or not 0 < int(number_raw) < 100_000:
            problems.append(f"number {number_raw!r} is not a whole number above 0")
        elif int(number_raw) in seen:
            problems.append(f"number {number_raw} already on line {seen[int(number_raw)]}")
        else:
            seen[int(number_raw)] = line
        if not title or len(title) > MAX_TITLE:
            problems.append(f"title must have 1 to {MAX_TITLE} characters")
        if len(summary) > MAX_SUMMARY:
            problems.append(f"summary longer than {MAX_SUMMARY} characters")
        if theme not in themes:
            problems.append(f"theme {theme!r} is not one of {', '.join(themes)}")
        if problems:
            errors.extend(f"line {line}: {p}" for p in problems)
        else:
            rows.append(Row(line, int(number_raw), title, summary, theme))
    if errors:
        raise ImportRefused(errors)
    if not rows:
        raise ImportRefused(["the file holds no proposal"])
    return rows


async def load(db: Database, path: Path, themes: list[str], now: datetime) -> tuple[int, int]:
    """Import the file into the current consultation; (created, updated)."""
    consultation = await consultations.current(db)
    if consultation is None:
        raise ImportRefused(["there is no consultation to import proposals into"])
    rows = parse(path, themes)
    created = updated = 0
    async with db.transaction():
        for row in rows:
            existing = await proposals.by_number(db, consultation.id, row.number)
            if existing is None:
                await proposals.create(
                    db,
                    consultation.id,
                    number=row.number,
                    title=row.title,
                    summary=row.summary,
                    theme=row.theme,
                    now=now,
                )
                created += 1
            else:
                await proposals.update(
                    db, existing.id, now=now, title=row.title, summary=row.summary, theme=row.theme
                )
                updated += 1
    return created, updated
