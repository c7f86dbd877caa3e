"""``/mes_soutiens``: what each of the person's collectivités has committed, and by whom.

A support commits the collectivité, so every approved member sees them all,
with the display name of whoever committed each one: the mayor knows what the
deputy promised. Agents see them too, with a word on who may change them.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.router import Router
from handlers.common import require_consultation
from handlers.proposal_common import LEVEL_LABELS, ShowProposal, button, cap, heading
from handlers.support import SETTING, OurSupports, may_commit
from storage import memberships, supports

router = Router("our_supports")


async def show_mine(ctx: Context) -> None:
    consultation = await require_consultation(ctx)
    mine = await memberships.approved_of_person(ctx.db, ctx.person.id)
    limit = cap(consultation, SETTING)
    lines: list[str] = []
    choices: list[Choice] = []
    for membership in mine:
        items = await supports.of_collectivite(ctx.db, membership.collectivite, consultation.id)
        if lines:
            lines.append("")
        lines.append(ctx._("Supports of {name}:", name=membership.collectivite_name))
        if not items:
            lines.append(ctx._("No support committed yet."))
        for item in items:
            lines.append(
                "• "
                + ctx._(
                    "{proposal} — {level} — committed by {person} on {date}",
                    proposal=heading(ctx.t, item, 60),
                    level=ctx._(LEVEL_LABELS[item.level]),
                    person=item.committed_by_name or "—",
                    date=ctx.t.date(item.updated_at),
                )
            )
            shown = ShowProposal(proposal=item.proposal_id).pack()
            if len(choices) < 10 and all(c.data != shown for c in choices):
                choices.append(Choice(button(ctx.t, item), shown))
        if limit is not None:
            lines.append(
                ctx._(
                    "Priorities used: {used} of {limit}.",
                    used=ctx.t.number(len(items)),
                    limit=ctx.t.number(limit),
                )
            )
        if not may_commit(consultation, membership):
            lines.append(ctx._("Only its elected officials can commit or change them."))
    ctx.reply("\n".join(lines), choices)


@router.command(
    "my_supports",
    "mes_soutiens",
    "my_supports",
    N_("The supports of your collectivités"),
    audience="member",
    suggested=["support", "selection"],
)
async def my_supports(ctx: Context) -> None:
    await show_mine(ctx)


@router.action(OurSupports, audience="member")
async def mine(ctx: Context, pressed: OurSupports) -> None:
    await show_mine(ctx)
