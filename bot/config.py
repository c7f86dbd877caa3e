"""Deployment settings, read from a TOML file; secrets only from the environment."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
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
    # What the Matrix homeserver lets the bot send (see bot/limits.py).
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


@dataclass(frozen=True)
class Config:
    db_path: str = "guichet.db"
    verification: Verification = "open"
    retention_days: int = 365
    privacy_contact: str = ""
    limits: Limits = field(default_factory=Limits)
    telegram: TelegramConfig | None = None
    matrix: MatrixConfig | None = None


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
    limits = Limits(**_section(raw, "limits"))

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
        limits=limits,
        telegram=telegram,
        matrix=matrix,
    )
