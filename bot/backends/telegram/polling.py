"""Long polling whose offset lives in SQLite, next to the state it protects.

PTB's own Updater keeps the offset in memory only. Here the offset is stored
after each update is handled, and the next start asks Telegram for the first
update not handled yet: nothing is lost, nothing replayed (and what slips
between handling and storing is caught by the router's processed events).
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

from bot.backends.telegram.send import retry_seconds
from bot.core.clock import from_iso, to_iso
from bot.core.config import ConfigError
from bot.core.context import Services
from storage import events
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
BACKOFF_MAX = 30.0
STORAGE_RETRY = 2.0
"""Seconds before asking again for an update the database could not record."""


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


async def stored_offset(services: Services) -> int | None:
    raw = await events.get_state(services.db, OFFSET_KEY)
    try:
        state: Any = json.loads(raw) if raw else None
        offset, saved_at = int(state["offset"]), from_iso(state["saved_at"])
    except (TypeError, ValueError, KeyError):
        return None
    if services.clock.now() - saved_at > OFFSET_MAX_AGE:
        log.info("the stored Telegram offset is older than %s: not used", OFFSET_MAX_AGE)
        return None
    return offset


async def store_offset(services: Services, offset: int) -> None:
    state = {"offset": offset, "saved_at": to_iso(services.clock.now())}
    async with services.db.transaction():
        await events.set_state(services.db, OFFSET_KEY, json.dumps(state))


async def poll(
    application: Application[Any, Any, Any, Any, Any, Any],
    services: Services,
    stop: asyncio.Event,
    long_poll: int,
    unrecorded: set[str] | None = None,
) -> None:
    """Fetch updates and hand each to the application's handlers, one at a
    time, until ``stop``; only a token Telegram no longer accepts ends it early.

    An update whose event id the handlers put in ``unrecorded`` (the database
    could not be written) is not confirmed: polling waits, then asks for it
    again, until the database takes it.
    """
    bot = application.bot
    held = unrecorded if unrecorded is not None else set()
    offset = await stored_offset(services)
    webhook_cleared = False
    delay = 1.0
    storage_delay = STORAGE_RETRY
    while not stop.is_set():
        try:
            if not webhook_cleared:  # getUpdates is refused while a webhook is set
                await until(stop, bot.delete_webhook())
                webhook_cleared = True
            updates = await until(
                stop,
                bot.get_updates(
                    offset=offset, timeout=long_poll, allowed_updates=list(ALLOWED_UPDATES)
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
            await sleep(stop, retry_seconds(exc))
            continue
        except TelegramError as exc:
            log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
            await sleep(stop, delay)
            delay = min(delay * 2, BACKOFF_MAX)
            continue
        delay = 1.0
        for update in updates:
            await application.process_update(update)
            if f"telegram:{update.update_id}" in held:
                held.clear()
                await sleep(stop, storage_delay)  # then this update comes again
                storage_delay = min(storage_delay * 2, BACKOFF_MAX)
                break
            storage_delay = STORAGE_RETRY
            offset = update.update_id + 1
            with suppress(StorageUnavailable):  # kept in memory; stored with the next one
                await store_offset(services, offset)
            if stop.is_set():
                return
