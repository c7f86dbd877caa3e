"""Phase announcements and deadline reminders: what they say, to whom, and when.

Both are facts recorded under a UNIQUE key (``storage.reminders``) in the
transaction that queues their outbox rows, so whoever triggers them (the
scheduler, the staff opening a phase, a restart catching up) sends each once.
``planned`` lists what is still to come; the scheduler turns that into jobs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.calendar_text import last_day, phase_label, phase_span
from bot.core.clock import from_iso, to_iso
from bot.core.context import BulkKind, Recipient, Services, VariantRender
from bot.core.i18n import N_
from bot.core.limits import ANNOUNCE_GRACE, REMINDER_DAYS
from bot.core.messages import Reply
from bot.core.router import Command
from bot.delivery import fanout
from bot.delivery.fanout import Render
from bot.delivery.workdays import SendWindow
from storage import audiences, consultations, fanouts, reminders
from storage.audiences import Audience, Targets
from storage.consultations import Consultation, Phase
from storage.db import Database
from storage.phases import find
from storage.reminders import NoticeKey

log = logging.getLogger(__name__)

REMINDED_KINDS = ("needs", "vote", "support")
EARLY_TOLERANCE = timedelta(seconds=1)


@dataclass(frozen=True)
class Planned:
    """A notice still to send, and the instant it is due."""

    key: NoticeKey
    at: datetime

    @property
    def job_id(self) -> str:
        if self.key.kind == "announce":
            return f"announce:{self.key.phase_id}"
        return f"reminder:{self.key.phase_id}:{self.key.days}"


def reminder_days(settings: dict[str, object]) -> tuple[int, ...]:
    raw = settings.get("reminder_days")
    if isinstance(raw, list) and all(isinstance(d, int) and 0 < d <= 60 for d in raw):
        return tuple(sorted(set(raw), reverse=True))
    return REMINDER_DAYS


def agents_may_support(consultation: Consultation) -> bool:
    return bool(consultation.settings.get("agents_may_support", False))


def title_for(consultation: Consultation, locale: str) -> str:
    english = consultation.settings.get("title_en")
    return str(english) if locale == "en" and english else consultation.title


def reminder_time(window: SendWindow, phase: Phase, days: int) -> datetime | None:
    """When the reminder ``days`` before the deadline goes: the next office hour
    after it falls due, or the last one before when waiting would miss the deadline."""
    if phase.closes_at is None:
        return None
    due = phase.closes_at - timedelta(days=days)
    at = window.next_open(due)
    if at >= phase.closes_at:
        at = window.last_open_before(due)
    return at if at > phase.opens_at else None


def planned(
    consultation: Consultation, done: set[NoticeKey], now: datetime, created: datetime
) -> list[Planned]:
    """What is still to send; ``created`` is when the consultation was created, since
    a phase that opened before that (a demo's, an import's) was never missed."""
    window = SendWindow.from_settings(consultation.settings)
    found: list[Planned] = []
    for phase in consultation.phases:
        still_open = phase.closes_at is None or phase.closes_at > now
        announce = NoticeKey(phase.id, "announce")
        news = phase.opens_at >= created and now - phase.opens_at <= ANNOUNCE_GRACE
        if announce not in done and still_open and news:
            found.append(Planned(announce, phase.opens_at))
        if phase.closes_at is None or phase.kind not in REMINDED_KINDS or not still_open:
            continue
        for days in reminder_days(consultation.settings):
            key = NoticeKey(phase.id, "reminder", days, to_iso(phase.closes_at))
            at = reminder_time(window, phase, days)
            if at is not None and key not in done:
                found.append(Planned(key, at))
    return found


# -- announcements ----------------------------------------------------------------------
def _announcement(consultation: Consultation, phase: Phase) -> Render:
    def render(r: Recipient) -> Reply:
        return Reply(
            r._(
                "New phase of the consultation “{title}”: {phase}, {span}.\n"
                "Type {help} to see what you can do now.",
                title=title_for(consultation, r.t.locale),
                phase=phase_label(r.t, phase.kind),
                span=phase_span(r.t, phase),
                help=r.cmd("help"),
            )
        )

    return render


async def announce(
    services: Services,
    commands: Sequence[Command],
    consultation: Consultation,
    phase: Phase,
    now: datetime,
) -> int | None:
    """Tell everyone a phase is open; the number queued, None if not (already
    told, not open, or opened too long ago to be news)."""
    if not phase.is_open(now) or now - phase.opens_at > ANNOUNCE_GRACE:
        return None
    db = services.db
    if phase.opens_at < await reminders.consultation_created(db, consultation.id):
        return None
    window = SendWindow.from_settings(consultation.settings)
    async with db.transaction():
        notice = await reminders.claim(db, NoticeKey(phase.id, "announce"), "sent", now)
        if notice is None:
            return None
        fanout_id = await fanout.start(
            services,
            commands,
            "announce",
            {"consultation": consultation.id, "phase": phase.id},
            now=now,
            not_before=window.next_open(now),
            notice_id=notice,
        )
    count = await _queued(
        db, fanout_id, lambda: audiences.count(db, Audience("everyone"), consultation.id)
    )
    log.info("announced phase %s to %d persons", phase.id, count)
    return count


async def _queued(db: Database, fanout_id: int, expected: Callable[[], Awaitable[int]]) -> int:
    """The rows a fan-out queued; inside a caller's transaction (a staff member
    opening a phase), where it is expanded only after the commit, how many it will."""
    job = await fanouts.get(db, fanout_id)
    if job is not None and job.done:
        return job.queued
    return await expected()


async def announce_open(
    services: Services, commands: Sequence[Command], now: datetime
) -> tuple[Phase, int] | None:
    """Announce the phase open now, if that is news: after any calendar change."""
    consultation = await consultations.current(services.db)
    phase = consultation.open_phase(now) if consultation else None
    if consultation is None or phase is None:
        return None
    count = await announce(services, commands, consultation, phase, now)
    return None if count is None else (phase, count)


# -- reminders --------------------------------------------------------------------------
_TODO = {
    "needs": N_("You have not described any need of your territory yet."),
    "vote": N_("You have not voted for any proposal yet."),
    "support": N_("Your collectivité has not declared its support for any proposal yet."),
}


def _todo(r: Recipient, phase: Phase, variant: str) -> str:
    """What is left to do. Needs are the collectivité's: it is named, with what it sent."""
    if phase.kind != "needs" or not variant:
        return r._(_TODO[phase.kind])
    name, sent = json.loads(variant)
    if not sent:
        return r._("{name} has not sent any need yet: you can describe one.", name=name)
    return r.t.ngettext(
        "{name} has already sent {n} need; you can add one.",
        "{name} has already sent {n} needs; you can add one.",
        int(sent),
        name=name,
    )


def _reminder(phase: Phase, send_at: datetime) -> VariantRender:
    assert phase.closes_at is not None
    closes_at = phase.closes_at

    def render(r: Recipient, variant: str) -> Reply:
        end = last_day(phase)
        assert end is not None
        lines = [
            r._(
                "Reminder: {phase} — last day {date} ({left} left).",
                phase=phase_label(r.t, phase.kind),
                date=r.t.date(end),
                left=r.t.duration(closes_at - send_at),
            ),
            _todo(r, phase, variant),
            r._(
                "Type {help} to see what you can do. To stop these reminders, type {stop}.",
                help=r.cmd("help"),
                stop=r.cmd("reminders"),
            ),
        ]
        return Reply("\n".join(lines))

    return render


def _superseded(consultation: Consultation, phase: Phase, days: int, now: datetime) -> bool:
    """A later reminder is already due too (the bot was down): only it goes."""
    window = SendWindow.from_settings(consultation.settings)
    for other in reminder_days(consultation.settings):
        at = reminder_time(window, phase, other)
        if other < days and at is not None and at <= now:
            return True
    return False


async def remind(
    services: Services,
    commands: Sequence[Command],
    phase_id: int,
    days: int,
    deadline: str,
    now: datetime,
) -> int | None:
    """Remind those with something left to do; the number queued, None if
    nothing went (not due yet, already sent, skipped, or the calendar changed)."""
    db = services.db
    consultation = await consultations.current(db)
    phase = find(consultation, phase_id) if consultation else None
    if consultation is None or phase is None or phase.closes_at is None:
        return None
    if to_iso(phase.closes_at) != deadline or phase.kind not in REMINDED_KINDS:
        return None
    window = SendWindow.from_settings(consultation.settings)
    at = reminder_time(window, phase, days)
    if at is None or now < at - EARLY_TOLERANCE:
        return None
    send_at = window.next_open(now)
    skip = send_at >= phase.closes_at or _superseded(consultation, phase, days, now)
    key = NoticeKey(phase.id, "reminder", days, deadline)
    agents = agents_may_support(consultation)
    async with db.transaction():
        notice = await reminders.claim(db, key, "skipped" if skip else "sent", now)
        if notice is None or skip:
            return None
        fanout_id = await fanout.start(
            services,
            commands,
            "reminder",
            {
                "consultation": consultation.id,
                "phase": phase.id,
                "send_at": to_iso(send_at),
                "agents": agents,
            },
            now=now,
            not_before=send_at,
            notice_id=notice,
        )

    async def expected() -> int:
        found = audiences.reminder_targets(
            db, phase.kind, consultation.id, agents_may_support=agents
        )
        return len(await found)

    count = await _queued(db, fanout_id, expected)
    log.info("reminded %d persons of phase %s, %d days before", count, phase.id, days)
    return count


# -- the bulk messages of this module, rebuilt from their stored spec ------------------
async def _phase_of(db: Database, spec: dict[str, Any]) -> tuple[Consultation, Phase] | None:
    consultation = await consultations.current(db)
    if consultation is None or consultation.id != spec["consultation"]:
        return None
    phase = find(consultation, int(spec["phase"]))
    return None if phase is None else (consultation, phase)


class Announcement:
    """Everyone is told a phase is open."""

    async def targets(self, db: Database, spec: dict[str, Any], low: int, high: int) -> Targets:
        return await audiences.between(db, Audience("everyone"), spec["consultation"], low, high)

    async def renderer(self, services: Services, spec: dict[str, Any]) -> VariantRender | None:
        found = await _phase_of(services.db, spec)
        if found is None:
            return None
        render = _announcement(*found)
        return lambda r, variant: render(r)


class Reminder:
    """Those with something left to do before a deadline are reminded of it."""

    async def targets(self, db: Database, spec: dict[str, Any], low: int, high: int) -> Targets:
        found = await _phase_of(db, spec)
        if found is None:
            return Targets()
        return await audiences.reminder_between(
            db, found[1].kind, spec["consultation"], low, high, agents_may_support=spec["agents"]
        )

    async def renderer(self, services: Services, spec: dict[str, Any]) -> VariantRender | None:
        found = await _phase_of(services.db, spec)
        if found is None or found[1].closes_at is None:
            return None
        return _reminder(found[1], from_iso(spec["send_at"]))


BULK_KINDS: dict[str, BulkKind] = {"announce": Announcement(), "reminder": Reminder()}
