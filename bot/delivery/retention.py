"""The daily clean-up: personal data past its retention period, old event ids,
outbox rows sent long enough ago.

Run by the scheduler once a day (and at start-up, so a bot that was down
catches up); the erasure is the same as ``/supprimer_compte``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core.context import Services
from storage import events, outbox, personal_data

log = logging.getLogger(__name__)


async def enforce(services: Services) -> int:
    """Erase the persons not heard from for ``retention_days``; return how many."""
    db, now = services.db, services.clock.now()
    cutoff = now - timedelta(days=services.config.retention_days)
    erased = 0
    for person_id in await personal_data.inactive_since(db, cutoff):
        async with db.transaction():
            await personal_data.erase(db, person_id, now)
        erased += 1
    if erased:
        await personal_data.scrub(db)
    async with db.transaction():
        await events.forget_older_than(db, now, services.config.limits.processed_events_days)
    await outbox.purge(db, now, keep_days=services.config.limits.outbox_sent_days)
    await db.optimize()  # a day of growth: keep the planner's statistics current
    if erased:
        log.warning("retention: erased the personal data of %d inactive person(s)", erased)
    return erased
