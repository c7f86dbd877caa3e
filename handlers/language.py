"""``/langue``: the person's language, stored so every message follows it."""

from __future__ import annotations

from typing import Literal, get_args

from bot.core.callbacks import ButtonData
from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.router import Router
from storage import persons

router = Router("language")

LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


Language = Literal["fr", "en"]
"""The catalogs shipped (``bot.core.i18n.LOCALES``), as a type button data can check."""


class PickLanguage(ButtonData, prefix="lang"):
    locale: Language


def language_choices(kind: type[PickLanguage] = PickLanguage) -> list[Choice]:
    """Each language is named in itself, so anyone can find their own."""
    return [Choice(LANGUAGE_NAMES[code], kind(locale=code).pack()) for code in get_args(Language)]


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
    ctx.reply(ctx._("Choose your language:"), language_choices())


@router.action(PickLanguage)
async def pick(ctx: Context, pressed: PickLanguage) -> None:
    await set_language(ctx, pressed.locale)
    ctx.reply(ctx._("From now on I will write to you in English."))
