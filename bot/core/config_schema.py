"""The configuration file's schema: every key typed and bounded, read by pydantic.

The file is TOML, so values arrive already typed; the models are strict, and a
value of the wrong type is refused rather than converted (``"ten"`` is not a
cap, ``"*.tchap.gouv.fr"`` is not a list of patterns to split into characters,
``0.5`` is not a number of days). Unknown keys are refused too: a misspelt key
would otherwise be a setting silently left at its default. Every bound below
says why it is where it is.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    HttpUrl,
    StringConstraints,
    Tag,
    TypeAdapter,
    field_validator,
)

from bot.core.themes import KNOWN as KNOWN_THEMES

RETENTION_FLOOR_DAYS = 180
"""A participant may say nothing between the needs phase and the support phase:
the 2021 consultation ran from late January to mid-May (about 110 days) before
the selection. Erasing earlier would take a mayor's membership (and an
administrator's role) away in the middle of the consultation; 180 days cover
a whole calendar with room for a late selection."""
RETENTION_CEILING_DAYS = 1095
"""Three years after the last exchange: the longest the CNIL's guidance accepts
for keeping contact data; beyond, the retention would no longer be a limit."""

_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _url(value: str) -> str:
    """An http(s) URL with a host, kept as written (pydantic would add a ``/``)."""
    _HTTP_URL.validate_python(value)
    return value


def _https(value: str) -> str:
    if not _url(value).startswith("https://"):
        raise ValueError("must be an https:// URL: Telegram calls no other")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Url = Annotated[str, StringConstraints(max_length=500), AfterValidator(_url)]
HttpsUrl = Annotated[str, StringConstraints(max_length=500), AfterValidator(_https)]
Cap = Annotated[int, Field(gt=0, le=100_000)]
ServerPattern = Annotated[
    str, StringConstraints(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9*?.\[\]:-]+$")
]
ThemeKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
PHASE_KINDS = ("needs", "vote", "support", "selection", "coconstruction")
EARLIEST = date(2020, 1, 1)
LATEST = date(2100, 1, 1)


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class GuichetSection(_Section):
    database: Annotated[str, StringConstraints(min_length=1, max_length=1000)] = "guichet.db"
    verification: Literal["open", "staff"] = "open"
    retention_days: Annotated[int, Field(ge=RETENTION_FLOOR_DAYS, le=RETENTION_CEILING_DAYS)] = 365
    privacy_contact: Text
    metrics_port: Annotated[int, Field(ge=1, le=65535)] | None = None
    unhealthy_after: Annotated[float, Field(gt=0, le=86400)] = 120.0
    log_format: Literal["text", "json"] = "text"


class LimitsSection(_Section):
    # Telegram refuses messages over 4096 characters; Matrix clients show no more.
    message_chars: Annotated[int, Field(ge=100, le=4096)] = 4000
    title_chars: Annotated[int, Field(ge=20, le=500)] = 120
    text_chars: Annotated[int, Field(ge=100, le=4000)] = 2000
    # Platforms redeliver within a day; a year of event ids is only a bigger table.
    processed_events_days: Annotated[int, Field(ge=1, le=365)] = 30
    # Sent messages leave the outbox after this; failed ones stay for the reports.
    outbox_sent_days: Annotated[int, Field(ge=1, le=365)] = 7
    telegram_messages_per_second: Annotated[float, Field(gt=0, le=1000)] = 30.0
    matrix_messages_per_second: Annotated[float, Field(gt=0, le=1000)] = 2.0
    messages_per_minute: Annotated[int, Field(ge=1, le=600)] = 30
    # Someone may speak for a commune and its EPCI, or for several communes.
    requests_pending: Annotated[int, Field(ge=1, le=50)] = 3
    requests_per_day: Annotated[int, Field(ge=1, le=100)] = 5


class TelegramSection(_Section):
    webhook_url: HttpsUrl | None = None
    base_url: Url | None = None  # a local Bot API server


class MatrixSection(_Section):
    homeserver: Url
    user_id: Annotated[str, StringConstraints(pattern=r"^@[^:\s]+:\S+$", max_length=255)]
    device_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = "GUICHET"
    store_path: Annotated[str, StringConstraints(min_length=1, max_length=1000)] = "matrix-store"
    allowed_servers: Annotated[list[ServerPattern], Field(max_length=100)] = []


class CustomTheme(_Section):
    key: ThemeKey
    fr: Text
    en: Text


def _known_theme(key: str) -> str:
    if key not in KNOWN_THEMES:
        raise ValueError(
            f"unknown theme {key!r}: use one of {', '.join(KNOWN_THEMES)}, "
            'or write {key = "…", fr = "…", en = "…"}'
        )
    return key


def _theme_form(value: object) -> str:
    return "<custom>" if isinstance(value, dict | CustomTheme) else "<known>"


# A plain name or a table; the discriminator keeps pydantic from reporting a
# refused name twice (once as a name, once as "not a table").
Theme = Annotated[
    Annotated[str, AfterValidator(_known_theme), Tag("<known>")]
    | Annotated[CustomTheme, Tag("<custom>")],
    Discriminator(_theme_form),
]


class PhaseEntry(_Section):
    kind: Literal["needs", "vote", "support", "selection", "coconstruction"]
    opens: Annotated[date, Field(ge=EARLIEST, lt=LATEST)]
    closes: Annotated[date, Field(ge=EARLIEST, lt=LATEST)] | None = None


class ConsultationSection(_Section):
    slug: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)]
    title: Text
    title_en: Text | None = None
    votes_per_person: Cap | None = None
    supports_per_collectivite: Cap | None = None
    contributions_per_day: Cap | None = None
    agents_may_support: bool = False
    coconstruction_places: Annotated[int, Field(ge=0, le=10_000)] | None = None
    """Volunteer collectivités per selected proposal (storage.volunteers.DEFAULT_PLACES)."""
    themes: Annotated[list[Theme], Field(min_length=1, max_length=30)] | None = None
    reminder_days: Annotated[list[Annotated[int, Field(ge=1, le=60)]], Field(max_length=10)] = [
        7,
        1,
    ]
    send_hours: Annotated[list[Annotated[int, Field(ge=0, le=24)]], Field(min_length=2)] | None = (
        None
    )
    phases: Annotated[list[PhaseEntry], Field(min_length=1, max_length=10)]

    @field_validator("themes")
    @classmethod
    def _distinct_themes(cls, themes: list[str | CustomTheme] | None) -> object:
        keys = [t.key if isinstance(t, CustomTheme) else t for t in themes or []]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"theme(s) listed twice: {', '.join(twice)}")
        return themes

    @field_validator("reminder_days")
    @classmethod
    def _distinct_days(cls, days: list[int]) -> list[int]:
        if len(set(days)) != len(days):
            raise ValueError("a day is listed twice")
        return days

    @field_validator("send_hours")
    @classmethod
    def _hours(cls, hours: list[int] | None) -> list[int] | None:
        if hours is not None and (len(hours) != 2 or not hours[0] < hours[1]):
            raise ValueError("must be [first hour, hour it ends], e.g. [9, 19] (Europe/Paris)")
        return hours

    @field_validator("phases")
    @classmethod
    def _calendar(cls, phases: list[PhaseEntry]) -> list[PhaseEntry]:
        """The phases follow each other without overlap; only the last may stay open."""
        problems = []
        previous: date | None = None
        for index, phase in enumerate(phases, start=1):
            if phase.closes is not None and phase.closes < phase.opens:
                problems.append(f"phase {index} closes ({phase.closes}) before it opens")
            if previous is not None and phase.opens <= previous:
                problems.append(
                    f"phase {index} opens ({phase.opens}) before phase {index - 1} ends"
                )
            if phase.closes is None and index != len(phases):
                problems.append(f"phase {index}: only the last phase may have no closing date")
            previous = phase.closes
        if problems:
            raise ValueError("; ".join(problems))
        return phases


class ConfigFile(_Section):
    """The whole file: ``[guichet]`` is required (it names the privacy contact)."""

    guichet: GuichetSection
    limits: LimitsSection = LimitsSection()
    telegram: TelegramSection | None = None
    matrix: MatrixSection | None = None
    consultation: ConsultationSection | None = None


SETTING_KEYS = (
    "title_en",
    "votes_per_person",
    "supports_per_collectivite",
    "agents_may_support",
    "contributions_per_day",
    "themes",
    "reminder_days",
    "send_hours",
    "coconstruction_places",
)
"""The consultation's keys kept in its settings (the rest are its columns)."""

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def key_path(loc: tuple[int | str, ...]) -> str:
    """``("consultation", "phases", 1, "kind")`` → ``consultation.phases[2].kind``
    (entries counted from 1, as a person reading the file counts them)."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part + 1}]"
        elif _NAME.match(part):
            path += f".{part}" if path else part
        # else the member of a union pydantic tried ("<known>", "function-after[…]"): no key
    return path
