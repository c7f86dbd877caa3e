"""When the database cannot be written, the person is still answered, the event is
left for redelivery, one ERROR line and a metric record it, and everything works
again once the cause is gone.

The faults are SQLite's own where SQLite can produce them on demand (a read-only
connection, a lock held by another connection past the busy timeout, a full
tmpfs when the test may mount one), and an injected error for an I/O failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.backends.telegram import polling
from bot.core.clock import FrozenClock
from storage import events
from tests.conftest import make_app, onboard, text
from tests.fake_telegram import FakeTelegram
from tests.telegram_support import MARIE, serving, start

SORRY_FR = "rien n'a pu être enregistré"
SORRY_EN = "nothing could be recorded just now"


def unrecorded(app: App, reason: str) -> float:
    value = app.services.metrics.registry.get_sample_value(
        "guichet_unrecorded_events_total", {"backend": "memory", "reason": reason}
    )
    return value or 0.0


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


@contextlib.asynccontextmanager
async def read_only(app: App) -> AsyncIterator[None]:
    await app.services.db.execute("PRAGMA query_only=ON")
    try:
        yield
    finally:
        await app.services.db.execute("PRAGMA query_only=OFF")


async def test_a_read_only_database_is_answered_and_the_event_left_for_redelivery(
    app: App, chat: MemoryBackend, caplog: pytest.LogCaptureFixture
) -> None:
    await onboard(chat, "maire")
    caplog.clear()
    async with read_only(app):
        replies = await chat.say("maire", "/aide", event_id="memory:redelivered")
        assert SORRY_FR in text(replies).lower().replace("’", "'")
        assert [i.event_id for i in chat.unrecorded] == ["memory:redelivered"]
        # Delivered again while the database is still read-only: not answered twice.
        assert await chat.say("maire", "/aide", event_id="memory:redelivered") == []
    assert unrecorded(app, "read-only") == 2
    [line] = errors(caplog)  # one ERROR line, no traceback
    assert line.exc_info is None and "left for redelivery" in line.getMessage()
    # Writable again: the redelivered event is handled for real, once.
    replies = await chat.say("maire", "/aide", event_id="memory:redelivered")
    assert SORRY_FR not in text(replies) and "/besoin" in text(replies)
    assert await chat.say("maire", "/aide", event_id="memory:redelivered") == []
    assert await app.services.db.fetchval(
        "SELECT COUNT(*) FROM processed_events WHERE event_id = 'memory:redelivered'"
    )


async def test_a_newcomer_is_answered_in_the_language_of_the_platform(
    app: App, chat: MemoryBackend
) -> None:
    async with read_only(app):
        replies = await chat.say("john", "/start", language="en-GB")
    assert SORRY_EN in text(replies)


async def test_a_lock_held_past_the_busy_timeout(
    app: App, chat: MemoryBackend, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await onboard(chat, "maire")
    await app.services.db.execute("PRAGMA busy_timeout=100")
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        replies = await chat.say("maire", "/profil")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert SORRY_FR in text(replies).lower().replace("’", "'")
    assert unrecorded(app, "locked") == 1
    assert len(errors(caplog)) == 1
    assert len(chat.unrecorded) == 1
    after = text(await chat.say("maire", "/profil")).lower().replace("’", "'")
    assert SORRY_FR not in after and "maire" in after


async def test_an_injected_io_error(
    app: App, chat: MemoryBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: object) -> bool:
        error = sqlite3.OperationalError("disk I/O error")
        error.sqlite_errorcode = 10  # SQLITE_IOERR
        raise error

    monkeypatch.setattr(events, "claim_sync", failing)
    replies = await chat.say("maire", "/aide")
    assert SORRY_FR in text(replies).lower().replace("’", "'")
    assert unrecorded(app, "I/O error") == 1
    monkeypatch.undo()
    assert "/start" in text(await chat.say("maire", "/aide"))


@pytest.fixture
def small_disk(tmp_path: Path, refdata_db: Path) -> Iterator[Path]:
    """A tmpfs just larger than the database (root only: skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    size = refdata_db.stat().st_size + 2 * 1024 * 1024
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
            check=True,
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    try:
        shutil.copy(refdata_db, mount / "guichet.db")
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, timeout=10)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    with filler.open("wb") as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()
    return filler


async def test_a_full_disk_then_space_back(
    small_disk: Path, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    app = await make_app(small_disk / "guichet.db", clock)
    chat = MemoryBackend(app)
    try:
        await onboard(chat, "maire")
        filler = await asyncio.to_thread(fill, small_disk)
        answers = [await chat.say(f"p{i}", "/start") for i in range(30)]
        refused = [a for a in answers if SORRY_FR in text(a).lower().replace("’", "'")]
        assert refused, "the disk never filled up"
        assert unrecorded(app, "full") + unrecorded(app, "I/O error") == len(refused)
        assert all(r.exc_info is None for r in errors(caplog))
        filler.unlink()
        for incoming in list(chat.unrecorded):  # the platform delivers them again
            assert SORRY_FR not in text(await chat.send(incoming))
        assert "/besoin" in text(await chat.say("maire", "/aide"))
    finally:
        await app.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with serving() as server:
        yield server


async def test_telegram_leaves_the_update_unconfirmed_until_it_is_recorded(
    fake: FakeTelegram,
    db_path: Path,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(polling, "STORAGE_RETRY", 0.2)
    app = await make_app(db_path, clock)
    running = await start(app, fake)
    chat = MARIE.private_chat()["id"]
    try:
        async with read_only(app):
            update = fake.say(MARIE, "/aide")
            await fake.wait_for(lambda: len(fake.sent(chat)) == 1)
            assert SORRY_FR in fake.sent(chat)[0]["text"].lower().replace("’", "'")
            # Asked again and again for the same update, never confirmed meanwhile.
            await fake.wait_for(lambda: fake.polls.count(fake.polls[-1]) >= 3)
            assert all(o is None or o <= update for o in fake.polls)
            assert len(fake.sent(chat)) == 1  # answered once
        await fake.handled(update)
        await app.sender.answered()  # answers leave once their event is committed
        assert len(fake.sent(chat)) == 2
        assert "/start" in fake.sent(chat)[1]["text"]
        assert len(errors(caplog)) == 1
    finally:
        await running.halt()
        await app.close()
