"""Changing the calendar: dates, opening or closing a phase now.

Every change is checked against the whole calendar before it is written, with
the rules ``consultations.create`` applies (in order, no overlap, only the
last phase open-ended), so the phase open *now* stays unambiguous.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Literal

from storage.consultations import Consultation, Phase
from storage.db import Database
from storage.instants import to_iso

Problem = Literal[
    "order",
    "overlap_previous",
    "overlap_next",
    "open_ended",
    "previous_not_open",
    "already_open",
    "already_closed",
    "not_open",
]


class CalendarError(ValueError):
    """A change the calendar cannot take; ``other`` is the position of the phase
    it collides with, when there is one."""

    def __init__(self, problem: Problem, other: int | None = None) -> None:
        super().__init__(problem)
        self.problem: Problem = problem
        self.other = other


def check(phases: Sequence[Phase]) -> None:
    ordered = sorted(phases, key=lambda p: p.position)
    for index, phase in enumerate(ordered):
        if phase.closes_at is not None and phase.closes_at <= phase.opens_at:
            raise CalendarError("order")
        if index == 0:
            continue
        previous = ordered[index - 1]
        if previous.closes_at is None:
            raise CalendarError("open_ended")
        if phase.opens_at < previous.closes_at:
            raise CalendarError("overlap_previous", previous.position)


def _neighbour_problem(phases: Sequence[Phase], changed: Phase) -> None:
    """Say which side a change collides with, in the changed phase's terms."""
    try:
        check(phases)
    except CalendarError as error:
        if error.problem == "overlap_previous" and error.other == changed.position:
            raise CalendarError("overlap_next", changed.position + 1) from None
        if error.problem == "open_ended" and changed.closes_at is None:
            raise CalendarError("open_ended") from None
        raise


async def _write(db: Database, before: Sequence[Phase], after: Sequence[Phase]) -> None:
    old = {p.id: p for p in before}
    for phase in after:
        if old[phase.id] != phase:
            await db.execute(
                "UPDATE phases SET opens_at = ?, closes_at = ? WHERE id = ?",
                (
                    to_iso(phase.opens_at),
                    to_iso(phase.closes_at) if phase.closes_at else None,
                    phase.id,
                ),
            )


def find(consultation: Consultation, phase_id: int) -> Phase | None:
    return next((p for p in consultation.phases if p.id == phase_id), None)


async def set_dates(
    db: Database,
    consultation: Consultation,
    phase_id: int,
    opens_at: datetime,
    closes_at: datetime | None,
) -> Phase:
    phase = find(consultation, phase_id)
    if phase is None:
        raise KeyError(phase_id)
    changed = replace(phase, opens_at=opens_at, closes_at=closes_at)
    after = [changed if p.id == phase_id else p for p in consultation.phases]
    _neighbour_problem(after, changed)
    await _write(db, consultation.phases, after)
    return changed


async def open_now(
    db: Database, consultation: Consultation, phase_id: int, now: datetime
) -> tuple[Phase, Phase | None]:
    """Open a phase that has not opened yet; the previous one, if still open,
    closes at the same instant. Returns (opened, closed or None)."""
    phase = find(consultation, phase_id)
    if phase is None:
        raise KeyError(phase_id)
    if phase.is_open(now):
        raise CalendarError("already_open")
    if phase.opens_at <= now:
        raise CalendarError("already_closed")
    opened = replace(phase, opens_at=now)
    closed: Phase | None = None
    after: list[Phase] = []
    for p in consultation.phases:
        if p.id == phase_id:
            after.append(opened)
        elif p.position == phase.position - 1:
            if p.opens_at > now:
                raise CalendarError("previous_not_open", p.position)
            if p.closes_at is None or p.closes_at > now:
                closed = replace(p, closes_at=now)
                after.append(closed)
            else:
                after.append(p)
        else:
            after.append(p)
    check(after)
    await _write(db, consultation.phases, after)
    return opened, closed


async def close_now(
    db: Database, consultation: Consultation, phase_id: int, now: datetime
) -> Phase:
    now = now.replace(microsecond=0)
    phase = find(consultation, phase_id)
    if phase is None:
        raise KeyError(phase_id)
    if not phase.is_open(now):
        raise CalendarError("not_open")
    closed = replace(phase, closes_at=now)
    after = [closed if p.id == phase_id else p for p in consultation.phases]
    check(after)
    await _write(db, consultation.phases, after)
    return closed
