"""The second screens of ``/stats``: long tables in pages, and the charts.

Kept apart from the overview so each stays short. Every entry point re-checks
the staff role: these are reached by buttons or typed numbers, which prove
nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Literal

from bot.core.context import Context
from bot.core.messages import Choice, Image, Reply
from bot.core.router import Router
from bot.render import charts
from handlers.common import require_consultation
from handlers.stats import PAGE, Chart, Table, phase_window, proposal_line, trend_phase
from storage import stats

router = Router("stats_views", audience="staff", reveals="staff")


def _draw(ctx: Context, caption: str, draw: Callable[[], Image]) -> None:
    """Draw once the event is committed, in a worker thread: matplotlib takes
    0.3–0.8 s, during which the database stays free for everyone else."""

    async def drawn() -> list[Reply]:
        return [Reply(caption, image=await asyncio.to_thread(draw))]

    ctx.after_commit(drawn)


def _more(
    ctx: Context, table: Literal["proposals", "places"], offset: int, total: int
) -> list[Choice]:
    choices = []
    if offset + PAGE < total:
        choices.append(Choice(ctx._("Next page"), Table(table=table, offset=offset + PAGE).pack()))
    if offset > 0:
        previous = Table(table=table, offset=max(0, offset - PAGE))
        choices.append(Choice(ctx._("Previous page"), previous.pack()))
    return choices


def _page_head(ctx: Context, offset: int, shown: int, total: int) -> str:
    return ctx._(
        "({first}–{last} of {total})",
        first=ctx.t.number(offset + 1),
        last=ctx.t.number(offset + shown),
        total=ctx.t.number(total),
    )


async def proposals_table(ctx: Context, offset: int) -> None:
    consultation = await require_consultation(ctx)
    ranked = await stats.proposals(ctx.db, consultation.id)
    if not ranked:
        ctx.reply(ctx._("There are no proposals yet."))
        return
    offset = min(offset, (len(ranked) - 1) // PAGE * PAGE)
    page = ranked[offset : offset + PAGE]
    lines = [ctx._("Proposals by supports") + " " + _page_head(ctx, offset, len(page), len(ranked))]
    for rank, proposal in enumerate(page, start=offset + 1):
        lines.append(
            proposal_line(ctx, rank, proposal, consultation.has_votes)
            + ctx._(", contributions {count}", count=ctx.t.number(proposal.contributions))
        )
    ctx.reply("\n".join(lines), _more(ctx, "proposals", offset, len(ranked)))


async def places_table(ctx: Context, offset: int) -> None:
    consultation = await require_consultation(ctx)
    departements = await stats.departements(ctx.db, consultation.id)
    if not departements:
        ctx.reply(ctx._("No collectivité takes part yet."))
        return
    lines: list[str] = []
    if offset == 0:
        lines.append(ctx._("By région (collectivités taking part, members):"))
        for area in await stats.regions(ctx.db, consultation.id):
            lines.append(
                f"• {area.name}: {ctx.t.number(area.collectivites)}, {ctx.t.number(area.members)}"
            )
        lines.append("")
    offset = min(offset, (len(departements) - 1) // PAGE * PAGE)
    page = departements[offset : offset + PAGE]
    lines.append(
        ctx._("By département (communes taking part out of all, share; collectivités; members):")
        + " "
        + _page_head(ctx, offset, len(page), len(departements))
    )
    for area in page:
        lines.append(
            ctx._(
                "• {name} ({code}): {communes}/{total} ({share}); {collectivites}; {members}",
                name=area.name,
                code=area.code,
                communes=ctx.t.number(area.communes),
                total=ctx.t.number(area.communes_total),
                share=charts.percent(ctx.t, area.share),
                collectivites=ctx.t.number(area.collectivites),
                members=ctx.t.number(area.members),
            )
        )
    ctx.reply("\n".join(lines), _more(ctx, "places", offset, len(departements)))


async def supports_chart(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    ranked = await stats.proposals(ctx.db, consultation.id)
    if not any(p.supports for p in ranked):
        ctx.reply(ctx._("No collectivité has committed a support yet: there is nothing to draw."))
        return
    _draw(ctx, ctx._("Proposals ranked by supports."), partial(charts.supports, ctx.t, ranked))


async def daily_chart(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    phase = trend_phase(consultation, ctx.now)
    if phase is None:
        ctx.reply(ctx._("No phase has opened yet: there is nothing to draw."))
        return
    since, until = phase_window(phase, ctx.now)
    days = await stats.daily(ctx.db, consultation.id, since, until)
    if not days:
        ctx.reply(ctx._("No phase has opened yet: there is nothing to draw."))
        return
    caption = ctx._("Participation per day since the phase opened.")
    _draw(ctx, caption, partial(charts.daily, ctx.t, days, consultation.has_votes))


async def departements_chart(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    areas = await stats.departements(ctx.db, consultation.id)
    if not any(a.communes for a in areas):
        ctx.reply(ctx._("No commune takes part yet: there is nothing to draw."))
        return
    caption = ctx._("Share of communes taking part, by département.")
    _draw(ctx, caption, partial(charts.departements, ctx.t, areas))


CHARTS: dict[str, Callable[[Context], Awaitable[None]]] = {
    "supports": supports_chart,
    "daily": daily_chart,
    "departements": departements_chart,
}


@router.action(Table)
async def table(ctx: Context, pressed: Table) -> None:
    if pressed.table == "proposals":
        await proposals_table(ctx, pressed.offset)
    else:
        await places_table(ctx, pressed.offset)


@router.action(Chart)
async def chart(ctx: Context, pressed: Chart) -> None:
    await CHARTS[pressed.chart](ctx)
