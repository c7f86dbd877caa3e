"""``/aide``: what this person can do now, given the open phase and their role."""

from __future__ import annotations

from bot.core import rules
from bot.core.calendar_text import phase_label
from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.router import Command, Router
from bot.core.rules import admits
from storage import memberships

router = Router("help")


VOTE_COMMANDS = frozenset({"my_votes"})
"""Commands about votes: not offered by a consultation that has no vote phase."""


def _visible(ctx: Context, command: Command, phase: str | None, member: bool, votes: bool) -> bool:
    """Listed when this person may use it and it is worth offering in the open phase."""
    offered = command.offered_in
    if command.key in VOTE_COMMANDS and not votes:
        return False
    return admits(command.audience, ctx.person, member) and (
        offered is None or (phase is not None and phase in offered)
    )


@router.command(
    "help", "aide", "help", N_("What you can do now"), group_ok=True, reveals="personal"
)
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
        votes = consultation is None or consultation.has_votes
        if _visible(ctx, command, phase.kind if phase else None, member, votes):
            lines.append(f"{ctx.cmd(command.key)} — {ctx._(command.summary)}")
    if not member:
        lines.append("")
        lines.append(
            await rules.pending_notice(ctx)
            or ctx._(
                "To take part, first say which collectivité you represent: {start}.",
                start=ctx.cmd("start"),
            )
        )
    ctx.reply("\n".join(lines))
