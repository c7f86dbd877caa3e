"""bot.backends.telegram.render: Telegram's limits, checked without a bot."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.backends.telegram.render import (
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    TEXT_LIMIT,
    Document,
    Photo,
    Text,
    deep_link,
    fits_callback,
    keyboard,
    menu,
    render,
    split_text,
    utf16_len,
)
from bot.core.messages import Choice, File, Image, Reply


def test_the_limits_are_telegrams() -> None:
    assert (TEXT_LIMIT, CAPTION_LIMIT, CALLBACK_DATA_LIMIT) == (4096, 1024, 64)


def test_short_text_is_one_part() -> None:
    assert split_text("Bonjour") == ["Bonjour"]
    assert split_text("") == []


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    assert split_text("aaaa\n\nbbbb\ncccc", limit=10) == ["aaaa", "bbbb\ncccc"]
    assert split_text("aaaa\nbbbb\ncccc", limit=10) == ["aaaa\nbbbb", "cccc"]
    assert split_text("aaaa bbbb cccc", limit=10) == ["aaaa bbbb", "cccc"]
    assert split_text("a" * 25, limit=10) == ["a" * 10, "a" * 10, "a" * 5]


def test_split_counts_utf16_units_and_keeps_emoji_whole() -> None:
    parts = split_text("🗳" * 5, limit=4)  # each ballot box is two UTF-16 units
    assert parts == ["🗳🗳", "🗳🗳", "🗳"]


@given(st.text(alphabet=st.sampled_from("ab é🗳\n"), max_size=300), st.integers(2, 40))
def test_every_part_fits_and_nothing_but_separators_is_lost(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < utf16_len(part) <= limit for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_text_is_escaped_for_html_parse_mode() -> None:
    rendered = render(Reply("<b>Saint-Jean & Co</b>"))
    assert rendered.parts == (Text("&lt;b&gt;Saint-Jean &amp; Co&lt;/b&gt;"),)


def test_split_happens_before_escaping() -> None:
    """4096 counts what the person sees: "&" is one character, not five."""
    rendered = render(Reply("&" * TEXT_LIMIT))
    assert rendered.parts == (Text("&amp;" * TEXT_LIMIT),)


def test_choices_become_one_button_per_row() -> None:
    markup = keyboard([Choice("Français", "onb.lang:fr"), Choice("English", "onb.lang:en")])
    assert markup is not None
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [["Français"], ["English"]]
    assert [row[0].callback_data for row in markup.inline_keyboard] == [
        "onb.lang:fr",
        "onb.lang:en",
    ]


def test_callback_data_is_counted_in_utf8_bytes() -> None:
    assert fits_callback("x" * 64)
    assert not fits_callback("x" * 65)
    assert not fits_callback("é" * 33)  # 66 bytes in 33 characters
    assert not fits_callback("")


def test_too_long_data_falls_back_to_a_numbered_list_not_a_broken_button() -> None:
    reply = Reply("Choisissez :", [Choice("Court", "a:1"), Choice("Long", "b:" + "x" * 63)])
    rendered = render(reply)
    assert rendered.keyboard is None
    assert rendered.parts == (Text("Choisissez :\n  1. Court\n  2. Long"),)


def test_keyboard_goes_with_the_last_of_several_parts() -> None:
    rendered = render(Reply("x" * (TEXT_LIMIT + 1), [Choice("OK", "ok")]))
    assert len(rendered.parts) == 2 and rendered.keyboard is not None
    assert rendered.single_text is None  # so it cannot replace one pressed message


def test_image_caption_is_its_alt_text_within_the_caption_limit() -> None:
    png = b"\x89PNG"
    assert render(Reply("", image=Image(png, "Votes par jour"))).parts == (
        Photo(png, "Votes par jour"),
    )
    long_alt = "mot " * 300
    assert render(Reply("", image=Image(png, long_alt))).parts == (
        Photo(png, ""),
        Text(long_alt.strip()),
    )


def test_file_becomes_a_document() -> None:
    rendered = render(Reply("Votre export", file=File("export.csv", b"a;b")))
    assert rendered.parts == (Text("Votre export"), Document("export.csv", b"a;b"))


def test_menu_drops_what_telegram_would_refuse() -> None:
    commands = menu([("aide", "Ce que vous pouvez faire"), ("équipe", "Équipe"), ("vide", " ")])
    assert [(c.command, c.description) for c in commands] == [("aide", "Ce que vous pouvez faire")]


def test_deep_link_payload_must_be_safe() -> None:
    assert deep_link("guichet_bot", "24432") == "https://t.me/guichet_bot?start=24432"
    assert deep_link("guichet_bot", "") == "https://t.me/guichet_bot"
    assert deep_link("guichet_bot", "a b&c") == "https://t.me/guichet_bot"
