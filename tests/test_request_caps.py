"""Membership requests: one account cannot flood the staff's queue or inbox.

In staff verification mode each request used to notify every staff member;
one account filed 420 in an hour (1,683 notices to four staff). Requests are
now capped per person (pending at once, and per day), a repeated request for
a collectivité already waiting tells nobody again, and once the queue is long
the staff get a digest at most once an hour instead of a notice per request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import FrozenClock
from bot.delivery.staff_notices import DIGEST_FROM
from storage import memberships, persons
from tests.conftest import make_app, onboard, text

# Communes found by their INSEE code in one step (no list to pick from).
CODES = ["24432", "24037", "24322", "33063", "75056", "69123", "13055", "31555", "44109"]


@pytest.fixture
async def staffed(db_path: Path, clock: FrozenClock) -> AsyncIterator[App]:
    application = await make_app(db_path, clock, verification="staff")
    staff = await persons.ensure(
        application.services.db, "memory:cheffe", now=clock.now(), display_name="Cheffe"
    )
    await persons.set_role(application.services.db, staff.id, "admin")
    yield application
    await application.close()


def staff_notices(chat: MemoryBackend) -> list[str]:
    return [reply.text for reply in chat.inbox("cheffe")]


async def test_pending_requests_are_capped_per_person(staffed: App) -> None:
    chat = MemoryBackend(staffed)
    limit = staffed.services.config.limits.requests_pending
    for code in CODES[:limit]:
        assert "en attente" in text(await onboard(chat, "flood", query=code))
    refused = text(await onboard(chat, "flood", query=CODES[limit]))
    assert f"{limit} demandes en attente" in refused, refused
    assert len(await memberships.of_person(staffed.services.db, await _id(staffed, "flood"))) == (
        limit
    )
    assert len(staff_notices(chat)) == limit


async def test_a_repeated_request_tells_the_staff_once(staffed: App) -> None:
    chat = MemoryBackend(staffed)
    await onboard(chat, "encore", query="24432")
    again = text(await onboard(chat, "encore", query="24432", role="2"))
    assert "toujours en attente" in again, again
    assert len(staff_notices(chat)) == 1


async def test_requests_per_day_are_capped_even_when_withdrawn(
    staffed: App, clock: FrozenClock
) -> None:
    chat = MemoryBackend(staffed)
    db = staffed.services.db
    per_day = staffed.services.config.limits.requests_per_day
    for code in CODES[:per_day]:
        assert "en attente" in text(await onboard(chat, "yoyo", query=code))
        assert await memberships.leave(db, await _id(staffed, "yoyo"), code)
    refused = text(await onboard(chat, "yoyo", query=CODES[per_day]))
    assert "demain" in refused, refused
    assert len(staff_notices(chat)) == per_day
    clock.advance(timedelta(hours=24, minutes=1))
    assert "en attente" in text(await onboard(chat, "yoyo", query=CODES[per_day]))


async def test_a_long_queue_gives_the_staff_a_digest(staffed: App, clock: FrozenClock) -> None:
    chat = MemoryBackend(staffed)
    for n in range(DIGEST_FROM + 10):
        await onboard(chat, f"p{n}", query=CODES[n % len(CODES)])
    notices = staff_notices(chat)
    singles = [n for n in notices if n.startswith("Nouvelle demande")]
    digests = [n for n in notices if "demandes de rattachement attendent" in n]
    assert len(singles) == DIGEST_FROM
    assert len(digests) == 1 and f"{DIGEST_FROM + 1} demandes" in digests[0], digests
    clock.advance(timedelta(minutes=61))
    await onboard(chat, "tardif", query="24432")
    digests = [n for n in staff_notices(chat) if "demandes de rattachement attendent" in n]
    assert len(digests) == 2 and f"{DIGEST_FROM + 11} demandes" in digests[1], digests


async def _id(app: App, user: str) -> int:
    person = await persons.by_identity(app.services.db, f"memory:{user}")
    assert person is not None
    return person.id
