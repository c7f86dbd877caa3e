"""``/calendrier``: every phase with its dates, the open one and the time left."""

from __future__ import annotations

from bot.core.calendar_text import phase_label, phase_span
from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.router import Router
from handlers.common import require_consultation

router = Router("calendar")


@router.command(
    "calendar",
    "calendrier",
    "calendar",
    N_("The phases and their dates"),
    group_ok=True,
    reveals="public",
)
async def calendar(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    lines = [ctx._("Calendar of the consultation “{title}”:", title=consultation.title), ""]
    for phase in consultation.phases:
        label = phase_label(ctx.t, phase.kind)
        line = f"{phase.position}. {label[:1].upper()}{label[1:]} — {phase_span(ctx.t, phase)}"
        if phase.is_open(ctx.now):
            if phase.closes_at is not None:
                line += " — " + ctx._(
                    "OPEN NOW, {left} left", left=ctx.t.duration(phase.closes_at - ctx.now)
                )
            else:
                line += " — " + ctx._("OPEN NOW")
        elif phase.closes_at is not None and phase.closes_at <= ctx.now:
            line += " — " + ctx._("closed")
        else:
            line += " — " + ctx._(
                "opens in {delay}", delay=ctx.t.duration(phase.opens_at - ctx.now)
            )
        lines.append(line)
    ctx.reply("\n".join(lines))
