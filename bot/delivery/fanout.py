"""Queueing one message for many people, each in their language, in short batches.

A bulk message (announcement, reminder, broadcast, results) is recorded with
the fact that causes it (``storage.fanouts``), then expanded into outbox rows
once that transaction has committed: persons are taken by ranges of ids, each
range in its own short transaction, so a person writing meanwhile waits for
one batch at most (a few ms), not for 100,000 rows (18 s when the results
went out in the announcing event's transaction). The cursor is committed with
each batch's rows: a crash repeats nothing, and ``resume`` finishes the rest.

What to say and to whom is rebuilt from the fan-out's stored spec by its kind
(``Services.bulk_kinds``), after a restart too. Each range comes back grouped
by what the message depends on — language, backend and the kind's variant —
and each group's text is rendered once and stored once (``outbox_payloads``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.clock import from_iso, to_iso
from bot.core.context import Recipient, Services, VariantRender
from bot.core.i18n import guess_locale
from bot.core.messages import Reply
from bot.core.router import Command
from storage import fanouts, outbox, persons, reminders
from storage.audiences import TargetGroup, Targets

log = logging.getLogger(__name__)

Render = Callable[[Recipient], Reply]
"""A message for one person: a notice (``notify``), or a bulk message that has no variant."""

BATCH = 1000
"""Person ids per transaction: tens of ms at most (results: a text per collectivité)."""


async def start(
    services: Services,
    commands: Sequence[Command],
    kind: str,
    spec: dict[str, Any],
    *,
    now: datetime,
    not_before: datetime | None = None,
    quiet: bool = True,
    priority: int = outbox.BULK,
    broadcast_id: int | None = None,
    notice_id: int | None = None,
) -> int:
    """Record a fan-out in the caller's transaction; it is expanded once that commits."""
    if kind not in services.bulk_kinds:
        raise ValueError(f"no bulk message kind {kind!r}")
    fanout_id = await fanouts.create(
        services.db,
        kind,
        spec,
        priority=priority,
        quiet=quiet,
        not_before=not_before or now,
        now=now,
        broadcast_id=broadcast_id,
        notice_id=notice_id,
    )

    async def expand_it() -> None:
        await expand(services, commands, fanout_id)

    services.db.after_commit(expand_it)
    return fanout_id


async def expand(services: Services, commands: Sequence[Command], fanout_id: int) -> int:
    """Queue the rows of a fan-out batch by batch; how many rows in all."""
    db = services.db
    rendered = _Rendered()
    render: VariantRender | None = None
    while True:
        async with db.transaction():
            job = await fanouts.get(db, fanout_id)
            if job is None or job.done:
                return job.queued if job else 0
            kind = services.bulk_kinds[job.kind]
            if render is None:
                render = await kind.renderer(services, job.spec)
            high = min(job.next_person + BATCH, job.last_person + 1)
            added = 0
            if render is not None:
                groups = await kind.targets(db, job.spec, job.next_person, high)
                added = await _queue(services, commands, job, groups.groups, render, rendered)
            done = render is None or high > job.last_person
            await fanouts.advance(
                db, fanout_id, high, added, services.clock.now() if done else None
            )
            if done and job.notice_id is not None:
                await reminders.set_recipients(db, job.notice_id, job.queued + added)
        if added:
            services.on_outbox()
        if done:
            return job.queued + added
        await asyncio.sleep(0)  # the events waiting for the connection go first


@dataclass
class _Rendered:
    """What a fan-out has rendered so far: its stored texts, and a recipient per
    language and prefix to render for (a bulk text depends on nothing else)."""

    payloads: dict[tuple[str, str, str], int] = field(default_factory=dict)
    recipients: dict[tuple[str, str], Recipient] = field(default_factory=dict)


async def _queue(
    services: Services,
    commands: Sequence[Command],
    job: fanouts.Fanout,
    groups: Sequence[TargetGroup],
    render: VariantRender,
    rendered: _Rendered,
) -> int:
    """Queue one batch's rows: new texts rendered and stored in one statement, then
    the rows in another (a database hop per group cost 0.5 ms, 300 ms a batch)."""
    keyed: list[tuple[TargetGroup, tuple[str, str, str]]] = []
    new: dict[tuple[str, str, str], str] = {}
    for group in groups:
        locale = group.locale or guess_locale(group.locale_hint)
        prefix = services.command_prefixes.get(group.backend, "/")
        key = (locale, prefix, group.variant)
        keyed.append((group, key))
        if key in rendered.payloads or key in new:
            continue
        recipient = rendered.recipients.get((locale, prefix))
        if recipient is None:
            person = await persons.get(services.db, group.first)
            if person is None:
                continue
            recipient = Recipient(person, services.translations.get(locale), prefix, commands)
            rendered.recipients[(locale, prefix)] = recipient
        new[key] = json.dumps(render(recipient, group.variant).to_json(), ensure_ascii=False)
    stored = await outbox.store_payloads(services.db, list(new.values()))
    rendered.payloads.update(zip(new, stored, strict=True))
    ids: dict[tuple[str, int], list[str]] = {}
    for group, key in keyed:
        payload_id = rendered.payloads.get(key)
        if payload_id is not None:
            ids.setdefault((group.backend, payload_id), []).append(group.person_ids)
    return await outbox.enqueue_stored(
        services.db,
        [
            outbox.StoredBatch(backend, payload_id, _joined(arrays))
            for (backend, payload_id), arrays in ids.items()
        ],
        kind=job.kind,
        now=services.clock.now(),
        not_before=from_iso(job.not_before),
        quiet=job.quiet,
        priority=job.priority,
        broadcast_id=job.broadcast_id,
    )


def _joined(arrays: list[str]) -> str:
    """One JSON array of ids from several (groups whose language settings differ
    but read the same message: a locale hint of ``fr-FR`` and a chosen ``fr``)."""
    if len(arrays) == 1:
        return arrays[0]
    return json.dumps(sorted(pid for array in arrays for pid in json.loads(array)))


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
    """Queue ``render``'s message for ``targets`` in the caller's transaction; the rows.

    For an audience the event has listed already and that stays small (the
    followers of one proposal); a national one goes through ``start``.
    """
    rendered = _Rendered()
    job = fanouts.Fanout(
        id=0,
        kind=kind,
        spec={},
        priority=outbox.BULK,
        quiet=quiet,
        broadcast_id=broadcast_id,
        notice_id=None,
        not_before=to_iso(not_before or now),
        last_person=0,
        next_person=0,
        queued=0,
        done=False,
    )
    count = await _queue(
        services, commands, job, targets.groups, lambda r, variant: render(r), rendered
    )
    if count:
        services.on_outbox()
    return count


async def resume(services: Services, commands: Sequence[Command]) -> int:
    """Finish the fan-outs a stopped process left half-done; how many rows that queued."""
    queued = 0
    for fanout_id in await fanouts.pending(services.db):
        try:
            queued += await expand(services, commands, fanout_id)
        except Exception:
            log.exception("fan-out %d could not be expanded", fanout_id)
    return queued


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
    locale = person.locale or guess_locale(person.locale_hint)
    recipient = Recipient(person, services.translations.get(locale), prefix, commands)
    await outbox.enqueue(services.db, person_id, kind, render(recipient), now)
    services.on_outbox()
    return True
