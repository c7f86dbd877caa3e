"""``/journal``: administrators page through the staff actions, newest first;
``guichet staff`` leaves its trace there too."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

from bot.backends.memory import MemoryBackend
from bot.ops.cli import main
from storage import audit
from storage.db import Database
from tests.conftest import text


async def _fill(chat: MemoryBackend, count: int) -> None:
    db = chat.app.services.db
    start = chat.app.services.clock.now() - timedelta(days=1)
    async with db.transaction():
        for i in range(1, count + 1):
            await audit.record(
                db,
                staff_id=None,
                staff_label="Zoé (memory:zoe)",
                action="contribution.group",
                target=f"proposal:{i}",
                detail={"contributions": [i, i + 100]},
                now=start + timedelta(minutes=i),
            )


async def test_admin_pages_through_the_log(seeded: MemoryBackend) -> None:
    assert "The audit log is empty" in text(await seeded.say("boss", "/journal"))
    await _fill(seeded, 25)
    first = await seeded.say("boss", "/journal")
    body = first[0].text
    assert body.startswith("Audit log, page 1 of 3 (25 entries, newest first):\n#25 · ")
    assert "#25 · 11/30/26, 10:25\u202fAM · Zoé (memory:zoe)\n" in body
    assert '   contribution.group → proposal:25 · {"contributions": [25, 125]}' in body
    assert body.count("\n#") == 10 and "#16 · " in body and "#15 · " not in body
    assert [c.data for c in first[0].choices] == ["jr.p:2"]

    second = await seeded.say("boss", "1")  # the typed equivalent of the button
    assert "page 2 of 3" in second[0].text and "#15 · " in second[0].text
    assert [c.data for c in second[0].choices] == ["jr.p:3", "jr.p:1"]

    last = text(await seeded.say("boss", "/audit 3"))
    assert "page 3 of 3" in last and "#1 · " in last and "#6 · " not in last
    assert "page 3 of 3" in text(await seeded.say("boss", "/journal 99"))
    assert "page 1 of 3" in text(await seeded.press("boss", "jr.p:0"))


async def test_bad_page_is_explained(seeded: MemoryBackend) -> None:
    for typed in ("/journal abc", "/journal 1 2", "/journal ³"):
        answer = text(await seeded.say("boss", typed))
        # English speakers are shown the English name of the command.
        assert "Type /audit alone for the latest entries, or followed by a page number" in (
            answer
        ), typed


async def test_staff_actions_in_the_chat_are_listed(seeded: MemoryBackend) -> None:
    await seeded.say("boss", "/team add memory:zoe")
    await seeded.say("staff", "/export xlsx")
    body = text(await seeded.say("boss", "/journal"))
    assert "(2 entries, newest first)" in body
    assert "staff (memory:staff)\n   export → consultation:1" in body
    assert "boss (memory:boss)\n   staff.add → person:" in body
    assert body.index("export →") < body.index("staff.add →")


def test_command_line_staff_changes_are_audited(tmp_path: Path, db_path: Path) -> None:
    assert main(["staff", "add", "telegram:12345", "--db", str(db_path)]) == 0
    assert main(["staff", "add", "telegram:777", "--staff", "--db", str(db_path)]) == 0
    assert main(["staff", "remove", "telegram:777", "--db", str(db_path)]) == 0
    assert main(["staff", "add", "not an identity", "--db", str(db_path)]) == 2

    async def entries() -> list[tuple[str, str, str, str]]:
        db = await Database.open(db_path)
        rows = await db.fetchall(
            "SELECT staff_id, staff_label, action, detail FROM audit_log ORDER BY id"
        )
        await db.close()
        assert all(r["staff_id"] is None for r in rows)
        return [(r["staff_label"], r["action"], *_identity_role(r["detail"])) for r in rows]

    assert asyncio.run(entries()) == [
        ("command line", "staff.add", "telegram:12345", "admin"),
        ("command line", "staff.add", "telegram:777", "staff"),
        ("command line", "staff.remove", "telegram:777", "user"),
    ]


def _identity_role(detail: str) -> tuple[str, str]:
    parsed = json.loads(detail)
    return str(parsed["identity"]), str(parsed["role"])
