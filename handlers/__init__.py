"""Conversation flows, written once for every backend against ``bot.core.context.Context``.

Each flow is a module with a module-level ``router``; ``FLOWS`` includes them
all, in the order ``/aide`` lists their commands.
"""

from __future__ import annotations

from bot.core.context import BulkKind
from bot.core.router import Router
from handlers import (
    broadcast,
    calendar,
    cancel,
    contact,
    coop_staff,
    cooperate,
    export,
    follow,
    help,
    journal,
    language,
    moderation,
    my_needs,
    needs,
    onboarding,
    our_supports,
    phases,
    privacy,
    profile,
    proposal_admin,
    proposals,
    reminders,
    results,
    review,
    search,
    selection,
    similar,
    staff,
    stats,
    stats_views,
    support,
    vote,
)

FLOWS: tuple[Router, ...] = (
    onboarding.router,
    help.router,
    contact.router,
    needs.router,
    my_needs.router,
    proposals.router,
    search.router,
    vote.router,
    support.router,
    our_supports.router,
    cooperate.router,
    follow.router,
    calendar.router,
    profile.router,
    language.router,
    moderation.router,
    review.router,
    similar.router,
    proposal_admin.router,
    selection.router,
    coop_staff.router,
    staff.router,
    phases.router,
    broadcast.router,
    reminders.router,
    stats.router,
    stats_views.router,
    export.router,
    journal.router,
    privacy.router,
    cancel.router,
)

BULK_KINDS: dict[str, BulkKind] = {
    broadcast.KIND: broadcast.BroadcastMessage(),
    results.KIND: results.Results(),
}
"""The bulk messages the flows send, by fan-out kind (``bot.delivery.fanout``)."""
