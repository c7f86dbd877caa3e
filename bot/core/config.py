"""Deployment settings, read from a TOML file; secrets only from the environment.

The file is checked against ``bot.core.config_schema`` (pydantic) and turned
into the plain frozen dataclasses below, which the rest of the code (and the
tests and benchmarks, which build them directly) use.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from bot.core.config_schema import SETTING_KEYS, ConfigFile, key_path

Verification = Literal["open", "staff"]


class ConfigError(ValueError):
    """A setting is missing or wrong; the message says which, for a human.

    ``problems`` lists each one with its key path, so that an operator fixes
    them all in one go instead of one per start.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def __str__(self) -> str:
        head = super().__str__()
        return "\n".join([head, *(f"  {p}" for p in self.problems)]) if self.problems else head


@dataclass(frozen=True)
class Limits:
    """Input bounds in one place, so every flow refuses the same way."""

    message_chars: int = 4000
    title_chars: int = 120
    text_chars: int = 2000
    processed_events_days: int = 30
    # Sent outbox rows are purged this long after they went (failed ones stay).
    outbox_sent_days: int = 7
    # What the platforms let the bot send (see bot/limits.py): Telegram's
    # published 30 messages/s unless Telegram granted the bot more.
    telegram_messages_per_second: float = 30.0
    matrix_messages_per_second: float = 2.0
    messages_per_minute: int = 30
    # Membership requests one person may have waiting for the staff, and file a day.
    requests_pending: int = 3
    requests_per_day: int = 5


@dataclass(frozen=True)
class TelegramConfig:
    token: str
    webhook_url: str = ""
    webhook_secret: str = ""
    base_url: str = ""


@dataclass(frozen=True)
class MatrixConfig:
    homeserver: str
    user_id: str
    password: str = ""
    access_token: str = ""
    device_id: str = "GUICHET"
    store_path: str = "matrix-store"
    allowed_servers: tuple[str, ...] = ()


@dataclass(frozen=True)
class PhaseConfig:
    """A phase as staff write it: whole days, the last one included, Paris time."""

    kind: str
    opens: date
    closes: date | None


@dataclass(frozen=True)
class ConsultationConfig:
    slug: str
    title: str
    settings: dict[str, Any]
    phases: tuple[PhaseConfig, ...]


@dataclass(frozen=True)
class Config:
    db_path: str = "guichet.db"
    verification: Verification = "open"
    retention_days: int = 365
    privacy_contact: str = ""
    metrics_port: int | None = None
    unhealthy_after: float = 120.0
    """Seconds a configured backend may stay disconnected before ``/health`` says 503."""
    log_format: str = "text"
    limits: Limits = field(default_factory=Limits)
    telegram: TelegramConfig | None = None
    matrix: MatrixConfig | None = None
    consultation: ConsultationConfig | None = None


SECRETS = {
    "telegram": "GUICHET_TELEGRAM_TOKEN",
    "webhook": "GUICHET_TELEGRAM_WEBHOOK_SECRET",
    "matrix": "GUICHET_MATRIX_PASSWORD",
    "matrix_token": "GUICHET_MATRIX_TOKEN",
}
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def load(
    path: str | Path,
    env: Mapping[str, str] | None = None,
    *,
    secrets: bool = True,
    backend: bool = False,
) -> Config:
    """Read and check a config file; every problem is reported at once.

    Tokens and passwords come from ``env`` only, and only when ``secrets``:
    the commands that touch nothing but the database ask for none. With
    ``backend``, a file that configures neither Telegram nor Matrix is refused.
    """
    return parse(read(path), env, secrets=secrets, backend=backend, source=str(path))


def parse(
    raw: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    *,
    secrets: bool = True,
    backend: bool = False,
    source: str = "the configuration",
) -> Config:
    """``load`` on a file already read (TOML tables as dicts)."""
    environ = os.environ if env is None else env
    problems: list[str] = []
    try:
        parsed: ConfigFile | None = ConfigFile.model_validate(raw)
    except ValidationError as error:
        parsed = None
        problems.extend(_describe(error))
    if secrets:
        problems.extend(missing_secrets(raw, environ))
    if backend and raw.get("telegram") is None and raw.get("matrix") is None:
        problems.append("no backend configured: add a [telegram] or a [matrix] section")
    if problems or parsed is None:
        raise ConfigError(f"{source} has {len(problems)} problem(s)", problems)
    return _build(parsed, environ if secrets else {})


def read(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc


def missing_secrets(raw: Mapping[str, Any], env: Mapping[str, str]) -> list[str]:
    """Every secret the configured backends need and the environment lacks."""
    problems = []
    telegram = raw.get("telegram")
    if telegram is not None:
        if not env.get(SECRETS["telegram"], "").strip():
            problems.append(f"{SECRETS['telegram']}: not set in the environment ([telegram])")
        if isinstance(telegram, dict) and telegram.get("webhook_url"):
            secret = env.get(SECRETS["webhook"], "")
            if not secret:
                problems.append(
                    f"{SECRETS['webhook']}: not set in the environment (telegram.webhook_url "
                    "is set; without it anyone could post forged updates)"
                )
            elif not _WEBHOOK_SECRET.match(secret):
                problems.append(
                    f"{SECRETS['webhook']}: must be 1 to 256 characters among "
                    "A-Z, a-z, 0-9, _ and -"
                )
    if raw.get("matrix") is not None and not (
        env.get(SECRETS["matrix"]) or env.get(SECRETS["matrix_token"])
    ):
        problems.append(
            f"{SECRETS['matrix']} (or {SECRETS['matrix_token']}): not set in the environment "
            "([matrix])"
        )
    return problems


HINTS = {
    "date_type": "must be a date written without quotes, like 2027-03-15",
    "url_parsing": "must be a URL, like https://matrix.example.org",
    "url_scheme": "must be an http:// or https:// URL",
    "list_type": "must be a list, like [...]",
    "bool_type": "must be true or false",
}
WHY = {
    "guichet.retention_days": "fewer days would erase participants between two phases",
}


def _describe(error: ValidationError) -> list[str]:
    """One line per problem: the key path as written in the file, then what is wrong."""
    lines = []
    for item in error.errors(include_url=False):
        where = key_path(item["loc"]) or "(file)"
        kind, value = item["type"], item["input"]
        if kind == "extra_forbidden":
            lines.append(f"{where}: unknown key")
            continue
        if kind == "missing":
            lines.append(f"{where}: missing")
            continue
        message = HINTS.get(kind) or item["msg"].removeprefix("Value error, ")
        if where in WHY:
            message += f" ({WHY[where]})"
        if isinstance(value, str | int | float | date):
            message += f"; found {value!r}"
        lines.append(f"{where}: {message}"[:400])
    return lines


def _build(parsed: ConfigFile, env: Mapping[str, str]) -> Config:
    main = parsed.guichet
    telegram = matrix = None
    if parsed.telegram is not None:
        telegram = TelegramConfig(
            token=env.get(SECRETS["telegram"], "").strip(),
            webhook_url=parsed.telegram.webhook_url or "",
            webhook_secret=env.get(SECRETS["webhook"], ""),
            base_url=parsed.telegram.base_url or "",
        )
    if parsed.matrix is not None:
        section = parsed.matrix
        matrix = MatrixConfig(
            homeserver=section.homeserver,
            user_id=section.user_id,
            password=env.get(SECRETS["matrix"], ""),
            access_token=env.get(SECRETS["matrix_token"], ""),
            device_id=section.device_id,
            store_path=section.store_path,
            allowed_servers=tuple(section.allowed_servers),
        )
    consultation = None
    if parsed.consultation is not None:
        wanted = parsed.consultation
        dumped = wanted.model_dump(mode="json")
        consultation = ConsultationConfig(
            slug=wanted.slug,
            title=wanted.title,
            settings={key: dumped[key] for key in SETTING_KEYS if key in wanted.model_fields_set},
            phases=tuple(PhaseConfig(p.kind, p.opens, p.closes) for p in wanted.phases),
        )
    return Config(
        db_path=main.database,
        verification=main.verification,
        retention_days=main.retention_days,
        privacy_contact=main.privacy_contact,
        metrics_port=main.metrics_port,
        unhealthy_after=main.unhealthy_after,
        log_format=main.log_format,
        limits=Limits(**parsed.limits.model_dump()),
        telegram=telegram,
        matrix=matrix,
        consultation=consultation,
    )
