"""``/rappels``: a person turns deadline reminders off, or on again.

Announcements of a new phase still reach everyone; only the nudges to those
who have not taken part yet can be silenced.
"""

from __future__ import annotations

from typing import Literal

from bot.core.callbacks import ButtonData
from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.router import Router
from bot.delivery.workdays import SendWindow
from storage import persons, reminders

router = Router("reminders")


class SetReminders(ButtonData, prefix="rem.set"):
    state: Literal["on", "off"]


ON = ("oui", "on", "yes", "activer")
OFF = ("non", "off", "no", "desactiver", "désactiver")


async def _set(ctx: Context, enabled: bool) -> None:
    await reminders.set_enabled(ctx.db, ctx.person.id, enabled)
    ctx.person = await persons.get(ctx.db, ctx.person.id) or ctx.person
    if enabled:
        ctx.reply(ctx._("Reminders are on: I will remind you before each deadline."))
    else:
        ctx.reply(
            ctx._(
                "Reminders are off. You will still receive the announcements of new "
                "phases. Type {command} to turn them on again.",
                command=ctx.cmd("reminders"),
            )
        )


@router.command("reminders", "rappels", "reminders", N_("Turn deadline reminders on or off"))
async def reminders_command(ctx: Context) -> None:
    wanted = ctx.incoming.arg_text.strip().lower()[:20]
    if wanted in ON or wanted in OFF:
        await _set(ctx, wanted in ON)
        return
    if wanted:
        ctx.reply(
            ctx._(
                "I did not understand “{wanted}”: type {command} on or {command} off.",
                wanted=wanted,
                command=ctx.cmd("reminders"),
            )
        )
        return
    if ctx.person.reminders:
        consultation = await ctx.consultation()
        window = SendWindow.from_settings(consultation.settings if consultation else {})
        text = ctx._(
            "Reminders are on: before each deadline, I remind you if you have not "
            "taken part yet (on working days, between {start} and {end}).",
            start=ctx.t.hour(window.start),
            end=ctx.t.hour(window.end),
        )
        choice = Choice(ctx._("Turn reminders off"), SetReminders(state="off").pack())
    else:
        text = ctx._("Reminders are off.")
        choice = Choice(ctx._("Turn reminders on"), SetReminders(state="on").pack())
    ctx.reply(text, [choice])


@router.action(SetReminders)
async def set_reminders(ctx: Context, pressed: SetReminders) -> None:
    await _set(ctx, pressed.state == "on")
