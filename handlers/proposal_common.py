"""What browsing, voting, supporting and selecting share about proposals.

Button data names a proposal by its id, never by the number people read and
type (``/proposition 12``): staff may renumber proposals, and an old button
must act on the proposal the person read. The id is resolved again in the
current consultation, so a forged button can only name a proposal that exists.
"""

from __future__ import annotations

from typing import Literal

from bot.core.arguments import whole_number
from bot.core.callbacks import ButtonData, Id, Token
from bot.core.context import Context, Recipient, Refused
from bot.core.i18n import N_, Translator
from handlers.common import quote, stale_button
from storage import proposals
from storage.consultations import Consultation
from storage.proposals import Proposal
from storage.supports import Level, Support

PAGE = 5
LEVEL_LABELS: dict[str, str] = {
    "soutien": N_("support"),
    "co_construction": N_("ready to co-build"),
}
# Short forms of the levels in button data, which Telegram caps at 64 bytes.
LevelCode = Literal["so", "co"]
LEVEL_CODES: dict[LevelCode, Level] = {"so": "soutien", "co": "co_construction"}
CODE_OF_LEVEL: dict[Level, LevelCode] = {level: code for code, level in LEVEL_CODES.items()}
RESULT_LABELS = {
    "selected": N_("selected"),
    "not_selected": N_("not selected"),
}


def cap(consultation: Consultation, key: str) -> int | None:
    """A limit from the consultation's settings; None (or anything unreadable) is no cap."""
    value = consultation.settings.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    return whole_number(value) if isinstance(value, str) else None


class ShowProposal(ButtonData, prefix="prop.d"):
    """One proposal; ``offset`` and ``theme``: the page of the list to go back to."""

    proposal: Id
    offset: Id | None = None
    theme: Token | None = None


class ProposalPage(ButtonData, prefix="prop.l"):
    offset: Id = 0
    theme: Token | None = None


class SearchWords(ButtonData, prefix="prop.s"):
    pass


async def proposal_from(ctx: Context, consultation: Consultation, proposal_id: int) -> Proposal:
    """The proposal a button names, or a stale-button refusal for anything else."""
    found = await proposals.get(ctx.db, proposal_id)
    if found is None or found.consultation_id != consultation.id:
        raise stale_button(ctx)
    return found


def require_open(ctx: Context, proposal: Proposal) -> None:
    """Votes and supports are for proposals still undecided."""
    if proposal.status != "open":
        raise Refused(
            ctx._(
                "The proposal {number} is already decided ({result}); nothing was changed.",
                number=number_label(ctx.t, proposal.number),
                result=ctx._(RESULT_LABELS[proposal.status]),
            )
        )


def number_label(t: Translator, number: int) -> str:
    return t._("no. {number}", number=number)


def heading(t: Translator, proposal: Proposal | Support, limit: int = 80) -> str:
    """``no. 12 “Title”``, the way every list and message names a proposal."""
    number, title = _named(proposal)
    return t._("{number} “{title}”", number=number_label(t, number), title=quote(title, limit))


def button(t: Translator, proposal: Proposal | Support) -> str:
    number, title = _named(proposal)
    return t._("No. {number}: {title}", number=number, title=quote(title, 40))


def _named(item: Proposal | Support) -> tuple[int, str]:
    if isinstance(item, Support):
        return item.proposal_number, item.proposal_title
    return item.number, item.title


def supports_begun(ctx: Context, consultation: Consultation) -> bool:
    """Whether support counts mean anything yet: before the support phase they are
    all zero, and a column of zeros is noise on a phone."""
    return any(p.kind == "support" and p.opens_at <= ctx.now for p in consultation.phases)


def counts(t: Translator, proposal: Proposal, supports: bool = True, votes: bool = True) -> str:
    """``3 votes, 2 supports``: the counts that mean something in this consultation
    (no votes without a vote phase, no supports before the support phase)."""
    parts = [t.ngettext("{n} vote", "{n} votes", proposal.votes)] if votes else []
    if supports or not votes:
        parts.append(t.ngettext("{n} support", "{n} supports", proposal.supports))
    return ", ".join(parts)


def consultation_title(r: Recipient | Context, consultation: Consultation) -> str:
    english = consultation.settings.get("title_en")
    return str(english) if r.t.locale == "en" and english else consultation.title


async def typed_proposals(ctx: Context, consultation: Consultation, text: str) -> list[Proposal]:
    """The proposals staff mean when they type a number or words of a title, in the
    steps that group contributions (one contribution from the queue, or a cluster)."""
    number = whole_number(text, most=999_999)
    if number is not None:
        found = await proposals.by_number(ctx.db, consultation.id, number)
        return [found] if found else []
    return await proposals.search(ctx.db, consultation.id, text[:200], limit=8)
