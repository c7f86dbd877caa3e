"""Long polling whose offset lives in SQLite, next to the state it protects.

PTB's own Updater keeps the offset in memory only. Here the offset is stored
once a batch of updates is handled, and the next start asks Telegram for the
first update not handled yet: nothing is lost, nothing replayed (and what
slips between handling and storing is caught by the router's processed
events). Within a batch, different people's updates are handled at once, each
person's in order; their answers are in the outbox when a handler returns,
so the next batch does not wait for them to be sent.

While Telegram cannot be reached the loop retries from a quarter second up to
a second, and the first request after a failure does not wait (a long poll
would only say Telegram is back when it has an update): the backend is
connected again the moment Telegram answers.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from contextlib import suppress
from datetime import timedelta
from typing import Any, TypeVar

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot.backends.base import RECONNECT_FIRST, Connectivity, Host, next_delay
from bot.backends.telegram.send import retry_seconds
from bot.core.clock import from_iso, to_iso
from bot.core.config import ConfigError
from storage.db import StorageUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

OFFSET_KEY = "telegram:offset"
OFFSET_MAX_AGE = timedelta(hours=24)
"""Telegram keeps unconfirmed updates for 24 hours, so an older offset resumes
nothing, and it may point past the ids Telegram restarts from after a quiet week."""
ALLOWED_UPDATES = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,  # answered: the version first sent is the one kept
    Update.CALLBACK_QUERY,
    Update.CHAT_MEMBER,
)
STORAGE_RETRY = 2.0
"""Seconds before asking again for an update the database could not record."""
STORAGE_RETRY_MAX = 30.0


class Stopped(Exception):
    """``stop`` was set while waiting on Telegram."""


async def until(stop: asyncio.Event, awaitable: Awaitable[T]) -> T:
    """Await ``awaitable`` unless ``stop`` is set first: then cancel it, raise Stopped.

    A cancelled getUpdates loses nothing: updates are only confirmed by the next call.
    """
    task = asyncio.ensure_future(awaitable)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait((task, stopping), return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        stopping.cancel()
    if not task.done():
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        raise Stopped
    return task.result()


async def sleep(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep unless stopped; True when the sleep ran to its end."""
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
        return False
    return True


async def stored_offset(host: Host) -> int | None:
    raw = await host.get_state(OFFSET_KEY)
    try:
        state: Any = json.loads(raw) if raw else None
        offset, saved_at = int(state["offset"]), from_iso(state["saved_at"])
    except (TypeError, ValueError, KeyError):
        return None
    if host.now() - saved_at > OFFSET_MAX_AGE:
        log.info("the stored Telegram offset is older than %s: not used", OFFSET_MAX_AGE)
        return None
    return offset


async def store_offset(host: Host, offset: int) -> None:
    state = {"offset": offset, "saved_at": to_iso(host.now())}
    await host.set_state(OFFSET_KEY, json.dumps(state))


async def handle_batch(
    application: Application[Any, Any, Any, Any, Any, Any], updates: list[Update]
) -> None:
    """Each person's updates in order, different persons' concurrently."""
    by_person: dict[int, list[Update]] = {}
    for update in updates:
        user = update.effective_user
        by_person.setdefault(user.id if user is not None else 0, []).append(update)

    async def in_order(items: list[Update]) -> None:
        for update in items:
            await application.process_update(update)

    if len(by_person) == 1:
        await in_order(updates)
        return
    await asyncio.gather(*(in_order(items) for items in by_person.values()))


async def poll(
    application: Application[Any, Any, Any, Any, Any, Any],
    host: Host,
    connectivity: Connectivity,
    stop: asyncio.Event,
    long_poll: int,
    unrecorded: set[str] | None = None,
) -> None:
    """Fetch updates and hand them to the application's handlers until ``stop``;
    only a token Telegram no longer accepts ends it early.

    An update whose event id the handlers put in ``unrecorded`` (the database
    could not be written) is not confirmed: polling waits, then asks for it
    again, until the database takes it; the updates after it in its batch were
    handled and are ignored when they come again.
    """
    bot = application.bot
    held = unrecorded if unrecorded is not None else set()
    offset = await stored_offset(host)
    webhook_cleared = False
    delay = RECONNECT_FIRST
    storage_delay = STORAGE_RETRY
    while not stop.is_set():
        try:
            if not webhook_cleared:  # getUpdates is refused while a webhook is set
                await until(stop, bot.delete_webhook())
                webhook_cleared = True
            updates = await until(
                stop,
                bot.get_updates(
                    offset=offset,
                    timeout=long_poll if connectivity.connected else 0,
                    allowed_updates=list(ALLOWED_UPDATES),
                ),
            )
        except Stopped:
            return
        except InvalidToken:
            raise ConfigError(
                "Telegram no longer accepts the bot token in GUICHET_TELEGRAM_TOKEN "
                "(revoked?): check it with @BotFather."
            ) from None
        except TimedOut:
            continue
        except RetryAfter as exc:
            connectivity.up()
            await sleep(stop, retry_seconds(exc))
            continue
        except TelegramError as exc:
            connectivity.down(f"getUpdates: {exc}")
            await sleep(stop, delay)
            delay = next_delay(delay)
            continue
        connectivity.up()
        delay = RECONNECT_FIRST
        if not updates:
            continue
        await handle_batch(application, list(updates))
        refused = [u.update_id for u in updates if f"telegram:{u.update_id}" in held]
        held.clear()
        if refused:
            offset = refused[0]  # this update comes again
            await sleep(stop, storage_delay)
            storage_delay = min(storage_delay * 2, STORAGE_RETRY_MAX)
            continue
        storage_delay = STORAGE_RETRY
        offset = updates[-1].update_id + 1
        with suppress(StorageUnavailable):  # kept in memory; stored with the next batch
            await store_offset(host, offset)
