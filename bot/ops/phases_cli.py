"""``guichet phases``: the calendar from the command line, for the operator.

Only the phases table is written here. The running bot re-derives its jobs
from the table at its next sync and sends the announcement of a phase opened
this way itself, since only it knows how each platform types commands; if it
is not running, it does so when it starts (within ``ANNOUNCE_GRACE``).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, time, timedelta
from typing import Any

from bot.core.clock import PARIS, SystemClock
from bot.core.phase_dates import parse_dates
from storage import audit, consultations, reminders
from storage import phases as calendar
from storage.consultations import Phase
from storage.db import Database
from storage.phases import CalendarError

ACTIONS = {"set": "phase.dates", "open": "phase.open", "close": "phase.close"}
PROBLEMS = {
    "order": "a phase must end after it starts",
    "overlap_previous": "the dates overlap phase {other}",
    "overlap_next": "the dates overlap phase {other}",
    "open_ended": "only the last phase can be left without an end",
    "previous_not_open": "phase {other} has not opened yet: open it first",
    "already_open": "the phase is already open",
    "already_closed": "the phase is over: change its dates to open it again",
    "not_open": "the phase is not open",
}


def add_parser(sub: Any) -> None:
    """Add ``phases`` and its subcommands to the CLI's subparsers."""
    parser = sub.add_parser("phases", help="list the phases, change their dates, open or close one")
    commands = parser.add_subparsers(dest="phases_command", required=True)
    listing = commands.add_parser("list", help="the phases with their dates and notices")
    setting = commands.add_parser(
        "set",
        help="dates of phase N: FIRST_DAY [HH:MM] LAST_DAY [HH:MM], the last day included "
        "(as the chat says it)",
    )
    setting.add_argument("number", type=int)
    setting.add_argument("dates", nargs="+", help="e.g. 01/03/2027 15/04/2027, or - as last day")
    opening = commands.add_parser("open", help="open phase N now (closing the previous one)")
    opening.add_argument("number", type=int)
    closing = commands.add_parser("close", help="close phase N now")
    closing.add_argument("number", type=int)
    for p in (listing, setting, opening, closing):
        p.add_argument("--config")
        p.add_argument("--db")


def day_text(at: datetime, *, last: bool) -> str:
    """A bound as ``phases set`` reads it back: a day alone at midnight (the last
    day being the one before the closing midnight, as ``/calendrier`` says it),
    the day and the time otherwise."""
    local = at.astimezone(PARIS)
    if local.time() == time(0):
        return (local.date() - timedelta(days=1) if last else local.date()).isoformat()
    return local.strftime("%Y-%m-%d %H:%M")


def _line(phase: Phase, now: datetime) -> str:
    opens = day_text(phase.opens_at, last=False)
    closes = day_text(phase.closes_at, last=True) if phase.closes_at else "-"
    if phase.is_open(now):
        state = "open"
    elif phase.closes_at is not None and phase.closes_at <= now:
        state = "closed"
    else:
        state = "upcoming"
    return f"{phase.position}\t{phase.kind}\t{opens}\t{closes}\t{state}"


async def run(args: argparse.Namespace, db_path: str) -> int:
    db = await Database.open(db_path)
    try:
        now = SystemClock().now()
        consultation = await consultations.current(db)
        if consultation is None:
            print("no consultation in this database", file=sys.stderr)
            return 2
        if args.phases_command == "list":
            print("#\tkind\tfirst day (Paris)\tlast day, included\tstate")
            for phase in consultation.phases:
                print(_line(phase, now))
                for kind, days, _deadline, outcome, count in await reminders.notices_of(
                    db, phase.id
                ):
                    what = "announcement" if kind == "announce" else f"reminder {days} d"
                    print(f"\t{what}: {outcome} ({count} recipients)")
            return 0
        found = next((p for p in consultation.phases if p.position == args.number), None)
        if found is None:
            print(f"no phase {args.number}", file=sys.stderr)
            return 2
        try:
            phase = found
            async with db.transaction():
                if args.phases_command == "set":
                    parsed = parse_dates(list(args.dates))
                    if parsed is None:
                        print(
                            "dates: FIRST_DAY [HH:MM] LAST_DAY [HH:MM], days as DD/MM/YYYY "
                            "or YYYY-MM-DD, - as last day for no end",
                            file=sys.stderr,
                        )
                        return 2
                    phase = await calendar.set_dates(db, consultation, phase.id, *parsed)
                elif args.phases_command == "open":
                    phase, _ = await calendar.open_now(db, consultation, phase.id, now)
                else:
                    phase = await calendar.close_now(db, consultation, phase.id, now)
                await audit.record(
                    db,
                    staff_id=None,
                    staff_label="command line",
                    action=ACTIONS[args.phases_command],
                    target=f"phase:{phase.position}",
                    detail={"opens_at": phase.opens_at, "closes_at": phase.closes_at},
                    now=now,
                )
        except CalendarError as error:
            problem = PROBLEMS[error.problem].format(other=error.other)
            print(f"phase {args.number}: {problem}", file=sys.stderr)
            return 2
        print(_line(phase, now))
        if phase.is_open(now) and args.phases_command != "close":
            print("the running bot announces the phase within a minute (or when it starts)")
        return 0
    finally:
        await db.close()
