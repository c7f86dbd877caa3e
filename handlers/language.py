"""``/langue``: the person's language, stored so every message follows it."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.i18n import LOCALES, N_
from bot.core.messages import Choice
from bot.core.router import Router
from storage import persons

router = Router("language")

LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


def language_choices(action: str) -> list[Choice]:
    """Each language is named in itself, so anyone can find their own."""
    return [Choice(LANGUAGE_NAMES[code], f"{action}:{code}") for code in LOCALES]


async def set_language(ctx: Context, code: str) -> None:
    await persons.set_locale(ctx.db, ctx.person.id, code)
    ctx.person = await persons.get(ctx.db, ctx.person.id) or ctx.person


@router.command("language", "langue", "language", N_("Change the language"))
async def language(ctx: Context) -> None:
    wanted = ctx.incoming.arg_text.strip().lower()[:20]
    aliases = {
        "fr": "fr",
        "français": "fr",
        "francais": "fr",
        "french": "fr",
        "en": "en",
        "english": "en",
        "anglais": "en",
    }
    if wanted in aliases:
        await set_language(ctx, aliases[wanted])
        ctx.reply(ctx._("From now on I will write to you in English."))
        return
    if wanted:
        ctx.reply(ctx._("I don't know the language “{wanted}”.", wanted=wanted))
    ctx.reply(ctx._("Choose your language:"), language_choices("lang"))


@router.action("lang")
async def pick(ctx: Context, args: list[str]) -> None:
    if len(args) != 1 or args[0] not in LOCALES:
        ctx.reply(
            ctx._(
                "This button is no longer valid. Type {help} to see what you can do.",
                help=ctx.cmd("help"),
            )
        )
        return
    await set_language(ctx, args[0])
    ctx.reply(ctx._("From now on I will write to you in English."))
