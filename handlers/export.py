"""``/export``: the consultation's data as files, sent in the chat to the staff.

The same tables as ``guichet export`` on the command line (``bot.render.exports``).
The audit log, which names staff members, goes only to administrators, as
``/journal`` does. Each export is itself written to the audit log: data
leaving the service is a staff action the committee may ask about.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from bot.core.callbacks import ButtonData
from bot.core.context import Context, Refused
from bot.core.i18n import N_
from bot.core.messages import Choice, Reply
from bot.core.router import Router
from bot.render import exports
from handlers.common import require_consultation

router = Router("export", audience="staff", reveals="staff")


class ExportFiles(ButtonData, prefix="exp.f"):
    files: Literal["xlsx", "csv", "both"]


# openpyxl writes about 50,000 cells a second. The files are built after the
# event is committed, in a worker thread, but that thread still shares the
# interpreter with everyone's messages: past this many rows the chat gets CSV
# (ten times faster) and the operator builds the workbook from the command line.
XLSX_CHAT_ROWS = 20_000
CHOICES: dict[str, tuple[exports.Format, ...]] = {
    "xlsx": ("xlsx",),
    "csv": ("csv",),
    "both": ("csv", "xlsx"),
    "tout": ("csv", "xlsx"),  # what a French speaker types for "both"
}


async def send(ctx: Context, formats: tuple[exports.Format, ...]) -> None:
    consultation = await require_consultation(ctx)
    built = await exports.tables(
        ctx.db, consultation.id, audit=ctx.person.is_admin, votes=consultation.has_votes
    )
    rows = sum(table.count for table in built)
    too_big = "xlsx" in formats and rows > XLSX_CHAT_ROWS
    if too_big:
        formats = ("csv",)
    stem = exports.file_stem(consultation.slug, ctx.now)
    await ctx.audit(
        "export",
        f"consultation:{consultation.id}",
        formats=list(formats),
        rows={table.key: table.count for table in built},
    )
    intro = ctx._(
        "The data of “{title}” as of {when}. It names collectivités, never participants; "
        "dates are in Paris time.",
        title=consultation.title,
        when=ctx.t.datetime(ctx.now, "short"),
    )
    if ctx.person.is_admin:
        intro += "\n" + ctx._("The audit log is included: it names staff members.")
    if too_big:
        intro += "\n" + ctx._(
            "With {rows} rows the spreadsheet would hold up everyone's messages while it is "
            "built, so here are the CSV files; the operator can write the XLSX with "
            "“guichet export”.",
            rows=ctx.t.number(rows),
        )
    ctx.reply(intro)

    async def build() -> list[Reply]:
        """The files, from the tables read in the event: built once it is committed."""
        produced = await asyncio.to_thread(exports.files, ctx.t, built, formats, stem)
        replies = []
        for file, table in produced:
            if table is None:
                caption = ctx._("All tables in one spreadsheet, one sheet each.")
            else:
                caption = ctx.t.ngettext(
                    "{name}: {n} row", "{name}: {n} rows", table.count, name=ctx._(table.title)
                )
            replies.append(Reply(caption, file=file))
        return replies

    ctx.after_commit(build)


@router.command(
    "export",
    "export",
    "export",
    N_("Download the consultation's data: csv, xlsx or both"),
)
async def export(ctx: Context) -> None:
    args = [a.lower() for a in ctx.incoming.args]
    if not args:
        ctx.reply(
            ctx._("Which files?"),
            [
                Choice(
                    ctx._("One spreadsheet (XLSX), a sheet per table"),
                    ExportFiles(files="xlsx").pack(),
                ),
                Choice(ctx._("CSV files, one per table"), ExportFiles(files="csv").pack()),
                Choice(ctx._("Both"), ExportFiles(files="both").pack()),
            ],
        )
        return
    if len(args) != 1 or args[0] not in CHOICES:
        raise Refused(
            ctx._(
                "Type {command} followed by csv, xlsx or both, e.g. {command} xlsx",
                command=ctx.cmd("export"),
            )
        )
    await send(ctx, CHOICES[args[0]])


@router.action(ExportFiles)
async def chosen(ctx: Context, pressed: ExportFiles) -> None:
    await send(ctx, CHOICES[pressed.files])
