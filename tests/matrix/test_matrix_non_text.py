"""Matrix: what is not text gets an answer, and no message content reaches the log.

Reproduces what was found: m.image, m.file and m.emote got no answer at all,
even in the middle of ``!besoin``; nio's validation warnings wrote a user's
whole m.image event content into the log.
"""

from __future__ import annotations

import logging

import pytest
from nio.events.misc import validate_or_badevent
from nio.schemas import Schemas

from bot.app import App
from storage import memberships, persons
from tests.matrix.conftest import Bots, NewPerson

ONLY_TEXT = "Je ne lis que le texte"


async def test_images_files_and_emotes_are_answered_and_the_step_waits(
    app: App, bots: Bots, new_person: NewPerson
) -> None:
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id)
    await mayor.ask(room, "!aide")
    person = await persons.by_identity(app.services.db, f"matrix:{mayor.user_id}")
    assert person is not None
    await memberships.request(
        app.services.db,
        person.id,
        "24432",
        "elu",
        approve=True,
        evidence="",
        now=app.services.clock.now(),
    )
    await mayor.ask(room, "!besoin")
    sent = [
        {"msgtype": "m.image", "body": "Covoiturage", "url": "mxc://guichet.test/x"},
        {"msgtype": "m.file", "body": "devis.pdf", "url": "mxc://guichet.test/y"},
        {"msgtype": "m.emote", "body": "soupire"},
        {"msgtype": "m.location", "body": "Mairie", "geo_uri": "geo:44.9,1.3"},
    ]
    for content in sent:
        response = await mayor.client.room_send(
            room, "m.room.message", content, ignore_unverified_devices=True
        )
        event_id = str(response.event_id)  # type: ignore[union-attr]
        [answer] = await mayor.until(lambda e=event_id: mayor.answers(e))
        assert str(answer.body).startswith(ONLY_TEXT), content["msgtype"]
    [asked_body] = await mayor.ask(room, "Covoiturage rural")
    assert "Décrivez le besoin" in str(asked_body.body)


def test_nio_validation_warnings_carry_no_content(caplog: pytest.LogCaptureFixture) -> None:
    import bot.backends.matrix.backend  # noqa: F401  (installs the filter)

    secret = "Le maire de Trifouilly a un projet confidentiel"
    event = {  # an image without its url: invalid, as the one that was logged
        "type": "m.room.message",
        "event_id": "$e",
        "sender": "@maire:guichet.test",
        "origin_server_ts": 1,
        "content": {"msgtype": "m.image", "body": secret},
    }
    with caplog.at_level(logging.DEBUG):
        validate_or_badevent(event, Schemas.room_message_media)
    assert "Error validating event" in caplog.text
    assert secret not in caplog.text


async def test_an_edit_or_a_deletion_of_a_used_message_says_which_version_was_kept(
    app: App, bots: Bots, new_person: NewPerson
) -> None:
    """An edited title was still submitted unchanged, silently."""
    bot = await bots.start(app)
    mayor = await new_person("maire")
    room = await mayor.open_direct(bot.user_id)
    title = await mayor.say(room, "!aide")
    await mayor.until(lambda: mayor.answers(title))
    edit = {
        "msgtype": "m.text",
        "body": "* !calendrier",
        "m.new_content": {"msgtype": "m.text", "body": "!calendrier"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": title},
    }
    response = await mayor.client.room_send(
        room, "m.room.message", edit, ignore_unverified_devices=True
    )
    edited = str(response.event_id)  # type: ignore[union-attr]
    [answer] = await mayor.until(lambda: mayor.answers(edited))
    assert "j'ai gardé cette version" in str(answer.body)
    redacted = await mayor.client.room_redact(room, title)
    redaction = str(redacted.event_id)  # type: ignore[union-attr]
    [answer] = await mayor.until(lambda: mayor.answers(redaction))
    assert "ne l'annule pas" in str(answer.body) and "!aide" in str(answer.body)
