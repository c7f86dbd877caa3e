"""A flow in progress survives the commands typed in its middle.

A mayor half-way through ``/besoin`` types ``/aide`` or ``/calendrier`` to check
something: that used to end the flow silently, and their next message got "I
was not expecting a message".  Now the pending question is kept with its
step: a command that only answers is answered, then the question is asked
again ("your need in progress is kept"); a command that would start another
flow first asks whether to drop the draft; the same flow's command offers to
resume it.  The dispatcher runs the command inside a savepoint, so a command
that turns out to start a flow is undone before anything is asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.callbacks import ButtonData
from bot.core.context import ASKED, Context
from bot.core.i18n import N_
from bot.core.messages import Choice

CHOICE_STEP = "draft.choice"


class Keep(ButtonData, prefix="draft.keep"):
    """Go on with the kept draft."""


class Drop(ButtonData, prefix="draft.drop"):
    """Drop the draft and run the command typed over it."""


KEEP = Keep().pack()
DROP = Drop().pack()

# The flows whose steps hold something a person wrote or chose, worth keeping,
# by their steps' prefix, with what the kept draft is called.  Other steps
# (refining a search, a yes/no confirmation) end with any command, as before.
_KEPT = {
    "need": N_("Your need in progress is kept."),
    "onb": N_("Your registration in progress is kept."),
    "contact": N_("Your message in progress is kept."),
    "bc": N_("Your announcement in progress is kept."),
    "padm": N_("Your proposal in progress is kept."),
}
_NOT_KEPT = frozenset({"need.wd"})


@dataclass
class Draft:
    """A flow's pending step, its data, and the question it waits on."""

    step: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def flow(self) -> str:
        return self.step.split(".", 1)[0]

    @property
    def question(self) -> tuple[str, list[Choice]]:
        asked = self.data.get(ASKED) or {}
        choices = [Choice(str(label), str(data)) for label, data in asked.get("choices", [])]
        return str(asked.get("text", "")), choices


def pending(ctx: Context) -> Draft | None:
    """The draft in progress, if the person is in a flow that asked a question."""
    conversation = ctx.conversation
    if not conversation.step or ASKED not in conversation.data:
        return None
    if conversation.step == CHOICE_STEP:
        kept = conversation.data.get("draft") or {}
        return Draft(str(kept.get("step", "")), dict(kept.get("data", {}))) if kept else None
    draft = Draft(conversation.step, dict(conversation.data))
    return draft if draft.flow in _KEPT and draft.step not in _NOT_KEPT else None


def _kept(ctx: Context, draft: Draft) -> str:
    return ctx._(_KEPT[draft.flow])


def recall(ctx: Context, draft: Draft) -> None:
    """Put the draft back and ask its question again, after what was answered.

    In a room others read, the draft is only kept: its question is the person's
    own, and the command's answer may be public there.
    """
    ctx.conversation.step = draft.step
    ctx.conversation.data = dict(draft.data)
    if ctx.incoming.shared:
        return
    text, choices = draft.question
    ctx.reply(
        ctx._(
            "{kept} Here is where you were (type {cancel} to drop it):",
            kept=_kept(ctx, draft),
            cancel=ctx.cmd("cancel"),
        )
        + "\n\n"
        + text,
        choices,
    )
    ctx.menu_from_last = True


def ask_to_drop(ctx: Context, draft: Draft, started: str, command: str, args: list[str]) -> None:
    """The person typed ``command``, which starts the flow of step ``started``:
    another flow (drop the draft?) or this one again (resume it?)."""
    same = draft.flow == started.split(".", 1)[0]
    ctx.conversation.step = CHOICE_STEP
    ctx.conversation.data = {
        "draft": {"step": draft.step, "data": draft.data},
        "then": {"command": command, "args": args},
    }
    if same:
        text = ctx._("{kept} Go on where you were, or start again?", kept=_kept(ctx, draft))
        choices = [
            Choice(ctx._("Go on where I was"), KEEP),
            Choice(ctx._("Start again (the draft is dropped)"), DROP),
        ]
    else:
        text = ctx._(
            "{kept} Drop it to go to {command}, or go on with it?",
            kept=_kept(ctx, draft),
            command=command,
        )
        choices = [
            Choice(ctx._("Go on with it"), KEEP),
            Choice(ctx._("Drop it and go to {command}", command=command), DROP),
        ]
    ctx.ask(CHOICE_STEP, text, choices)


def then(ctx: Context) -> tuple[str, list[str]] | None:
    """The command the person chose to go to once the draft is dropped."""
    wanted = ctx.conversation.data.get("then") or {}
    if ctx.conversation.step != CHOICE_STEP or not wanted.get("command"):
        return None
    return str(wanted["command"]), [str(arg) for arg in wanted.get("args", [])]
