"""``/annuler``: leave any flow at any step, with nothing saved."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.router import Router

router = Router("cancel")


@router.command("cancel", "annuler", "cancel", N_("Cancel what you are doing"))
async def cancel(ctx: Context) -> None:
    if ctx.conversation.step:
        ctx.end()
        ctx.reply(ctx._("Cancelled. Nothing was saved."))
    else:
        ctx.reply(ctx._("There is nothing to cancel."))
