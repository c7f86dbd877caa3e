"""``/aide``: what this person can do now, given the open phase and their role."""

from __future__ import annotations

from bot.core.calendar_text import phase_label
from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.router import Command, Router
from storage import memberships

router = Router("help")


async def _visible(ctx: Context, command: Command, phase: str | None, member: bool) -> bool:
    if command.audience == "staff" and not ctx.person.is_staff:
        return False
    if command.audience == "admin" and not ctx.person.is_admin:
        return False
    if command.audience == "member" and not member:
        return False
    return command.phases is None or (phase is not None and phase in command.phases)


@router.command("help", "aide", "help", N_("What you can do now"))
async def help_command(ctx: Context) -> None:
    consultation = await ctx.consultation()
    phase = consultation.open_phase(ctx.now) if consultation else None
    member = bool(await memberships.approved_of_person(ctx.db, ctx.person.id))
    lines: list[str] = []
    if consultation is not None:
        lines.append(consultation.title)
        if phase is not None:
            lines.append(ctx._("Open now: {phase}.", phase=phase_label(ctx.t, phase.kind)))
        else:
            lines.append(ctx._("No phase is open right now."))
    lines.append("")
    lines.append(ctx._("What you can do now:"))
    for command in ctx.commands:
        if await _visible(ctx, command, phase.kind if phase else None, member):
            lines.append(f"{ctx.cmd(command.key)} — {ctx._(command.summary)}")
    if not member:
        lines.append("")
        lines.append(
            ctx._(
                "To take part, first say which collectivité you represent: {start}.",
                start=ctx.cmd("start"),
            )
        )
    ctx.reply("\n".join(lines))
