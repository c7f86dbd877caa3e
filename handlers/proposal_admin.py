"""Staff create and edit proposals in the chat: number, title, summary, theme.

Grouping needs usually creates proposals (see ``review``); these commands are
for the proposals staff write themselves or need to correct afterwards.
"""

from __future__ import annotations

from typing import Literal

from bot.core import themes
from bot.core.arguments import CommandArgs, Page, whole_number
from bot.core.callbacks import ButtonData, Id, Token, is_token
from bot.core.context import Context, Refused
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.router import Router
from handlers import follow
from handlers.common import quote, require_consultation, stale_button
from handlers.review import (
    MAX_SUMMARY,
    NewProposalFrom,
    group_into,
    show_contribution_queue,
    waiting_contribution,
)
from storage import contributions, proposals
from storage.consultations import Consultation
from storage.contributions import Contribution

router = Router("proposal_admin", audience="staff", reveals="staff")
FIELD_STEP = "padm.field"
SUMMARY_STEP = "padm.summary"
THEME_STEP = "padm.theme"
TITLE_STEP = "padm.title"
VALUE_STEP = "padm.value"

Field = Literal["number", "title", "summary", "theme"]


class KeepTitle(ButtonData, prefix="padm.keep"):
    contribution: Id


class NewTheme(ButtonData, prefix="padm.th"):
    theme: Token


class ChooseField(ButtonData, prefix="padm.f"):
    field: Field


class SetTheme(ButtonData, prefix="padm.set"):
    theme: Token


FIELDS: tuple[Field, ...] = ("number", "title", "summary", "theme")
MAX_NUMBER = 99_999


def _theme_choices(
    ctx: Context, consultation: Consultation, kind: type[NewTheme] | type[SetTheme]
) -> list[Choice]:
    return [
        Choice(themes.label(ctx.t, key, consultation), kind(theme=key).pack())
        for key in themes.keys(consultation)
        if is_token(key)
    ]


def _check(ctx: Context, field: str, value: str) -> str | None:
    """Why ``value`` cannot go in ``field``, or None."""
    if field == "title" and not 3 <= len(value) <= ctx.config.limits.title_chars:
        return ctx._(
            "A title of 3 to {limit} characters, please.",
            limit=ctx.t.number(ctx.config.limits.title_chars),
        )
    if field == "summary" and not 3 <= len(value) <= MAX_SUMMARY:
        return ctx._(
            "A summary of 3 to {limit} characters, please.", limit=ctx.t.number(MAX_SUMMARY)
        )
    if field == "number" and whole_number(value, least=1, most=MAX_NUMBER) is None:
        return ctx._("A proposal number is a whole number, like 12.")
    return None


@router.command(
    "new_proposal",
    "nouvelle_proposition",
    "new_proposal",
    N_("Create a proposal"),
)
async def new(ctx: Context) -> None:
    await require_consultation(ctx)
    ctx.ask(TITLE_STEP, ctx._("Title of the new proposal?"))


# -- group into a new proposal: the proposal flow, told which contribution to group --
@router.action(NewProposalFrom)
async def new_proposal(ctx: Context, pressed: NewProposalFrom) -> None:
    item = await waiting_contribution(ctx, pressed.contribution)
    ctx.ask(
        TITLE_STEP,
        ctx._("Title of the new proposal? Type it, or choose to keep the contribution's."),
        [
            Choice(
                ctx._("Keep “{title}”", title=quote(item.title, 40)),
                KeepTitle(contribution=item.id).pack(),
            )
        ],
        group=item.id,
    )


@router.action(KeepTitle)
async def keep_title(ctx: Context, pressed: KeepTitle) -> None:
    """The contribution being grouped lends its title to the new proposal."""
    grouped = ctx.conversation.data.get("group")
    if ctx.conversation.step != TITLE_STEP or pressed.contribution != grouped:
        raise stale_button(ctx)
    item = await waiting_contribution(ctx, pressed.contribution)
    await title(ctx, item.title[: ctx.config.limits.title_chars])


@router.step(TITLE_STEP)
async def title(ctx: Context, text: str) -> None:
    problem = _check(ctx, "title", text)
    if problem:
        ctx.ask(TITLE_STEP, problem)
        return
    ctx.ask(
        SUMMARY_STEP,
        ctx._("Summary of the proposal, as participants will read it?"),
        title=text,
    )


@router.step(SUMMARY_STEP)
async def summary(ctx: Context, text: str) -> None:
    problem = _check(ctx, "summary", text)
    if problem:
        ctx.ask(SUMMARY_STEP, problem)
        return
    consultation = await require_consultation(ctx)
    ctx.ask(
        THEME_STEP,
        ctx._("Theme of the proposal?"),
        _theme_choices(ctx, consultation, NewTheme),
        summary=text,
    )


@router.step(THEME_STEP)
async def typed_theme(ctx: Context, text: str) -> None:
    ctx.reply(ctx._("Please choose one of the answers by typing its number."))
    ctx.keep_menu = True


@router.action(NewTheme)
async def theme(ctx: Context, pressed: NewTheme) -> None:
    consultation = await require_consultation(ctx)
    data = ctx.conversation.data
    if ctx.conversation.step != THEME_STEP or pressed.theme not in themes.keys(consultation):
        raise stale_button(ctx)
    group = data.get("group")
    grouped = group if isinstance(group, int) else 0
    item = await waiting_contribution(ctx, grouped) if group else None
    cluster = await _cluster(ctx, data.get("group_all"))
    created = await proposals.create(
        ctx.db,
        consultation.id,
        title=str(data["title"]),
        summary=str(data["summary"]),
        theme=pressed.theme,
        now=ctx.now,
    )
    await ctx.audit("proposal.create", f"proposal:{created.number}", title=created.title)
    ctx.end()
    if cluster:
        done = await group_into(ctx, cluster, created)
        ctx.reply(
            ctx.t.ngettext(
                "Proposal {number} “{title}” is created, with {n} contribution.",
                "Proposal {number} “{title}” is created, with {n} contributions.",
                len(done),
                number=created.number,
                title=created.title,
            )
        )
        return
    if item is None:
        ctx.reply(
            ctx._(
                "Proposal {number} “{title}” is created.",
                number=created.number,
                title=created.title,
            )
        )
        return
    await group_into(ctx, [item], created)
    ctx.reply(
        ctx._(
            "Proposal {number} “{title}” is created, with contribution no. {id}.",
            number=created.number,
            title=created.title,
            id=item.id,
        )
    )
    await show_contribution_queue(ctx)


async def _cluster(ctx: Context, ids: object) -> list[Contribution]:
    """The cluster ``/ressemblances`` handed over, those still waiting; [] if none was."""
    if not isinstance(ids, list):
        return []
    rows = [await contributions.get(ctx.db, i) for i in ids if isinstance(i, int)]
    waiting = [row for row in rows if row is not None and row.status == "submitted"]
    if not waiting:
        raise Refused(ctx._("None of these contributions is waiting any more."))
    return waiting


class EditArgs(CommandArgs):
    usage = N_("Type {command} followed by the proposal number, e.g. {command} 12")
    number: Page


@router.command(
    "edit_proposal",
    "modifier_proposition",
    "edit_proposal",
    N_("Change a proposal: its number, title, summary or theme"),
    args=EditArgs,
)
async def edit(ctx: Context, args: EditArgs) -> None:
    consultation = await require_consultation(ctx)
    found = await proposals.by_number(ctx.db, consultation.id, args.number)
    if found is None:
        raise Refused(ctx._("There is no proposal {number}.", number=args.number))
    labels = {
        "number": ctx._("Number"),
        "title": ctx._("Title"),
        "summary": ctx._("Summary"),
        "theme": ctx._("Theme"),
    }
    ctx.ask(
        FIELD_STEP,
        ctx._(
            "Proposal {number}: “{title}”\n{summary}\nWhat do you want to change?",
            number=found.number,
            title=found.title,
            summary=found.summary,
        ),
        [Choice(labels[field], ChooseField(field=field).pack()) for field in FIELDS],
        id=found.id,
    )


@router.action(ChooseField)
async def field(ctx: Context, pressed: ChooseField) -> None:
    if ctx.conversation.step != FIELD_STEP:
        raise stale_button(ctx)
    if pressed.field == "theme":
        consultation = await require_consultation(ctx)
        ctx.ask(
            FIELD_STEP,
            ctx._("Theme of the proposal?"),
            _theme_choices(ctx, consultation, SetTheme),
        )
        return
    ctx.ask(VALUE_STEP, ctx._("Type the new value."), field=pressed.field)


@router.action(SetTheme)
async def set_theme(ctx: Context, pressed: SetTheme) -> None:
    consultation = await require_consultation(ctx)
    if ctx.conversation.step != FIELD_STEP or pressed.theme not in themes.keys(consultation):
        raise stale_button(ctx)
    await _apply(ctx, "theme", pressed.theme)


@router.step(FIELD_STEP)
async def typed_field(ctx: Context, text: str) -> None:
    ctx.reply(ctx._("Please choose one of the answers by typing its number."))
    ctx.keep_menu = True


@router.step(VALUE_STEP)
async def value(ctx: Context, text: str) -> None:
    field_name = str(ctx.conversation.data.get("field"))
    if field_name not in FIELDS:
        raise stale_button(ctx)
    problem = _check(ctx, field_name, text)
    if problem:
        ctx.ask(VALUE_STEP, problem)
        return
    await _apply(ctx, field_name, text)


async def _apply(ctx: Context, field_name: str, value: str) -> None:
    consultation = await require_consultation(ctx)
    asked = ctx.conversation.data.get("id")
    proposal_id = asked if isinstance(asked, int) else 0
    current = await proposals.get(ctx.db, proposal_id)
    if current is None or current.consultation_id != consultation.id:
        raise stale_button(ctx)
    number = whole_number(value, least=1, most=MAX_NUMBER)
    if field_name == "number" and number is not None:
        taken = await proposals.by_number(ctx.db, consultation.id, number)
        if taken is not None and taken.id != proposal_id:
            raise Refused(
                ctx._(
                    "Number {number} is already taken by “{title}”.",
                    number=value,
                    title=taken.title,
                )
            )
        await proposals.update(ctx.db, proposal_id, now=ctx.now, number=number)
    else:
        await proposals.update(
            ctx.db,
            proposal_id,
            now=ctx.now,
            title=value if field_name == "title" else None,
            summary=value if field_name == "summary" else None,
            theme=value if field_name == "theme" else None,
        )
    await ctx.audit("proposal.update", f"proposal:{current.number}", field=field_name, value=value)
    updated = await proposals.get(ctx.db, proposal_id)
    assert updated is not None
    await follow.edited(ctx, current, updated)
    ctx.end()
    ctx.reply(
        ctx._(
            "Proposal {number} is updated: “{title}”.",
            number=updated.number,
            title=updated.title,
        )
    )
