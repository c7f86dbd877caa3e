"""``/besoin``: the collection of needs (``/mes_besoins`` is ``handlers.my_needs``).

A guided conversation (title, description, theme, collectivité, summary)
whose every step is stored, so a mayor interrupted on the phone finds it where
they left it. Whatever is refused is shown back, so nothing typed is lost.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from bot.core import themes
from bot.core.callbacks import ButtonData, Token
from bot.core.context import Context, Refused
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.router import Router
from bot.core.text import clean_line
from handlers import likeness
from handlers.common import place, require_consultation, stale_button
from handlers.proposal_common import cap
from storage import collectivites, contributions, memberships
from storage.consultations import Consultation

router = Router("needs")
BODY_STEP = "need.body"
COLLECTIVITE_STEP = "need.co"
CONFIRM_STEP = "need.confirm"
THEME_STEP = "need.theme"
TITLE_STEP = "need.title"


class PickTheme(ButtonData, prefix="need.th"):
    theme: Token


class PickCollectivite(ButtonData, prefix="need.co"):
    code: Token


class ChangeField(ButtonData, prefix="need.ed"):
    field: Literal["title", "body", "theme", "code"]


class CancelNeed(ButtonData, prefix="need.no"):
    pass


class SendNeed(ButtonData, prefix="need.ok"):
    pass


ASKED_BY_FIELD = {"title": TITLE_STEP, "body": BODY_STEP}

MIN_TITLE = 3
MIN_BODY = 10
DEFAULT_PER_DAY = 5


async def _member_codes(ctx: Context) -> list[str]:
    return [m.collectivite for m in await memberships.approved_of_person(ctx.db, ctx.person.id)]


async def _check_daily_limit(ctx: Context, consultation: Consultation) -> None:
    per_day = cap(consultation, "contributions_per_day") or DEFAULT_PER_DAY
    if await contributions.count_since(ctx.db, ctx.person.id, ctx.now - timedelta(days=1)) >= (
        per_day
    ):
        raise Refused(
            ctx.t.ngettext(
                "You have already sent {n} need in the last 24 hours, the most allowed. "
                "Please come back tomorrow.",
                "You have already sent {n} needs in the last 24 hours, the most allowed. "
                "Please come back tomorrow.",
                per_day,
            )
        )


def _too_long(ctx: Context, field: str, text: str, limit: int) -> str:
    """Refuse an over-long answer, showing it back so nothing typed is lost."""
    length, most = ctx.t.number(len(text)), ctx.t.number(limit)
    if field == "title":
        message = ctx._(
            "Your title is too long: {length} characters, at most {limit}. Here it is, to "
            "shorten and send again:",
            length=length,
            limit=most,
        )
    else:
        message = ctx._(
            "Your description is too long: {length} characters, at most {limit}. Here it "
            "is, to shorten and send again:",
            length=length,
            limit=most,
        )
    return f"{message}\n\n{text}"


def _ask_title(ctx: Context) -> None:
    ctx.ask(
        TITLE_STEP,
        ctx._(
            "What is the need of your territory? Give it a short title ({limit} characters at "
            "most). Type {cancel} to stop at any time.",
            limit=ctx.t.number(ctx.config.limits.title_chars),
            cancel=ctx.cmd("cancel"),
        ),
    )


def _ask_body(ctx: Context) -> None:
    ctx.ask(
        BODY_STEP,
        ctx._(
            "Describe the need: what you want to do, for whom, what exists already "
            "({limit} characters at most).",
            limit=ctx.t.number(ctx.config.limits.text_chars),
        ),
    )


async def _ask_theme(ctx: Context) -> None:
    consultation = await ctx.consultation()
    choices = [
        Choice(themes.label(ctx.t, key, consultation), PickTheme(theme=key).pack())
        for key in themes.keys(consultation)
    ]
    ctx.ask(THEME_STEP, ctx._("Which theme fits it best?"), choices)


async def _ask_collectivite(ctx: Context, codes: list[str]) -> None:
    choices = []
    for code in codes:
        found = await collectivites.get(ctx.db, code)
        if found is not None:
            choices.append(Choice(place(ctx.t, found), PickCollectivite(code=code).pack()))
    ctx.ask(COLLECTIVITE_STEP, ctx._("On behalf of which collectivité?"), choices)


async def _next(ctx: Context) -> None:
    """After each answer: the first thing still missing, else the summary."""
    data = ctx.conversation.data
    if not data.get("title"):
        _ask_title(ctx)
    elif not data.get("body"):
        _ask_body(ctx)
    elif not data.get("theme"):
        await _ask_theme(ctx)
    elif not data.get("code"):
        codes = await _member_codes(ctx)
        if len(codes) == 1:
            data["code"] = codes[0]
            await summary(ctx)
        else:
            await _ask_collectivite(ctx, codes)
    else:
        await summary(ctx)


async def summary(ctx: Context) -> None:
    data = ctx.conversation.data
    consultation = await ctx.consultation()
    found = await collectivites.get(ctx.db, str(data["code"]))
    if found is None:
        raise stale_button(ctx)
    text = "\n".join(
        [
            ctx._("Your need, before sending it:"),
            "",
            ctx._("Title: {title}", title=data["title"]),
            ctx._("Description: {body}", body=data["body"]),
            ctx._("Theme: {theme}", theme=themes.label(ctx.t, str(data["theme"]), consultation)),
            ctx._("On behalf of: {place}", place=place(ctx.t, found)),
        ]
    )
    choices = [
        Choice(
            ctx._("Save the changes") if data.get("edit_id") else ctx._("Send"),
            SendNeed().pack(),
        ),
        Choice(ctx._("Change the title"), ChangeField(field="title").pack()),
        Choice(ctx._("Change the description"), ChangeField(field="body").pack()),
        Choice(ctx._("Change the theme"), ChangeField(field="theme").pack()),
    ]
    if not data.get("edit_id") and len(await _member_codes(ctx)) > 1:
        choices.append(Choice(ctx._("Change the collectivité"), ChangeField(field="code").pack()))
    choices.append(Choice(ctx._("Cancel"), CancelNeed().pack()))
    if consultation is not None:
        edit_id = data.get("edit_id")
        lines, more = await likeness.for_need(
            ctx,
            consultation.id,
            title=str(data["title"]),
            body=str(data["body"]),
            collectivite=found.code,
            editing=edit_id if isinstance(edit_id, int) else None,
        )
        if lines:
            text += "\n\n" + "\n".join(lines)
        choices += more
    ctx.ask(CONFIRM_STEP, text, choices)


def _require_step(ctx: Context, *steps: str) -> dict[str, Any]:
    if ctx.conversation.step not in steps:
        raise stale_button(ctx)
    return ctx.conversation.data


def _choose_by_number(ctx: Context) -> None:
    ctx.reply(ctx._("Please choose one of the answers by typing its number."))


@router.command(
    "need",
    "besoin",
    "need",
    N_("Describe a need of your territory"),
    audience="member",
    phases=["needs"],
)
async def need(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    await _check_daily_limit(ctx, consultation)
    codes = await _member_codes(ctx)
    code = ctx.person.acting_for if ctx.person.acting_for in codes else None
    ctx.conversation.data = {"code": code} if code and len(codes) == 1 else {}
    await _next(ctx)


async def _answer(
    ctx: Context, field: str, text: str, limit: int, shortest: int, too_short: str
) -> None:
    """Keep a title or a description within bounds; a refused one is shown back."""
    step = ASKED_BY_FIELD[field]
    if len(text) > limit:
        ctx.ask(step, _too_long(ctx, field, text, limit))
    elif len(text) < shortest:
        ctx.ask(step, too_short)
    else:
        ctx.conversation.data[field] = text
        await _next(ctx)


@router.step(TITLE_STEP)
async def title(ctx: Context, text: str) -> None:
    await _answer(
        ctx,
        "title",
        clean_line(text),  # a title is one line; a description keeps its lines
        ctx.config.limits.title_chars,
        MIN_TITLE,
        ctx._("A few words at least, please: what is the need?"),
    )


@router.step(BODY_STEP)
async def body(ctx: Context, text: str) -> None:
    await _answer(
        ctx,
        "body",
        text,
        ctx.config.limits.text_chars,
        MIN_BODY,
        ctx._("Please describe the need in a sentence or two."),
    )


@router.action(PickTheme)
async def theme(ctx: Context, pressed: PickTheme) -> None:
    data = _require_step(ctx, THEME_STEP)
    if pressed.theme not in themes.keys(await ctx.consultation()):
        raise stale_button(ctx)
    data["theme"] = pressed.theme
    await _next(ctx)


@router.action(PickCollectivite)
async def collectivite(ctx: Context, pressed: PickCollectivite) -> None:
    data = _require_step(ctx, COLLECTIVITE_STEP)
    if pressed.code not in await _member_codes(ctx):
        raise stale_button(ctx)
    data["code"] = pressed.code
    await _next(ctx)


@router.step(THEME_STEP)
async def typed_theme(ctx: Context, text: str) -> None:
    _choose_by_number(ctx)
    await _ask_theme(ctx)


@router.step(COLLECTIVITE_STEP)
async def typed_collectivite(ctx: Context, text: str) -> None:
    _choose_by_number(ctx)
    await _ask_collectivite(ctx, await _member_codes(ctx))


@router.step(CONFIRM_STEP)
async def typed_confirm(ctx: Context, text: str) -> None:
    _choose_by_number(ctx)
    await summary(ctx)


@router.action(ChangeField)
async def edit_field(ctx: Context, pressed: ChangeField) -> None:
    data = _require_step(ctx, CONFIRM_STEP)
    previous = data.pop(pressed.field, None)
    if previous and pressed.field in ASKED_BY_FIELD:
        ctx.reply(ctx._("Currently:") + f"\n{previous}")
    await _next(ctx)


@router.action(CancelNeed)
async def cancel(ctx: Context, pressed: CancelNeed) -> None:
    _require_step(ctx, CONFIRM_STEP)
    ctx.end()
    ctx.reply(ctx._("Cancelled. Nothing was saved."))


@router.action(SendNeed, phases=["needs"])
async def send(ctx: Context, pressed: SendNeed) -> None:
    data = _require_step(ctx, CONFIRM_STEP)
    consultation = await require_consultation(ctx)
    code = str(data.get("code", ""))
    fields = {k: str(data.get(k, "")) for k in ("title", "body", "theme")}
    if (
        code not in await _member_codes(ctx)
        or not MIN_TITLE <= len(fields["title"]) <= ctx.config.limits.title_chars
        or not MIN_BODY <= len(fields["body"]) <= ctx.config.limits.text_chars
        or fields["theme"] not in themes.keys(consultation)
    ):
        raise stale_button(ctx)
    edit_id = data.get("edit_id")
    if isinstance(edit_id, int) and edit_id:
        if not await contributions.edit(ctx.db, edit_id, ctx.person.id, now=ctx.now, **fields):
            raise Refused(ctx._("This need can no longer be changed: the staff has reviewed it."))
        ctx.end()
        ctx.reply(ctx._("Your changes are saved."))
        return
    await _check_daily_limit(ctx, consultation)
    number = await contributions.create(
        ctx.db,
        consultation.id,
        author_id=ctx.person.id,
        collectivite=code,
        now=ctx.now,
        **fields,
    )
    ctx.end()
    ctx.reply(
        ctx._(
            "Thank you! Your need no. {number} is recorded. The staff will review it and I "
            "will tell you what becomes of it. See your needs with {mine}.",
            number=number,
            mine=ctx.cmd("my_needs"),
        )
    )
