"""Deployment settings, read from a TOML file; secrets only from the environment."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

Verification = Literal["open", "staff"]


class ConfigError(ValueError):
    """A setting is missing or wrong; the message says which, for a human."""


@dataclass(frozen=True)
class Limits:
    """Input bounds in one place, so every flow refuses the same way."""

    message_chars: int = 4000
    title_chars: int = 120
    text_chars: int = 2000
    processed_events_days: int = 30
    # What the platforms let the bot send (see bot/limits.py): Telegram's
    # published 30 messages/s unless Telegram granted the bot more.
    telegram_messages_per_second: float = 30.0
    matrix_messages_per_second: float = 2.0
    messages_per_minute: int = 30


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


PHASE_KINDS = ("needs", "vote", "support", "selection")
SETTING_KEYS = (
    "title_en",
    "votes_per_person",
    "supports_per_collectivite",
    "agents_may_support",
    "contributions_per_day",
    "themes",
    "reminder_days",
    "send_hours",
)


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
    log_format: str = "text"
    limits: Limits = field(default_factory=Limits)
    telegram: TelegramConfig | None = None
    matrix: MatrixConfig | None = None
    consultation: ConsultationConfig | None = None


def _section(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return value


def load(path: str | Path, env: dict[str, str] | None = None) -> Config:
    """Read a config file; tokens and passwords come from ``env`` only."""
    environ = dict(os.environ) if env is None else env
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc

    main = _section(raw, "guichet")
    verification = main.get("verification", "open")
    if verification not in ("open", "staff"):
        raise ConfigError("guichet.verification must be 'open' or 'staff'")
    limit_values = _section(raw, "limits")
    unknown = sorted(set(limit_values) - set(Limits.__dataclass_fields__))
    if unknown:
        raise ConfigError(f"[limits] has unknown setting(s): {', '.join(unknown)}")
    for name, value in limit_values.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"[limits] {name} must be a positive number, not {value!r}")
    limits = Limits(**limit_values)

    telegram = None
    if "telegram" in raw:
        section = _section(raw, "telegram")
        token = environ.get("GUICHET_TELEGRAM_TOKEN", "")
        if not token:
            raise ConfigError(
                "[telegram] is configured but GUICHET_TELEGRAM_TOKEN is not set in the environment"
            )
        telegram = TelegramConfig(
            token=token,
            webhook_url=str(section.get("webhook_url", "")),
            webhook_secret=environ.get("GUICHET_TELEGRAM_WEBHOOK_SECRET", ""),
            base_url=str(section.get("base_url", "")),
        )

    matrix = None
    if "matrix" in raw:
        section = _section(raw, "matrix")
        for key in ("homeserver", "user_id"):
            if not section.get(key):
                raise ConfigError(f"[matrix] needs {key}")
        if not str(section["homeserver"]).startswith(("https://", "http://")):
            raise ConfigError("[matrix] homeserver must be a URL, e.g. https://matrix.example.org")
        if not re.fullmatch(r"@[^:\s]+:[^\s]+", str(section["user_id"])):
            raise ConfigError("[matrix] user_id must look like @guichet:example.org")
        password = environ.get("GUICHET_MATRIX_PASSWORD", "")
        token = environ.get("GUICHET_MATRIX_TOKEN", "")
        if not (password or token):
            raise ConfigError(
                "[matrix] is configured but neither GUICHET_MATRIX_PASSWORD nor "
                "GUICHET_MATRIX_TOKEN is set in the environment"
            )
        matrix = MatrixConfig(
            homeserver=str(section["homeserver"]),
            user_id=str(section["user_id"]),
            password=password,
            access_token=token,
            device_id=str(section.get("device_id", "GUICHET")),
            store_path=str(section.get("store_path", "matrix-store")),
            allowed_servers=tuple(section.get("allowed_servers", ())),
        )

    return Config(
        db_path=str(main.get("database", "guichet.db")),
        verification=verification,
        retention_days=int(main.get("retention_days", 365)),
        privacy_contact=str(main.get("privacy_contact", "")),
        metrics_port=_port(main.get("metrics_port")),
        log_format=_log_format(main.get("log_format", "text")),
        limits=limits,
        telegram=telegram,
        matrix=matrix,
        consultation=_consultation(raw) if "consultation" in raw else None,
    )


def _port(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or not 0 < value < 65536:
        raise ConfigError(f"guichet.metrics_port must be a port number, not {value!r}")
    return value


def _log_format(value: object) -> str:
    if value not in ("text", "json"):
        raise ConfigError("guichet.log_format must be 'text' or 'json'")
    return str(value)


def _day(value: object, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"{where} must be a date like 2027-03-15, not {value!r}")


def _consultation(raw: dict[str, Any]) -> ConsultationConfig:
    """The consultation to create at first start; dates checked before anything runs."""
    section = _section(raw, "consultation")
    for key in ("slug", "title"):
        if not section.get(key):
            raise ConfigError(f"[consultation] needs {key}")
    unknown = sorted(set(section) - {"slug", "title", "phases", *SETTING_KEYS})
    if unknown:
        raise ConfigError(f"[consultation] has unknown setting(s): {', '.join(unknown)}")
    phases = []
    previous: date | None = None
    entries = section.get("phases") or []
    if not isinstance(entries, list) or not entries:
        raise ConfigError("[consultation] needs at least one [[consultation.phases]]")
    for index, entry in enumerate(entries, start=1):
        where = f"phase {index}"
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if kind not in PHASE_KINDS:
            raise ConfigError(f"{where}: kind must be one of {', '.join(PHASE_KINDS)}")
        opens = _day(entry.get("opens"), f"{where} opens")
        closes = _day(entry["closes"], f"{where} closes") if entry.get("closes") else None
        if closes is not None and closes < opens:
            raise ConfigError(f"{where}: closes ({closes}) before it opens ({opens})")
        if previous is not None and opens <= previous:
            raise ConfigError(f"{where}: opens ({opens}) before the previous phase ends")
        if closes is None and index != len(entries):
            raise ConfigError(f"{where}: only the last phase may have no closing date")
        phases.append(PhaseConfig(kind, opens, closes))
        previous = closes
    settings = {key: section[key] for key in SETTING_KEYS if key in section}
    return ConsultationConfig(
        slug=str(section["slug"]),
        title=str(section["title"]),
        settings=settings,
        phases=tuple(phases),
    )
