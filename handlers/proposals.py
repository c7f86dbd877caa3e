"""``/propositions`` and ``/proposition 12``: the proposals, a phone screen at a time.

Browsing is open to everyone in every phase: a mayor deciding whether to join
should see what is on the table. The detail view gathers what each phase lets
this person do with the proposal (vote, support, mark for selection) from the
modules that own those actions, so the buttons shown are the ones that would
be accepted now; the actions still check everything again when pressed.
"""

from __future__ import annotations

from bot.core import themes
from bot.core.arguments import proposal_number
from bot.core.callbacks import ButtonData, is_token
from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.router import Router
from handlers import cooperate, follow, selection, support, vote
from handlers.common import require_consultation, stale_button
from handlers.proposal_common import (
    PAGE,
    RESULT_LABELS,
    ProposalPage,
    SearchWords,
    ShowProposal,
    button,
    counts,
    heading,
    number_label,
    proposal_from,
    supports_begun,
)
from storage import collectivites, proposals, supports
from storage.consultations import Consultation
from storage.proposals import Proposal

router = Router("proposals")


class PickTheme(ButtonData, prefix="prop.th"):
    pass


def _short(key: str) -> bool:
    """Theme keys travel in button data, which Telegram caps at 64 bytes with the
    rest; a deployment's longer (or unusual) keys can still be typed (``/propositions …``)."""
    return is_token(key)


def _known_theme(ctx: Context, consultation: Consultation, theme: str | None) -> str | None:
    """A theme key from button data; anything unknown is a forged or stale button."""
    if theme is not None and theme not in themes.keys(consultation):
        raise stale_button(ctx)
    return theme


def _typed_theme(ctx: Context, consultation: Consultation, typed: str) -> str | None:
    """``/propositions donnees`` → data: a theme by its key or label, accents aside."""
    wanted = collectivites.normalise(typed)
    if not wanted:
        return None
    for key in themes.keys(consultation):
        if wanted in (key, collectivites.normalise(themes.label(ctx.t, key, consultation))):
            return key
    for key in themes.keys(consultation):
        if collectivites.normalise(themes.label(ctx.t, key, consultation)).startswith(wanted):
            return key
    return None


async def show_page(
    ctx: Context, consultation: Consultation, offset: int = 0, theme: str | None = None
) -> None:
    total = await proposals.count(ctx.db, consultation.id, theme)
    theme_label = themes.label(ctx.t, theme, consultation) if theme else ""
    if total == 0:
        if theme:
            ctx.reply(
                ctx._("No proposal in the theme “{theme}”.", theme=theme_label),
                [Choice(ctx._("All themes"), ProposalPage().pack())],
            )
        else:
            ctx.reply(
                ctx._(
                    "There is no proposal yet: the staff groups the needs into proposals once "
                    "their collection is over."
                )
            )
        return
    offset = max(0, min(offset, (total - 1) // PAGE * PAGE))
    items = await proposals.page(ctx.db, consultation.id, theme=theme, limit=PAGE, offset=offset)
    where = {
        "page": ctx.t.number(offset // PAGE + 1),
        "pages": ctx.t.number((total + PAGE - 1) // PAGE),
        "total": ctx.t.number(total),
    }
    lines = [
        ctx._(
            "Proposals on “{theme}”, page {page} of {pages} ({total} in all):",
            theme=theme_label,
            **where,
        )
        if theme
        else ctx._("Proposals, page {page} of {pages} ({total} in all):", **where)
    ]
    kept = theme if theme and _short(theme) else None
    with_supports = supports_begun(ctx, consultation)
    choices = []
    for item in items:
        parts = [heading(ctx.t, item)]
        if not theme:
            parts.append(themes.label(ctx.t, item.theme, consultation))
        parts.append(counts(ctx.t, item, with_supports, consultation.has_votes))
        if item.status != "open":
            parts.append(ctx._(RESULT_LABELS[item.status]))
        lines.append("• " + " — ".join(parts))
        choices.append(
            Choice(
                button(ctx.t, item),
                ShowProposal(proposal=item.id, offset=offset, theme=kept).pack(),
            )
        )
    lines.append("")
    lines.append(
        ctx._(
            "To see one, choose it or type {command} followed by its number.",
            command=ctx.cmd("proposal"),
        )
    )
    if offset + PAGE < total:
        choices.append(
            Choice(ctx._("Next page"), ProposalPage(offset=offset + PAGE, theme=kept).pack())
        )
    if offset > 0:
        previous = ProposalPage(offset=max(offset - PAGE, 0), theme=kept)
        choices.append(Choice(ctx._("Previous page"), previous.pack()))
    if theme:
        choices.append(Choice(ctx._("All themes"), ProposalPage().pack()))
    else:
        choices.append(Choice(ctx._("Filter by theme"), PickTheme().pack()))
    choices.append(Choice(ctx._("Search by words"), SearchWords().pack()))
    ctx.reply("\n".join(lines), choices)


async def show_detail(
    ctx: Context,
    consultation: Consultation,
    proposal: Proposal,
    back: ProposalPage | None = None,
) -> None:
    lines = [
        ctx._(
            "Proposal {number}: {title}",
            number=number_label(ctx.t, proposal.number),
            title=proposal.title,
        ),
        ctx._("Theme: {theme}", theme=themes.label(ctx.t, proposal.theme, consultation)),
    ]
    if proposal.status != "open":
        lines.append(ctx._("Result: {result}", result=ctx._(RESULT_LABELS[proposal.status])))
    if proposal.summary:
        lines += ["", proposal.summary]
    origin = await proposals.origin(ctx.db, proposal.id)
    lines.append("")
    if origin.contributions:
        lines.append(
            ctx._(
                "Contributions it grew from: {count}, from {places} (themes: {themes}).",
                count=ctx.t.number(origin.contributions),
                places=ctx.t.ngettext(
                    "{n} collectivité", "{n} collectivités", origin.collectivites
                ),
                themes=", ".join(
                    f"{themes.label(ctx.t, key, consultation)} ({ctx.t.number(n)})"
                    for key, n in origin.themes.items()
                ),
            )
        )
    if supports_begun(ctx, consultation):
        levels = await supports.levels(ctx.db, proposal.id)
        if consultation.has_votes:
            lines.append(
                ctx._(
                    "Votes so far: {votes}. Supporting collectivités: {supports}, of which "
                    "ready to co-build: {co}.",
                    votes=ctx.t.number(proposal.votes),
                    supports=ctx.t.number(proposal.supports),
                    co=ctx.t.number(levels.get("co_construction", 0)),
                )
            )
        else:
            lines.append(
                ctx._(
                    "Supporting collectivités: {supports}, of which ready to co-build: {co}.",
                    supports=ctx.t.number(proposal.supports),
                    co=ctx.t.number(levels.get("co_construction", 0)),
                )
            )
    elif consultation.has_votes:
        lines.append(ctx._("Votes so far: {votes}.", votes=ctx.t.number(proposal.votes)))
    choices: list[Choice] = []
    for panel in (vote.panel, support.panel, selection.panel, cooperate.panel, follow.panel):
        more_lines, more_choices = await panel(ctx, consultation, proposal)
        if more_lines:
            lines += ["", *more_lines]
        choices += more_choices
    choices.append(Choice(ctx._("Back to the list"), (back or ProposalPage()).pack()))
    ctx.reply("\n".join(lines), choices)


@router.command(
    "proposals",
    "propositions",
    "proposals",
    N_("Browse the proposals, by theme"),
    suggested=["vote", "support", "selection"],
    reveals="public",
)
async def list_command(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    typed = ctx.incoming.arg_text.strip()
    number = proposal_number(typed) if typed else None
    found = await proposals.by_number(ctx.db, consultation.id, number) if number else None
    if found is not None:
        await show_detail(ctx, consultation, found)
        return
    if number is not None:
        ctx.reply(ctx._("There is no proposal numbered “{typed}”.", typed=typed[:20]))
        await show_page(ctx, consultation)
        return
    theme = _typed_theme(ctx, consultation, typed) if typed else None
    if typed and theme is None:
        ctx.reply(ctx._("I know no theme called “{theme}”.", theme=typed[:40]))
        await _themes(ctx, consultation)
        return
    await show_page(ctx, consultation, 0, theme)


@router.command(
    "proposal",
    "proposition",
    "proposal",
    N_("One proposal, by its number"),
    suggested=["vote", "support", "selection"],
)
async def detail_command(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    number = proposal_number(ctx.incoming.arg_text) if ctx.incoming.args else None
    found = await proposals.by_number(ctx.db, consultation.id, number) if number else None
    if found is None:
        example = ctx.cmd("proposal") + " 12"
        if ctx.incoming.args:
            typed = ctx.incoming.arg_text[:20]
            ctx.reply(ctx._("There is no proposal numbered “{typed}”.", typed=typed))
        ctx.reply(ctx._("Type the number after the command, e.g. {example}.", example=example))
        await show_page(ctx, consultation)
        return
    await show_detail(ctx, consultation, found)


@router.action(ProposalPage)
async def page(ctx: Context, pressed: ProposalPage) -> None:
    consultation = await require_consultation(ctx)
    theme = _known_theme(ctx, consultation, pressed.theme)
    await show_page(ctx, consultation, pressed.offset, theme)


@router.action(PickTheme)
async def pick_theme(ctx: Context, pressed: PickTheme) -> None:
    await _themes(ctx, await require_consultation(ctx))


@router.action(ShowProposal)
async def detail(ctx: Context, pressed: ShowProposal) -> None:
    consultation = await require_consultation(ctx)
    proposal = await proposal_from(ctx, consultation, pressed.proposal)
    back = None
    if pressed.offset is not None:
        theme = _known_theme(ctx, consultation, pressed.theme)
        back = ProposalPage(offset=pressed.offset, theme=theme)
    await show_detail(ctx, consultation, proposal, back)


async def _themes(ctx: Context, consultation: Consultation) -> None:
    """The themes that have proposals, with how many, to filter the list."""
    counted = await proposals.count_by_theme(ctx.db, consultation.id)
    choices = [
        Choice(
            f"{themes.label(ctx.t, key, consultation)} ({ctx.t.number(counted[key])})",
            ProposalPage(theme=key).pack(),
        )
        for key in themes.keys(consultation)
        if counted.get(key) and _short(key)
    ]
    choices.append(Choice(ctx._("All themes"), ProposalPage().pack()))
    ctx.reply(ctx._("Which theme?"), choices)
