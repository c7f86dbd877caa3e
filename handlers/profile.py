"""``/profil``: who the person is for Guichet, and the collectivités they speak for."""

from __future__ import annotations

from bot.core.callbacks import ButtonData, Token
from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.router import Router
from handlers.common import ROLE_LABELS, STATUS_LABELS, stale_button
from handlers.language import LANGUAGE_NAMES
from handlers.onboarding import ask_search
from storage import memberships, persons

router = Router("profile")
LEAVE_STEP = "prof.leave"


class ActFor(ButtonData, prefix="prof.act"):
    code: Token


class Leave(ButtonData, prefix="prof.leave"):
    code: Token


class ConfirmLeave(ButtonData, prefix="prof.left"):
    code: Token


class Stay(ButtonData, prefix="prof.stay"):
    pass


class AddCollectivite(ButtonData, prefix="prof.add"):
    pass


async def show_profile(ctx: Context) -> None:
    person = ctx.person
    lines = [ctx._("Your profile"), ""]
    lines.append(ctx._("Name: {name}", name=person.display_name or "—"))
    lines.append(ctx._("Language: {language}", language=LANGUAGE_NAMES[ctx.locale]))
    if person.is_admin:
        lines.append(ctx._("You are an administrator of the consultation."))
    elif person.is_staff:
        lines.append(ctx._("You are a member of the consultation staff."))
    mine = await memberships.of_person(ctx.db, person.id)
    choices: list[Choice] = []
    lines.append("")
    if not mine:
        lines.append(ctx._("You represent no collectivité at the moment."))
    else:
        lines.append(ctx._("Your collectivités:"))
    for membership in mine:
        line = ctx._(
            "{name} ({departement}) — {role} — {status}",
            name=membership.collectivite_name,
            departement=membership.departement or "—",
            role=ctx._(ROLE_LABELS[membership.role]),
            status=ctx._(STATUS_LABELS[membership.status]),
        )
        if membership.requested_role is not None:
            line += " — " + ctx._(
                "asks to become {role}, waiting for the staff",
                role=ctx._(ROLE_LABELS[membership.requested_role]),
            )
        if person.acting_for == membership.collectivite:
            line += " — " + ctx._("you act on its behalf")
        elif membership.status == "approved":
            choices.append(
                Choice(
                    ctx._("Act for {name}", name=membership.collectivite_name),
                    ActFor(code=membership.collectivite).pack(),
                )
            )
        lines.append("• " + line)
        choices.append(
            Choice(
                ctx._("Leave {name}", name=membership.collectivite_name),
                Leave(code=membership.collectivite).pack(),
            )
        )
    choices.append(Choice(ctx._("Add a collectivité"), AddCollectivite().pack()))
    ctx.reply("\n".join(lines), choices)


@router.command("profile", "profil", "profile", N_("Your profile and your collectivités"))
async def profile(ctx: Context) -> None:
    await show_profile(ctx)


@router.action(ActFor)
async def act(ctx: Context, pressed: ActFor) -> None:
    membership = await memberships.get_for(ctx.db, ctx.person.id, pressed.code)
    if membership is None or membership.status != "approved":
        raise stale_button(ctx)
    await persons.set_acting_for(ctx.db, ctx.person.id, membership.collectivite)
    ctx.reply(ctx._("You now act for {name}.", name=membership.collectivite_name))


@router.action(Leave)
async def leave(ctx: Context, pressed: Leave) -> None:
    membership = await memberships.get_for(ctx.db, ctx.person.id, pressed.code)
    if membership is None:
        raise stale_button(ctx)
    ctx.ask(
        LEAVE_STEP,
        ctx._(
            "Do you really want to stop representing {name}? The supports it has "
            "committed stay; you can ask to join again later.",
            name=membership.collectivite_name,
        ),
        [
            Choice(
                ctx._("Yes, leave {name}", name=membership.collectivite_name),
                ConfirmLeave(code=membership.collectivite).pack(),
            ),
            Choice(ctx._("No, stay"), Stay().pack()),
        ],
        code=membership.collectivite,
    )


@router.step(LEAVE_STEP)
async def typed_leave(ctx: Context, text: str) -> None:
    ctx.end()
    ctx.reply(ctx._("Nothing was changed."))


@router.action(ConfirmLeave)
async def left(ctx: Context, pressed: ConfirmLeave) -> None:
    code = pressed.code
    if ctx.conversation.step != LEAVE_STEP or code != ctx.conversation.data.get("code"):
        raise stale_button(ctx)
    membership = await memberships.get_for(ctx.db, ctx.person.id, code)
    if membership is None or not await memberships.leave(ctx.db, ctx.person.id, code):
        raise stale_button(ctx)
    if ctx.person.acting_for == code:
        remaining = await memberships.approved_of_person(ctx.db, ctx.person.id)
        await persons.set_acting_for(
            ctx.db, ctx.person.id, remaining[0].collectivite if remaining else None
        )
    ctx.end()
    ctx.reply(ctx._("You no longer represent {name}.", name=membership.collectivite_name))


@router.action(Stay)
async def stay(ctx: Context, pressed: Stay) -> None:
    ctx.end()
    ctx.reply(ctx._("Nothing was changed."))


@router.action(AddCollectivite)
async def add(ctx: Context, pressed: AddCollectivite) -> None:
    await ask_search(ctx)
