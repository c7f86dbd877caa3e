"""Delivery limits of the platforms and of our own outbox, in one place.

The platforms publish rates, not guarantees: going over them earns 429s and,
on Telegram, a flood wait for the whole bot. The sender therefore paces
itself below them instead of relying on the 429s; these numbers are what it
paces to, and what the benchmark compares against. Text limits of a platform
stay with its backend (``telegram_render``), since only it can measure them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


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

    def is_group(self, chat: str) -> bool:
        return self.group_prefix is not None and chat.startswith(self.group_prefix)


# Telegram Bot FAQ: about 30 messages per second overall, no more than one per
# second in a chat, no more than 20 per minute in a group.
TELEGRAM = RateLimit(per_second=30.0, chat_interval=1.0, group_per_minute=20, group_prefix="-")

# Synapse's default for a user is 0.2 message/s with bursts of 10; a deployment
# lifts it for the bot's account (admin API ``override_ratelimit``) and says
# what it granted with ``[limits] matrix_messages_per_second``.
MATRIX_MESSAGES_PER_SECOND = 2.0


def matrix(per_second: float = MATRIX_MESSAGES_PER_SECOND) -> RateLimit:
    return RateLimit(per_second=per_second)


def for_backend(
    name: str, matrix_per_second: float = MATRIX_MESSAGES_PER_SECOND
) -> RateLimit | None:
    """The pace for a backend; None for local ones (console, memory) that have none."""
    if name == "telegram":
        return TELEGRAM
    if name == "matrix":
        return matrix(matrix_per_second)
    return None


# -- the outbox -----------------------------------------------------------------------
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
