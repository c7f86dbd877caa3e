"""``/stats`` and its charts: exact figures on a seeded consultation, staff only."""

from __future__ import annotations

import struct
from datetime import date

import pytest

from bot.app import App
from bot.backends.memory import MemoryBackend
from bot.core.messages import Reply
from handlers import stats_views
from storage import consultations, persons, stats
from tests.conftest import text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STAFF_BUTTONS = [
    "stats.t:proposals:0",
    "stats.t:places:0",
    "stats.c:supports",
    "stats.c:daily",
    "stats.c:departements",
    "exp.f:csv",
    "exp.f:xlsx",
    "exp.f:both",
]


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a valid PNG has first."""
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


async def test_overview_figures(seeded: MemoryBackend) -> None:
    replies = await seeded.say("staff", "/stats")
    assert len(replies) == 1
    body = replies[0].text
    expected = [
        "Statistics — Consultation de test",
        "Open now: declaration of support, since November 21, 2026.",
        "Persons registered: 9 (active in this consultation: 8)",
        "Collectivités taking part: 8 — communes: 7, intercommunalities: 1",
        "Communes under 1,000 inhabitants: 3 (42.9%)",
        "Communes under 3,500 inhabitants: 4 (57.1%)",
        "Contributions: 7",
        "By status: waiting for review 1 · grouped 3 · re-routed 1 · rejected 1 · withdrawn 1",
        "By theme: Data 3 · Culture 2 · Mobility 2",
        "Proposals: 3",
        "Votes: 8 · supports: 6 (ready to co-build: 2)",
        "1. no. 1 “Partager des véhicules entre habitants” — supports 4 "
        "(ready to co-build 1), votes 4",
        "2. no. 2 “Visualiser et piloter par la donnée” — supports 2 "
        "(ready to co-build 1), votes 3",
        "By région (collectivités taking part, members):\n"
        "• Nouvelle-Aquitaine: 4, 5\n• Pays de la Loire: 1, 2\n• Occitanie: 1, 1\n"
        "• Auvergne-Rhône-Alpes: 1, 1\n• Bretagne: 1, 0",
        "Since the declaration of support opened on November 21, 2026 (11 days):\n"
        "new members 1, contributions 0, votes 0, supports 6",
        "Last 7 days: new members 1, contributions 0, votes 0, supports 5",
    ]
    for line in expected:
        assert line in body, line
    assert "more région" not in body and "no. 3" not in body  # no support: not ranked
    # Sections, so a phone shows it in readable chunks; the long tables are choices.
    assert body.count("\n\n") == 5
    assert len(body) < 2000
    assert [c.data for c in replies[0].choices] == [*STAFF_BUTTONS[:5], "exp.f:xlsx"]


async def test_french_staff_get_french_numbers(seeded: MemoryBackend) -> None:
    await seeded.say("staff", "/langue fr")
    body = text(await seeded.say("staff", "/stats"))
    assert "3 (42,9 %)" in body and "4 (57,1 %)" in body
    assert "1 000" in body and "3 500" in body


async def test_daily_counts_fold_into_paris_days(seeded: MemoryBackend) -> None:
    db = seeded.app.services.db
    consultation = await consultations.current(db)
    assert consultation is not None
    support = next(p for p in consultation.phases if p.kind == "support")
    now = seeded.app.services.clock.now()
    days = await stats.daily(db, consultation.id, support.opens_at, now)
    assert [d.day for d in days][:2] == [date(2026, 11, 21), date(2026, 11, 22)]
    busy = {d.day: (d.members, d.contributions, d.votes, d.supports) for d in days if d.actions}
    # The 23:30 UTC support of 21 November is 00:30 on the 22nd in Paris; the one at
    # 08:00 UTC today is before the frozen clock (09:00 UTC), so it counts.
    assert busy == {
        date(2026, 11, 22): (0, 0, 0, 1),
        date(2026, 11, 25): (1, 0, 0, 4),
        date(2026, 12, 1): (0, 0, 0, 1),
    }


async def test_tables_page_through_proposals_and_places(
    seeded: MemoryBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seeded.say("staff", "/stats")
    first = text(await seeded.say("staff", "1"))
    assert "Proposals by supports (1–3 of 3)" in first
    assert "1. no. 1 “Partager des véhicules entre habitants” — supports 4" in first
    assert "votes 4, contributions 2" in first
    await seeded.say("staff", "/stats")
    places = text(await seeded.say("staff", "2"))
    assert "• Dordogne (24): 2/503 (0.4%); 3; 4" in places
    assert "• Finistère (29): 1/277 (0.4%); 1; 0" in places
    assert "• Nouvelle-Aquitaine: 4, 5" in places

    monkeypatch.setattr(stats_views, "PAGE", 2)
    page = await seeded.press("staff", "stats.t:proposals:0")
    assert "(1–2 of 3)" in page[0].text
    assert [c.data for c in page[0].choices] == ["stats.t:proposals:2"]
    page = await seeded.press("staff", "stats.t:proposals:2")
    assert "(3–3 of 3)" in page[0].text and "3. no. 3" in page[0].text
    assert [c.data for c in page[0].choices] == ["stats.t:proposals:0"]
    # A page past the end shows the last one rather than nothing.
    assert "(3–3 of 3)" in text(await seeded.press("staff", "stats.t:proposals:900"))
    later = text(await seeded.press("staff", "stats.t:places:2"))
    assert "By région" not in later and "(3–4 of 6)" in later


def _image(replies: list[Reply]) -> tuple[bytes, str]:
    images = [r.image for r in replies if r.image is not None]
    assert len(images) == 1
    return images[0].png, images[0].alt


async def test_charts_are_pngs_whose_alt_text_has_the_figures(seeded: MemoryBackend) -> None:
    png, alt = _image(await seeded.press("staff", "stats.c:supports"))
    width, height = png_size(png)
    assert (width, height) == (800, 350) and len(png) < 500_000
    assert alt.startswith(
        "Chart: supports per proposal (top 3 of 3); supports in all: 6. "
        "no. 1 “Partager des véhicules entre habitants”: 4, of which 1 ready to co-build; "
        "no. 2 “Visualiser et piloter par la donnée”: 2, of which 1 ready to co-build;"
    )

    png, alt = _image(await seeded.press("staff", "stats.c:daily"))
    width, height = png_size(png)
    assert width == 800 and 300 <= height <= 2000
    assert alt == (
        "Chart: participation per day from November 21, 2026 to December 1, 2026. "
        "In all: new members 1, contributions 0, votes 0, supports 6. "
        "Busiest day: November 25, 2026 (actions: 5). Last day, December 1, 2026: "
        "new members 0, contributions 0, votes 0, supports 1."
    )

    png, alt = _image(await seeded.press("staff", "stats.c:departements"))
    assert png_size(png)[0] == 800
    assert "(top 6 of 6 with at least one commune taking part)" in alt
    assert (
        "Dordogne (24): 0.4%, 2 of 503; Vendée (85): 0.4%, 1 of 253; "
        "Finistère (29): 0.4%, 1 of 277; Lot (46): 0.3%, 1 of 312; "
        "Ain (01): 0.3%, 1 of 391; Gironde (33): 0.2%, 1 of 534."
    ) in alt


async def test_french_chart_labels(seeded: MemoryBackend) -> None:
    await seeded.say("staff", "/langue fr")
    _png, alt = _image(await seeded.press("staff", "stats.c:daily"))
    assert "21 novembre 2026" in alt and "25 novembre 2026" in alt


async def test_everyone_but_staff_is_refused(seeded: MemoryBackend) -> None:
    for command in ("/stats", "/export", "/export csv", "/journal", "/audit"):
        refused = text(await seeded.say("alice", command))
        assert "reserved for" in refused, command
    for data in [*STAFF_BUTTONS, "jr.p:1"]:
        replies = await seeded.press("alice", data)
        assert len(replies) == 1 and replies[0].file is None and replies[0].image is None
        assert "reserved for" in replies[0].text, data
    # Staff are not administrators: the audit log stays closed to them.
    assert "reserved for administrators" in text(await seeded.say("staff", "/journal"))
    assert "reserved for administrators" in text(await seeded.press("staff", "jr.p:1"))


async def test_forged_buttons_get_a_clear_answer(seeded: MemoryBackend) -> None:
    for data in (
        "stats.c:pie",
        "stats.c",
        "stats.t:proposals:x",
        "stats.t:proposals:²",
        "stats.t:votes:0",
        "exp.f:pdf",
        "jr.p:-1",
    ):
        replies = await seeded.press("boss", data)
        assert "This button is no longer valid" in text(replies), data


async def test_empty_consultation(app: App) -> None:
    chat = MemoryBackend(app)
    # The demo consultation in its needs phase: no proposal, no member yet.
    await chat.say("staff", "/language en")
    person = await persons.by_identity(app.services.db, chat.identity("staff"))
    assert person is not None
    await persons.set_role(app.services.db, person.id, "staff")
    body = text(await chat.say("staff", "/stats"))
    assert "Persons registered: 0 (active in this consultation: 0)" in body
    assert "Communes under 1,000 inhabitants: 0 (—)" in body
    assert "Most supported" not in body
    assert "nothing to draw" in text(await chat.press("staff", "stats.c:supports"))
    assert "nothing to draw" in text(await chat.press("staff", "stats.c:departements"))
    png, alt = _image(await chat.press("staff", "stats.c:daily"))
    assert png.startswith(PNG_SIGNATURE) and "In all: new members 0" in alt
    assert "There are no proposals yet." in text(await chat.press("staff", "stats.t:proposals:0"))
    assert "No collectivité takes part yet." in text(await chat.press("staff", "stats.t:places:0"))


async def test_before_any_support_proposals_rank_by_votes(seeded: MemoryBackend) -> None:
    await seeded.app.services.db.execute("DELETE FROM supports")
    body = text(await seeded.say("staff", "/stats"))
    assert "Most supported" not in body
    assert (
        "Most voted:\n1. no. 1 “Partager des véhicules entre habitants” — supports 0 "
        "(ready to co-build 0), votes 4\n2. no. 2"
    ) in body
    assert (
        "3. no. 3 “Faciliter l'accès à la culture” — supports 0 (ready to co-build 0), votes 1"
        in body
    )
    assert "nothing to draw" in text(await seeded.press("staff", "stats.c:supports"))
