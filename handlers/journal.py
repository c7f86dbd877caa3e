"""``/journal`` (``/audit``): the administrators read the log of staff actions.

Newest first, a page at a time, since a phone shows a dozen entries at most.
Only administrators see it: it names the staff and what they decided. Every
page, typed or pressed, re-checks that role on the server.
"""

from __future__ import annotations

import json

from bot.core.arguments import MAX_PAGE, CommandArgs, Page
from bot.core.callbacks import ButtonData, Id
from bot.core.context import Context
from bot.core.i18n import N_
from bot.core.messages import Choice
from bot.core.router import Router
from handlers.common import quote, stale_button
from storage import audit

router = Router("journal", audience="admin", reveals="staff")

PAGE = 10


class JournalPage(ButtonData, prefix="jr.p"):
    page: Id


def _entry(ctx: Context, entry: audit.Entry) -> str:
    detail = json.dumps(entry.detail, ensure_ascii=False, separators=(", ", ": "))
    line = f"#{entry.id} · {ctx.t.datetime(entry.at, 'short')} · {entry.staff_label or '—'}"
    line += f"\n   {entry.action}"
    if entry.target:
        line += f" → {entry.target}"
    if entry.detail:
        line += f" · {quote(detail, 120)}"
    return line


async def show_page(ctx: Context, page: int) -> None:
    total = await audit.count(ctx.db)
    if total == 0:
        ctx.reply(ctx._("The audit log is empty: no staff action was recorded yet."))
        return
    pages = (total + PAGE - 1) // PAGE
    page = min(max(page, 1), pages)
    entries = await audit.recent(ctx.db, limit=PAGE, offset=(page - 1) * PAGE)
    head = ctx.t.ngettext(
        "Audit log, page {page} of {pages} ({n} entry, newest first):",
        "Audit log, page {page} of {pages} ({n} entries, newest first):",
        total,
        page=ctx.t.number(page),
        pages=ctx.t.number(pages),
    )
    choices = []
    if page < pages:
        choices.append(Choice(ctx._("Older entries"), JournalPage(page=page + 1).pack()))
    if page > 1:
        choices.append(Choice(ctx._("Newer entries"), JournalPage(page=page - 1).pack()))
    ctx.reply("\n".join([head, *(_entry(ctx, e) for e in entries)]), choices)


class JournalArgs(CommandArgs):
    usage = N_(
        "Type {command} alone for the latest entries, or followed by a page "
        "number, e.g. {command} 2"
    )
    page: Page = 1


@router.command(
    "journal",
    "journal",
    "audit",
    N_("The log of staff actions, newest first: add a page number to go further"),
    args=JournalArgs,
)
async def journal(ctx: Context, args: JournalArgs) -> None:
    await show_page(ctx, args.page)


@router.action(JournalPage)
async def older_or_newer(ctx: Context, pressed: JournalPage) -> None:
    if pressed.page > MAX_PAGE:
        raise stale_button(ctx)
    await show_page(ctx, pressed.page)
