"""Reminders before each deadline: only to those with something left to do, in office
hours, once — even when the bot was down when they fell due."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.clock import PARIS, FrozenClock, to_iso
from bot.delivery import notices
from bot.delivery.scheduler import CalendarScheduler
from bot.delivery.workdays import SendWindow, easter, french_holidays, is_working_day
from storage import consultations
from storage.consultations import Phase
from tests.calendar_support import add_proposal, add_support, clock_of, member, names, phase, rows
from tests.conftest import make_app, plain, text

# The demo calendar seeded at the tests' clock: needs close on Sunday 10 January 2027.
NEEDS_7_DAYS = datetime(2027, 1, 4, 9, tzinfo=PARIS)  # due Sunday 3 Jan: Monday morning
NEEDS_1_DAY = datetime(2027, 1, 8, 9, tzinfo=PARIS)  # due Saturday 9 Jan: the Friday before


def test_french_public_holidays_and_working_days() -> None:
    assert easter(2026) == date(2026, 4, 5) and easter(2027) == date(2027, 3, 28)
    holidays = french_holidays(2026)
    assert {date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25), date(2026, 7, 14)} <= holidays
    assert len(holidays) == 11
    assert not is_working_day(date(2026, 5, 14))  # Ascension Thursday
    assert not is_working_day(date(2026, 12, 5))  # a Saturday
    assert is_working_day(date(2026, 12, 1))


def test_the_send_window_waits_for_the_next_working_morning() -> None:
    window = SendWindow()
    tuesday_10 = datetime(2026, 12, 1, 10, tzinfo=PARIS)
    assert window.next_open(tuesday_10) == tuesday_10
    assert window.next_open(datetime(2026, 12, 1, 19, 0, tzinfo=PARIS)) == datetime(
        2026, 12, 2, 9, tzinfo=PARIS
    )
    assert window.next_open(datetime(2026, 12, 4, 20, tzinfo=PARIS)) == datetime(
        2026, 12, 7, 9, tzinfo=PARIS
    )
    # Wednesday evening before Ascension: Friday morning
    assert window.next_open(datetime(2026, 5, 13, 20, tzinfo=PARIS)) == datetime(
        2026, 5, 15, 9, tzinfo=PARIS
    )
    assert window.last_open_before(datetime(2027, 1, 9, 0, tzinfo=PARIS)) == datetime(
        2027, 1, 8, 9, tzinfo=PARIS
    )
    assert SendWindow.from_settings({"send_hours": [8, 18]}) == SendWindow(8, 18)
    for bad in ([18, 8], "9-19", [9], [9, 25], None):
        assert SendWindow.from_settings({"send_hours": bad}) == SendWindow(9, 19)


def test_reminder_times_respect_office_hours_and_the_deadline() -> None:
    closes = datetime(2027, 1, 10, tzinfo=PARIS)
    needs = Phase(1, 1, "needs", datetime(2026, 11, 21, tzinfo=PARIS), closes)
    window = SendWindow()
    assert notices.reminder_time(window, needs, 7) == NEEDS_7_DAYS
    assert notices.reminder_time(window, needs, 1) == NEEDS_1_DAY
    short = Phase(1, 1, "needs", datetime(2027, 1, 5, tzinfo=PARIS), closes)
    assert notices.reminder_time(window, short, 7) is None  # before the phase even opens
    assert notices.reminder_days({"reminder_days": [3, 14, 3]}) == (14, 3)
    assert notices.reminder_days({"reminder_days": ["7"]}) == (7, 1)


async def _remind(app: App, kind: str, days: int) -> int | None:
    found = await phase(app, kind)
    assert found.closes_at is not None
    return await notices.remind(
        app.services,
        app.router.commands,
        found.id,
        days,
        to_iso(found.closes_at),
        app.services.clock.now(),
    )


async def test_needs_reminder_goes_to_members_with_no_contribution(chat: MemoryBackend) -> None:
    app = chat.app
    await member(chat, "idle")
    await member(chat, "jane", english=True)
    author = await member(chat, "author")
    await member(chat, "quiet")
    await member(chat, "bordelais", code="33063")  # a collectivité that sent nothing yet
    await chat.say("quiet", "/rappels non")
    await chat.say("visitor", "/aide")  # not a member: nothing to do yet
    consultation = await consultations.current(app.services.db)
    assert consultation is not None
    await app.services.db.execute(
        "INSERT INTO contributions(consultation_id, author_id, collectivite, title, body, theme,"
        " created_at, updated_at) VALUES (?, ?, '24432', 'Besoin', 'Texte', 'data', '', '')",
        (consultation.id, author.id),
    )
    clock = clock_of(app)
    clock.set(NEEDS_7_DAYS - timedelta(hours=1))
    assert await _remind(app, "needs", 7) is None  # not due yet
    clock.set(NEEDS_7_DAYS)
    assert await _remind(app, "needs", 7) == 3
    assert await _remind(app, "needs", 7) is None  # once
    assert await names(app, "reminder") == {"idle", "jane", "bordelais"}
    await app.sender.drain()
    [english] = chat.inbox("jane")[-1:]
    assert english.text.splitlines() == [
        "Reminder: collection of needs — last day January 9, 2027 (6 days left).",
        "Saint-Julien-de-Lampon has already sent 1 need; you can add one.",
        "Type /help to see what you can do. To stop these reminders, type /reminders.",
    ]
    # The need is the collectivité's: a colleague's counts, and the reminder says so.
    idle = plain(chat.inbox("idle")[-1].text)
    assert "9 janvier 2027" in idle
    assert "Saint-Julien-de-Lampon a déjà envoyé 1 besoin ; vous pouvez en ajouter un." in idle
    assert "Bordeaux n'a encore envoyé aucun besoin : vous pouvez en décrire un." in plain(
        chat.inbox("bordelais")[-1].text
    )


async def test_vote_and_support_reminders(chat: MemoryBackend) -> None:
    app = chat.app
    clock = clock_of(app)
    voter = await member(chat, "voter")
    await member(chat, "abstainer")
    await member(chat, "agent", role="2")
    await member(chat, "bordeaux", code="33063")
    proposal = await add_proposal(app, 1, clock.now())
    await app.services.db.execute(
        "INSERT INTO votes(person_id, proposal_id, created_at) VALUES (?, ?, '')",
        (voter.id, proposal),
    )
    await add_support(app, "33063", proposal, clock.now())

    clock.set(datetime(2027, 2, 3, 9, tzinfo=PARIS))
    assert await _remind(app, "vote", 7) == 3
    assert await names(app, "reminder") == {"abstainer", "agent", "bordeaux"}

    # support: elected members of collectivités with no support yet (Bordeaux has one)
    clock.set(datetime(2027, 3, 5, 9, tzinfo=PARIS))
    assert await _remind(app, "support", 7) == 2
    assert {str(r["display_name"]) for r in (await rows(app, "reminder"))[3:]} == {
        "voter",
        "abstainer",
    }


async def test_people_turn_reminders_off_and_on(chat: MemoryBackend) -> None:
    await chat.say("jane", "/language en")
    status = await chat.say("jane", "/reminders")
    assert "Reminders are on" in text(status) and "[Turn reminders off]" in text(status)
    assert "between 9:00 AM and 7:00 PM" in text(status)
    french = await chat.say("jean", "/rappels")
    assert "(les jours ouvrés, 9\u00a0h – 19\u00a0h)" in french[-1].text  # not "09:00"
    assert "Reminders are off" in text(await chat.say("jane", "1"))
    assert "[Turn reminders on]" in text(await chat.say("jane", "/reminders"))
    assert "Reminders are on" in text(await chat.press("jane", "rem.set:on"))
    assert "Reminders are off" in text(await chat.say("jane", "/reminders off"))
    assert "I did not understand “maybe”" in text(await chat.say("jane", "/reminders maybe"))
    assert "no longer valid" in text(await chat.press("jane", "rem.set:perhaps"))


async def _restart(db_path: Path, clock: FrozenClock) -> tuple[App, CalendarScheduler]:
    app = await make_app(db_path, clock, seed=False)
    MemoryBackend(app)
    scheduler = CalendarScheduler(app.services, app.router.commands)
    await scheduler.start()
    await scheduler.settle()
    return app, scheduler


async def test_a_reminder_missed_while_down_is_sent_once(db_path: Path, clock: FrozenClock) -> None:
    app = await make_app(db_path, clock)
    chat = MemoryBackend(app)
    await member(chat, "idle")
    await member(chat, "jane", english=True)
    await app.close()

    clock.set(NEEDS_7_DAYS + timedelta(days=2, hours=1))  # Wednesday 10:00: down since Sunday
    for _ in range(2):
        app, scheduler = await _restart(db_path, clock)
        needs = await phase(app, "needs")
        assert f"reminder:{needs.id}:7" not in scheduler.jobs()
        assert f"reminder:{needs.id}:1" in scheduler.jobs()
        scheduler.shutdown()
        assert await names(app, "reminder") == {"idle", "jane"}
        assert len(await rows(app, "reminder")) == 2
        await app.close()


async def test_when_both_reminders_are_due_only_the_last_goes(
    db_path: Path, clock: FrozenClock
) -> None:
    app = await make_app(db_path, clock)
    await member(MemoryBackend(app), "idle")
    await app.close()
    clock.set(NEEDS_1_DAY + timedelta(hours=2))
    app, scheduler = await _restart(db_path, clock)
    scheduler.shutdown()
    [sent] = await rows(app, "reminder")
    assert "9 janvier 2027" in sent["payload"] and "37\u00a0heures" in sent["payload"]
    recorded = await app.services.db.fetchall(
        "SELECT days, outcome FROM phase_notices ORDER BY days"
    )
    assert [(r["days"], r["outcome"]) for r in recorded] == [(1, "sent"), (7, "skipped")]
    await app.close()


async def test_a_reminder_due_at_night_waits_for_the_morning(
    db_path: Path, clock: FrozenClock
) -> None:
    app = await make_app(db_path, clock)
    chat = MemoryBackend(app)
    await member(chat, "idle")
    await app.close()
    clock.set(datetime(2027, 1, 5, 2, 0, tzinfo=PARIS))  # the bot comes back at 2 a.m.
    app, scheduler = await _restart(db_path, clock)
    scheduler.shutdown()
    chat = MemoryBackend(app)
    [row] = await rows(app, "reminder")
    assert row["not_before"] == to_iso(datetime(2027, 1, 5, 9, tzinfo=PARIS)) and row["quiet"] == 1
    await app.services.db.execute("UPDATE outbox SET not_before = created_at")
    assert await app.sender.drain() == 0
    clock.set(datetime(2027, 1, 5, 9, 0, tzinfo=PARIS))
    assert await app.sender.drain() == 1
    assert "Reminder" in chat.inbox("idle")[-1].text or "Rappel" in chat.inbox("idle")[-1].text
    await app.close()


async def test_a_moved_deadline_gets_its_own_reminders_and_a_passed_one_none(
    chat: MemoryBackend,
) -> None:
    app = chat.app
    await member(chat, "idle")
    clock = clock_of(app)
    clock.set(NEEDS_7_DAYS)
    assert await _remind(app, "needs", 7) == 1
    needs = await phase(app, "needs")
    await app.services.db.execute(
        "UPDATE phases SET closes_at = ? WHERE id = ?",
        (to_iso(datetime(2027, 1, 17, tzinfo=PARIS)), needs.id),
    )
    await app.services.db.execute(
        "UPDATE phases SET opens_at = ? WHERE kind = 'vote'",
        (to_iso(datetime(2027, 1, 17, tzinfo=PARIS)),),
    )
    assert await _remind(app, "needs", 7) is None  # not due for the new deadline yet
    clock.set(datetime(2027, 1, 11, 9, tzinfo=PARIS))
    assert await _remind(app, "needs", 7) == 1
    # after the deadline nothing goes, whatever fell due
    clock.set(datetime(2027, 1, 17, 9, tzinfo=PARIS))
    assert await _remind(app, "needs", 1) is None
    assert len(await rows(app, "reminder")) == 2
