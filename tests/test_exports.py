"""Exports: exact rows, a clean round trip through a CSV reader and openpyxl,
no participant named, and the same files from ``guichet export``."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from bot.backends.memory import MemoryBackend
from bot.core.clock import PARIS
from bot.core.messages import File, Reply
from bot.ops.cli import main
from handlers import export
from storage.db import Database
from tests import stats_support
from tests.conftest import text

BOM = b"\xef\xbb\xbf"
PARIS_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


def _files(replies: list[Reply]) -> dict[str, File]:
    """The files sent, by table (``supports.csv``), the workbook as ``xlsx``."""
    found = [r.file for r in replies if r.file is not None]
    return {"xlsx" if f.name.endswith(".xlsx") else f.name.rsplit("-", 1)[-1]: f for f in found}


def _csv(file: File) -> list[list[str]]:
    assert file.content.startswith(BOM)
    assert file.mime == "text/csv"
    decoded = file.content.decode("utf-8-sig")
    assert "\r\n" in decoded
    return list(csv.reader(io.StringIO(decoded, newline=""), delimiter=";"))


async def test_csv_files_round_trip_with_exact_rows(seeded: MemoryBackend) -> None:
    replies = await seeded.say("boss", "/export csv")
    assert "never participants" in replies[0].text and "audit log is included" in replies[0].text
    assert [r.text for r in replies[1:]] == [
        "Contributions: 7 rows",
        "Proposals: 3 rows",
        "Supports: 6 rows",
        "Co-construction: 0 rows",
        "Volunteers: 0 rows",
        "Audit log: 0 rows",
    ]
    files = _files(replies)
    assert sorted(files) == [
        "audit_log.csv",
        "coconstruction.csv",
        "contributions.csv",
        "proposals.csv",
        "supports.csv",
        "volunteers.csv",
    ]
    assert replies[1].file is not None
    assert replies[1].file.name == "test-2026-2026-12-01-contributions.csv"

    supports = _csv(files["supports.csv"])
    assert supports[0] == [
        "Proposal no.",
        "Proposal",
        "Level",
        "INSEE code or SIREN",
        "Kind",
        "Collectivité",
        "Département",
        "Région",
        "Population",
        "EPCI SIREN",
        "EPCI",
        "Committed (Paris time)",
        "Last changed (Paris time)",
    ]
    assert [row[:4] for row in supports[1:]] == [
        ["1", "Partager des véhicules entre habitants", "soutien", "200040830"],
        ["1", "Partager des véhicules entre habitants", "co_construction", "24081"],
        ["1", "Partager des véhicules entre habitants", "soutien", "24432"],
        ["1", "Partager des véhicules entre habitants", "soutien", "29019"],
        ["2", "Visualiser et piloter par la donnée", "co_construction", "01001"],
        ["2", "Visualiser et piloter par la donnée", "soutien", "33063"],
    ]
    assert supports[3] == [
        "1",
        "Partager des véhicules entre habitants",
        "soutien",
        "24432",
        "commune",
        "Saint-Julien-de-Lampon",
        "24",
        "Nouvelle-Aquitaine",
        "660",
        "200040830",
        "CC du Pays de Fénelon",
        "2026-11-25 10:00:00",
        "2026-11-25 10:00:00",
    ]
    assert supports[4][11] == "2026-11-22 00:30:00"  # 23:30 UTC, in Paris time
    assert supports[1][4:6] == ["epci", "CC du Pays de Fénelon"]

    proposals = _csv(files["proposals.csv"])
    assert [row[:4] for row in proposals[1:]] == [
        ["1", "Partager des véhicules entre habitants", "mobility", "open"],
        ["2", "Visualiser et piloter par la donnée", "data", "open"],
        ["3", "Faciliter l'accès à la culture", "culture", "open"],
    ]
    # contributions, their collectivités, votes, supports, soutien, ready to co-build
    assert [row[4:10] for row in proposals[1:]] == [
        ["2", "2", "4", "4", "3", "1"],
        ["1", "1", "3", "2", "1", "1"],
        ["0", "0", "1", "0", "0", "0"],
    ]
    assert proposals[1][11] == "2026-09-01 10:00:00"

    contributions = _csv(files["contributions.csv"])
    assert len(contributions) == 8 and len(contributions[0]) == 14
    by_id = {row[0]: row for row in contributions[1:]}
    assert [by_id[str(i)][7] for i in range(1, 8)] == [
        "grouped",
        "grouped",
        "grouped",
        "rerouted",
        "rejected",
        "submitted",
        "withdrawn",
    ]
    assert by_id["1"][2:6] == ["24432", "Saint-Julien-de-Lampon", "24", "660"]
    assert by_id["1"][12] == "1" and by_id["4"][12] == ""
    assert by_id["5"][10] == "Hors sujet"
    # A title that a spreadsheet would run as a formula is defused.
    assert by_id["6"][8] == '\'=HYPERLINK("http://x";"clic")'
    for row in contributions[1:]:
        assert PARIS_TIME.match(row[1])

    assert _csv(files["audit_log.csv"]) == [
        ["Entry no.", "When (Paris time)", "Staff member", "Action", "Target", "Detail"]
    ]
    everything = b"".join(f.content for f in files.values()).decode("utf-8-sig")
    for name in stats_support.PERSON_NAMES:
        assert name not in everything
    assert "memory:" not in everything


async def test_xlsx_round_trips_through_openpyxl(seeded: MemoryBackend) -> None:
    replies = await seeded.press("boss", "exp.f:xlsx")
    assert replies[-1].text == "All tables in one spreadsheet, one sheet each."
    file = _files(replies)["xlsx"]
    assert file.content.startswith(b"PK")
    workbook = openpyxl.load_workbook(io.BytesIO(file.content))
    assert workbook.sheetnames == [
        "contributions",
        "proposals",
        "supports",
        "coconstruction",
        "volunteers",
        "audit_log",
    ]
    supports = workbook["supports"]
    assert supports.max_row == 7 and supports.freeze_panes == "A2"
    rows = list(supports.iter_rows(min_row=2, values_only=True))
    assert rows[4][:9] == (
        2,
        "Visualiser et piloter par la donnée",
        "co_construction",
        "01001",  # text, so the leading zero stays
        "commune",
        "L'Abergement-Clémenciat",
        "01",
        "Auvergne-Rhône-Alpes",
        860,
    )
    assert rows[4][11] == datetime(2026, 11, 25, 13, 0)
    assert supports["L6"].number_format == "yyyy-mm-dd hh:mm:ss"
    contributions = workbook["contributions"]
    assert contributions["A1"].value == "Contribution no." and contributions["A1"].font.b
    formula = contributions["I7"]
    assert formula.value == '=HYPERLINK("http://x";"clic")' and formula.data_type == "s"
    # The log is read before this export is itself recorded in it.
    audit = workbook["audit_log"]
    assert audit.max_row == 1
    logged = await seeded.app.services.db.fetchall("SELECT action, staff_label FROM audit_log")
    assert [(r["action"], r["staff_label"]) for r in logged] == [("export", "boss (memory:boss)")]


async def test_staff_export_leaves_out_the_audit_log(seeded: MemoryBackend) -> None:
    chooser = await seeded.say("staff", "/export")
    assert [c.data for c in chooser[0].choices] == ["exp.f:xlsx", "exp.f:csv", "exp.f:both"]
    replies = await seeded.say("staff", "3")
    assert "audit log" not in replies[0].text
    files = _files(replies)
    assert sorted(files) == [
        "coconstruction.csv",
        "contributions.csv",
        "proposals.csv",
        "supports.csv",
        "volunteers.csv",
        "xlsx",
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(files["xlsx"].content))
    assert workbook.sheetnames == [
        "contributions",
        "proposals",
        "supports",
        "coconstruction",
        "volunteers",
    ]


async def test_bad_format_is_explained(seeded: MemoryBackend) -> None:
    answer = text(await seeded.say("staff", "/export pdf"))
    assert "Type /export followed by csv, xlsx or both, e.g. /export xlsx" in answer
    assert "Type /export" in text(await seeded.say("staff", "/export csv xlsx"))
    assert len(_files(await seeded.say("staff", "/export TOUT"))) == 6


async def test_large_exports_come_as_csv_in_the_chat(
    seeded: MemoryBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "XLSX_CHAT_ROWS", 10)
    replies = await seeded.say("staff", "/export both")
    assert "With 16 rows the spreadsheet would hold up" in replies[0].text
    assert sorted(_files(replies)) == [
        "coconstruction.csv",
        "contributions.csv",
        "proposals.csv",
        "supports.csv",
        "volunteers.csv",
    ]


def test_command_line_export(tmp_path: Path, db_path: Path) -> None:
    async def prepare() -> None:
        db = await Database.open(db_path)
        await stats_support.seed(db)
        await db.close()

    asyncio.run(prepare())
    out = tmp_path / "out"
    argv = ["export", "--db", str(db_path), "--out", str(out), "--format", "both"]
    assert main([*argv, "--lang", "en"]) == 0
    names = sorted(p.name for p in out.iterdir())
    stamp = f"test-2026-{datetime.now(PARIS).date().isoformat()}"
    assert names == sorted(
        [f"{stamp}.xlsx"]
        + [
            f"{stamp}-{key}.csv"
            for key in (
                "contributions",
                "proposals",
                "supports",
                "coconstruction",
                "volunteers",
                "audit_log",
            )
        ]
    )
    supports = (out / f"{stamp}-supports.csv").read_bytes()
    assert supports.startswith(BOM) and b";24432;commune;Saint-Julien-de-Lampon;24;" in supports
    assert main(["export", "--db", str(db_path), "--out", str(out), "--format", "csv"]) == 0
    audit = (out / f"{stamp}-audit_log.csv").read_text(encoding="utf-8-sig").splitlines()
    # The second export lists the first, done from the command line.
    assert len(audit) == 2 and ";command line;export;consultation:1;" in audit[1]

    async def entries() -> list[str]:
        db = await Database.open(db_path)
        rows = await db.fetchall("SELECT staff_label, action FROM audit_log ORDER BY id")
        await db.close()
        return [f"{r['staff_label']}/{r['action']}" for r in rows]

    assert asyncio.run(entries()) == ["command line/export", "command line/export"]


def test_command_line_export_needs_a_consultation(tmp_path: Path, db_path: Path) -> None:
    assert main(["export", "--db", str(db_path), "--out", str(tmp_path)]) == 2
    assert not list(tmp_path.glob("*.csv"))
