"""``/diffuser``: the staff write to many participants at once.

The message in French (and optionally English), then the audience, then a
preview with the number of recipients; only the confirmation writes the
broadcast and its fan-out, together (the outbox rows follow in short batches
once it is committed, ``bot.delivery.fanout``). The draft lives in the conversation,
so the confirmation re-computes the audience from what the staff chose, and
re-checks the staff role, whatever button was pressed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core.arguments import whole_number
from bot.core.callbacks import ButtonData
from bot.core.context import Context, Recipient, Refused, Services, VariantRender
from bot.core.i18n import N_, Translator
from bot.core.limits import for_backend
from bot.core.messages import Choice, Reply
from bot.core.router import Router
from bot.delivery import fanout
from bot.delivery.fanout import Render
from bot.delivery.workdays import SendWindow
from handlers.common import require_consultation, stale_button
from storage import audiences, broadcasts, proposals
from storage.audiences import AUDIENCE_KINDS, Audience, AudienceKind, Targets
from storage.consultations import Consultation
from storage.db import Database

router = Router("broadcast", audience="staff", reveals="staff")
KIND = "broadcast"
AUDIENCE_STEP = "bc.aud"
CONFIRM_STEP = "bc.confirm"
ENGLISH_STEP = "bc.en"
FRENCH_STEP = "bc.fr"
VALUE_STEP = "bc.value"


class NewBroadcast(ButtonData, prefix="bc.new"):
    pass


class NoEnglish(ButtonData, prefix="bc.noen"):
    pass


class AudienceMenu(ButtonData, prefix="bc.audmenu"):
    pass


class PickAudience(ButtonData, prefix="bc.aud"):
    kind: AudienceKind


class Send(ButtonData, prefix="bc.send"):
    pass


class CancelBroadcast(ButtonData, prefix="bc.cancel"):
    pass


NEW = ("nouveau", "nouvelle", "new")
NO_ENGLISH = ("-", "non", "no")
RECENT = 5
AUDIENCE_LABELS = {
    "everyone": N_("Everyone"),
    "region": N_("Members in a région"),
    "departement": N_("Members in a département"),
    "population": N_("Collectivités below a population"),
    "not_supported": N_("Collectivités that have not declared any support yet"),
    "supporters": N_("Supporters of a proposal"),
}


def header(t: Translator) -> str:
    return t._("Message from the consultation team:")


def render_for(text_fr: str, text_en: str) -> Render:
    """Each person reads the text in their language when the staff wrote it."""

    def render(r: Recipient) -> Reply:
        body = text_en if r.t.locale == "en" and text_en else text_fr
        return Reply(f"{header(r.t)}\n\n{body}")

    return render


class BroadcastMessage:
    """A broadcast as a bulk message: its audience and texts, read back by id."""

    async def targets(self, db: Database, spec: dict[str, Any], low: int, high: int) -> Targets:
        return await audiences.between(
            db,
            Audience.from_json(spec["audience"]),
            spec["consultation"],
            low,
            high,
            agents_may_support=spec["agents"],
        )

    async def renderer(self, services: Services, spec: dict[str, Any]) -> VariantRender | None:
        found = await broadcasts.get(services.db, spec["broadcast"])
        if found is None:
            return None
        render = render_for(found.text_fr, found.text_en)
        return lambda r, variant: render(r)


async def describe(ctx: Context, audience: Audience) -> str:
    kind, value = audience.kind, audience.value
    if kind == "region":
        found = await audiences.region_code(ctx.db, value)
        return ctx._("members in the région {name}", name=found[1] if found else value)
    if kind == "departement":
        found = await audiences.departement_code(ctx.db, value)
        name = f"{found[1]} ({found[0]})" if found else value
        return ctx._("members in the département {name}", name=name)
    if kind == "population":
        return ctx._(
            "members of collectivités under {count} inhabitants",
            count=ctx.t.number(whole_number(value) or 0),
        )
    if kind == "not_supported":
        return ctx._("members of collectivités that have not declared any support yet")
    if kind == "supporters":
        return ctx._("members of the collectivités supporting proposal {number}", number=value)
    return ctx._("everyone")


async def _listing(ctx: Context) -> None:
    recent = await broadcasts.recent(ctx.db, RECENT)
    lines = [ctx._("Recent broadcasts:") if recent else ctx._("No broadcast yet.")]
    for item in recent:
        state = ctx._("delivered") if item.reported_at else ctx._("in progress")
        lines.append(
            ctx._(
                "no. {number} — {date} — {audience} — {state}: {sent} sent, {failed} failed, "
                "{blocked} blocked, {waiting} waiting, of {recipients}",
                number=item.id,
                date=ctx.t.datetime(item.created_at, "short"),
                audience=await describe(ctx, item.audience),
                state=state,
                sent=ctx.t.number(item.sent),
                failed=ctx.t.number(item.failed),
                blocked=ctx.t.number(item.blocked),
                waiting=ctx.t.number(item.waiting),
                recipients=ctx.t.number(item.recipients),
            )
        )
    ctx.reply("\n".join(lines), [Choice(ctx._("New broadcast"), NewBroadcast().pack())])


def _ask_text(ctx: Context) -> None:
    ctx.ask(
        FRENCH_STEP,
        ctx._(
            "Write the message in French ({limit} characters at most). It is sent as you "
            "write it, after a line saying it comes from the consultation team.",
            limit=ctx.t.number(ctx.config.limits.text_chars),
        ),
    )


def _checked_text(ctx: Context, text: str) -> str:
    text = text.strip()
    limit = ctx.config.limits.text_chars
    if not text:
        raise Refused(ctx._("The message is empty: please write it."))
    if len(text) > limit:
        raise Refused(
            ctx._(
                "The message is too long ({length} characters; at most {limit}).",
                length=ctx.t.number(len(text)),
                limit=ctx.t.number(limit),
            )
        )
    return text


def _ask_audience(ctx: Context) -> None:
    choices = [
        Choice(ctx._(AUDIENCE_LABELS[kind]), PickAudience(kind=kind).pack())
        for kind in AUDIENCE_KINDS
    ]
    ctx.ask(AUDIENCE_STEP, ctx._("Who should receive it?"), choices)


async def _value(ctx: Context, consultation: Consultation, kind: str, raw: str) -> Audience:
    """The staff's typed value for an audience, checked; Refused with help if not usable."""
    raw = raw.strip()
    if kind == "region":
        found = await audiences.region_code(ctx.db, raw)
        if found is None:
            raise Refused(
                ctx._(
                    "I know no région “{text}”. Type its name (Bretagne) or its code (53).",
                    text=raw[:40],
                )
            )
        return Audience("region", found[0])
    if kind == "departement":
        found = await audiences.departement_code(ctx.db, raw)
        if found is None:
            raise Refused(
                ctx._(
                    "I know no département “{text}”. Type its name (Dordogne) or its number (24).",
                    text=raw[:40],
                )
            )
        return Audience("departement", found[0])
    digits = "".join(raw.split()).replace(".", "")
    if kind == "population":
        inhabitants = whole_number(digits, least=1, most=9_999_999)
        if inhabitants is None:
            raise Refused(ctx._("Type a number of inhabitants, e.g. 3500."))
        return Audience("population", str(inhabitants))
    number = whole_number(digits, most=999_999)
    if number is None:
        raise Refused(ctx._("A proposal number is a whole number, like 12."))
    if await proposals.by_number(ctx.db, consultation.id, number) is None:
        raise Refused(ctx._("There is no proposal number {number}.", number=number))
    return Audience("supporters", str(number))


VALUE_PROMPTS = {
    "region": N_("Which région? Type its name or its code (e.g. Bretagne or 53)."),
    "departement": N_("Which département? Type its name or its number (e.g. Dordogne or 24)."),
    "population": N_("Below how many inhabitants? Type a number, e.g. 3500."),
    "supporters": N_("Supporters of which proposal? Type its number."),
}


def _audience_of(ctx: Context) -> Audience:
    data = ctx.conversation.data
    kind = data.get("aud_kind")
    if kind not in AUDIENCE_KINDS or not data.get("fr"):
        raise stale_button(ctx)
    return Audience(kind, str(data.get("aud_value", "")))


def _delivery_estimate(ctx: Context, per_backend: dict[str, int]) -> timedelta:
    """The slowest platform sets the pace; local backends take no time."""
    seconds = 0.0
    for name, count in per_backend.items():
        rate = for_backend(name, ctx.config.limits)
        if rate is not None:
            seconds = max(seconds, count / rate.paced)
    return timedelta(seconds=seconds)


async def _preview(ctx: Context, audience: Audience) -> None:
    consultation = await require_consultation(ctx)
    data = ctx.conversation.data
    fr, en = str(data["fr"]), str(data.get("en", ""))
    per_backend = await audiences.count_by_backend(
        ctx.db, audience, consultation.id, agents_may_support=_agents(consultation)
    )
    count = sum(per_backend.values())
    translations = ctx.services.translations
    lines = [
        ctx._("Preview, in French:"),
        f"{header(translations.get('fr'))}\n\n{fr}",
        "",
        ctx._("In English:"),
        f"{header(translations.get('en'))}\n\n{en or fr}",
    ]
    if not en:
        lines.append(ctx._("(No English version: English speakers receive the French text.)"))
    lines += ["", ctx._("Audience: {audience}.", audience=await describe(ctx, audience))]
    lines.append(ctx._("Recipients: {count}.", count=ctx.t.number(count)))
    start = SendWindow.from_settings(consultation.settings).next_open(ctx.now)
    if start > ctx.now:
        lines.append(
            ctx._(
                "Delivery starts {when}: nobody is messaged at night, at weekends or on "
                "public holidays.",
                when=ctx.t.datetime(start, "short"),
            )
        )
    estimate = _delivery_estimate(ctx, per_backend)
    if estimate >= timedelta(minutes=1):
        lines.append(
            ctx._(
                "At the pace the platforms allow, delivery takes about {duration}.",
                duration=ctx.t.duration(estimate),
            )
        )
    choices = [
        Choice(ctx._("Change the audience"), AudienceMenu().pack()),
        Choice(ctx._("Cancel"), CancelBroadcast().pack()),
    ]
    if count:
        label = ctx.t.ngettext("Send to {n} recipient", "Send to {n} recipients", count)
        choices.insert(0, Choice(label, Send().pack()))
    else:
        lines.append(ctx._("Nobody is in this audience: choose another one."))
    ctx.ask(
        CONFIRM_STEP, "\n".join(lines), choices, aud_kind=audience.kind, aud_value=audience.value
    )


def _agents(consultation: Consultation) -> bool:
    return bool(consultation.settings.get("agents_may_support", False))


def _require_step(ctx: Context, *steps: str) -> None:
    if ctx.conversation.step not in steps:
        raise stale_button(ctx)


async def _send(ctx: Context) -> None:
    _require_step(ctx, CONFIRM_STEP)
    audience = _audience_of(ctx)
    consultation = await require_consultation(ctx)
    data = ctx.conversation.data
    fr, en = str(data["fr"]), str(data.get("en", ""))
    count = await audiences.count(
        ctx.db, audience, consultation.id, agents_may_support=_agents(consultation)
    )
    if not count:
        raise Refused(ctx._("Nobody is in this audience: choose another one."))
    start = SendWindow.from_settings(consultation.settings).next_open(ctx.now)
    broadcast_id = await broadcasts.create(
        ctx.db,
        consultation_id=consultation.id,
        author_id=ctx.person.id,
        text_fr=fr,
        text_en=en,
        audience=audience,
        recipients=count,
        not_before=start,
        now=ctx.now,
    )
    await fanout.start(
        ctx.services,
        ctx.commands,
        KIND,
        {
            "broadcast": broadcast_id,
            "audience": audience.to_json(),
            "consultation": consultation.id,
            "agents": _agents(consultation),
        },
        now=ctx.now,
        not_before=start,
        broadcast_id=broadcast_id,
    )
    await ctx.audit(
        "broadcast.send",
        f"broadcast:{broadcast_id}",
        audience=audience.kind,
        value=audience.value,
        recipients=count,
    )
    ctx.end()
    ctx.reply(
        ctx.t.ngettext(
            "Broadcast no. {number} is queued for {n} recipient. I will tell you when "
            "it is delivered; type {command} to follow its progress.",
            "Broadcast no. {number} is queued for {n} recipients. I will tell you when "
            "it is delivered; type {command} to follow its progress.",
            count,
            number=broadcast_id,
            command=ctx.cmd("broadcast"),
        )
    )


@router.command(
    "broadcast",
    "diffuser",
    "broadcast",
    N_("Send a message to many participants"),
)
async def broadcast(ctx: Context) -> None:
    verb = ctx.incoming.args[0].lower() if ctx.incoming.args else ""
    if verb in NEW:
        _ask_text(ctx)
    else:
        await _listing(ctx)


@router.action(NewBroadcast)
async def new(ctx: Context, pressed: NewBroadcast) -> None:
    _ask_text(ctx)


@router.step(FRENCH_STEP)
async def french(ctx: Context, text: str) -> None:
    ctx.ask(
        ENGLISH_STEP,
        ctx._("Now the English version, or type - to send the French text to everyone."),
        [Choice(ctx._("No English version"), NoEnglish().pack())],
        fr=_checked_text(ctx, text),
    )


@router.step(ENGLISH_STEP)
async def english(ctx: Context, text: str) -> None:
    ctx.conversation.data["en"] = (
        "" if text.strip().lower() in NO_ENGLISH else _checked_text(ctx, text)
    )
    _ask_audience(ctx)


@router.action(NoEnglish)
async def no_english(ctx: Context, pressed: NoEnglish) -> None:
    _require_step(ctx, ENGLISH_STEP)
    ctx.conversation.data["en"] = ""
    _ask_audience(ctx)


@router.action(AudienceMenu)
async def audience_menu(ctx: Context, pressed: AudienceMenu) -> None:
    _require_step(ctx, CONFIRM_STEP)
    _ask_audience(ctx)


@router.action(PickAudience)
async def pick_audience(ctx: Context, pressed: PickAudience) -> None:
    _require_step(ctx, AUDIENCE_STEP)
    kind = pressed.kind
    if kind in VALUE_PROMPTS:
        ctx.ask(VALUE_STEP, ctx._(VALUE_PROMPTS[kind]), aud_kind=kind)
    else:
        await _preview(ctx, Audience(kind))


@router.step(AUDIENCE_STEP)
async def typed_audience(ctx: Context, text: str) -> None:
    raise Refused(ctx._("Please choose an audience: type its number."))


@router.step(VALUE_STEP)
async def typed_value(ctx: Context, text: str) -> None:
    consultation = await require_consultation(ctx)
    kind = str(ctx.conversation.data.get("aud_kind", ""))
    if kind not in VALUE_PROMPTS:
        ctx.end()
        ctx.reply(stale_button(ctx).message)
        return
    await _preview(ctx, await _value(ctx, consultation, kind, text))


@router.step(CONFIRM_STEP)
async def typed_confirm(ctx: Context, text: str) -> None:
    raise Refused(ctx._("Please press a button, or type its number."))


@router.action(Send)
async def send(ctx: Context, pressed: Send) -> None:
    await _send(ctx)


@router.action(CancelBroadcast)
async def cancel(ctx: Context, pressed: CancelBroadcast) -> None:
    _require_step(ctx, CONFIRM_STEP, AUDIENCE_STEP, VALUE_STEP, ENGLISH_STEP)
    ctx.end()
    ctx.reply(ctx._("Cancelled: nothing was sent."))
