"""``/moderation``: the staff's queue of membership claims, one at a time.

Every decision re-checks the staff role on the server, since a button proves
nothing, and tells the person through the outbox in their own language.
"""

from __future__ import annotations

from bot.core import evidence
from bot.core.callbacks import ButtonData, Id
from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.messages import Choice, Reply
from bot.core.router import Router
from bot.core.text import chosen
from handlers.common import ROLE_LABELS
from handlers.contact import MessageQueue, show_messages
from handlers.review import ContributionQueue, show_contribution_queue
from storage import collectivites, contact, contributions, memberships, persons

router = Router("moderation", audience="staff", reveals="staff")


class MembershipQueue(ButtonData, prefix="mod.next"):
    offset: Id = 0


class Approve(ButtonData, prefix="mod.ok"):
    membership: Id


class Decline(ButtonData, prefix="mod.no"):
    membership: Id


async def show_queue(ctx: Context, offset: int = 0) -> None:
    total = await memberships.queue_size(ctx.db)
    if total == 0:
        ctx.reply(ctx._("No membership request is waiting. Well done!"))
        return
    offset = offset % total
    item = (await memberships.queue(ctx.db, limit=1, offset=offset))[0]
    found = await collectivites.get(ctx.db, item.collectivite)
    population = ctx.t.number(found.population) if found and found.population else "—"
    # The identity the platform vouches for comes first, on its own line; the
    # name the person chose comes after, quoted and said to be theirs.
    if item.requested_role is not None:
        ctx.reply(
            ctx._(
                "Change of role {index} of {total}:\n"
                "Identity, verified by the platform: {evidence}\n"
                "Name, chosen by the person: {person}\n"
                "Approved as {role} of {name} ({departement}), asks to become {new_role}. "
                "Until you decide, the approved role stays.",
                index=ctx.t.number(offset + 1),
                total=ctx.t.number(total),
                person=chosen(item.person_name),
                name=item.collectivite_name,
                departement=item.departement or "—",
                role=ctx._(ROLE_LABELS[item.role]),
                new_role=ctx._(ROLE_LABELS[item.requested_role]),
                evidence=evidence.describe(ctx.t, item.evidence),
            ),
            _decision_choices(ctx, item.id, offset, total),
        )
        return
    text = ctx._(
        "Membership request {index} of {total}:\n"
        "Identity, verified by the platform: {evidence}\n"
        "Name, chosen by the person: {person}\n"
        "Asks to represent {name} ({departement}, {population} inhabitants) as {role}.\n"
        "Requested on {date}.",
        index=ctx.t.number(offset + 1),
        total=ctx.t.number(total),
        person=chosen(item.person_name),
        name=item.collectivite_name,
        departement=item.departement or "—",
        population=population,
        role=ctx._(ROLE_LABELS[item.role]),
        date=ctx.t.datetime(item.created_at),
        evidence=evidence.describe(ctx.t, item.evidence),
    )
    ctx.reply(text, _decision_choices(ctx, item.id, offset, total))


def _decision_choices(ctx: Context, item_id: int, offset: int, total: int) -> list[Choice]:
    choices = [
        Choice(ctx._("Approve"), Approve(membership=item_id).pack()),
        Choice(ctx._("Reject"), Decline(membership=item_id).pack()),
    ]
    if total > 1:
        choices.append(Choice(ctx._("Next request"), MembershipQueue(offset=offset + 1).pack()))
    return choices


@router.command(
    "moderation",
    "moderation",
    "review",
    N_("Review the requests waiting for the staff"),
)
async def moderation(ctx: Context) -> None:
    consultation = await ctx.consultation()
    members = await memberships.queue_size(ctx.db)
    waiting = await contributions.queue_size(ctx.db, consultation.id) if consultation else 0
    messages = await contact.count_waiting(ctx.db)
    queues = []
    if members:
        queues.append(
            Choice(
                ctx._("Membership requests ({count})", count=ctx.t.number(members)),
                MembershipQueue().pack(),
            )
        )
    if waiting:
        queues.append(
            Choice(
                ctx._("Contributions ({count})", count=ctx.t.number(waiting)),
                ContributionQueue().pack(),
            )
        )
    if messages:
        queues.append(
            Choice(
                ctx._("Messages to the team ({count})", count=ctx.t.number(messages)),
                MessageQueue().pack(),
            )
        )
    if len(queues) > 1:
        ctx.reply(ctx._("Waiting for review:"), queues)
    elif messages:
        await show_messages(ctx)
    elif waiting:
        await show_contribution_queue(ctx)
    else:
        await show_queue(ctx)


@router.action(MembershipQueue)
async def next_item(ctx: Context, pressed: MembershipQueue) -> None:
    await show_queue(ctx, pressed.offset)


async def _decide_change(
    ctx: Context, item: memberships.Membership, asked: str, approve: bool
) -> None:
    """A change of role decided: either way the person stays an approved member."""
    await ctx.audit(
        "membership.change_approve" if approve else "membership.change_reject",
        f"membership:{item.id}",
        person=item.person_id,
        collectivite=item.collectivite,
        role=item.role,
        requested_role=asked,
    )
    ctx.reply(
        ctx._(
            "Change of role approved: {person} is now {role} of {name}.",
            person=chosen(item.person_name),
            role=ctx._(ROLE_LABELS[asked]),
            name=item.collectivite_name,
        )
        if approve
        else ctx._(
            "Change of role rejected: {person} remains {role} of {name}.",
            person=chosen(item.person_name),
            role=ctx._(ROLE_LABELS[item.role]),
            name=item.collectivite_name,
        )
    )
    await ctx.notify(
        item.person_id,
        "membership",
        lambda r: Reply(
            r._(
                "Your role for {name} is now {role}.",
                name=item.collectivite_name,
                role=r._(ROLE_LABELS[asked]),
            )
            if approve
            else r._(
                "Your request to become {new_role} for {name} was not approved; you remain "
                "{role}. If you think this is a mistake, write to the consultation team "
                "with {contact}.",
                new_role=r._(ROLE_LABELS[asked]),
                name=item.collectivite_name,
                role=r._(ROLE_LABELS[item.role]),
                contact=r.cmd("contact"),
            )
        ),
    )


async def decide(ctx: Context, membership_id: int, approve: bool) -> None:
    item = await memberships.get(ctx.db, membership_id)
    if item is None or not await memberships.decide(
        ctx.db, item.id, "approved" if approve else "rejected", ctx.person.id, ctx.now
    ):
        ctx.reply(ctx._("This request was already decided."))
        await show_queue(ctx)
        return
    if item.requested_role is not None:
        await _decide_change(ctx, item, item.requested_role, approve)
        await show_queue(ctx)
        return
    await ctx.audit(
        "membership.approve" if approve else "membership.reject",
        f"membership:{item.id}",
        person=item.person_id,
        collectivite=item.collectivite,
        role=item.role,
    )
    if approve:
        member = await persons.get(ctx.db, item.person_id)
        if member is not None and member.acting_for is None:
            await persons.set_acting_for(ctx.db, member.id, item.collectivite)
        ctx.reply(
            ctx._(
                "Approved: {person} for {name}.",
                person=chosen(item.person_name),
                name=item.collectivite_name,
            )
        )
        await ctx.notify(
            item.person_id,
            "membership",
            lambda r: Reply(
                r._(
                    "Good news: your request to represent {name} as {role} was approved. "
                    "Type {help} to see what you can do.",
                    name=item.collectivite_name,
                    role=r._(ROLE_LABELS[item.role]),
                    help=r.cmd("help"),
                )
            ),
        )
    else:
        ctx.reply(
            ctx._(
                "Rejected: {person} for {name}.",
                person=chosen(item.person_name),
                name=item.collectivite_name,
            )
        )
        await ctx.notify(
            item.person_id,
            "membership",
            lambda r: Reply(
                r._(
                    "Your request to represent {name} as {role} was not approved. If you "
                    "think this is a mistake, write to the consultation team with {contact} "
                    "or try again with {start}.",
                    name=item.collectivite_name,
                    role=r._(ROLE_LABELS[item.role]),
                    contact=r.cmd("contact"),
                    start=r.cmd("start"),
                )
            ),
        )
    await show_queue(ctx)


@router.action(Approve)
async def approve(ctx: Context, pressed: Approve) -> None:
    await decide(ctx, pressed.membership, True)


@router.action(Decline)
async def reject(ctx: Context, pressed: Decline) -> None:
    await decide(ctx, pressed.membership, False)
