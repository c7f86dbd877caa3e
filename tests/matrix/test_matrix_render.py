"""bot.backends.matrix.render and the backend's pure parts: event shape, limits, errors."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from nio import ErrorResponse

from bot.backends.base import Blocked, DeliveryError, RetryAfter, Unreachable
from bot.backends.matrix.backend import sync_filter
from bot.backends.matrix.render import (
    MAX_TEXT_BYTES,
    attachment,
    contents,
    split_text,
    strip_address,
    strip_reply_fallback,
    text_cost,
)
from bot.backends.matrix.send import delivery_error
from bot.core.messages import Choice, Image, Reply


def test_a_reply_is_a_notice_with_html_and_a_numbered_plain_body() -> None:
    reply = Reply("Choisissez <vite> & bien :", [Choice("Élu·e", "a"), Choice("Agent", "b")])
    [content] = contents(reply, "$question")
    assert content["msgtype"] == "m.notice"
    assert content["body"] == "Choisissez <vite> & bien :\n  1. Élu·e\n  2. Agent"
    assert content["format"] == "org.matrix.custom.html"
    assert content["formatted_body"] == (
        "Choisissez &lt;vite&gt; &amp; bien :<ol><li>Élu·e</li><li>Agent</li></ol>"
    )
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$question"}}
    assert content["m.mentions"] == {}


def test_lines_become_breaks_and_a_notification_is_not_a_reply() -> None:
    [content] = contents(Reply("un\ndeux"))
    assert content["formatted_body"] == "un<br/>deux"
    assert "m.relates_to" not in content


def test_an_image_falls_back_to_its_text_alternative() -> None:
    [content] = contents(Reply("Résultats", image=Image(b"png", "Graphique : 17 projets")))
    assert content["body"] == "Résultats\n[image: Graphique : 17 projets]"


def test_a_long_reply_is_split_under_the_event_limit_with_choices_last() -> None:
    line = "é" * 1000
    text = "\n".join([line] * 30)
    parts = contents(Reply(text, [Choice("OK", "ok")]), "$q")
    assert len(parts) > 1
    for part in parts:
        assert text_cost(part["body"]) <= MAX_TEXT_BYTES + 20  # the choices ride along
        assert len(json.dumps(part)) * 4 / 3 < 65_536 - 4_000
        assert part["m.relates_to"]["m.in_reply_to"]["event_id"] == "$q"
    assert parts[-1]["body"].endswith("  1. OK")
    assert "<ol>" not in parts[0]["formatted_body"]
    assert "".join(p["body"].replace("\n  1. OK", "") for p in parts).count("é") == 30_000


def test_split_text_cuts_even_a_single_monster_line() -> None:
    half = MAX_TEXT_BYTES // 2  # "x" costs one byte plain and one in HTML
    chunks = split_text("x" * (MAX_TEXT_BYTES + 5))
    assert [len(c) for c in chunks] == [half, half, 5]
    quotes = split_text('"' * MAX_TEXT_BYTES)  # &quot; costs six
    assert all(text_cost(c) <= MAX_TEXT_BYTES for c in quotes)
    assert "".join(quotes) == '"' * MAX_TEXT_BYTES
    assert split_text("") == [""]
    assert split_text("court") == ["court"]


def test_attachment_content_plain_and_encrypted() -> None:
    plain = attachment("m.file", "a.csv", "text/csv", 3, "mxc://hs/abc", None)
    assert plain["url"] == "mxc://hs/abc"
    assert plain["info"] == {"mimetype": "text/csv", "size": 3}
    secret = attachment("m.file", "a.csv", "text/csv", 3, "mxc://hs/abc", {"iv": "x"})
    assert secret["file"] == {"url": "mxc://hs/abc", "iv": "x"}
    assert "url" not in secret


def test_reply_fallback_is_dropped() -> None:
    body = "> <@guichet:hs> Tapez 1 ou 2\n> 1. Français\n\n2"
    assert strip_reply_fallback(body) == "2"
    assert strip_reply_fallback("> citation sans auteur") == "> citation sans auteur"
    assert strip_reply_fallback("2") == "2"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("guichet: !aide", ("!aide", True)),
        ("Guichet, 2", ("2", True)),
        ("@guichet !start 24432", ("!start 24432", True)),
        ("@guichet:hs: bonjour", ("bonjour", True)),
        ("guichetier: bonjour", ("guichetier: bonjour", False)),
        ("bonjour guichet", ("bonjour guichet", False)),
    ],
)
def test_strip_address(body: str, expected: tuple[str, bool]) -> None:
    assert strip_address(body, ["guichet", "@guichet:hs", "Guichet"]) == expected


def test_delivery_errors_map_to_what_the_outbox_does() -> None:
    limited = delivery_error(ErrorResponse("slow down", "M_LIMIT_EXCEEDED", retry_after_ms=1500))
    assert isinstance(limited, RetryAfter)
    assert limited.seconds == 1.5
    unknown_wait = delivery_error(ErrorResponse("slow down", "M_LIMIT_EXCEEDED"))
    assert isinstance(unknown_wait, RetryAfter)
    assert unknown_wait.seconds == 5
    assert isinstance(delivery_error(ErrorResponse("not in room", "M_FORBIDDEN")), Blocked)
    other = delivery_error(ErrorResponse("boom", "M_UNKNOWN"))
    assert type(other) is DeliveryError
    # A proxy's 502 while Synapse restarts: an answer waits for it to come back.
    gateway = ErrorResponse("unknown error")
    gateway.transport_response = SimpleNamespace(status=502)
    assert isinstance(delivery_error(gateway), Unreachable)


def test_each_run_gets_its_own_first_sync_filter() -> None:
    assert sync_filter() == {"room": {"timeline": {"limit": 100}}}
    assert sync_filter("a") != sync_filter("b")
