"""The consultation's data as files the steering committee opens in a spreadsheet.

CSV is written the way a French spreadsheet expects it (UTF-8 with a BOM so
accents survive, ``;`` since the comma is the decimal separator, dates as
``YYYY-MM-DD HH:MM:SS`` in Paris time); XLSX carries the same tables, one
sheet each, with real dates and INSEE codes kept as text so ``01001`` keeps
its zero. Headers follow the reader's language; values stay the stored codes
(``grouped``, ``co_construction``), which do not change with it.

Text typed by participants is never taken for a formula: in CSV a leading
``= + - @`` gets an apostrophe (the usual defence against formula injection),
in XLSX the cell is typed as a string.

The tables that grow with the consultation (contributions, supports, the
audit log) are never held as lists: each file reads them through a connection
of its own (``storage.exports.stream``) and writes rows as they come, CSV
through the ``csv`` module, XLSX through openpyxl's write-only mode (each
sheet goes to a temporary file as rows are appended). A national export kept
400 MiB of tuples alive when tables were lists.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any, Literal

from bot.core.clock import PARIS
from bot.core.i18n import N_, Translator
from bot.core.messages import File
from storage import exports as rows
from storage import volunteers
from storage.db import Database

Format = Literal["csv", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx")
CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"

ColumnKind = Literal["code", "text", "free", "int", "date"]


@dataclass(frozen=True)
class Column:
    header: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[Column, ...]
    count: int
    """Rows when the export was asked for; the files say how many they hold."""
    source: Callable[[], Iterable[tuple[Any, ...]]]
    """The rows, read again for each file: a stream for the big tables."""
    dropped: tuple[int, ...] = ()
    """Columns of the rows left out (the votes, in a consultation without a vote)."""

    def read(self) -> Iterator[tuple[Any, ...]]:
        if not self.dropped:
            yield from self.source()
            return
        for row in self.source():
            yield tuple(v for i, v in enumerate(row) if i not in self.dropped)


def _listed(found: list[tuple[Any, ...]]) -> Callable[[], Iterable[tuple[Any, ...]]]:
    return lambda: found


CONTRIBUTIONS = (
    Column(N_("Contribution no."), "int"),
    Column(N_("Submitted (Paris time)"), "date"),
    Column(N_("INSEE code or SIREN"), "code"),
    Column(N_("Collectivité")),
    Column(N_("Département"), "code"),
    Column(N_("Population"), "int"),
    Column(N_("Theme"), "code"),
    Column(N_("Status"), "code"),
    Column(N_("Title"), "free"),
    Column(N_("Text"), "free"),
    Column(N_("Reason given"), "free"),
    Column(N_("Where to go instead"), "free"),
    Column(N_("Proposal no."), "int"),
    Column(N_("Reviewed (Paris time)"), "date"),
)
PROPOSALS = (
    Column(N_("Proposal no."), "int"),
    Column(N_("Title"), "free"),
    Column(N_("Theme"), "code"),
    Column(N_("Status"), "code"),
    Column(N_("Contributions"), "int"),
    Column(N_("Contributing collectivités"), "int"),
    Column(N_("Votes"), "int"),
    Column(N_("Supports"), "int"),
    Column(N_("Supports: soutien"), "int"),
    Column(N_("Supports: ready to co-build"), "int"),
    Column(N_("Summary"), "free"),
    Column(N_("Created (Paris time)"), "date"),
)
SUPPORTS = (
    Column(N_("Proposal no."), "int"),
    Column(N_("Proposal"), "free"),
    Column(N_("Level"), "code"),
    Column(N_("INSEE code or SIREN"), "code"),
    Column(N_("Kind"), "code"),
    Column(N_("Collectivité")),
    Column(N_("Département"), "code"),
    Column(N_("Région")),
    Column(N_("Population"), "int"),
    Column(N_("EPCI SIREN"), "code"),
    Column(N_("EPCI")),
    Column(N_("Committed (Paris time)"), "date"),
    Column(N_("Last changed (Paris time)"), "date"),
)
COCONSTRUCTION = (
    Column(N_("Proposal no."), "int"),
    Column(N_("Title"), "free"),
    Column(N_("Places"), "int"),
    Column(N_("Volunteers with a place"), "int"),
    Column(N_("Waiting list"), "int"),
    Column(N_("Volunteers to decide"), "int"),
    Column(N_("Invited, no answer yet"), "int"),
    Column(N_("Matrix rooms"), "int"),
    Column(N_("Telegram groups"), "int"),
    Column(N_("Followers"), "int"),
    Column(N_("News sent"), "int"),
)
VOLUNTEERS = (
    Column(N_("Proposal no."), "int"),
    Column(N_("Proposal"), "free"),
    Column(N_("Status"), "code"),
    Column(N_("INSEE code or SIREN"), "code"),
    Column(N_("Kind"), "code"),
    Column(N_("Collectivité")),
    Column(N_("Département"), "code"),
    Column(N_("Population"), "int"),
    Column(N_("Volunteered (Paris time)"), "date"),
    Column(N_("Place or waiting list since (Paris time)"), "date"),
)
PROPOSAL_VOTES = 6
"""Where the votes are in a proposals row."""
AUDIT = (
    Column(N_("Entry no."), "int"),
    Column(N_("When (Paris time)"), "date"),
    Column(N_("Staff member"), "free"),
    Column(N_("Action"), "code"),
    Column(N_("Target"), "free"),
    Column(N_("Detail"), "free"),
)


async def tables(
    db: Database, consultation_id: int, *, audit: bool, votes: bool = True
) -> list[Table]:
    """Every table of the export; the audit log only when ``audit`` (admins, operators);
    the proposals' votes only when the consultation has a vote phase (``votes``)."""

    async def streamed(
        key: rows.StreamedKey, title: str, columns: tuple[Column, ...], within: int
    ) -> Table:
        count = await rows.count(db, key, within)
        return Table(key, title, columns, count, partial(rows.stream, db.path, key, within))

    def listed(key: str, title: str, columns: tuple[Column, ...], found: list[Any]) -> Table:
        return Table(key, title, columns, len(found), _listed(found))

    proposals = listed(
        "proposals", N_("Proposals"), PROPOSALS, await rows.proposals(db, consultation_id)
    )
    if not votes:
        proposals = replace(
            proposals,
            columns=tuple(c for i, c in enumerate(PROPOSALS) if i != PROPOSAL_VOTES),
            dropped=(PROPOSAL_VOTES,),
        )
    places = await _places(db, consultation_id)
    out = [
        await streamed("contributions", N_("Contributions"), CONTRIBUTIONS, consultation_id),
        proposals,
        await streamed("supports", N_("Supports"), SUPPORTS, consultation_id),
        listed(
            "coconstruction",
            N_("Co-construction"),
            COCONSTRUCTION,
            await rows.coconstruction(db, consultation_id, places),
        ),
        listed(
            "volunteers", N_("Volunteers"), VOLUNTEERS, await rows.volunteers(db, consultation_id)
        ),
    ]
    if audit:
        bound = await rows.audit_bound(db)
        out.append(await streamed("audit_log", N_("Audit log"), AUDIT, bound))
    return out


async def _places(db: Database, consultation_id: int) -> int:
    """The consultation's places per proposal, where one sets none of its own."""
    raw = await db.fetchval("SELECT settings FROM consultations WHERE id = ?", (consultation_id,))
    return volunteers.default_places(json.loads(raw) if raw else {})


def _paris(value: datetime) -> datetime:
    return value.astimezone(PARIS).replace(tzinfo=None)


def _csv_cell(column: Column, value: Any) -> Any:
    if value is None:
        return ""
    if column.kind == "date":
        return _paris(value).isoformat(sep=" ", timespec="seconds")
    if column.kind == "free" and isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(t: Translator, table: Table) -> tuple[bytes, int]:
    """The table as CSV, and how many rows it holds."""
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow([t._(c.header) for c in table.columns])
    count = 0
    for row in table.read():
        writer.writerow([_csv_cell(c, v) for c, v in zip(table.columns, row, strict=True)])
        count += 1
    text.flush()
    data = buffer.getvalue()
    text.close()
    return data, count


def _xlsx_cell(sheet: Any, column: Column, value: Any) -> Any:
    """A plain value where openpyxl gets it right by itself (most cells: a styled
    cell costs ten times more to write), a typed cell where it would not."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if column.kind == "date" and value is not None:
        cell = WriteOnlyCell(sheet, value=_paris(value))
        cell.number_format = DATE_FORMAT
        return cell
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # text, never a formula
        return cell
    return value


def to_xlsx(t: Translator, tables: Sequence[Table]) -> bytes:
    """One sheet per table, header bold and frozen, filters on; written streaming."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables:
        sheet = workbook.create_sheet(table.key)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, start=1):
            width = 40 if column.kind == "free" else 20 if column.kind == "date" else 16
            sheet.column_dimensions[get_column_letter(index)].width = width
        last = get_column_letter(len(table.columns))
        sheet.auto_filter.ref = f"A1:{last}{table.count + 1}"
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=t._(column.header))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in table.read():
            sheet.append([_xlsx_cell(sheet, c, v) for c, v in zip(table.columns, row, strict=True)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def file_stem(slug: str, now: datetime) -> str:
    return f"{slug}-{now.astimezone(PARIS).date().isoformat()}"


def files(
    t: Translator, built: Sequence[Table], formats: Sequence[Format], stem: str
) -> list[tuple[File, Table | None]]:
    """The files of ``formats``; each CSV with its table, the XLSX with None (all tables)."""
    out: list[tuple[File, Table | None]] = []
    if "csv" in formats:
        for table in built:
            data, count = to_csv(t, table)
            out.append(
                (File(f"{stem}-{table.key}.csv", data, CSV_MIME), replace(table, count=count))
            )
    if "xlsx" in formats:
        out.append((File(f"{stem}.xlsx", to_xlsx(t, built), XLSX_MIME), None))
    return out
