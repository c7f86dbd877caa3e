"""Charts of participation as PNG, each with the text a screen reader reads instead.

Rendering only: the figures come from ``storage.stats`` and every label is
translated by the caller's ``Translator``, so a chart speaks the person's
language. Matplotlib is imported on first use (it costs most of a second)
and driven through its object API on the Agg canvas, never ``pyplot``, so no
global figure state is shared. The alt text carries the same figures as the
picture: a chart must never be the only place a number is.

Series are told apart by shape and hatching as well as by colour (Okabe-Ito
palette), for readers who do not see colours.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from babel.numbers import format_percent

from bot.core.clock import PARIS
from bot.core.i18n import Translator
from bot.core.messages import Image
from storage.stats import Area, Day, ProposalCounts

if TYPE_CHECKING:
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure

BLUE, ORANGE, GREEN, RED = "#0072B2", "#E69F00", "#009E73", "#D55E00"
WIDTH_INCHES = 8.0
DPI = 100
MAX_BARS = 15


def percent(t: Translator, share: float) -> str:
    """``12,3 %`` / ``12.3%``: one decimal at most, as the locale writes percentages."""
    return format_percent(round(share, 3), locale=t.locale, decimal_quantization=False)


def day_label(t: Translator, day: date, fmt: str = "d MMM") -> str:
    return t.date(datetime.combine(day, time(12), tzinfo=PARIS), fmt)


def _short(text: str, limit: int = 42) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _figure(bars: int) -> Figure:
    from matplotlib.figure import Figure

    height = max(3.5, 1.6 + 0.38 * bars)
    return Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, layout="constrained")


def _png(figure: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _integer_axis(t: Translator, axis: Axis) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: t.number(int(value))))


def supports(t: Translator, ranked: Sequence[ProposalCounts]) -> Image:
    """Proposals ranked by supports, each bar split into its two levels."""
    shown = list(ranked[:MAX_BARS])
    figure = _figure(len(shown))
    axes = figure.add_subplot()
    labels = [
        t._("no. {number} {title}", number=p.number, title=_short(p.title, 36)) for p in shown
    ]
    positions = range(len(shown))
    axes.barh(positions, [p.soutien for p in shown], color=BLUE, label=t._("support"))
    axes.barh(
        positions,
        [p.co_construction for p in shown],
        left=[p.soutien for p in shown],
        color=ORANGE,
        hatch="//",
        edgecolor="white",
        label=t._("ready to co-build"),
    )
    for y, proposal in zip(positions, shown, strict=True):
        axes.text(proposal.supports, y, f" {t.number(proposal.supports)}", va="center")
    axes.set_yticks(list(positions), labels=labels)
    axes.invert_yaxis()
    _integer_axis(t, axes.xaxis)
    axes.set_xlabel(t._("Collectivités supporting the proposal"))
    axes.set_title(
        t._(
            "Proposals ranked by supports (top {shown} of {total})",
            shown=t.number(len(shown)),
            total=t.number(len(ranked)),
        )
    )
    axes.legend(loc="lower right")
    axes.margins(x=0.12)
    items = [
        t._(
            "no. {number} “{title}”: {supports}, of which {co_construction} ready to co-build",
            number=p.number,
            title=_short(p.title, 60),
            supports=t.number(p.supports),
            co_construction=t.number(p.co_construction),
        )
        for p in shown
    ]
    alt = t._(
        "Chart: supports per proposal (top {shown} of {total}); supports in all: {all}. {items}.",
        shown=t.number(len(shown)),
        total=t.number(len(ranked)),
        all=t.number(sum(p.supports for p in ranked)),
        items="; ".join(items),
    )
    return Image(_png(figure), alt)


def counts(t: Translator, days: Sequence[Day], votes: bool = True) -> str:
    """The day's or period's figures as one line, shared by the chart and ``/stats``;
    no votes in a consultation that has no vote phase."""
    if not votes:
        return t._(
            "new members {members}, contributions {contributions}, supports {supports}",
            members=t.number(sum(d.members for d in days)),
            contributions=t.number(sum(d.contributions for d in days)),
            supports=t.number(sum(d.supports for d in days)),
        )
    return t._(
        "new members {members}, contributions {contributions}, votes {votes}, supports {supports}",
        members=t.number(sum(d.members for d in days)),
        contributions=t.number(sum(d.contributions for d in days)),
        votes=t.number(sum(d.votes for d in days)),
        supports=t.number(sum(d.supports for d in days)),
    )


def daily(t: Translator, days: Sequence[Day], votes: bool = True) -> Image:
    """Participation per day since the phase opened: one line per kind of action
    (none for votes in a consultation that has no vote phase)."""
    figure = _figure(8)
    axes = figure.add_subplot()
    series = [
        (t._("new members"), [d.members for d in days], BLUE, "o", "-"),
        (t._("contributions"), [d.contributions for d in days], ORANGE, "s", "--"),
        (t._("votes"), [d.votes for d in days], GREEN, "^", "-."),
        (t._("supports"), [d.supports for d in days], RED, "D", ":"),
    ]
    if not votes:
        series = [s for s in series if s[2] != GREEN]
    positions = list(range(len(days)))
    for label, values, colour, marker, style in series:
        axes.plot(positions, values, color=colour, marker=marker, linestyle=style, label=label)
    step = max(1, len(days) // 10)
    axes.set_xticks(
        positions[::step], labels=[day_label(t, d.day) for d in days[::step]], rotation=45
    )
    _integer_axis(t, axes.yaxis)
    axes.set_ylim(bottom=0)
    axes.set_ylabel(t._("per day"))
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="upper left")
    start, end = day_label(t, days[0].day, "long"), day_label(t, days[-1].day, "long")
    axes.set_title(t._("Participation per day, {start} – {end}", start=start, end=end))
    busiest = max(days, key=lambda d: (d.actions, d.day))
    last = days[-1]
    alt = t._(
        "Chart: participation per day from {start} to {end}. In all: {totals}. "
        "Busiest day: {busiest} (actions: {actions}). Last day, {last}: {last_totals}.",
        start=start,
        end=end,
        totals=counts(t, days, votes),
        busiest=day_label(t, busiest.day, "long"),
        actions=t.number(busiest.actions),
        last=day_label(t, last.day, "long"),
        last_totals=counts(t, [last], votes),
    )
    return Image(_png(figure), alt)


def departements(t: Translator, areas: Sequence[Area]) -> Image:
    """The départements where the largest share of communes takes part."""
    ranked = sorted((a for a in areas if a.communes), key=lambda a: (-a.share, -a.communes, a.code))
    shown = ranked[:MAX_BARS]
    figure = _figure(len(shown))
    axes = figure.add_subplot()
    positions = range(len(shown))
    axes.barh(positions, [a.share * 100 for a in shown], color=GREEN)
    for y, area in zip(positions, shown, strict=True):
        axes.text(
            area.share * 100,
            y,
            " "
            + t._(
                "{share} ({communes}/{total})",
                share=percent(t, area.share),
                communes=t.number(area.communes),
                total=t.number(area.communes_total),
            ),
            va="center",
        )
    axes.set_yticks(list(positions), labels=[f"{a.name} ({a.code})" for a in shown])
    axes.invert_yaxis()
    from matplotlib.ticker import FuncFormatter

    axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: percent(t, v / 100)))
    axes.set_xlim(left=0)
    axes.margins(x=0.3)
    axes.set_xlabel(t._("Share of the département's communes taking part"))
    axes.set_title(
        t._(
            "Communes taking part, by département (top {shown} of {total})",
            shown=t.number(len(shown)),
            total=t.number(len(ranked)),
        )
    )
    items = [
        t._(
            "{name} ({code}): {share}, {communes} of {total}",
            name=a.name,
            code=a.code,
            share=percent(t, a.share),
            communes=t.number(a.communes),
            total=t.number(a.communes_total),
        )
        for a in shown
    ]
    alt = t._(
        "Chart: share of communes taking part, by département (top {shown} of {total} "
        "with at least one commune taking part). {items}.",
        shown=t.number(len(shown)),
        total=t.number(len(ranked)),
        items="; ".join(items),
    )
    return Image(_png(figure), alt)
