"""``/stats``: how the consultation is going, for the staff, readable on a phone.

The first message holds the key figures in short sections; the long tables
(every proposal, every département) and the charts are choices under it, so
a phone screen is never a wall of numbers. Every choice re-checks the staff
role on the server: a button is only a shortcut and proves nothing.

Figures come from ``storage.stats`` (aggregate SQL, fast on a national
database); charts are rendered by ``bot.render.charts`` in a worker thread once the
event is committed, so neither the event loop nor the database waits while
matplotlib draws.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from bot.core import themes
from bot.core.calendar_text import phase_label
from bot.core.callbacks import ButtonData, Id
from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.router import Router
from bot.render import charts
from handlers.common import quote, require_consultation
from handlers.export import ExportFiles
from storage import stats, volunteers
from storage.consultations import Consultation, Phase

router = Router("stats", audience="staff", reveals="staff")


class Table(ButtonData, prefix="stats.t"):
    """A page of one of the figures' tables (read by ``handlers.stats_views``)."""

    table: Literal["proposals", "places"]
    offset: Id = 0


class Chart(ButtonData, prefix="stats.c"):
    chart: Literal["supports", "daily", "departements"]


TOP = 5
PAGE = 20
CONTRIBUTION_STATUSES = {
    "submitted": N_("waiting for review"),
    "grouped": N_("grouped"),
    "rerouted": N_("re-routed"),
    "rejected": N_("rejected"),
    "withdrawn": N_("withdrawn"),
}


def trend_phase(consultation: Consultation, now: datetime) -> Phase | None:
    """The phase open now or, between phases, the last one that opened."""
    current = consultation.open_phase(now)
    if current is not None:
        return current
    started = [p for p in consultation.phases if p.opens_at <= now]
    return max(started, key=lambda p: p.opens_at) if started else None


def phase_window(phase: Phase, now: datetime) -> tuple[datetime, datetime]:
    """From the phase's opening to its close, or to now included: times are stored
    to the second, so what happened in this very second must count too."""
    until = now + timedelta(seconds=1)
    if phase.closes_at is not None and phase.closes_at < until:
        until = phase.closes_at
    return phase.opens_at, until


def _share(ctx: Context, part: int, whole: int) -> str:
    return charts.percent(ctx.t, part / whole) if whole else "—"


def _participants(ctx: Context, p: stats.Participation) -> list[str]:
    n = ctx.t.number
    return [
        ctx._("Participants"),
        ctx._(
            "Persons registered: {persons} (active in this consultation: {active})",
            persons=n(p.persons),
            active=n(p.active),
        ),
        ctx._(
            "Collectivités taking part: {total} — communes: {communes}, "
            "intercommunalities: {epcis}",
            total=n(p.collectivites),
            communes=n(p.communes),
            epcis=n(p.epcis),
        ),
        ctx._(
            "Communes under {limit} inhabitants: {count} ({share})",
            limit=n(stats.SMALL),
            count=n(p.under_small),
            share=_share(ctx, p.under_small, p.communes),
        ),
        ctx._(
            "Communes under {limit} inhabitants: {count} ({share})",
            limit=n(stats.MEDIUM),
            count=n(p.under_medium),
            share=_share(ctx, p.under_medium, p.communes),
        ),
    ]


def _contributions(ctx: Context, o: stats.Overview, consultation: Consultation) -> list[str]:
    n = ctx.t.number
    statuses = " · ".join(
        f"{ctx._(label)} {n(o.by_status.get(key, 0))}"
        for key, label in CONTRIBUTION_STATUSES.items()
    )
    ordered = sorted(o.by_theme.items(), key=lambda item: (-item[1], item[0]))
    by_theme = " · ".join(
        f"{themes.label(ctx.t, key, consultation)} {n(count)}" for key, count in ordered
    )
    lines = [
        ctx._("Contributions: {count}", count=n(o.contributions)),
        ctx._("By status: {list}", list=statuses),
    ]
    if by_theme:
        lines.append(ctx._("By theme: {list}", list=by_theme))
    return lines


def proposal_line(ctx: Context, rank: int, p: stats.ProposalCounts, votes: bool = True) -> str:
    if not votes:
        return ctx._(
            "{rank}. no. {number} “{title}” — supports {supports} (ready to co-build "
            "{co_construction})",
            rank=ctx.t.number(rank),
            number=p.number,
            title=quote(p.title, 60),
            supports=ctx.t.number(p.supports),
            co_construction=ctx.t.number(p.co_construction),
        )
    return ctx._(
        "{rank}. no. {number} “{title}” — supports {supports} (ready to co-build "
        "{co_construction}), votes {votes}",
        rank=ctx.t.number(rank),
        number=p.number,
        title=quote(p.title, 60),
        supports=ctx.t.number(p.supports),
        co_construction=ctx.t.number(p.co_construction),
        votes=ctx.t.number(p.votes),
    )


def _proposals(ctx: Context, o: stats.Overview, votes: bool) -> list[str]:
    n = ctx.t.number
    lines = [ctx._("Proposals: {count}", count=n(len(o.proposals)))]
    if votes:
        lines.append(
            ctx._(
                "Votes: {votes} · supports: {supports} (ready to co-build: {co_construction})",
                votes=n(o.votes),
                supports=n(o.soutien + o.co_construction),
                co_construction=n(o.co_construction),
            )
        )
    else:
        lines.append(
            ctx._(
                "Supports: {supports} (ready to co-build: {co_construction})",
                supports=n(o.soutien + o.co_construction),
                co_construction=n(o.co_construction),
            )
        )
    # Before the support phase every count is 0: rank by votes then, not by number.
    supported = [p for p in o.proposals if p.supports]
    voted = sorted((p for p in o.proposals if p.votes), key=lambda p: (-p.votes, p.number))
    top, heading = (supported, N_("Most supported:")) if supported else (voted, N_("Most voted:"))
    if top:
        lines.append(ctx._(heading))
        lines.extend(proposal_line(ctx, i, p, votes) for i, p in enumerate(top[:TOP], start=1))
    return lines


def _coconstruction(ctx: Context, c: stats.Coconstruction) -> list[str]:
    if not c.selected:
        return []
    n = ctx.t.number
    return [
        ctx._(
            "Co-construction: {placed} of {places} places taken in {selected} selected "
            "proposals; {waiting} waiting, {to_decide} to decide, {invited} invited.",
            placed=n(c.placed),
            places=n(c.places),
            selected=n(c.selected),
            waiting=n(c.waiting),
            to_decide=n(c.to_decide),
            invited=n(c.invited),
        ),
        ctx._(
            "Working spaces: {matrix} Matrix rooms, {telegram} Telegram groups; "
            "followers of the selected proposals: {followers}.",
            matrix=n(c.rooms.get("matrix", 0)),
            telegram=n(c.rooms.get("telegram", 0)),
            followers=n(c.followers),
        ),
    ]


def _regions(ctx: Context, areas: list[stats.Area]) -> list[str]:
    if not areas:
        return []
    lines = [ctx._("By région (collectivités taking part, members):")]
    lines.extend(
        f"• {a.name}: {ctx.t.number(a.collectivites)}, {ctx.t.number(a.members)}"
        for a in areas[:TOP]
    )
    if len(areas) > TOP:
        lines.append(
            ctx.t.ngettext(
                "… and {n} more région: see the table by place.",
                "… and {n} more régions: see the table by place.",
                len(areas) - TOP,
            )
        )
    return lines


async def _trend(ctx: Context, consultation: Consultation) -> list[str]:
    phase = trend_phase(consultation, ctx.now)
    if phase is None:
        return []
    since, until = phase_window(phase, ctx.now)
    days = await stats.daily(ctx.db, consultation.id, since, until)
    if not days:
        return []
    lines = [
        ctx.t.ngettext(
            "Since the {phase} opened on {date} ({n} day):",
            "Since the {phase} opened on {date} ({n} days):",
            len(days),
            phase=phase_label(ctx.t, phase.kind),
            date=ctx.t.date(phase.opens_at),
        ),
        charts.counts(ctx.t, days, consultation.has_votes),
    ]
    if len(days) > 7:
        totals = charts.counts(ctx.t, days[-7:], consultation.has_votes)
        lines.append(ctx._("Last 7 days: {totals}", totals=totals))
    return lines


async def show_overview(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    overview = await stats.overview(ctx.db, consultation.id)
    current = consultation.open_phase(ctx.now)
    head = ctx._("Statistics — {title}", title=consultation.title)
    phase = (
        ctx._(
            "Open now: {phase}, since {date}.",
            phase=phase_label(ctx.t, current.kind),
            date=ctx.t.date(current.opens_at),
        )
        if current
        else ctx._("No phase is open right now.")
    )
    sections = [
        [head, phase],
        _participants(ctx, overview.participation),
        _contributions(ctx, overview, consultation),
        _proposals(ctx, overview, consultation.has_votes),
        _coconstruction(
            ctx,
            await stats.coconstruction(
                ctx.db, consultation.id, volunteers.default_places(consultation.settings)
            ),
        ),
        _regions(ctx, overview.regions),
        await _trend(ctx, consultation),
    ]
    text = "\n\n".join("\n".join(lines) for lines in sections if lines)
    ctx.reply(
        text,
        [
            Choice(ctx._("All proposals with their counts"), Table(table="proposals").pack()),
            Choice(ctx._("By région and département"), Table(table="places").pack()),
            Choice(ctx._("Chart: proposals by supports"), Chart(chart="supports").pack()),
            Choice(ctx._("Chart: participation per day"), Chart(chart="daily").pack()),
            Choice(
                ctx._("Chart: communes taking part by département"),
                Chart(chart="departements").pack(),
            ),
            Choice(ctx._("Download the data (XLSX)"), ExportFiles(files="xlsx").pack()),
        ],
    )


@router.command(
    "stats",
    "stats",
    "stats",
    N_("Participation figures, charts and exports"),
)
async def stats_command(ctx: Context) -> None:
    await show_overview(ctx)
