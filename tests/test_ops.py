"""Operator commands: example config, check, online backup and restore."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock, to_iso
from bot.core.config import ConfigError, load
from bot.ops.cli import main
from bot.ops.maintenance import ensure_consultation
from storage import consultations
from storage.db import Database
from tests.conftest import make_app, onboard

ENV = {"GUICHET_TELEGRAM_TOKEN": "123:abc", "GUICHET_MATRIX_PASSWORD": "secret"}


def test_init_writes_a_config_that_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "guichet.toml"
    assert main(["init", str(config)]) == 0
    assert main(["init", str(config)]) == 2  # never overwritten silently
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    assert main(["check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "telegram: token from the environment, polling" in out
    assert "needs 2027-01-25→2027-03-15" in out and out.strip().endswith("ok")
    loaded = load(config, env=ENV)
    assert loaded.consultation is not None and len(loaded.consultation.phases) == 5
    assert "123:abc" not in config.read_text()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("closes = 2027-04-15", "closes = 2027-03-01"),
            "consultation.phases: phase 2 closes (2027-03-01) before it opens",
        ),
        (
            ("opens = 2027-03-16", "opens = 2027-03-10"),
            "consultation.phases: phase 2 opens (2027-03-10) before phase 1 ends",
        ),
        (
            ('kind = "vote"', 'kind = "voting"'),
            "consultation.phases[2].kind: Input should be 'needs', 'vote', 'support', 'selection'",
        ),
        (
            ("opens = 2027-03-16", 'opens = "mid-march"'),
            "consultation.phases[2].opens: must be a date written without quotes, like 2027-03-15",
        ),
        (('homeserver = "https://', 'homeserver = "'), "matrix.homeserver: must be a URL"),
        (("title_chars = 120", "title_size = 120"), "limits.title_size: unknown key"),
        (
            ("telegram_messages_per_second = 30.0", "telegram_messages_per_second = 0"),
            "limits.telegram_messages_per_second: Input should be greater than 0; found 0",
        ),
        (
            ("matrix_messages_per_second = 2.0", 'matrix_messages_per_second = "fast"'),
            "limits.matrix_messages_per_second: Input should be a valid number; found 'fast'",
        ),
        (("[guichet]", "[guichet\n"), "is not valid TOML"),
    ],
)
def test_check_says_what_is_wrong(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    config = tmp_path / "guichet.toml"
    main(["init", str(config)])
    text = config.read_text()
    assert change[0] in text
    config.write_text(text.replace(change[0], change[1], 1))
    with pytest.raises(ConfigError) as error:
        load(config, env=ENV)
    assert message in str(error.value)


def test_missing_secrets_are_named(tmp_path: Path) -> None:
    config = tmp_path / "guichet.toml"
    main(["init", str(config)])
    with pytest.raises(ConfigError, match=r"(?s)GUICHET_TELEGRAM_TOKEN.*GUICHET_MATRIX_PASSWORD"):
        load(config, env={})
    with pytest.raises(ConfigError, match="GUICHET_MATRIX_PASSWORD"):
        load(config, env={"GUICHET_TELEGRAM_TOKEN": "x"})


async def test_consultation_from_the_config_is_created_once(
    tmp_path: Path, db_path: Path, clock: FrozenClock
) -> None:
    config = tmp_path / "guichet.toml"
    await asyncio.to_thread(main, ["init", str(config)])
    wanted = load(config, env=ENV).consultation
    assert wanted is not None
    db = await Database.open(db_path)
    async with db.transaction():
        assert await ensure_consultation(db, wanted, clock.now())
        assert not await ensure_consultation(db, wanted, clock.now())
    current = await consultations.current(db)
    assert current is not None and current.settings["votes_per_person"] == 10
    needs = current.phases[0]
    # 25 January to 15 March included, Paris time: closes at midnight on the 16th
    assert to_iso(needs.opens_at) == "2027-01-24T23:00:00+00:00"
    assert needs.closes_at is not None and to_iso(needs.closes_at) == "2027-03-15T23:00:00+00:00"
    assert current.phases[-1].closes_at is None
    await db.close()


async def test_backup_while_the_bot_writes_then_restore(
    tmp_path: Path, db_path: Path, clock: FrozenClock
) -> None:
    app = await make_app(db_path, clock)
    chat = MemoryBackend(app)
    await onboard(chat, "maire")

    async def keep_writing() -> None:
        for i in range(40):
            await chat.say(f"p{i}", "/aide")

    copy = tmp_path / "copy.db"
    writer = asyncio.create_task(keep_writing())
    assert await asyncio.to_thread(main, ["backup", str(copy), "--db", str(db_path)]) == 0
    await writer
    await app.close()

    backup_db = await Database.open(copy, migrate=False)
    assert await backup_db.fetchval("PRAGMA integrity_check") == "ok"
    assert await backup_db.fetchval("SELECT COUNT(*) FROM memberships") == 1
    persons_in_copy = await backup_db.fetchval("SELECT COUNT(*) FROM persons")
    await backup_db.close()

    restored = tmp_path / "restored.db"
    shutil.copy(db_path, restored)  # a database that went on living after the backup
    assert await asyncio.to_thread(main, ["restore", str(copy), "--db", str(restored)]) == 0
    db = await Database.open(restored)
    assert await db.fetchval("SELECT COUNT(*) FROM persons") == persons_in_copy
    assert await db.fetchval("SELECT COUNT(*) FROM memberships") == 1
    await db.close()
    assert (
        await asyncio.to_thread(
            main, ["restore", str(tmp_path / "nothing.db"), "--db", str(restored)]
        )
        == 1
    )
