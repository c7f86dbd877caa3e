"""``/equipe``: administrators name and remove the consultation staff.

The first administrator is named from the command line (``guichet staff
add``), since nobody in the chat can vouch for them yet.
"""

from __future__ import annotations

from bot.core.callbacks import ButtonData, Id
from bot.core.context import Context, Refused
from bot.core.i18n import N_
from bot.core.identities import valid_identity
from bot.core.messages import Choice, Reply
from bot.core.router import Router
from bot.core.text import chosen
from handlers.common import stale_button
from storage import persons

router = Router("staff", audience="admin", reveals="staff")


class RemoveStaff(ButtonData, prefix="staff.rm"):
    person: Id


ADD = ("ajouter", "add")
REMOVE = ("retirer", "remove")


async def _list(ctx: Context) -> None:
    team = await persons.with_role(ctx.db, "staff", "admin")
    lines = [ctx._("Consultation staff:")]
    choices = []
    for member in team:
        ids = ", ".join(await persons.identities(ctx.db, member.id))
        title = ctx._("administrator") if member.is_admin else ctx._("staff")
        lines.append(f"• {ids} — {title} — {chosen(member.display_name)}")
        if not member.is_admin:
            choices.append(
                Choice(
                    ctx._("Remove {name}", name=member.display_name or ids),
                    RemoveStaff(person=member.id).pack(),
                )
            )
    lines.append("")
    verb = ADD[0] if ctx.locale == "fr" else ADD[1]
    add_command = ctx.cmd("team") + " " + verb
    lines.append(
        ctx._(
            "To add someone, type {command} followed by their identity, e.g. "
            "{command} telegram:123456789 or {command} matrix:@jane.doe:agent.tchap.gouv.fr",
            command=add_command,
        )
    )
    ctx.reply("\n".join(lines), choices)


async def _set_staff(ctx: Context, target: persons.Person, staff: bool) -> None:
    if target.is_admin:
        raise Refused(ctx._("An administrator can only be changed from the command line."))
    await persons.set_role(ctx.db, target.id, "staff" if staff else "user")
    await ctx.audit("staff.add" if staff else "staff.remove", f"person:{target.id}")
    if staff:
        ctx.reply(ctx._("{name} is now a member of the staff.", name=target.display_name or "—"))
        await ctx.notify(
            target.id,
            "staff",
            lambda r: Reply(
                r._(
                    "You are now a member of the consultation staff. Type {help} to "
                    "see what you can do.",
                    help=r.cmd("help"),
                )
            ),
        )
    else:
        ctx.reply(
            ctx._("{name} is no longer a member of the staff.", name=target.display_name or "—")
        )


@router.command("team", "equipe", "team", N_("Add or remove staff members"))
async def team(ctx: Context) -> None:
    args = ctx.incoming.args
    if not args:
        await _list(ctx)
        return
    verb = args[0].lower()
    identity = args[1] if len(args) > 1 else ""
    if verb not in ADD + REMOVE or len(args) != 2:
        await _list(ctx)
        return
    if not valid_identity(identity):
        raise Refused(
            ctx._(
                "“{identity}” is not an identity I know. Examples: "
                "telegram:123456789, matrix:@jane.doe:agent.tchap.gouv.fr",
                identity=identity[:80],
            )
        )
    if verb in ADD:
        target = await persons.ensure(ctx.db, identity, now=ctx.now)
        await _set_staff(ctx, target, True)
    else:
        found = await persons.by_identity(ctx.db, identity)
        if found is None or not found.is_staff:
            raise Refused(ctx._("{identity} is not a member of the staff.", identity=identity))
        await _set_staff(ctx, found, False)


@router.action(RemoveStaff)
async def remove(ctx: Context, pressed: RemoveStaff) -> None:
    target = await persons.get(ctx.db, pressed.person)
    if target is None or not target.is_staff:
        raise stale_button(ctx)
    await _set_staff(ctx, target, False)
