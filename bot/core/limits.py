"""Delivery limits of the platforms and of our own outbox, in one place.

The platforms publish rates, not guarantees: going over them earns 429s and,
on Telegram, a flood wait for the whole bot. The sender therefore paces
itself below them instead of relying on the 429s; these numbers are what it
paces to, and what the benchmark compares against. Text limits of a platform
stay with its backend (``telegram_render``), since only it can measure them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.config import Limits


@dataclass(frozen=True)
class RateLimit:
    """How fast one bot account may send through one platform.

    ``per_second`` is the whole account's rate, ``chat_interval`` the least
    time between two messages to one chat, ``group_per_minute`` a stricter
    cap for group chats (recognised by ``group_prefix`` at the start of
    their id, as Telegram's negative ids are).
    """

    per_second: float
    chat_interval: float = 0.0
    group_per_minute: int | None = None
    group_prefix: str | None = None

    @property
    def paced(self) -> float:
        """Messages per second the outbox actually sends: the rate less the margin."""
        return self.per_second * (1.0 - PACING_MARGIN)

    def is_group(self, chat: str) -> bool:
        return self.group_prefix is not None and chat.startswith(self.group_prefix)


# Telegram Bot FAQ: about 30 messages per second overall, no more than one per
# second in a chat, no more than 20 per minute in a group. Telegram may grant a
# bot a higher overall rate; ``[limits] telegram_messages_per_second`` says so.
TELEGRAM = RateLimit(per_second=30.0, chat_interval=1.0, group_per_minute=20, group_prefix="-")


def telegram(per_second: float = TELEGRAM.per_second) -> RateLimit:
    """Telegram's limits with the overall rate granted to this bot; the per-chat
    and per-group limits are Telegram's and no setting changes them."""
    return replace(TELEGRAM, per_second=per_second)


# Synapse's default for a user is 0.2 message/s with bursts of 10; a deployment
# lifts it for the bot's account (admin API ``override_ratelimit``) and says
# what it granted with ``[limits] matrix_messages_per_second``.
MATRIX_MESSAGES_PER_SECOND = 2.0


def matrix(per_second: float = MATRIX_MESSAGES_PER_SECOND) -> RateLimit:
    return RateLimit(per_second=per_second)


def for_backend(name: str, settings: Limits | None = None) -> RateLimit | None:
    """The pace for a backend, from the deployment's ``[limits]`` (the platforms'
    published rates without them); None for local ones (console, memory)."""
    if name == "telegram":
        return TELEGRAM if settings is None else telegram(settings.telegram_messages_per_second)
    if name == "matrix":
        return matrix(
            MATRIX_MESSAGES_PER_SECOND if settings is None else settings.matrix_messages_per_second
        )
    return None


# -- the outbox -----------------------------------------------------------------------
PACING_MARGIN = 0.03
"""Share of a platform's rate left unused: 30 ms in each second, for the network's
jitter between when a message leaves and when the platform counts it."""

LATE_CREDIT = 0.005
"""Seconds by which a send that left late lets the next one leave early (see
``Throttle.take``); well under the margin, so the window is still respected."""

STALL = 0.010
"""Lateness past which a lane's event loop is taken to have stalled (see
``bot.delivery.throttle``). Credit, stall and the network's jitter share the margin."""

OUTBOX_BATCH = 100
"""Rows a lane claims at a time: few enough that a crash strands little."""

OUTBOX_IN_FLIGHT = 32
"""Sends a lane keeps going at once, so network latency does not cap the rate."""

OUTBOX_LEASE = timedelta(minutes=5)
"""How long a claimed row is left alone; after a crash it is retried then."""

MAX_ATTEMPTS = 8
"""Transient failures before a row is given up as failed (about four minutes of backoff)."""

BACKOFF_FIRST = timedelta(seconds=2)
BACKOFF_MAX = timedelta(hours=1)

IDLE_POLL_SECONDS = 1.0
"""How often an idle sender looks for rows another process queued."""

# -- the calendar ---------------------------------------------------------------------
SCHEDULER_SYNC_SECONDS = 15.0
"""How often jobs are re-derived from the phases table, which another process
(``guichet phases``) may have changed."""

ANNOUNCE_GRACE = timedelta(days=2)
"""An opening missed for longer than this (the bot was down) is no news any more."""

REMINDER_DAYS = (7, 1)
"""Default days before a deadline when reminders go (setting ``reminder_days``)."""

SEND_HOURS = (9, 19)
"""Default hours, Europe/Paris, between which bulk messages go (setting ``send_hours``)."""
