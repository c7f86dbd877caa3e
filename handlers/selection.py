"""``/selection``: the staff record the steering committee's choices, then announce them.

Marks are a shared draft (``storage.selection``) until a staff member confirms
"announce the results"; only then does each proposal leave ``open``, in the
same transaction as the results' fan-out (``handlers.results``), so the people
concerned are told once; their messages are queued once that has committed.
The confirmation remembers the marks it showed, so marks changed meanwhile by
another staff member are shown again, not published unseen.
"""

from __future__ import annotations

from typing import Literal

from bot.core.callbacks import ButtonData, Id
from bot.core.context import Context, Refused
from bot.core.i18n import N_
from bot.core.messages import Choice, Reply
from bot.core.router import Router
from handlers import results
from handlers.common import require_consultation, stale_button
from handlers.proposal_common import (
    PAGE,
    RESULT_LABELS,
    ShowProposal,
    button,
    counts,
    heading,
    proposal_from,
)
from storage import fanouts, proposals, selection
from storage.consultations import Consultation
from storage.proposals import Proposal
from storage.selection import Mark

router = Router("selection", audience="staff", reveals="staff")
CONFIRM_STEP = "sel.confirm"

MarkCode = Literal["s", "n", "u"]
MARK_CODES: dict[MarkCode, Mark | None] = {"s": "selected", "n": "not_selected", "u": None}


class SelectionPage(ButtonData, prefix="sel.l"):
    offset: Id = 0


class MarkProposal(ButtonData, prefix="sel.m"):
    proposal: Id
    mark: MarkCode


class Announce(ButtonData, prefix="sel.ann"):
    pass


class NotNow(ButtonData, prefix="sel.no"):
    pass


class Publish(ButtonData, prefix="sel.go"):
    pass


MARK_LABELS = {
    "selected": N_("marked selected"),
    "not_selected": N_("marked not selected"),
}


async def _all(ctx: Context, consultation: Consultation) -> list[Proposal]:
    return await proposals.page(ctx.db, consultation.id, limit=100_000)


async def panel(
    ctx: Context, consultation: Consultation, proposal: Proposal
) -> tuple[list[str], list[Choice]]:
    """The staff's marking buttons in the detail view, during the selection only."""
    phase = consultation.open_phase(ctx.now)
    if not ctx.person.is_staff or phase is None or phase.kind != "selection":
        return [], []
    if proposal.status != "open":
        return [], []
    mark = (await selection.marks(ctx.db, consultation.id)).get(proposal.id)
    line = (
        ctx._("Staff: {mark}, not announced yet.", mark=ctx._(MARK_LABELS[mark]))
        if mark
        else ctx._("Staff: not marked yet.")
    )
    return [line], await _mark_choices(ctx, consultation, proposal, mark)


async def _mark_choices(
    ctx: Context, consultation: Consultation, proposal: Proposal, mark: Mark | None
) -> list[Choice]:
    number = proposal.id
    choices = []
    if mark != "selected":
        choices.append(
            Choice(ctx._("Mark selected"), MarkProposal(proposal=number, mark="s").pack())
        )
    if mark != "not_selected":
        choices.append(
            Choice(ctx._("Mark not selected"), MarkProposal(proposal=number, mark="n").pack())
        )
    if mark is not None:
        choices.append(
            Choice(ctx._("Clear the mark"), MarkProposal(proposal=number, mark="u").pack())
        )
    items = await _all(ctx, consultation)
    index = next((i for i, p in enumerate(items) if p.id == proposal.id), 0)
    if index + 1 < len(items):
        following = items[index + 1]
        choices.append(
            Choice(
                ctx._("Next: {proposal}", proposal=button(ctx.t, following)),
                ShowProposal(proposal=following.id).pack(),
            )
        )
    back = SelectionPage(offset=index // PAGE * PAGE)
    choices.append(Choice(ctx._("Back to the selection"), back.pack()))
    return choices


async def show_selection(ctx: Context, consultation: Consultation, offset: int = 0) -> None:
    items = await _all(ctx, consultation)
    if not items:
        ctx.reply(ctx._("There is no proposal to select."))
        return
    marks = await selection.marks(ctx.db, consultation.id)
    open_items = [p for p in items if p.status == "open"]
    summary = ctx._(
        "Selection — marked selected: {selected}; marked not selected: {not_selected}; "
        "undecided: {undecided}; announced: {announced}.",
        selected=ctx.t.number(sum(1 for p in open_items if marks.get(p.id) == "selected")),
        not_selected=ctx.t.number(sum(1 for p in open_items if marks.get(p.id) == "not_selected")),
        undecided=ctx.t.number(sum(1 for p in open_items if p.id not in marks)),
        announced=ctx.t.number(len(items) - len(open_items)),
    )
    offset = max(0, min(offset, (len(items) - 1) // PAGE * PAGE))
    lines = [
        summary,
        ctx._(
            "Page {page} of {pages}:",
            page=ctx.t.number(offset // PAGE + 1),
            pages=ctx.t.number((len(items) + PAGE - 1) // PAGE),
        ),
    ]
    choices = []
    for item in items[offset : offset + PAGE]:
        if item.status != "open":
            state = ctx._("announced: {result}", result=ctx._(RESULT_LABELS[item.status]))
        elif item.id in marks:
            state = ctx._(MARK_LABELS[marks[item.id]])
        else:
            state = ctx._("not marked")
        numbers = counts(ctx.t, item, votes=consultation.has_votes)
        lines.append(f"• {heading(ctx.t, item)} — {numbers} — {state}")
        choices.append(Choice(button(ctx.t, item), ShowProposal(proposal=item.id).pack()))
    if offset + PAGE < len(items):
        choices.append(Choice(ctx._("Next page"), SelectionPage(offset=offset + PAGE).pack()))
    if offset > 0:
        previous = SelectionPage(offset=max(0, offset - PAGE))
        choices.append(Choice(ctx._("Previous page"), previous.pack()))
    if any(p.id in marks for p in open_items):
        choices.append(Choice(ctx._("Announce the results"), Announce().pack()))
    ctx.reply("\n".join(lines), choices)


async def _pending(ctx: Context, consultation: Consultation) -> dict[int, Mark]:
    """The marks of proposals not announced yet: what "announce" would publish."""
    marks = await selection.marks(ctx.db, consultation.id)
    still_open = await proposals.of_ids(ctx.db, list(marks))
    return {p.id: marks[p.id] for p in still_open if p.status == "open"}


async def _confirm(ctx: Context, consultation: Consultation, prefix: str = "") -> None:
    marks = await _pending(ctx, consultation)
    marked = await proposals.of_ids(ctx.db, list(marks))
    if not marked:
        ctx.end()
        ctx.reply(
            ctx._("Nothing is marked: mark proposals as selected or not selected first."),
            [Choice(ctx._("Back to the selection"), SelectionPage().pack())],
        )
        return
    told = await results.concerned(ctx, [p.id for p in marked])
    undecided = sum(
        1 for p in await _all(ctx, consultation) if p.status == "open" and p.id not in marks
    )

    def listing(mark: Mark) -> str:
        named = [heading(ctx.t, p) for p in marked if marks[p.id] == mark]
        return "\n".join(f"• {line}" for line in named) or "—"

    text = ctx._(
        "Announce these results? This cannot be undone.\nSelected:\n{selected}\n"
        "Not selected:\n{not_selected}\nUndecided, they stay open: {undecided}.\n"
        "People who will be told: {people}.",
        selected=listing("selected"),
        not_selected=listing("not_selected"),
        undecided=ctx.t.number(undecided),
        people=ctx.t.number(told),
    )
    ctx.ask(
        CONFIRM_STEP,
        prefix + text,
        [
            Choice(ctx._("Announce the results"), Publish().pack()),
            Choice(ctx._("Not now"), NotNow().pack()),
        ],
        marks={str(k): v for k, v in marks.items()},
    )


@router.command(
    "selection",
    "selection",
    "selection",
    N_("Record the steering committee's selection and announce it"),
    phases=["selection"],
)
async def selection_command(ctx: Context) -> None:
    await show_selection(ctx, await require_consultation(ctx))


@router.action(SelectionPage, phases=["selection"])
async def page(ctx: Context, pressed: SelectionPage) -> None:
    await show_selection(ctx, await require_consultation(ctx), pressed.offset)


@router.action(MarkProposal, phases=["selection"])
async def mark(ctx: Context, pressed: MarkProposal) -> None:
    consultation = await require_consultation(ctx)
    proposal = await proposal_from(ctx, consultation, pressed.proposal)
    if proposal.status != "open":
        raise Refused(
            ctx._(
                "{proposal} was already announced ({result}); it cannot be changed.",
                proposal=heading(ctx.t, proposal),
                result=ctx._(RESULT_LABELS[proposal.status]),
            )
        )
    value = MARK_CODES[pressed.mark]
    await selection.mark(ctx.db, consultation.id, proposal.id, value)
    if value is None:
        text = ctx._("{proposal} is no longer marked.", proposal=heading(ctx.t, proposal))
    else:
        text = ctx._(
            "{proposal} is {mark}. Nothing is announced until you choose “{announce}”.",
            proposal=heading(ctx.t, proposal),
            mark=ctx._(MARK_LABELS[value]),
            announce=ctx._("Announce the results"),
        )
    ctx.reply(text, await _mark_choices(ctx, consultation, proposal, value))


@router.action(Announce, phases=["selection"])
async def announce(ctx: Context, pressed: Announce) -> None:
    await _confirm(ctx, await require_consultation(ctx))


@router.action(NotNow)
async def not_now(ctx: Context, pressed: NotNow) -> None:
    ctx.end()
    ctx.reply(ctx._("Nothing was announced. The marks are kept."))


@router.step(CONFIRM_STEP)
async def typed_confirm(ctx: Context, text: str) -> None:
    ctx.end()
    ctx.reply(ctx._("Nothing was announced. The marks are kept."))


@router.action(Publish, phases=["selection"])
async def publish(ctx: Context, pressed: Publish) -> None:
    if ctx.conversation.step != CONFIRM_STEP:
        raise stale_button(ctx)
    consultation = await require_consultation(ctx)
    marks = await _pending(ctx, consultation)
    if ctx.conversation.data.get("marks") != {str(k): v for k, v in marks.items()}:
        await _confirm(ctx, consultation, ctx._("The marks changed meanwhile.") + "\n\n")
        return
    published = [
        proposal_id
        for proposal_id, value in marks.items()
        if await proposals.publish_status(ctx.db, proposal_id, value, ctx.now)
    ]
    await selection.forget(ctx.db, consultation.id, list(marks))
    ctx.end()
    if not published:
        ctx.reply(ctx._("Nothing to announce: these results were already announced."))
        return
    fanout_id = await results.announce(ctx, consultation, published)
    ctx.reply(
        ctx.t.ngettext(
            "The result of {n} proposal is announced.",
            "The results of {n} proposals are announced.",
            len(published),
        ),
        [Choice(ctx._("Back to the selection"), SelectionPage().pack())],
    )

    async def told() -> list[Reply]:
        """Once committed, the results are queued (``bot.delivery.fanout``): how many."""
        job = await fanouts.get(ctx.db, fanout_id)
        count = job.queued if job else 0
        return [
            Reply(ctx.t.ngettext("{n} person is being told.", "{n} people are being told.", count))
        ]

    ctx.after_commit(told)
