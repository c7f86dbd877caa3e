"""Queueing one message for many people, each in their language.

``ctx.notify`` renders and inserts one row per call, which is right for a
notice to one person and far too slow for a national broadcast. Here the
message is rendered once per language and command prefix, and the rows go in
with one INSERT … SELECT inside the caller's transaction, the person ids
passing from the audience query to the insert without becoming Python objects
(``storage.audiences.Targets``). A bulk message must therefore not depend on
the person it goes to, only on their language.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.core.context import Recipient, Services
from bot.core.i18n import guess_locale
from bot.core.messages import Reply
from bot.core.router import Command
from storage import outbox, persons
from storage.audiences import Targets

Render = Callable[[Recipient], Reply]


def _locale(person: persons.Person) -> str:
    return person.locale or guess_locale(person.locale_hint)


async def fan_out(
    services: Services,
    commands: Sequence[Command],
    targets: Targets,
    kind: str,
    render: Render,
    *,
    now: datetime,
    not_before: datetime | None = None,
    quiet: bool = True,
    broadcast_id: int | None = None,
) -> int:
    """Queue ``render``'s message for every target; return how many rows."""
    payloads: dict[tuple[str, str], str] = {}
    ids: dict[tuple[str, str], list[str]] = {}
    for group in targets.groups:
        locale = group.locale or guess_locale(group.locale_hint)
        prefix = services.command_prefixes.get(group.backend, "/")
        payload = payloads.get((locale, prefix))
        if payload is None:
            person = await persons.get(services.db, group.first)
            assert person is not None
            recipient = Recipient(person, services.translations.get(locale), prefix, commands)
            payload = json.dumps(render(recipient).to_json(), ensure_ascii=False)
            payloads[(locale, prefix)] = payload
        ids.setdefault((group.backend, payload), []).append(group.person_ids)
    count = await outbox.enqueue_batches(
        services.db,
        [
            outbox.Batch(backend, payload, _joined(arrays))
            for (backend, payload), arrays in ids.items()
        ],
        kind=kind,
        now=now,
        not_before=not_before,
        quiet=quiet,
        broadcast_id=broadcast_id,
    )
    if count:
        services.on_outbox()
    return count


def _joined(arrays: list[str]) -> str:
    """One JSON array of ids from several (groups whose language settings differ
    but read the same message: a locale hint of ``fr-FR`` and a chosen ``fr``)."""
    if len(arrays) == 1:
        return arrays[0]
    return json.dumps([pid for array in arrays for pid in json.loads(array)])


async def notify(
    services: Services,
    commands: Sequence[Command],
    person_id: int,
    kind: str,
    render: Render,
    now: datetime,
) -> bool:
    """``ctx.notify`` for code that runs outside a conversation (sender, jobs)."""
    person = await persons.get(services.db, person_id)
    target = await persons.delivery_target(services.db, person_id)
    if person is None or target is None:
        return False
    prefix = services.command_prefixes.get(target[0].split(":", 1)[0], "/")
    recipient = Recipient(person, services.translations.get(_locale(person)), prefix, commands)
    await outbox.enqueue(services.db, person_id, kind, render(recipient), now)
    services.on_outbox()
    return True
