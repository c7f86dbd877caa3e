"""``/start``: from first contact to a known representative of a collectivité.

Language, then the collectivité (search, or an INSEE code from a deep link),
then the role, then a confirmation. Each step is stored, so a mayor who is
interrupted on the phone finds the flow where they left it.
"""

from __future__ import annotations

from typing import Literal, cast

from bot.core import evidence, rules
from bot.core.answers import number
from bot.core.callbacks import ButtonData, Id, Token
from bot.core.context import Context
from bot.core.french import typeset
from bot.core.i18n import N_
from bot.core.messages import Choice, Reply
from bot.core.router import Router
from bot.core.text import chosen
from bot.delivery import staff_notices
from handlers.common import ROLE_LABELS, STATUS_LABELS, place, stale_button
from handlers.language import PickLanguage, language_choices, set_language
from storage import collectivites, memberships, persons
from storage.memberships import MemberRole

router = Router("onboarding")
CONFIRM_STEP = "onb.confirm"
LANGUAGE_STEP = "onb.lang"
ROLE_STEP = "onb.role"
SEARCH_STEP = "onb.search"


class OnboardingLanguage(PickLanguage, prefix="onb.lang"):
    pass


class PickCollectivite(ButtonData, prefix="onb.pick"):
    code: Token


class MoreResults(ButtonData, prefix="onb.more"):
    """The next page of the last search (its query is kept with the step)."""

    offset: Id


class SearchAgain(ButtonData, prefix="onb.again"):
    pass


class PickRole(ButtonData, prefix="onb.role"):
    role: Literal["elu", "agent"]


class ConfirmMembership(ButtonData, prefix="onb.ok"):
    pass


CONFIRM_CHOICES = (
    (N_("Confirm"), ConfirmMembership().pack()),
    (N_("Start again"), SearchAgain().pack()),
)

MAX_QUERY = 100


def _role_choices(ctx: Context) -> list[Choice]:
    return [
        Choice(ctx._("Elected official (may commit the support)"), PickRole(role="elu").pack()),
        Choice(ctx._("Agent"), PickRole(role="agent").pack()),
        Choice(ctx._("Not this collectivité: search again"), SearchAgain().pack()),
    ]


async def ask_search(ctx: Context, intro: str | None = None) -> None:
    text = ctx._(
        "Which collectivité do you represent? Type its name, with the département "
        "number if you like (e.g. “Saint-Julien 24”), its postcode or its INSEE code."
    )
    ctx.ask(SEARCH_STEP, f"{intro}\n\n{text}" if intro else text)


async def _ask_role(ctx: Context, code: str) -> None:
    found = await collectivites.get(ctx.db, code)
    if found is None:
        raise stale_button(ctx)
    ctx.ask(
        ROLE_STEP,
        ctx._("{place}: what is your role there?", place=place(ctx.t, found)),
        _role_choices(ctx),
        code=code,
    )


async def _after_language(ctx: Context, code: str | None) -> None:
    if code:
        found = await collectivites.get(ctx.db, code)
        if found is not None:
            await _ask_role(ctx, found.code)
            return
        await ask_search(ctx, ctx._("I found no collectivité with the code {code}.", code=code))
        return
    await ask_search(ctx)


def _require_step(ctx: Context, *steps: str) -> None:
    if ctx.conversation.step not in steps:
        raise stale_button(ctx)


@router.command("start", "start", "begin", N_("Say which collectivité you represent"))
async def start(ctx: Context) -> None:
    code = ctx.incoming.args[0][:20] if ctx.incoming.args else None
    if ctx.person.locale is None:
        ctx.ask(
            LANGUAGE_STEP,
            typeset("Bienvenue sur Guichet ! Choisissez votre langue.")
            + "\nWelcome to Guichet! Choose your language.",
            language_choices(OnboardingLanguage),
            code=code,
        )
        return
    ctx.reply(
        ctx._(
            "Welcome to Guichet, the assistant of the national consultation on the "
            "digital transformation of collectivités."
        )
    )
    waiting = await rules.pending_notice(ctx)
    if waiting:  # told, so that they do not file the same request again
        ctx.reply(waiting)
    ctx.conversation.data["code"] = code
    await _after_language(ctx, code)


@router.action(OnboardingLanguage)
async def pick_language(ctx: Context, pressed: OnboardingLanguage) -> None:
    _require_step(ctx, LANGUAGE_STEP)
    await set_language(ctx, pressed.locale)
    await _after_language(ctx, ctx.conversation.data.get("code"))


@router.step(LANGUAGE_STEP)
async def typed_language(ctx: Context, text: str) -> None:
    ctx.ask(
        LANGUAGE_STEP,
        "Tapez 1 pour le français. / Type 2 for English.",
        language_choices(OnboardingLanguage),
    )


@router.step(SEARCH_STEP)
async def search(ctx: Context, text: str) -> None:
    query = " ".join(text.split())
    if not query:
        await ask_search(ctx)
        return
    shown = ctx.conversation.menu
    if shown and number(query) is not None:
        # A number beyond the list is a choice mistyped, not a search: "9" in a
        # list of 8 used to start a new search and show Paris 9e.
        ctx.reply(
            ctx._(
                "Please type a number between 1 and {count}.",
                count=ctx.t.number(len(shown)),
            )
        )
        ctx.keep_menu = True
        return
    if len(query) > MAX_QUERY:
        ctx.ask(
            SEARCH_STEP,
            ctx._(
                "That is too long for a name: {limit} characters at most.",
                limit=ctx.t.number(MAX_QUERY),
            ),
        )
        return
    await _show_page(ctx, query, 0)


async def _show_page(ctx: Context, query: str, offset: int) -> None:
    """Every match, a page at a time, with a choice for the next page: a postcode
    of 13 communes used to show 8 and say nothing of the rest."""
    page = await collectivites.lookup_page(ctx.db, query, offset)
    matches = page.matches
    if not matches and offset == 0:
        ctx.ask(
            SEARCH_STEP,
            ctx._(
                "I found no collectivité matching “{query}”. Check the spelling, or try "
                "the postcode, the INSEE code, or the name followed by the département "
                "number (e.g. “Saint-Julien 24”).",
                query=query,
            ),
        )
        return
    if len(matches) == 1 and offset == 0 and not page.more:
        await _ask_role(ctx, matches[0].collectivite.code)
        return
    choices = []
    for match in matches:
        label = place(ctx.t, match.collectivite)
        if match.collectivite.postcodes:
            label += " — " + match.collectivite.postcodes[0]
        if (
            match.via_kind != "postcode"
            and match.via_name
            and match.via_name != match.collectivite.name
        ):
            label = f"{match.via_name} → {label}"
        choices.append(Choice(label, PickCollectivite(code=match.collectivite.code).pack()))
    if page.more:
        choices.append(
            Choice(ctx._("More results"), MoreResults(offset=offset + len(matches)).pack())
        )
    text = ctx._(
        "Several collectivités match “{query}”. Type the number of yours, "
        "or type a more precise search:",
        query=query,
    )
    if offset:
        text = ctx._(
            "More collectivités matching “{query}” (from no. {first}). Type the number of "
            "yours, or type a more precise search:",
            query=query,
            first=ctx.t.number(offset + 1),
        )
    ctx.ask(SEARCH_STEP, text, choices, query=query)


@router.action(PickCollectivite)
async def pick(ctx: Context, pressed: PickCollectivite) -> None:
    _require_step(ctx, SEARCH_STEP)
    await _ask_role(ctx, pressed.code)


@router.action(MoreResults)
async def more(ctx: Context, pressed: MoreResults) -> None:
    _require_step(ctx, SEARCH_STEP)
    query = ctx.conversation.data.get("query")
    if not isinstance(query, str) or not query:
        await ask_search(ctx)
        return
    await _show_page(ctx, query, pressed.offset)


@router.action(SearchAgain)
async def again(ctx: Context, pressed: SearchAgain) -> None:
    _require_step(ctx, ROLE_STEP, CONFIRM_STEP)
    await ask_search(ctx)


@router.step(ROLE_STEP)
async def typed_role(ctx: Context, text: str) -> None:
    code = str(ctx.conversation.data.get("code", ""))
    ctx.reply(ctx._("Please choose one of the answers by typing its number."))
    await _ask_role(ctx, code)


@router.action(PickRole)
async def role(ctx: Context, pressed: PickRole) -> None:
    _require_step(ctx, ROLE_STEP)
    code = str(ctx.conversation.data.get("code", ""))
    found = await collectivites.get(ctx.db, code)
    if found is None:
        raise stale_button(ctx)
    ctx.ask(
        CONFIRM_STEP,
        ctx._(
            "Please confirm: you represent {place} as {role}.",
            place=place(ctx.t, found),
            role=ctx._(ROLE_LABELS[pressed.role]),
        ),
        [Choice(ctx._(label), data) for label, data in CONFIRM_CHOICES],
        role=pressed.role,
    )


@router.step(CONFIRM_STEP)
async def typed_confirm(ctx: Context, text: str) -> None:
    ctx.ask(
        CONFIRM_STEP,
        ctx._("Please choose one of the answers by typing its number."),
        [Choice(ctx._(label), data) for label, data in CONFIRM_CHOICES],
    )


@router.action(ConfirmMembership)
async def confirm(ctx: Context, pressed: ConfirmMembership) -> None:
    _require_step(ctx, CONFIRM_STEP)
    code = str(ctx.conversation.data.get("code", ""))
    role = ctx.conversation.data.get("role")
    found = await collectivites.get(ctx.db, code)
    if found is None or role not in ROLE_LABELS:
        raise stale_button(ctx)
    existing = await memberships.get_for(ctx.db, ctx.person.id, code)
    open_mode = ctx.config.verification == "open"
    if existing and existing.status == "approved" and (existing.role == role or not open_mode):
        await _approved_member_confirms(ctx, existing, role, place(ctx.t, found))
        return
    waiting = existing is not None and existing.status == "pending"
    if not open_mode and not waiting:
        refusal = await _over_cap(ctx)
        if refusal:
            ctx.end()
            ctx.reply(refusal)
            return
    identities = await persons.identities(ctx.db, ctx.person.id)
    membership = await memberships.request(
        ctx.db,
        ctx.person.id,
        code,
        role,
        approve=open_mode,
        evidence=evidence.stored(identities),
        now=ctx.now,
        counted=not waiting,
    )
    if ctx.person.acting_for is None or open_mode:
        await persons.set_acting_for(ctx.db, ctx.person.id, code)
    ctx.end()
    if open_mode:
        ctx.reply(
            ctx._(
                "Welcome! You are registered as {role} of {place}. Type {help} to see "
                "what you can do.",
                role=ctx._(ROLE_LABELS[membership.role]),
                place=place(ctx.t, found),
                help=ctx.cmd("help"),
            )
        )
        return
    if waiting:
        ctx.reply(
            ctx._(
                "Your request to represent {place}, now as {role}, is still pending; "
                "I will tell you as soon as it is decided.",
                place=place(ctx.t, found),
                role=ctx._(ROLE_LABELS[membership.role]),
            )
        )
        return
    ctx.reply(
        ctx._(
            "Thank you. Your request to represent {place} as {role} is {status}; "
            "I will tell you as soon as it is decided.",
            place=place(ctx.t, found),
            role=ctx._(ROLE_LABELS[membership.role]),
            status=ctx._(STATUS_LABELS["pending"]),
        )
    )
    await staff_notices.request_filed(
        ctx,
        lambda r: Reply(
            r._(
                "New request: {person} (name chosen by the person) asks to represent "
                "{place} as {role}. Type {command} to review it.",
                person=chosen(ctx.person.display_name),
                place=place(r.t, found),
                role=r._(ROLE_LABELS[membership.role]),
                command=r.cmd("moderation"),
            )
        ),
    )


async def _approved_member_confirms(
    ctx: Context, existing: memberships.Membership, role: str, where: str
) -> None:
    """An approved member went through ``/start`` again: never lose the approval.

    The same role: nothing to do (and a change asked for earlier is withdrawn).
    Another role: a change request the staff see as such; the approved role
    stays until they decide.
    """
    ctx.end()
    asked = role if role != existing.role else None
    if asked is None and existing.requested_role is None:
        ctx.reply(ctx._("You are already registered for {place}.", place=where))
        return
    await memberships.request_role_change(ctx.db, existing.id, cast(MemberRole, role), ctx.now)
    held = ctx._(ROLE_LABELS[existing.role])
    if asked is None:
        ctx.reply(
            ctx._(
                "Your request to change role is withdrawn: you remain {role} of {place}.",
                role=held,
                place=where,
            )
        )
        return
    ctx.reply(
        ctx._(
            "You remain {role} of {place}. Your request to become {new_role} there is "
            "waiting for the staff; I will tell you as soon as it is decided.",
            role=held,
            place=where,
            new_role=ctx._(ROLE_LABELS[asked]),
        )
    )
    found = await collectivites.get(ctx.db, existing.collectivite)
    await staff_notices.request_filed(
        ctx,
        lambda r: Reply(
            r._(
                "Change of role: {person} (name chosen by the person), approved as {role} "
                "of {place}, asks to become {new_role}. Type {command} to review it.",
                person=chosen(ctx.person.display_name),
                role=r._(ROLE_LABELS[existing.role]),
                place=place(r.t, found) if found else existing.collectivite_name,
                new_role=r._(ROLE_LABELS[asked]),
                command=r.cmd("moderation"),
            )
        ),
    )


async def _over_cap(ctx: Context) -> str | None:
    """Why this person may file no other request now (``[limits]``), or None.

    The staff check each request by hand: one account must not fill their queue.
    """
    limits = ctx.config.limits
    pending = await memberships.pending_of_person(ctx.db, ctx.person.id)
    if pending >= limits.requests_pending:
        return ctx.t.ngettext(
            "You already have {n} request pending, the most at once. Please wait for the "
            "staff's answer, or withdraw one with {profile}.",
            "You already have {n} requests pending, the most at once. Please wait for the "
            "staff's answer, or withdraw one with {profile}.",
            pending,
            profile=ctx.cmd("profile"),
        )
    filed = await memberships.requests_within_window(ctx.db, ctx.person.id, ctx.now)
    if filed >= limits.requests_per_day:
        return ctx.t.ngettext(
            "You have filed {n} membership request in the last 24 hours, the most allowed. "
            "Please try again tomorrow.",
            "You have filed {n} membership requests in the last 24 hours, the most allowed. "
            "Please try again tomorrow.",
            filed,
        )
    return None
