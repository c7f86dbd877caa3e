"""``/chercher``: proposals by their words, whatever the accents or the capitals.

Words go to SQLite's FTS5 index (``storage.proposals.search``), whose tokenizer
folds accents and case on both sides; a lone number is taken as the proposal
of that number. The step stays open after the results, so a person refines by
simply typing again, and a typed number still picks from the list shown.
"""

from __future__ import annotations

from bot.core.arguments import proposal_number
from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.router import Router
from handlers.common import require_consultation
from handlers.proposal_common import (
    PAGE,
    SearchWords,
    ShowProposal,
    button,
    counts,
    heading,
    supports_begun,
)
from handlers.proposals import show_detail
from storage import proposals
from storage.consultations import Consultation

router = Router("search")
SEARCH_STEP = "prop.search"

MAX_QUERY = 100


async def run_search(ctx: Context, consultation: Consultation, typed: str) -> None:
    query = " ".join(typed.split())
    if len(query) > MAX_QUERY:
        ctx.ask(
            SEARCH_STEP,
            ctx._(
                "That is too long for a search: {limit} characters at most.",
                limit=ctx.t.number(MAX_QUERY),
            ),
        )
        return
    number = proposal_number(query)
    exact = await proposals.by_number(ctx.db, consultation.id, number) if number else None
    if exact is not None:
        ctx.end()
        await show_detail(ctx, consultation, exact)
        return
    found = await proposals.search(ctx.db, consultation.id, query, limit=PAGE + 1)
    if not found:
        ctx.ask(
            SEARCH_STEP,
            ctx._(
                "No proposal matches “{query}”. Type other words, or {command} to see them all.",
                query=query,
                command=ctx.cmd("proposals"),
            ),
        )
        return
    lines = [ctx._("Proposals matching “{query}”:", query=query)]
    with_supports = supports_begun(ctx, consultation)
    lines += [
        f"• {heading(ctx.t, p)} — {counts(ctx.t, p, with_supports, consultation.has_votes)}"
        for p in found[:PAGE]
    ]
    lines.append("")
    if len(found) > PAGE:
        lines.append(
            ctx._(
                "Only the first {count} are shown: add a word to narrow the search.",
                count=ctx.t.number(PAGE),
            )
        )
    lines.append(ctx._("Type other words to search again."))
    choices = [Choice(button(ctx.t, p), ShowProposal(proposal=p.id).pack()) for p in found[:PAGE]]
    ctx.ask(SEARCH_STEP, "\n".join(lines), choices)


def _ask_words(ctx: Context) -> None:
    ctx.ask(
        SEARCH_STEP,
        ctx._(
            "Which words are you looking for? Accents and capitals do not matter "
            "(e.g. “donnees”, “participation citoyenne”)."
        ),
    )


@router.command(
    "search",
    "chercher",
    "search",
    N_("Find proposals by their words"),
    suggested=["vote", "support", "selection"],
    reveals="public",
)
async def search_command(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    if ctx.incoming.args:
        await run_search(ctx, consultation, ctx.incoming.arg_text)
    else:
        _ask_words(ctx)


@router.step(SEARCH_STEP)
async def typed_search(ctx: Context, text: str) -> None:
    await run_search(ctx, await require_consultation(ctx), text)


@router.action(SearchWords)
async def ask_words(ctx: Context, pressed: SearchWords) -> None:
    await require_consultation(ctx)
    _ask_words(ctx)
