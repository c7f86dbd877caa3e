"""A real Synapse for the Matrix tests: configured, started, and torn down here.

The homeserver comes from its own virtualenv (``make .venv-synapse/.installed``)
so its many dependencies never meet Guichet's. It listens on 127.0.0.1 only,
keeps its data in SQLite under a temporary directory, has no federation and
rate limits high enough that only a test that asks for a limit meets one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("GUICHET_SYNAPSE_VENV", str(REPO / ".venv-synapse")))
PYTHON = VENV / "bin" / "python"
SERVER_NAME = "guichet.test"
STARTUP_SECONDS = 90

_UNLIMITED = {"per_second": 10_000, "burst_count": 10_000}


def missing_reason() -> str | None:
    """Why Synapse cannot run here, or None when it can."""
    if not PYTHON.exists() or not (VENV / ".installed").exists():
        return f"Synapse is not installed in {VENV}: run `make .venv-synapse/.installed`"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def homeserver_config(folder: Path, port: int, shared_secret: str) -> dict[str, Any]:
    """homeserver.yaml as a dict (written as JSON, which YAML reads)."""
    return {
        "server_name": SERVER_NAME,
        "pid_file": str(folder / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(folder / "homeserver.db")}},
        "log_config": str(folder / "log.config"),
        "media_store_path": str(folder / "media"),
        "signing_key_path": str(folder / "signing.key"),
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "enable_registration": False,
        "enable_registration_without_verification": True,
        "registration_shared_secret": shared_secret,
        "macaroon_secret_key": secrets.token_hex(32),
        "form_secret": secrets.token_hex(32),
        "bcrypt_rounds": 4,
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "enable_metrics": False,
        "rc_message": _UNLIMITED,
        "rc_registration": _UNLIMITED,
        "rc_login": {
            "address": _UNLIMITED,
            "account": _UNLIMITED,
            "failed_attempts": _UNLIMITED,
        },
        "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
        "rc_joins_per_room": _UNLIMITED,
        "rc_invites": {
            "per_room": _UNLIMITED,
            "per_user": _UNLIMITED,
            "per_issuer": _UNLIMITED,
        },
        "rc_room_creation": _UNLIMITED,
        "rc_key_requests": _UNLIMITED,
        "rc_3pid_validation": _UNLIMITED,
        "rc_admin_redaction": _UNLIMITED,
        "rc_media_create": _UNLIMITED,
        "rc_presence": {"per_user": _UNLIMITED},
        "rc_delayed_event_mgmt": _UNLIMITED,
        "rc_profile": _UNLIMITED,
        "rc_reports": _UNLIMITED,
        "rc_user_directory": _UNLIMITED,
    }


def _log_config(path: Path) -> dict[str, Any]:
    return {
        "version": 1,
        "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "filename": str(path),
                "formatter": "plain",
            }
        },
        "root": {"level": "WARNING", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }


@dataclass
class Synapse:
    folder: Path
    port: int
    shared_secret: str
    process: subprocess.Popen[bytes] | None = None
    _names: set[str] = field(default_factory=set)
    _admin_token: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.folder / "homeserver.log"

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{SERVER_NAME}"

    # -- lifecycle ---------------------------------------------------------------------
    @classmethod
    def start(cls, folder: Path) -> Synapse:
        server = cls(folder, _free_port(), secrets.token_hex(16))
        (folder / "media").mkdir(parents=True, exist_ok=True)
        seed = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        (folder / "signing.key").write_text(f"ed25519 a_test {seed}\n")
        (folder / "log.config").write_text(json.dumps(_log_config(server.log_path)))
        config = homeserver_config(folder, server.port, server.shared_secret)
        (folder / "homeserver.yaml").write_text(json.dumps(config, indent=1))
        server._launch()
        return server

    def _launch(self) -> None:
        """Run the homeserver on this folder's config and wait until it answers."""
        with (self.folder / "stdout.log").open("ab") as output:
            self.process = subprocess.Popen(
                [
                    str(PYTHON),
                    "-m",
                    "synapse.app.homeserver",
                    "-c",
                    str(self.folder / "homeserver.yaml"),
                ],
                cwd=self.folder,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_up()

    def resume(self) -> None:
        """Start again after ``stop``: same config, database, keys and port.

        Access tokens, rooms, devices and keys are in the database, so
        clients carry on as after a homeserver restart in production.
        """
        if self.process is not None and self.process.poll() is None:
            return
        self._launch()

    def restart(self) -> None:
        self.stop()
        self.resume()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"Synapse exited at start-up:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Synapse did not answer within {STARTUP_SECONDS}s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        text = ""
        for name in ("stdout.log", "homeserver.log"):
            path = self.folder / name
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    # -- HTTP helpers (blocking: call them through asyncio.to_thread) ------------------
    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str = ""
    ) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                result: dict[str, Any] = json.loads(response.read() or b"{}")
                return result
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise RuntimeError(f"{method} {path}: HTTP {exc.code} {detail}") from exc

    def register(self, localpart: str, password: str, *, admin: bool = False) -> dict[str, Any]:
        """A user made through the shared-secret admin API; returns the registration.

        Faster than ``register_new_matrix_user`` (no Python start-up) and the
        same API that script calls.
        """
        nonce = self.request("GET", "/_synapse/admin/v1/register")["nonce"]
        parts = (nonce, localpart, password, "admin" if admin else "notadmin")
        mac = hmac.new(
            self.shared_secret.encode(), "\x00".join(parts).encode(), digestmod=hashlib.sha1
        )
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac.hexdigest(),
        }
        made = self.request("POST", "/_synapse/admin/v1/register", body)
        if not admin:
            # Registering logs in a device; drop it so the account starts with
            # no device, as a person's account does before their first app.
            self.request("POST", "/_matrix/client/v3/logout", {}, made["access_token"])
        return made

    def unique(self, prefix: str) -> str:
        """A localpart no other test used, since the homeserver lives for the whole session."""
        index = len(self._names)
        while f"{prefix}{index}" in self._names:
            index += 1
        name = f"{prefix}{index}"
        self._names.add(name)
        return name

    def limit_messages(self, user_id: str, per_second: int, burst: int) -> None:
        """Give one user a message rate limit of their own (0, 0: none at all)."""
        if not self._admin_token:
            made = self.register(self.unique("admin"), secrets.token_hex(8), admin=True)
            self._admin_token = str(made["access_token"])
        self.request(
            "POST",
            f"/_synapse/admin/v1/users/{urllib.parse.quote(user_id)}/override_ratelimit",
            {"messages_per_second": per_second, "burst_count": burst},
            self._admin_token,
        )
