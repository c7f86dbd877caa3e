"""``/phase``: the staff manage the calendar — dates, opening or closing a phase now.

Opening a phase announces it to everyone in the same transaction, so the
calendar and the announcement cannot disagree; the scheduler re-derives its
reminder jobs from the table on its next sync. Buttons carry a phase id and
prove nothing: every action re-checks the staff role and the calendar.
"""

from __future__ import annotations

from typing import Literal

from bot.core.arguments import whole_number
from bot.core.calendar_text import phase_label, phase_span
from bot.core.callbacks import ButtonData, Id
from bot.core.clock import to_iso
from bot.core.context import Context, Refused
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.phase_dates import parse_dates
from bot.core.router import Router
from bot.delivery import notices
from bot.delivery.workdays import SendWindow
from handlers.common import require_consultation, stale_button
from storage import audiences, reminders
from storage import phases as calendar
from storage.audiences import Audience
from storage.consultations import Consultation, Phase
from storage.phases import CalendarError

router = Router("phases", audience="staff", reveals="staff")
DATES_STEP = "ph.dates"


class AllPhases(ButtonData, prefix="ph.all"):
    pass


class ShowPhase(ButtonData, prefix="ph.show"):
    phase: Id


class AskOpen(ButtonData, prefix="ph.open"):
    phase: Id


class AskClose(ButtonData, prefix="ph.close"):
    phase: Id


class AskDates(ButtonData, prefix="ph.dates"):
    phase: Id


class Do(ButtonData, prefix="ph.do"):
    """The confirmed change: open or close the phase now."""

    verb: Literal["open", "close"]
    phase: Id


OPEN = ("ouvrir", "open")
CLOSE = ("fermer", "close")
DATES = ("dates",)


def _problem(ctx: Context, error: CalendarError) -> Refused:
    other = str(error.other) if error.other is not None else "—"
    messages = {
        "order": ctx._("A phase must end after it starts."),
        "overlap_previous": ctx._(
            "These dates overlap phase {other}: phases follow one another without overlapping.",
            other=other,
        ),
        "overlap_next": ctx._(
            "These dates overlap phase {other}: phases follow one another without overlapping.",
            other=other,
        ),
        "open_ended": ctx._("Only the last phase can be left without an end."),
        "previous_not_open": ctx._(
            "Phase {other} has not opened yet: open it first, or change the dates.", other=other
        ),
        "already_open": ctx._("This phase is already open."),
        "already_closed": ctx._("This phase is over: to open it again, change its dates."),
        "not_open": ctx._("This phase is not open."),
    }
    return Refused(messages[error.problem])


def _state(ctx: Context, phase: Phase) -> str:
    if phase.is_open(ctx.now):
        return ctx._("open now")
    if phase.closes_at is not None and phase.closes_at <= ctx.now:
        return ctx._("closed")
    return ctx._("opens in {delay}", delay=ctx.t.duration(phase.opens_at - ctx.now))


def _title(ctx: Context, phase: Phase) -> str:
    return ctx._(
        "Phase {number}: {label}", number=phase.position, label=phase_label(ctx.t, phase.kind)
    )


async def show_all(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    lines = [ctx._("Phases of the consultation “{title}”:", title=consultation.title), ""]
    choices = []
    for phase in consultation.phases:
        lines.append(f"{_title(ctx, phase)} — {phase_span(ctx.t, phase)} — {_state(ctx, phase)}")
        choices.append(Choice(_title(ctx, phase), ShowPhase(phase=phase.id).pack()))
    command = ctx.cmd("phase")
    opening = OPEN[0] if ctx.locale == "fr" else OPEN[1]
    closing = CLOSE[0] if ctx.locale == "fr" else CLOSE[1]
    example = f"{command} 2 dates 01/03/2027 15/04/2027"
    open_example, close_example = f"{command} 2 {opening}", f"{command} 1 {closing}"
    lines += [
        "",
        ctx._(
            "To change the dates of a phase, type for example {example}. To open or close "
            "one now: {open} or {close}.",
            example=example,
            open=open_example,
            close=close_example,
        ),
    ]
    ctx.reply("\n".join(lines), choices)


async def _notice_lines(ctx: Context, consultation: Consultation, phase: Phase) -> list[str]:
    lines: list[str] = []
    done = await reminders.notices_of(ctx.db, phase.id)
    deadline = to_iso(phase.closes_at) if phase.closes_at else ""
    for kind, days, notice_deadline, outcome, count in done:
        if kind == "announce":
            lines.append(
                ctx._("Announcement sent (recipients: {count}).", count=ctx.t.number(count))
            )
        elif notice_deadline == deadline and outcome == "sent":
            lines.append(
                ctx.t.ngettext(
                    "Reminder {n} day before the end sent (recipients: {count}).",
                    "Reminder {n} days before the end sent (recipients: {count}).",
                    days,
                    count=ctx.t.number(count),
                )
            )
    recorded = await reminders.recorded(ctx.db, [phase.id])
    created = await reminders.consultation_created(ctx.db, consultation.id)
    for item in notices.planned(consultation, recorded, ctx.now, created):
        if item.key.phase_id != phase.id:
            continue
        if item.key.kind == "announce":
            lines.append(ctx._("Announcement: when the phase opens."))
        else:
            lines.append(
                ctx.t.ngettext(
                    "Reminder {n} day before the end: planned for {when}.",
                    "Reminder {n} days before the end: planned for {when}.",
                    item.key.days,
                    when=ctx.t.datetime(item.at, "short"),
                )
            )
    return lines


async def show_one(ctx: Context, phase: Phase) -> None:
    consultation = await require_consultation(ctx)
    lines = [f"{_title(ctx, phase)} — {phase_span(ctx.t, phase)} — {_state(ctx, phase)}"]
    lines += await _notice_lines(ctx, consultation, phase)
    choices = []
    if phase.opens_at > ctx.now:
        choices.append(Choice(ctx._("Open it now"), AskOpen(phase=phase.id).pack()))
    if phase.is_open(ctx.now):
        choices.append(Choice(ctx._("Close it now"), AskClose(phase=phase.id).pack()))
    choices.append(Choice(ctx._("Change the dates"), AskDates(phase=phase.id).pack()))
    choices.append(Choice(ctx._("All phases"), AllPhases().pack()))
    ctx.reply("\n".join(lines), choices)


async def _phase(ctx: Context, phase_id: int) -> Phase:
    """The phase a button names, re-read now."""
    consultation = await require_consultation(ctx)
    phase = calendar.find(consultation, phase_id)
    if phase is None:
        raise stale_button(ctx)
    return phase


async def _ask_open(ctx: Context, phase: Phase) -> None:
    consultation = await require_consultation(ctx)
    if phase.is_open(ctx.now) or phase.opens_at <= ctx.now:
        raise _problem(
            ctx, CalendarError("already_open" if phase.is_open(ctx.now) else "already_closed")
        )
    count = await audiences.count(ctx.db, Audience("everyone"), consultation.id)
    lines = [ctx._("Open {phase} now?", phase=_title(ctx, phase))]
    previous = next((p for p in consultation.phases if p.position == phase.position - 1), None)
    if previous is not None and previous.is_open(ctx.now):
        lines.append(ctx._("{phase} will close at the same time.", phase=_title(ctx, previous)))
    lines.append(_announcement_line(ctx, consultation, count))
    ctx.reply(
        "\n".join(lines),
        [
            Choice(ctx._("Yes, open it now"), Do(verb="open", phase=phase.id).pack()),
            Choice(ctx._("No, go back"), ShowPhase(phase=phase.id).pack()),
        ],
    )


def _announcement_line(ctx: Context, consultation: Consultation, count: int) -> str:
    window = SendWindow.from_settings(consultation.settings)
    start = window.next_open(ctx.now)
    if start <= ctx.now:
        return ctx._(
            "Recipients of the announcement: {count}; it goes out right away.",
            count=ctx.t.number(count),
        )
    return ctx._(
        "Recipients of the announcement: {count}; it goes out from {when} (nobody is "
        "messaged at night, at weekends or on public holidays).",
        count=ctx.t.number(count),
        when=ctx.t.datetime(start, "short"),
    )


async def _open(ctx: Context, phase: Phase) -> None:
    consultation = await require_consultation(ctx)
    try:
        opened, closed = await calendar.open_now(ctx.db, consultation, phase.id, ctx.now)
    except CalendarError as error:
        raise _problem(ctx, error) from None
    await ctx.audit("phase.open", f"phase:{opened.position}", kind=opened.kind)
    lines = [ctx._("{phase} is open.", phase=_title(ctx, opened))]
    if closed is not None:
        lines.append(ctx._("{phase} is closed.", phase=_title(ctx, closed)))
    await _announce(ctx, lines)
    ctx.reply("\n".join(lines))


async def _announce(ctx: Context, lines: list[str]) -> None:
    told = await notices.announce_open(ctx.services, ctx.commands, ctx.now)
    if told is not None:
        consultation = await require_consultation(ctx)
        lines.append(_announcement_line(ctx, consultation, told[1]))


async def _close(ctx: Context, phase: Phase) -> None:
    consultation = await require_consultation(ctx)
    try:
        closed = await calendar.close_now(ctx.db, consultation, phase.id, ctx.now)
    except CalendarError as error:
        raise _problem(ctx, error) from None
    await ctx.audit("phase.close", f"phase:{closed.position}", kind=closed.kind)
    ctx.reply(ctx._("{phase} is closed.", phase=_title(ctx, closed)))


async def _set_dates(ctx: Context, phase: Phase, tokens: list[str]) -> None:
    parsed = parse_dates(tokens)
    if parsed is None:
        raise Refused(_dates_help(ctx, phase))
    consultation = await require_consultation(ctx)
    try:
        changed = await calendar.set_dates(ctx.db, consultation, phase.id, *parsed)
    except CalendarError as error:
        raise _problem(ctx, error) from None
    await ctx.audit(
        "phase.dates",
        f"phase:{changed.position}",
        opens_at=to_iso(changed.opens_at),
        closes_at=to_iso(changed.closes_at) if changed.closes_at else None,
    )
    ctx.end()
    lines = [
        ctx._(
            "New dates of {phase}: {span}.",
            phase=_title(ctx, changed),
            span=phase_span(ctx.t, changed),
        )
    ]
    await _announce(ctx, lines)
    ctx.reply("\n".join(lines))


def _dates_help(ctx: Context, phase: Phase) -> str:
    return ctx._(
        "Type the first and the last day of {phase}, e.g. 01/03/2027 15/04/2027. "
        "Add a time after a day if needed (15/04/2027 18:00); type - as the last day "
        "for a phase without end.",
        phase=_title(ctx, phase),
    )


@router.command(
    "phase",
    "phase",
    "phase",
    N_("Change the calendar: dates, open or close a phase"),
)
async def phase_command(ctx: Context) -> None:
    args = list(ctx.incoming.args)
    if not args:
        await show_all(ctx)
        return
    consultation = await require_consultation(ctx)
    position = whole_number(args[0], least=1, most=len(consultation.phases))
    if position is None:
        raise Refused(
            ctx._(
                "There is no phase “{number}”: type {command} to see the phases.",
                number=args[0][:20],
                command=ctx.cmd("phase"),
            )
        )
    phase = next(p for p in consultation.phases if p.position == position)
    verb = args[1].lower() if len(args) > 1 else ""
    if not verb:
        await show_one(ctx, phase)
    elif verb in OPEN and len(args) == 2:
        await _ask_open(ctx, phase)
    elif verb in CLOSE and len(args) == 2:
        await _close_prompt(ctx, phase)
    elif verb in DATES and len(args) > 2:
        await _set_dates(ctx, phase, args[2:])
    elif verb in DATES:
        ctx.ask(DATES_STEP, _dates_help(ctx, phase), phase=phase.id)
    else:
        await show_one(ctx, phase)


async def _close_prompt(ctx: Context, phase: Phase) -> None:
    if not phase.is_open(ctx.now):
        raise _problem(ctx, CalendarError("not_open"))
    ctx.reply(
        ctx._("Close {phase} now?", phase=_title(ctx, phase)),
        [
            Choice(ctx._("Yes, close it now"), Do(verb="close", phase=phase.id).pack()),
            Choice(ctx._("No, go back"), ShowPhase(phase=phase.id).pack()),
        ],
    )


@router.step(DATES_STEP)
async def dates_step(ctx: Context, text: str) -> None:
    consultation = await require_consultation(ctx)
    asked = ctx.conversation.data.get("phase")
    phase = calendar.find(consultation, asked) if isinstance(asked, int) else None
    if phase is None:  # the calendar changed under the conversation
        ctx.end()
        ctx.reply(stale_button(ctx).message)
        return
    await _set_dates(ctx, phase, text.split())


@router.action(AllPhases)
async def all_phases(ctx: Context, pressed: AllPhases) -> None:
    await show_all(ctx)


@router.action(ShowPhase)
async def show(ctx: Context, pressed: ShowPhase) -> None:
    await show_one(ctx, await _phase(ctx, pressed.phase))


@router.action(AskOpen)
async def ask_open(ctx: Context, pressed: AskOpen) -> None:
    await _ask_open(ctx, await _phase(ctx, pressed.phase))


@router.action(AskClose)
async def ask_close(ctx: Context, pressed: AskClose) -> None:
    await _close_prompt(ctx, await _phase(ctx, pressed.phase))


@router.action(AskDates)
async def ask_dates(ctx: Context, pressed: AskDates) -> None:
    phase = await _phase(ctx, pressed.phase)
    ctx.ask(DATES_STEP, _dates_help(ctx, phase), phase=phase.id)


@router.action(Do)
async def do(ctx: Context, pressed: Do) -> None:
    phase = await _phase(ctx, pressed.phase)
    await (_open if pressed.verb == "open" else _close)(ctx, phase)
