"""Operator commands: ``guichet init``, ``check``, ``backup`` and ``restore``.

A small team must put Guichet in production in an afternoon: a commented
example config, a check that says what is wrong before anything starts, and
backups that can be taken while the bot runs.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot.core.clock import PARIS
from bot.core.config import ConsultationConfig, load
from storage import backup, consultations
from storage.consultations import PhaseKind
from storage.db import Database

EXAMPLE = """\
# Guichet configuration. Secrets never go here: they come from the environment
# (GUICHET_TELEGRAM_TOKEN, GUICHET_TELEGRAM_WEBHOOK_SECRET, GUICHET_MATRIX_PASSWORD
# or GUICHET_MATRIX_TOKEN). Check it with: guichet check --config THIS_FILE

[guichet]
database = "guichet.db"          # one SQLite file; back it up with: guichet backup FILE
verification = "staff"           # "staff": memberships wait for approval; "open": at once
retention_days = 365             # personal data erased this long after the last message
privacy_contact = "dpo@example.org"

[limits]
messages_per_minute = 30         # per person, sustained; twice as many may come at once
requests_pending = 3             # membership requests one person may have waiting
requests_per_day = 5             # membership requests one person may file in 24 hours
title_chars = 120
text_chars = 2000
telegram_messages_per_second = 30.0   # Telegram's rate; more only if Telegram granted it
matrix_messages_per_second = 2.0      # what the homeserver's rate limits let the bot send
outbox_sent_days = 7                  # sent messages are purged from the outbox after this

# Telegram: remove this section to run without it.
[telegram]
# webhook_url = "https://guichet.example.org/telegram"   # default: long polling

# Matrix / Tchap: remove this section to run without it.
[matrix]
homeserver = "https://matrix.agent.collectivites.tchap.gouv.fr"
user_id = "@guichet:agent.collectivites.tchap.gouv.fr"
store_path = "matrix-store"      # device keys and session; keep it with the database
allowed_servers = ["*.tchap.gouv.fr"]

# The consultation, created at the first start if the database has none.
[consultation]
slug = "transformation-numerique"
title = "Transformation numérique des collectivités territoriales"
title_en = "Digital transformation of local authorities"
votes_per_person = 10            # remove for no cap
# supports_per_collectivite = 5  # no cap by default, as in 2021
agents_may_support = false
contributions_per_day = 5
coconstruction_places = 10       # volunteer collectivités per selected proposal
themes = ["mobility", "culture", "sharing", "citizen_services", "schools",
          "environment", "data", "administration"]

[[consultation.phases]]
kind = "needs"
opens = 2027-01-25               # first day
closes = 2027-03-15              # last day, included (Europe/Paris)

[[consultation.phases]]
kind = "vote"
opens = 2027-03-16
closes = 2027-04-15

[[consultation.phases]]
kind = "support"
opens = 2027-04-16
closes = 2027-05-15

[[consultation.phases]]
kind = "selection"
opens = 2027-05-16
closes = 2027-06-15

[[consultation.phases]]
kind = "coconstruction"          # volunteers co-build the selected proposals
opens = 2027-06-16
"""


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=PARIS)


async def ensure_consultation(db: Database, wanted: ConsultationConfig, now: datetime) -> bool:
    """Create the configured consultation unless one exists; True if created.

    Once created, the calendar belongs to the database (staff change it with
    ``/phase``), so the file is not applied again.
    """
    if await consultations.current(db) is not None:
        return False
    phases: list[tuple[PhaseKind, datetime, datetime | None]] = [
        (
            phase.kind,  # type: ignore[misc]
            _midnight(phase.opens),
            _midnight(phase.closes + timedelta(days=1)) if phase.closes else None,
        )
        for phase in wanted.phases
    ]
    await consultations.create(
        db, slug=wanted.slug, title=wanted.title, settings=wanted.settings, phases=phases, now=now
    )
    return True


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p_init = sub.add_parser("init", help="write a commented example configuration")
    p_init.add_argument("file", nargs="?", default="guichet.toml")
    p_init.add_argument("--force", action="store_true", help="overwrite an existing file")
    p_check = sub.add_parser("check", help="validate a configuration before starting")
    p_check.add_argument("--config", required=True)
    for name, what in (
        ("backup", "copy the database, even while the bot runs"),
        ("restore", "replace the database with a backup (bot stopped)"),
    ):
        p = sub.add_parser(name, help=what)
        p.add_argument("file")
        p.add_argument("--config")
        p.add_argument("--db")


def init(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if path.exists() and not args.force:
        print(f"{path} exists; use --force to overwrite it", file=sys.stderr)
        return 2
    path.write_text(EXAMPLE, encoding="utf-8")
    print(f"wrote {path}: edit it, then run: guichet check --config {path}")
    return 0


def check(args: argparse.Namespace) -> int:
    """Load everything ``run`` would load, and say in one line per part what it found."""
    config = load(args.config, backend=True)
    print(f"database: {config.db_path}")
    print(f"verification: {config.verification}, retention: {config.retention_days} days")
    if config.telegram is not None:
        mode = (
            f"webhook {config.telegram.webhook_url}" if config.telegram.webhook_url else "polling"
        )
        print(f"telegram: token from the environment, {mode}")
    if config.matrix is not None:
        servers = ", ".join(config.matrix.allowed_servers) or "its own homeserver only"
        print(
            f"matrix: {config.matrix.user_id} on {config.matrix.homeserver}; invites from {servers}"
        )
    if config.consultation is not None:
        spans = ", ".join(
            f"{p.kind} {p.opens}→{p.closes or '…'}" for p in config.consultation.phases
        )
        print(f"consultation: {config.consultation.title} ({spans})")
    else:
        print("consultation: none in the file; the database must already hold one")
    print("ok")
    return 0


async def backup_command(args: argparse.Namespace, db_path: str) -> int:
    copied = await backup.copy(db_path, args.file)
    print(
        f"{db_path} → {args.file}: {copied.pages} pages, schema version {copied.version}, "
        "integrity checked after writing"
    )
    return 0


async def restore_command(args: argparse.Namespace, db_path: str) -> int:
    """Check the backup, put it in place atomically, then bring its schema up to date."""
    restored = await backup.restore(args.file, db_path)
    db = await Database.open(db_path)  # applies migrations newer than the backup
    await db.close()
    print(
        f"{args.file} → {db_path}: {restored.pages} pages restored "
        f"(schema version {restored.version})"
    )
    return 0
