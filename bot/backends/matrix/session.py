"""Logging the bot in once and staying the same device afterwards.

End-to-end encryption ties the bot's keys to one device id: a new login with
a fresh device would make every person's client distrust "a new session"
and lose the keys of earlier messages. So the access token and device id are
kept in the store directory, next to the keys they belong to: losing one
without the other would leave a device whose keys no longer match.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from nio import AsyncClient, LoginError, WhoamiError

from bot.core.config import MatrixConfig

log = logging.getLogger(__name__)

CREDENTIALS_FILE = "credentials.json"


class LoginFailed(RuntimeError):
    """The homeserver refused every way we had to log in; a human must act."""


@dataclass(frozen=True)
class Credentials:
    user_id: str
    device_id: str
    access_token: str


def load(store: Path, user_id: str) -> Credentials | None:
    path = store / CREDENTIALS_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        saved = Credentials(str(raw["user_id"]), str(raw["device_id"]), str(raw["access_token"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return saved if saved.user_id == user_id else None


def save(store: Path, credentials: Credentials) -> None:
    """Write atomically and readable by the owner only: it is a password equivalent."""
    path = store / CREDENTIALS_FILE
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(credentials.__dict__, handle)
    os.replace(tmp, path)


async def _whoami_device(client: AsyncClient, user_id: str, token: str) -> str | None:
    """The device behind a token, or None when the server no longer knows the token."""
    client.user_id = user_id
    client.access_token = token
    response = await client.whoami()
    client.access_token = ""
    if isinstance(response, WhoamiError):
        if response.status_code in ("M_UNKNOWN_TOKEN", "M_FORBIDDEN"):
            return None
        raise ConnectionError(f"cannot check the Matrix access token: {response}")
    return str(response.device_id or "")


async def login(client: AsyncClient, config: MatrixConfig, *, relogin: bool = False) -> None:
    """Restore the saved device, else the configured token, else log in with the password.

    Only a password login writes credentials: a token from the environment
    stays there, so the secret is not copied to disk. ``relogin`` is for a
    session the server ended: only the password can open a new one, and it
    keeps the device (and so the keys) of the ended one.
    """
    store = Path(config.store_path)
    saved = load(store, config.user_id)
    if relogin:
        if not config.password:
            raise LoginFailed("the Matrix session ended and no password is set to log in again")
        if saved is None and client.device_id:
            saved = Credentials(config.user_id, client.device_id, "")
    elif saved is not None:
        device = await _whoami_device(client, saved.user_id, saved.access_token)
        if device:
            client.restore_login(saved.user_id, device, saved.access_token)
            return
        log.warning("the saved Matrix access token was revoked; logging in again")
    if config.access_token and not relogin:
        device = await _whoami_device(client, config.user_id, config.access_token)
        if device:
            client.restore_login(config.user_id, device, config.access_token)
            return
        if not config.password:
            raise LoginFailed("the Matrix access token is not valid and no password is set")
    if not config.password:
        raise LoginFailed("no Matrix password or access token is configured")
    client.user_id = config.user_id
    client.device_id = saved.device_id if saved else config.device_id
    response = await client.login(config.password, device_name="Guichet")
    status = getattr(getattr(response, "transport_response", None), "status", None)
    if isinstance(response, LoginError) and (status is None or status >= 500):
        # A proxy's 5xx or no answer: the homeserver is away, not the password wrong.
        raise ConnectionError(f"Matrix login: homeserver unavailable ({response.message})")
    if isinstance(response, LoginError):
        raise LoginFailed(f"Matrix login as {config.user_id} failed: {response.message}")
    if client.olm is not None and client.olm.account.shared:
        # Same device as before, but the server deletes a device's keys when
        # its session is logged out: publish them again, or nobody could
        # encrypt for the bot any more.
        client.olm.account.shared = False
    save(store, Credentials(client.user_id, client.device_id, client.access_token))
