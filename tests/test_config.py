"""The configuration schema: every bad value an operator can write is refused,
with its key path, all at once; secrets only where they are needed."""

from __future__ import annotations

import asyncio
import copy
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.config import ConfigError, load, parse
from bot.ops.cli import main
from bot.ops.maintenance import EXAMPLE, ensure_consultation
from storage.db import Database

ENV = {"GUICHET_TELEGRAM_TOKEN": "123:abc", "GUICHET_MATRIX_PASSWORD": "secret"}
Key = tuple[str | int, ...]


def example() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE)


def changed(key: Key, value: object) -> dict[str, Any]:
    """The example with ``key`` set to ``value`` (``...``: the key removed)."""
    raw = copy.deepcopy(example())
    target: Any = raw
    for part in key[:-1]:
        target = target[part]
    if value is ...:
        del target[key[-1]]
    else:
        target[key[-1]] = value
    return raw


def problems(raw: dict[str, Any], env: dict[str, str] = ENV) -> list[str]:
    with pytest.raises(ConfigError) as error:
        parse(raw, env)
    return error.value.problems


# (key, bad value, the key path the problem must name). The first ones are those
# an operator's trial passed as "ok" (issue #17); each would have hurt at run time.
BAD: list[tuple[Key, object, str]] = [
    (("guichet", "retention_days"), 0, "guichet.retention_days"),
    (("guichet", "retention_days"), 0.5, "guichet.retention_days"),
    (("guichet", "retention_days"), "un an", "guichet.retention_days"),
    (("guichet", "retention_days"), 30, "guichet.retention_days"),
    (("guichet", "retention_days"), -365, "guichet.retention_days"),
    (("guichet", "retention_days"), 100_000, "guichet.retention_days"),
    (("guichet", "retention_days"), True, "guichet.retention_days"),
    (("consultation", "votes_per_person"), "ten", "consultation.votes_per_person"),
    (("consultation", "votes_per_person"), -1, "consultation.votes_per_person"),
    (("consultation", "votes_per_person"), 0, "consultation.votes_per_person"),
    (("consultation", "votes_per_person"), 2.5, "consultation.votes_per_person"),
    (("consultation", "votes_per_person"), True, "consultation.votes_per_person"),
    (("consultation", "supports_per_collectivite"), "5", "consultation.supports_per_collectivite"),
    (("consultation", "contributions_per_day"), -3, "consultation.contributions_per_day"),
    (("matrix", "allowed_servers"), "*.tchap.gouv.fr", "matrix.allowed_servers"),
    (("matrix", "allowed_servers"), ["*.tchap.gouv.fr", ""], "matrix.allowed_servers[2]"),
    (("matrix", "allowed_servers"), ["tchap gouv"], "matrix.allowed_servers[1]"),
    (("limits", "processed_events_days"), 1e9, "limits.processed_events_days"),
    (("limits", "processed_events_days"), 10**12, "limits.processed_events_days"),
    (("limits", "processed_events_days"), 0, "limits.processed_events_days"),
    (("consultation", "agents_may_support"), "non", "consultation.agents_may_support"),
    (("consultation", "agents_may_support"), 0, "consultation.agents_may_support"),
    (("guichet", "privacy_contact"), "", "guichet.privacy_contact"),
    (("guichet", "privacy_contact"), "   ", "guichet.privacy_contact"),
    (("guichet", "privacy_contact"), ..., "guichet.privacy_contact"),
    (("consultation", "themes"), ["mobility", "sports"], "consultation.themes[2]"),
    (("consultation", "themes"), [], "consultation.themes"),
    (("consultation", "themes"), "mobility", "consultation.themes"),
    (("consultation", "themes"), ["data", "data"], "consultation.themes"),
    (("consultation", "themes"), [{"key": "ports"}], "consultation.themes[1].fr"),
    (("consultation", "send_hours"), [19, 9], "consultation.send_hours"),
    (("consultation", "send_hours"), [9, 25], "consultation.send_hours[2]"),
    (("consultation", "send_hours"), [9], "consultation.send_hours"),
    (("consultation", "send_hours"), "9-19", "consultation.send_hours"),
    (("consultation", "reminder_days"), [0], "consultation.reminder_days[1]"),
    (("consultation", "reminder_days"), [7, 7], "consultation.reminder_days"),
    (("consultation", "reminder_days"), 7, "consultation.reminder_days"),
    (("consultation", "phases", 1, "opens"), "mid-march", "consultation.phases[2].opens"),
    (("consultation", "phases", 1, "opens"), "2027-03-16", "consultation.phases[2].opens"),
    (
        ("consultation", "phases", 1, "opens"),
        datetime(2027, 3, 16, 9),
        "consultation.phases[2].opens",
    ),
    (("consultation", "phases", 0, "opens"), date(1999, 1, 1), "consultation.phases[1].opens"),
    (("consultation", "phases", 1, "kind"), "voting", "consultation.phases[2].kind"),
    (("consultation", "phases", 1, "closes"), date(2027, 3, 1), "consultation.phases"),
    (("consultation", "phases", 1, "opens"), date(2027, 3, 10), "consultation.phases"),
    (("consultation", "phases", 0, "closes"), ..., "consultation.phases"),
    (("consultation", "phases"), [], "consultation.phases"),
    (("consultation", "slug"), "Transformation Numérique", "consultation.slug"),
    (("consultation", "title"), "", "consultation.title"),
    (("consultation", "title_size"), 3, "consultation.title_size"),
    (("telegram", "webhook_url"), "http://guichet.example.org/t", "telegram.webhook_url"),
    (("telegram", "webhook_url"), "guichet.example.org", "telegram.webhook_url"),
    (("matrix", "homeserver"), "matrix.example.org", "matrix.homeserver"),
    (("matrix", "homeserver"), ..., "matrix.homeserver"),
    (("matrix", "user_id"), "guichet", "matrix.user_id"),
    (("matrix", "device_id"), "a b", "matrix.device_id"),
    (("guichet", "metrics_port"), 0, "guichet.metrics_port"),
    (("guichet", "metrics_port"), 70_000, "guichet.metrics_port"),
    (("guichet", "metrics_port"), "9180", "guichet.metrics_port"),
    (("guichet", "log_format"), "xml", "guichet.log_format"),
    (("guichet", "verification"), "auto", "guichet.verification"),
    (("guichet", "database"), "", "guichet.database"),
    (("guichet", "retention"), 365, "guichet.retention"),
    (("limits", "title_size"), 120, "limits.title_size"),
    (("limits", "telegram_messages_per_second"), 0, "limits.telegram_messages_per_second"),
    (("limits", "matrix_messages_per_second"), "fast", "limits.matrix_messages_per_second"),
    (("limits", "messages_per_minute"), -1, "limits.messages_per_minute"),
    (("limits", "message_chars"), 100_000, "limits.message_chars"),
    (("limits",), "none", "limits"),
    (("limit",), {"title_chars": 120}, "limit"),
    (("guichet",), ..., "guichet"),
]


@pytest.mark.parametrize(("key", "value", "path"), BAD, ids=[f"{b[2]}={b[1]!r}" for b in BAD])
def test_each_bad_value_is_refused_with_its_key_path(key: Key, value: object, path: str) -> None:
    found = problems(changed(key, value))
    assert any(line.startswith(f"{path}:") for line in found), found


def test_every_problem_is_reported_at_once() -> None:
    raw = changed(("guichet", "retention_days"), 0)
    raw["consultation"]["votes_per_person"] = "ten"
    raw["matrix"]["allowed_servers"] = "*.tchap.gouv.fr"
    raw["limits"]["processed_events_days"] = 1e9
    raw["consultation"]["phases"][1]["kind"] = "voting"
    found = problems(raw, env={})
    for path in (
        "guichet.retention_days:",
        "consultation.votes_per_person:",
        "matrix.allowed_servers:",
        "limits.processed_events_days:",
        "consultation.phases[2].kind:",
        "GUICHET_TELEGRAM_TOKEN:",
        "GUICHET_MATRIX_PASSWORD",
    ):
        assert any(line.startswith(path) for line in found), (path, found)


def test_caps_are_absent_or_positive_and_kept_as_written() -> None:
    config = parse(changed(("consultation", "votes_per_person"), ...), ENV)
    assert config.consultation is not None
    assert "votes_per_person" not in config.consultation.settings  # absent: no cap
    assert config.consultation.settings["contributions_per_day"] == 5
    raw = changed(("consultation", "themes"), ["data", {"key": "ports", "fr": "Ports", "en": "P"}])
    raw["matrix"]["homeserver"] = "https://matrix.example.org"
    config = parse(raw, ENV)
    assert config.consultation is not None and config.matrix is not None
    assert config.consultation.settings["themes"][1] == {"key": "ports", "fr": "Ports", "en": "P"}
    assert config.matrix.homeserver == "https://matrix.example.org"  # no "/" added
    assert config.matrix.allowed_servers == ("*.tchap.gouv.fr",)
    assert config.retention_days == 365


def test_all_missing_secrets_are_named_at_once() -> None:
    raw = changed(("telegram", "webhook_url"), "https://guichet.example.org/telegram")
    found = problems(raw, env={})
    assert [line.split(":")[0] for line in found] == [
        "GUICHET_TELEGRAM_TOKEN",
        "GUICHET_TELEGRAM_WEBHOOK_SECRET",
        "GUICHET_MATRIX_PASSWORD (or GUICHET_MATRIX_TOKEN)",
    ]
    found = problems(raw, env={**ENV, "GUICHET_TELEGRAM_WEBHOOK_SECRET": "not secret!"})
    assert len(found) == 1 and "A-Z, a-z, 0-9, _ and -" in found[0]
    # Secrets are not asked for when the caller needs none (database-only commands).
    assert parse(raw, env={}, secrets=False).telegram is not None


def test_check_prints_every_problem_with_its_path_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ENV:
        monkeypatch.delenv(key, raising=False)
    config = tmp_path / "guichet.toml"
    text = (
        EXAMPLE.replace("retention_days = 365", "retention_days = 0")
        .replace("votes_per_person = 10", 'votes_per_person = "ten"')
        .replace('allowed_servers = ["*.tchap.gouv.fr"]', 'allowed_servers = "*.tchap.gouv.fr"')
        .replace("agents_may_support = false", 'agents_may_support = "non"')
        .replace('privacy_contact = "dpo@example.org"', 'privacy_contact = ""')
    )
    config.write_text(text + "\n[limits_]\nx = 1\n")
    capsys.readouterr()
    assert main(["check", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    for path in (
        "guichet.retention_days",
        "consultation.votes_per_person",
        "matrix.allowed_servers",
        "consultation.agents_may_support",
        "guichet.privacy_contact",
        "limits_: unknown key",
        "GUICHET_TELEGRAM_TOKEN",
        "GUICHET_MATRIX_PASSWORD",
    ):
        assert path in err, (path, err)
    assert "Traceback" not in err


def test_a_value_of_the_wrong_type_is_never_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "guichet.toml"
    config.write_text(EXAMPLE.replace("retention_days = 365", 'retention_days = "un an"'))
    assert main(["check", "--config", str(config)]) == 2
    assert "guichet.retention_days" in capsys.readouterr().err
    config.write_bytes(b"\xff\xfe[guichet]")
    assert main(["check", "--config", str(config)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["staff", "list"],
        ["staff", "add", "telegram:42"],
        ["phases", "list"],
        ["export", "--out", "{tmp}/out"],
        ["backup", "{tmp}/copy.db"],
        ["proposals", "import", "{tmp}/proposals.csv"],
    ],
)
def test_database_commands_ask_for_no_secret(
    tmp_path: Path,
    refdata_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    for key in ENV:
        monkeypatch.delenv(key, raising=False)
    db = tmp_path / "g.db"
    db.write_bytes(refdata_db.read_bytes())
    config = tmp_path / "guichet.toml"
    config.write_text(EXAMPLE.replace('database = "guichet.db"', f'database = "{db}"'))
    (tmp_path / "proposals.csv").write_text("number,title,summary,theme\n1,Titre,Résumé,data\n")
    # A consultation for the commands that need one.
    assert main(["run", "--config", str(config)]) == 2  # the bot itself does need them
    assert "GUICHET_TELEGRAM_TOKEN" in capsys.readouterr().err
    asyncio.run(_seed(db, config))
    argv = [part.replace("{tmp}", str(tmp_path)) for part in command]
    assert main([*argv, "--config", str(config)]) == 0, capsys.readouterr().err
    assert "GUICHET_" not in capsys.readouterr().err


async def _seed(db_path: Path, config: Path) -> None:
    wanted = load(config, secrets=False).consultation
    assert wanted is not None
    db = await Database.open(db_path)
    async with db.transaction():
        await ensure_consultation(db, wanted, datetime(2027, 2, 1, tzinfo=UTC))
    await db.close()


def test_restore_asks_for_no_secret(
    tmp_path: Path, refdata_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ENV:
        monkeypatch.delenv(key, raising=False)
    db = tmp_path / "g.db"
    config = tmp_path / "guichet.toml"
    config.write_text(EXAMPLE.replace('database = "guichet.db"', f'database = "{db}"'))
    assert main(["restore", str(refdata_db), "--config", str(config)]) == 0


def test_load_reads_the_file(tmp_path: Path) -> None:
    config = tmp_path / "guichet.toml"
    config.write_text(EXAMPLE)
    assert load(config, env=ENV).retention_days == 365
    with pytest.raises(ConfigError, match="not found"):
        load(tmp_path / "nothing.toml", env=ENV)
