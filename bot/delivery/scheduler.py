"""APScheduler jobs derived from the phases table, never the other way round.

At start-up and every ``SCHEDULER_SYNC_SECONDS`` (the staff or ``guichet
phases`` may have changed the calendar, possibly from another process) the
jobs are re-derived from ``notices.planned``: fixed ids (``announce:<phase>``,
``reminder:<phase>:<days>``) are added or moved, and those no longer planned
removed. Jobs live in memory only: the database already says what is due and
what was sent, so nothing is lost with them.

A job that fell due while the bot was down runs once when it is back:
reminder jobs have no misfire limit and coalesce, announcements may be two
days late at most; and since a notice is recorded under a UNIQUE key with its
outbox rows, a job that runs again sends nothing.

Times come from the services' clock, which tests freeze: a job is placed at
APScheduler's own now plus the delay the services' clock gives, and the job
itself asks the notice whether it is due by that clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.core.context import Services
from bot.core.limits import ANNOUNCE_GRACE, SCHEDULER_SYNC_SECONDS
from bot.core.router import Command
from bot.delivery import fanout, notices, retention
from storage import consultations, reminders
from storage.phases import find

log = logging.getLogger(__name__)

SYNC_JOB = "calendar:sync"
RETENTION_JOB = "maintenance:retention"
_PREFIXES = ("announce:", "reminder:")
_MOVE_TOLERANCE = timedelta(seconds=1)


class CalendarScheduler:
    def __init__(
        self,
        services: Services,
        commands: Sequence[Command],
        *,
        sync_seconds: float = SCHEDULER_SYNC_SECONDS,
    ) -> None:
        self.services = services
        self.commands = commands
        self.sync_seconds = sync_seconds
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._running = 0
        self._sync_lock = asyncio.Lock()
        self.scheduler.add_listener(
            self._track,
            EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED,
        )

    def _track(self, event: JobEvent) -> None:
        """Count notice jobs handed to the executor and not finished yet, for ``settle``."""
        if event.job_id.startswith(_PREFIXES):
            self._running += 1 if event.code == EVENT_JOB_SUBMITTED else -1

    async def start(self) -> None:
        self.scheduler.start()
        await fanout.resume(self.services, self.commands)  # what a stopped process left
        await self.sync()
        self.scheduler.add_job(
            self.sync,
            IntervalTrigger(seconds=self.sync_seconds),
            id=SYNC_JOB,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        # Daily, and once now: a bot that was down for a while catches up at start.
        self.scheduler.add_job(
            self.retention,
            IntervalTrigger(days=1),
            id=RETENTION_JOB,
            next_run_time=datetime.now(UTC),
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )

    async def retention(self) -> None:
        try:
            await retention.enforce(self.services)
        except Exception:
            log.exception("the daily retention clean-up failed")

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def jobs(self) -> dict[str, datetime]:
        """Planned notice jobs by id, with when APScheduler will run them."""
        return {
            job.id: job.next_run_time
            for job in self.scheduler.get_jobs()
            if job.id.startswith(_PREFIXES)
        }

    async def sync(self) -> None:
        async with self._sync_lock:
            try:
                await self._sync()
            except Exception:
                log.exception("could not derive the calendar's jobs")

    async def _sync(self) -> None:
        db = self.services.db
        consultation = await consultations.current(db)
        plan: list[notices.Planned] = []
        now = self.services.clock.now()
        if consultation is not None:
            done = await reminders.recorded(db, [p.id for p in consultation.phases])
            created = await reminders.consultation_created(db, consultation.id)
            plan = notices.planned(consultation, done, now, created)
        wanted = {item.job_id: item for item in plan}
        for job in self.scheduler.get_jobs():
            if job.id.startswith(_PREFIXES) and job.id not in wanted:
                job.remove()
        real_now = datetime.now(UTC)
        for job_id, item in wanted.items():
            run_at = real_now + (item.at - now)
            args: list[Any] = [item.key.phase_id, item.key.days, item.key.deadline]
            existing = self.scheduler.get_job(job_id)
            if (
                existing is not None
                and list(existing.args) == args
                and abs(existing.next_run_time - run_at) <= _MOVE_TOLERANCE
            ):
                continue
            announce = item.key.kind == "announce"
            self.scheduler.add_job(
                self._announce if announce else self._remind,
                DateTrigger(run_at),
                id=job_id,
                args=args,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=int(ANNOUNCE_GRACE.total_seconds()) if announce else None,
            )

    # -- jobs: bound methods with plain arguments, never lambdas ------------------------
    async def _announce(self, phase_id: int, days: int, deadline: str) -> None:
        now = self.services.clock.now()
        consultation = await consultations.current(self.services.db)
        phase = find(consultation, phase_id) if consultation else None
        if consultation is not None and phase is not None:
            await notices.announce(self.services, self.commands, consultation, phase, now)

    async def _remind(self, phase_id: int, days: int, deadline: str) -> None:
        now = self.services.clock.now()
        await notices.remind(self.services, self.commands, phase_id, days, deadline, now)

    async def settle(self, within: float = 5.0) -> None:
        """Wait until no notice job is due or running (for tests and the demo)."""
        async with asyncio.timeout(within):
            while True:
                await asyncio.sleep(0.01)
                real_now = datetime.now(UTC)
                due = [at for at in self.jobs().values() if at is not None and at <= real_now]
                if not due and self._running == 0:
                    return
