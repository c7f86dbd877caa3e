"""``/mes_besoins``: a member's needs, what became of them, and while needs are
collected, changing (through the ``/besoin`` summary) or withdrawing one.
"""

from __future__ import annotations

from bot.core.callbacks import ButtonData, Id
from bot.core.context import Context, Refused
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.router import Router
from handlers.common import quote, stale_button
from handlers.needs import summary
from storage import contributions

router = Router("my_needs")
WITHDRAW_STEP = "need.wd"


class EditNeed(ButtonData, prefix="need.edit"):
    need: Id


class WithdrawNeed(ButtonData, prefix="need.wd"):
    need: Id


class ConfirmWithdrawal(ButtonData, prefix="need.wdok"):
    need: Id


class KeepNeed(ButtonData, prefix="need.keep"):
    pass


STATUS_LABELS = {
    "submitted": N_("received, waiting for the staff's review"),
    "rerouted": N_("re-routed"),
    "grouped": N_("grouped into a proposal"),
    "rejected": N_("not kept"),
    "withdrawn": N_("withdrawn"),
}


@router.command(
    "my_needs",
    "mes_besoins",
    "my_needs",
    N_("Your needs and what became of them"),
    audience="member",
)
async def my_needs(ctx: Context) -> None:
    await show_mine(ctx)


@router.action(EditNeed, phases=["needs"])
async def edit_existing(ctx: Context, pressed: EditNeed) -> None:
    item = await _own_submitted(ctx, pressed.need)
    ctx.conversation.data = {
        "edit_id": item.id,
        "title": item.title,
        "body": item.body,
        "theme": item.theme,
        "code": item.collectivite,
    }
    await summary(ctx)


@router.action(WithdrawNeed, phases=["needs"])
async def withdraw(ctx: Context, pressed: WithdrawNeed) -> None:
    item = await _own_submitted(ctx, pressed.need)
    ctx.ask(
        WITHDRAW_STEP,
        ctx._(
            "Withdraw your need “{title}”? The staff will not review it.",
            title=quote(item.title),
        ),
        [
            Choice(ctx._("Yes, withdraw it"), ConfirmWithdrawal(need=item.id).pack()),
            Choice(ctx._("No, keep it"), KeepNeed().pack()),
        ],
        withdraw_id=item.id,
    )


@router.action(ConfirmWithdrawal, phases=["needs"])
async def withdraw_ok(ctx: Context, pressed: ConfirmWithdrawal) -> None:
    if ctx.conversation.step != WITHDRAW_STEP:
        raise stale_button(ctx)
    item = await _own_submitted(ctx, pressed.need)
    if ctx.conversation.data.get("withdraw_id") != item.id:
        raise stale_button(ctx)
    await contributions.withdraw(ctx.db, item.id, ctx.person.id, ctx.now)
    ctx.end()
    ctx.reply(ctx._("Your need “{title}” is withdrawn.", title=quote(item.title)))


@router.action(KeepNeed)
async def keep(ctx: Context, pressed: KeepNeed) -> None:
    ctx.end()
    ctx.reply(ctx._("Nothing was changed."))


@router.step(WITHDRAW_STEP)
async def typed_withdraw(ctx: Context, text: str) -> None:
    ctx.end()
    ctx.reply(ctx._("Nothing was changed."))


async def _own_submitted(ctx: Context, need_id: int) -> contributions.Contribution:
    item = await contributions.get(ctx.db, need_id)
    if item is None or item.author_id != ctx.person.id:
        raise stale_button(ctx)
    if item.status != "submitted":
        raise Refused(ctx._("This need can no longer be changed: the staff has reviewed it."))
    return item


def describe(ctx: Context, item: contributions.Contribution) -> str:
    """One line per need with its fate, as its author should read it."""
    status = ctx._(STATUS_LABELS[item.status])
    number = ctx._("no. {number}", number=item.id)
    line = f"{number} — {quote(item.title)} — {item.collectivite_name} — {status}"
    if item.status == "grouped" and item.proposal_number is not None:
        line += " " + ctx._(
            "(proposal {number}: {title})",
            number=item.proposal_number,
            title=quote(item.proposal_title or ""),
        )
    elif item.status in ("rerouted", "rejected") and item.reason:
        line += " — " + item.reason
        if item.pointer:
            line += " — " + ctx._("where to go: {pointer}", pointer=item.pointer)
    return line


async def show_mine(ctx: Context) -> None:
    consultation = await ctx.consultation()
    if consultation is None:
        raise Refused(ctx._("No consultation is running at the moment."))
    mine = await contributions.of_author(ctx.db, ctx.person.id, consultation.id)
    if not mine:
        ctx.reply(
            ctx._(
                "You have not sent any need yet. Type {need} to describe one.", need=ctx.cmd("need")
            )
        )
        return
    phase = consultation.open_phase(ctx.now)
    editable = phase is not None and phase.kind == "needs"
    choices = []
    for item in mine:
        if editable and item.status == "submitted":
            choices.append(
                Choice(
                    ctx._("Change “{title}”", title=quote(item.title, 30)),
                    EditNeed(need=item.id).pack(),
                )
            )
            choices.append(
                Choice(
                    ctx._("Withdraw “{title}”", title=quote(item.title, 30)),
                    WithdrawNeed(need=item.id).pack(),
                )
            )
    lines = [ctx._("Your needs:")] + ["• " + describe(ctx, item) for item in mine]
    ctx.reply("\n".join(lines), choices)
