"""``/phase`` and ``guichet phases``: the staff change the calendar; openings are announced."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.backends.memory import MemoryBackend
from bot.core.clock import PARIS, FrozenClock, to_iso
from bot.delivery.scheduler import CalendarScheduler
from bot.ops.cli import main
from tests.calendar_support import clock_of, member, phase, rows, staff
from tests.conftest import make_app, run_demo, text


async def test_staff_see_the_phases_and_others_are_refused(chat: MemoryBackend) -> None:
    await chat.say("maire", "/aide")
    assert "réservée à l'équipe" in text(await chat.say("maire", "/phase"))
    await staff(chat)
    listing = text(await chat.say("boss", "/phase"))
    assert "Phases of the consultation" in listing
    assert (
        "Phase 1: collection of needs — from November 21, 2026 to January 9, 2027 — open now"
        in (listing)
    )
    assert "Phase 2: vote on the proposals" in listing and "opens in 40 days" in listing
    assert "/phase 2 dates 01/03/2027 15/04/2027" in listing
    detail = text(await chat.say("boss", "2"))
    assert "Reminder 7 days before the end: planned for 2/3/27, 9:00" in detail
    assert "Reminder 1 day before the end: planned for 2/9/27, 9:00" in detail
    assert "[Open it now]" in detail and "[Close it now]" not in detail
    assert "/phase" in text(await chat.say("boss", "/help"))
    assert "/phase" not in text(await chat.say("maire", "/aide"))


async def test_dates_are_checked_against_the_whole_calendar(chat: MemoryBackend) -> None:
    await staff(chat)
    before = await phase(chat.app, "vote")
    overlap = text(await chat.say("boss", "/phase 2 dates 15/01/2027 20/02/2027"))
    assert "These dates overlap phase 3" in overlap
    assert "overlap phase 1" in text(await chat.say("boss", "/phase 2 dates 2027-01-05 2027-02-01"))
    assert "must end after it starts" in text(
        await chat.say("boss", "/phase 2 dates 1/2/2027 15/1/2027")
    )
    assert "Only the last phase" in text(await chat.say("boss", "/phase 2 dates 15/01/2027 -"))
    assert "Type the first and the last day" in text(
        await chat.say("boss", "/phase 2 dates demain")
    )
    assert "Type the first and the last day" in text(
        await chat.say("boss", "/phase 2 dates 31/02/2027 1/3/2027")
    )
    assert "There is no phase “9”" in text(await chat.say("boss", "/phase 9 open"))
    assert await phase(chat.app, "vote") == before

    changed = text(await chat.say("boss", "/phase 2 dates 15/01/2027 05/02/2027 18:00"))
    assert (
        "New dates of Phase 2: vote on the proposals: from January 15, 2027 to February 5, 2027"
        in (changed)
    )
    vote = await phase(chat.app, "vote")
    assert vote.opens_at == datetime(2027, 1, 15, tzinfo=PARIS)
    assert vote.closes_at == datetime(2027, 2, 5, 18, 0, tzinfo=PARIS)
    await chat.say("fr", "/aide")
    calendar = text(await chat.say("fr", "/calendrier"))
    assert "2. Vote des solutions — du 15 janvier 2027 au 5 février 2027" in calendar
    # the last phase may stay open-ended
    assert "New dates of Phase 5" in text(await chat.say("boss", "/phase 5 dates 20/04/2027 -"))


async def test_the_dates_step_keeps_asking_until_it_understands(chat: MemoryBackend) -> None:
    await staff(chat)
    vote = await phase(chat.app, "vote")
    assert "Type the first and the last day of Phase 2" in text(
        await chat.press("boss", f"ph.dates:{vote.id}")
    )
    assert "Type the first and the last day" in text(await chat.say("boss", "next week"))
    assert "New dates of Phase 2" in text(await chat.say("boss", "11/01/2027 09/02/2027"))
    assert "I was not expecting a message" in text(await chat.say("boss", "11/01/2027 09/02/2027"))


async def test_opening_now_closes_the_previous_phase_and_announces_it(chat: MemoryBackend) -> None:
    await member(chat, "maire")
    await member(chat, "jane", english=True)
    await chat.say("visitor", "/aide")
    await staff(chat)
    vote = await phase(chat.app, "vote")

    prompt = text(await chat.say("boss", "/phase 2 open"))
    assert "Open Phase 2: vote on the proposals now?" in prompt
    assert "Phase 1: collection of needs will close at the same time" in prompt
    # the demo's staff, reached on the console, counts too
    assert "Recipients of the announcement: 5; it goes out right away" in prompt
    assert await phase(chat.app, "vote") == vote  # nothing changed before the confirmation

    done = text(await chat.say("boss", "1"))
    assert "Phase 2: vote on the proposals is open." in done
    assert "Phase 1: collection of needs is closed." in done
    now = clock_of(chat.app).now()
    assert (await phase(chat.app, "vote")).opens_at == now
    assert (await phase(chat.app, "needs")).closes_at == now

    [jane] = chat.inbox("jane")[-1:]
    assert jane.text.startswith(
        "New phase of the consultation “Digital transformation of local authorities”: "
        "vote on the proposals, from December 1, 2026 to February 9, 2027."
    )
    assert "/help" in jane.text
    maire = chat.inbox("maire")[-1].text
    assert "Transformation numérique des collectivités territoriales" in maire
    assert "vote des solutions" in maire and "1er décembre 2026" in maire
    assert len(chat.inbox("visitor")) == 1 and len(chat.inbox("boss")) == 1

    # pressing the confirmation again changes and sends nothing
    assert "already open" in text(await chat.press("boss", f"ph.do:open:{vote.id}"))
    assert len(await rows(chat.app, "announce")) == 5
    assert "OUVERTE" in next(
        line
        for line in text(await chat.say("maire", "/calendrier")).splitlines()
        if "2. Vote" in line
    )


async def test_closing_now(chat: MemoryBackend) -> None:
    await staff(chat)
    assert "not open" in text(await chat.say("boss", "/phase 2 close"))
    assert "Close Phase 1: collection of needs now?" in text(
        await chat.say("boss", "/phase 1 fermer")
    )
    assert "Phase 1: collection of needs is closed." in text(await chat.say("boss", "1"))
    assert "No phase is open right now" in text(await chat.say("boss", "/help"))
    assert "This phase is over" in text(await chat.say("boss", "/phase 1 open"))
    assert await rows(chat.app) == []


async def test_buttons_prove_nothing(chat: MemoryBackend) -> None:
    await chat.say("maire", "/aide")
    vote = await phase(chat.app, "vote")
    for data in (f"ph.do:open:{vote.id}", f"ph.open:{vote.id}", f"ph.dates:{vote.id}", "ph.all"):
        assert "réservée à l'équipe" in text(await chat.press("maire", data))
    assert await phase(chat.app, "vote") == vote
    await staff(chat)
    for data in ("ph.do:open:999", "ph.do:drop:1", "ph.show:x", "ph.do:open"):
        assert "no longer valid" in text(await chat.press("boss", data))


async def test_an_opening_at_night_waits_for_the_morning(chat: MemoryBackend) -> None:
    await member(chat, "jane", english=True)
    await staff(chat)
    clock = clock_of(chat.app)
    clock.set(datetime(2026, 12, 1, 23, 0, tzinfo=PARIS))
    assert "it goes out from 12/2/26, 9:00 AM" in text(await chat.say("boss", "/phase 2 open"))
    await chat.say("boss", "1")
    announced = await rows(chat.app, "announce")
    assert {r["not_before"] for r in announced} == {to_iso(datetime(2026, 12, 2, 9, tzinfo=PARIS))}
    assert all(r["quiet"] == 1 for r in announced)
    await chat.app.services.db.execute("UPDATE outbox SET not_before = created_at")
    assert await chat.app.sender.drain() == 0  # quiet rows wait for office hours anyway
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=PARIS))
    assert await chat.app.sender.drain() == 2
    assert "New phase" in chat.inbox("jane")[-1].text


async def _until(condition: Callable[[], bool], seconds: float = 3.0) -> None:
    """Poll: the scheduler's periodic sync has no event to wait on."""
    async with asyncio.timeout(seconds):
        for _ in iter(condition, True):
            await asyncio.sleep(0.02)


async def test_jobs_are_derived_from_the_table_and_follow_its_changes(chat: MemoryBackend) -> None:
    await staff(chat)
    app = chat.app
    vote, needs = await phase(app, "vote"), await phase(app, "needs")
    scheduler = CalendarScheduler(app.services, app.router.commands, sync_seconds=0.05)
    await scheduler.start()
    try:
        jobs = scheduler.jobs()
        assert set(jobs) == {
            f"reminder:{needs.id}:7",
            f"reminder:{needs.id}:1",
            f"announce:{vote.id}",
            f"reminder:{vote.id}:7",
            f"reminder:{vote.id}:1",
            f"announce:{(await phase(app, 'support')).id}",
            f"reminder:{(await phase(app, 'support')).id}:7",
            f"reminder:{(await phase(app, 'support')).id}:1",
            f"announce:{(await phase(app, 'selection')).id}",
            f"announce:{(await phase(app, 'coconstruction')).id}",
        }
        now, real = app.services.clock.now(), datetime.now(PARIS)
        expected = datetime(2027, 2, 3, 9, tzinfo=PARIS) - now + real
        assert abs(jobs[f"reminder:{vote.id}:7"] - expected) < timedelta(seconds=2)
        before = jobs[f"reminder:{vote.id}:7"]

        # the staff move the deadline in the chat: the periodic sync follows
        await chat.say("boss", "/phase 2 dates 10/01/2027 04/02/2027")
        await _until(lambda: scheduler.jobs().get(f"reminder:{vote.id}:7") != before)
        moved = scheduler.jobs()[f"reminder:{vote.id}:7"]
        assert abs(moved - (before - timedelta(days=5))) < timedelta(seconds=2)

        # closing the needs phase now drops its reminders
        await chat.say("boss", "/phase 1 close")
        await chat.say("boss", "1")
        await _until(lambda: f"reminder:{needs.id}:1" not in scheduler.jobs())
        assert f"reminder:{needs.id}:7" not in scheduler.jobs()
    finally:
        scheduler.shutdown()


async def test_a_scheduled_opening_is_announced_once_across_restarts(
    db_path: Path, clock: FrozenClock
) -> None:
    app = await make_app(db_path, clock)
    chat = MemoryBackend(app)
    await member(chat, "maire")
    await member(chat, "jane", english=True)
    vote = await phase(app, "vote")
    await app.close()

    # the bot was down when the vote opened (a Sunday at midnight); it comes back Monday 8:00
    clock.set(datetime(2027, 1, 11, 8, 0, tzinfo=PARIS))
    for _ in range(2):
        app = await make_app(db_path, clock, seed=False)
        chat = MemoryBackend(app)
        scheduler = CalendarScheduler(app.services, app.router.commands)
        await scheduler.start()
        await scheduler.settle()
        assert f"announce:{vote.id}" not in scheduler.jobs()
        scheduler.shutdown()
        announced = await rows(app, "announce")
        assert len(announced) == 3  # maire, jane and the demo's staff, once each
        assert {r["not_before"] for r in announced} == {
            to_iso(datetime(2027, 1, 11, 9, tzinfo=PARIS))
        }
        await app.close()


def test_cli_lists_sets_opens_and_closes(
    tmp_path: Path, refdata_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "g.db"
    shutil.copy(refdata_db, db)
    assert main(["phases", "list", "--db", str(db)]) == 2  # no consultation yet
    assert "no consultation" in capsys.readouterr().err

    async def seed() -> None:
        app = await make_app(db, FrozenClock(datetime.now(PARIS)))
        await app.close()

    asyncio.run(seed())
    assert main(["phases", "list", "--db", str(db)]) == 0
    listing = capsys.readouterr().out
    assert "1\tneeds\t" in listing and "\topen" in listing and "4\tselection\t" in listing
    assert main(["phases", "set", "2", "nonsense", "--db", str(db)]) == 2
    assert main(["phases", "set", "2", "01/01/2020", "02/01/2020", "--db", str(db)]) == 2
    assert "overlap phase 1" in capsys.readouterr().err
    assert main(["phases", "close", "2", "--db", str(db)]) == 2
    assert "not open" in capsys.readouterr().err
    assert main(["phases", "close", "1", "--db", str(db)]) == 0
    assert "1\tneeds\t" in (out := capsys.readouterr().out) and "\tclosed" in out
    assert main(["phases", "open", "2", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "2\tvote\t" in out and "\topen" in out and "announces the phase" in out
    assert main(["phases", "open", "9", "--db", str(db)]) == 2


def test_demo_staff_open_the_vote(tmp_path: Path, refdata_db: Path) -> None:
    db = tmp_path / "demo.db"
    shutil.copy(refdata_db, db)
    lines = ["/as staff", "/phase", "/phase 2 ouvrir", "1", "/calendrier", "/rappels"]
    out = run_demo(tmp_path, lines, db=db)
    opened = [line for line in out.splitlines() if line.startswith("2. Vote des solutions")]
    assert opened and "OUVERTE" in opened[0]


async def test_a_phase_open_before_the_consultation_existed_is_no_news(
    db_path: Path, clock: FrozenClock
) -> None:
    app = await make_app(db_path, clock, phase="selection")  # opened yesterday, seeded today
    scheduler = CalendarScheduler(app.services, app.router.commands)
    await scheduler.start()
    await scheduler.settle()
    scheduler.shutdown()
    # only the co-construction, still to open, will be announced
    assert set(scheduler.jobs()) == {f"announce:{(await phase(app, 'coconstruction')).id}"}
    assert await rows(app, "announce") == []
    await app.close()
