"""``/confidentialite``, ``/mes_donnees``, ``/supprimer_compte``: the person's rights.

Guichet holds the names, roles and messages of public officials; a French
public body owes them access to all of it and erasure on request (RGPD).
"""

from __future__ import annotations

import json

from bot.core.callbacks import ButtonData
from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.messages import Choice, File, Reply
from bot.core.router import Router
from handlers.common import stale_button
from storage import personal_data

router = Router("privacy")


async def _scrubbed(ctx: Context) -> list[Reply]:
    """The erased bytes leave the write-ahead log once the erasure is committed."""
    await personal_data.scrub(ctx.db)
    return []


CONFIRM_ERASE_STEP = "gdpr.confirm"


class Erase(ButtonData, prefix="gdpr.erase"):
    pass


class Keep(ButtonData, prefix="gdpr.keep"):
    pass


@router.command(
    "privacy",
    "confidentialite",
    "privacy",
    N_("What is kept about you, why and for how long"),
    reveals="public",
)
async def privacy(ctx: Context) -> None:
    contact = ctx.config.privacy_contact or ctx._(
        "the consultation team, with {command} in this chat", command=ctx.cmd("contact")
    )
    ctx.reply(
        ctx._(
            "Your personal data\n\n"
            "What is kept: your identity on this messenger and the name it shows, your "
            "language, the collectivités you represent and your role, the needs you wrote, "
            "your votes and the supports you committed for your collectivité.\n"
            "Why: to run the national consultation, check who speaks for which "
            "collectivité, and tell you what becomes of your contributions.\n"
            "For how long: {days} days after your last message, then it is erased "
            "automatically. The supports of your collectivité and the vote counts stay, "
            "without your name.\n"
            "Who sees it: the consultation staff only; the steering committee receives "
            "counts and the supports of collectivités, not your messages.\n"
            "Your rights: {export} sends you everything held about you; {delete} erases it. "
            "Contact: {contact}.",
            days=ctx.t.number(ctx.config.retention_days),
            export=ctx.cmd("my_data"),
            delete=ctx.cmd("delete_me"),
            contact=contact,
        )
    )


@router.command("my_data", "mes_donnees", "my_data", N_("Receive everything held about you"))
async def my_data(ctx: Context) -> None:
    data = await personal_data.export(ctx.db, ctx.person.id)
    content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    ctx.reply(
        ctx._("Here is everything Guichet holds about you, as a JSON file."),
        file=File("guichet-personal-data.json", content, "application/json"),
    )


@router.command("delete_me", "supprimer_compte", "delete_me", N_("Erase your personal data"))
async def delete_me(ctx: Context) -> None:
    ctx.ask(
        CONFIRM_ERASE_STEP,
        ctx._(
            "Erase your personal data? Your identity, your memberships and the texts you "
            "wrote will be erased; the supports of your collectivité and the vote counts "
            "stay, without your name. This cannot be undone."
        ),
        [
            Choice(ctx._("Yes, erase my data"), Erase().pack()),
            Choice(ctx._("No"), Keep().pack()),
        ],
    )


@router.action(Erase)
async def erase(ctx: Context, pressed: Erase) -> None:
    if ctx.conversation.step != CONFIRM_ERASE_STEP:
        raise stale_button(ctx)
    await personal_data.erase(ctx.db, ctx.person.id, ctx.now)
    ctx.after_commit(lambda: _scrubbed(ctx))
    ctx.end()
    ctx.reply(ctx._("Your personal data is erased. Thank you for taking part."))


@router.action(Keep)
async def keep(ctx: Context, pressed: Keep) -> None:
    ctx.end()
    ctx.reply(ctx._("Nothing was changed."))


@router.step(CONFIRM_ERASE_STEP)
async def typed(ctx: Context, text: str) -> None:
    ctx.end()
    ctx.reply(ctx._("Nothing was changed."))
