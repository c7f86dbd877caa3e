"""``guichet``: the demo, the bot itself, and the operator's commands."""

from __future__ import annotations

import argparse
import asyncio
import functools
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot.app import App
from bot.backends.console import ConsoleBackend
from bot.core.calendar_text import phase_label
from bot.core.clock import SystemClock
from bot.core.config import Config, ConfigError, load
from bot.core.french import typeset
from bot.delivery.scheduler import CalendarScheduler
from bot.demo import seed as demo
from bot.ops import export_cli, logs, phases_cli
from bot.ops import maintenance as ops
from storage import audit, persons
from storage.db import Database, DatabaseUnusable
from storage.persons import Role


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guichet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p_demo = sub.add_parser("demo", help="chat with Guichet in this terminal")
    p_demo.add_argument(
        "--phase",
        choices=["needs", "vote", "support", "selection", "coconstruction"],
        default="needs",
        help="which phase is open now (default: needs)",
    )
    p_demo.add_argument("--db", help="keep the database in this file (default: a fresh one)")
    p_demo.add_argument(
        "--verify",
        choices=["open", "staff"],
        default="open",
        help="approve memberships at once (open) or wait for staff",
    )
    p_demo.add_argument("--user", default="maire", help="who you are at first (default: maire)")

    p_run = sub.add_parser("run", help="run the configured backends")
    p_run.add_argument("--config", required=True)

    p_staff = sub.add_parser("staff", help="name or remove staff and administrators")
    staff_sub = p_staff.add_subparsers(dest="staff_command", required=True)
    for name in ("add", "remove"):
        p = staff_sub.add_parser(name)
        p.add_argument("identity", help="e.g. telegram:123456789 or matrix:@jane:server")
        p.add_argument("--config")
        p.add_argument("--db")
        if name == "add":
            p.add_argument(
                "--staff", action="store_true", help="plain staff instead of administrator"
            )
    p_proposals = sub.add_parser("proposals", help="manage proposals")
    proposals_sub = p_proposals.add_subparsers(dest="proposals_command", required=True)
    p_import = proposals_sub.add_parser(
        "import", help="create or update proposals from a CSV or JSON file, all or nothing"
    )
    p_import.add_argument("file", help="columns: number, title, summary, theme")
    p_import.add_argument("--config")
    p_import.add_argument("--db")

    p_list = staff_sub.add_parser("list")
    p_list.add_argument("--config")
    p_list.add_argument("--db")
    phases_cli.add_parser(sub)
    export_cli.add_parser(sub)
    ops.add_parsers(sub)
    return parser


def _banner(app: App, phase: str, verify: str, path: str) -> str:
    """The demo's first lines, in words: which phase is open and how memberships are
    decided (it read "démo (needs, vérification open)")."""
    fr = app.services.translations.get("fr")
    memberships = (
        "adhésions approuvées d'office"
        if verify == "open"
        else "adhésions vérifiées par l'équipe (/as staff puis /moderation)"
    )
    return typeset(
        f"Guichet — démo : phase « {phase_label(fr, phase)} » ouverte, {memberships}.\n"
        f"Base : {path}\n"
        "Tapez /aide (ou /help). « /as NOM » change de personne ; « /as staff » "
        "pour l'équipe. Ctrl-D pour quitter."
    )


async def _demo(args: argparse.Namespace) -> int:
    path = args.db or str(Path(tempfile.mkdtemp(prefix="guichet-demo-")) / "guichet.db")
    app = await App.create(Config(db_path=path, verification=args.verify))
    try:
        await demo.seed(app.services.db, SystemClock().now(), args.phase)
        console = ConsoleBackend(user=args.user, after_event=app.sender.drain)
        app.add_backend(console)
        if app.keeper is not None:  # co-construction: the ready supporters are asked
            await app.keeper.reconcile()
        scheduler = CalendarScheduler(app.services, app.router.commands)
        await scheduler.start()
        console._print(_banner(app, args.phase, args.verify, path))
        await console.run(app, asyncio.Event())
        await app.sender.drain()
        scheduler.shutdown()
    finally:
        await app.close()
    return 0


def _db_path(args: argparse.Namespace) -> str:
    if getattr(args, "db", None):
        return str(args.db)
    if getattr(args, "config", None):
        return load(args.config, secrets=False).db_path  # the database needs no secret
    raise ConfigError("give --db FILE or --config FILE")


async def _staff(args: argparse.Namespace) -> int:
    from bot.core.identities import valid_identity

    db = await Database.open(_db_path(args))
    try:
        now = SystemClock().now()
        if args.staff_command == "list":
            for member in await persons.with_role(db, "staff", "admin"):
                ids = ", ".join(await persons.identities(db, member.id))
                print(f"{member.role}\t{ids}\t{member.display_name}")
            return 0
        if not valid_identity(args.identity):
            print(
                f"not an identity: {args.identity} (e.g. telegram:123, matrix:@a:server)",
                file=sys.stderr,
            )
            return 2
        async with db.transaction():
            person = await persons.ensure(db, args.identity, now=now)
            role: Role = "user"
            if args.staff_command == "add":
                role = "staff" if args.staff else "admin"
            await persons.set_role(db, person.id, role)
            await audit.record(
                db,
                staff_id=None,
                staff_label="command line",
                action="staff.remove" if role == "user" else "staff.add",
                target=f"person:{person.id}",
                detail={"identity": args.identity, "role": role},
                now=now,
            )
        print(f"{args.identity}: {role}")
        return 0
    finally:
        await db.close()


async def _proposals(args: argparse.Namespace) -> int:
    from bot.core import themes
    from storage import consultations, proposal_import

    db = await Database.open(_db_path(args))
    try:
        consultation = await consultations.current(db)
        try:
            created, updated = await proposal_import.load(
                db, Path(args.file), themes.keys(consultation), SystemClock().now()
            )
        except proposal_import.ImportRefused as refused:
            print(f"{args.file}: nothing was imported.", file=sys.stderr)
            for error in refused.errors:
                print(f"  {error}", file=sys.stderr)
            return 2
        print(f"{args.file}: {created} proposal(s) created, {updated} updated")
        return 0
    finally:
        await db.close()


async def _phases(args: argparse.Namespace) -> int:
    return await phases_cli.run(args, _db_path(args))


async def _backup(args: argparse.Namespace) -> int:
    return await ops.backup_command(args, _db_path(args))


async def _restore(args: argparse.Namespace) -> int:
    return await ops.restore_command(args, _db_path(args))


async def _sync(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    return command(args)


async def _export(args: argparse.Namespace) -> int:
    return await export_cli.run(args, _db_path(args))


async def _run(args: argparse.Namespace) -> int:
    config = load(args.config, backend=True)
    from bot.ops.runner import run

    return await run(config)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logs.configure()
    handlers: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, int]]] = {
        "demo": _demo,
        "staff": _staff,
        "run": _run,
        "proposals": _proposals,
        "backup": _backup,
        "restore": _restore,
        "init": functools.partial(_sync, ops.init),
        "check": functools.partial(_sync, ops.check),
        "phases": _phases,
        "export": _export,
    }
    try:
        return asyncio.run(handlers[args.command](args))
    except ConfigError as exc:
        print(f"guichet: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnusable as exc:
        # One line that says what to do; status 1, so that systemd's
        # Restart=on-failure tries again (a restore may be under way).
        print(f"guichet: {_one_line(exc)}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:
        print(f"guichet: the database cannot be used now: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
