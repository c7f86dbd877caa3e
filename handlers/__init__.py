"""Conversation flows, written once for every backend against ``bot.core.context.Context``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.router import Router


def register_all(router: Router) -> None:
    """Register every flow; the order is the order ``/aide`` lists them in."""
    from handlers import (
        broadcast,
        calendar,
        cancel,
        export,
        help,
        journal,
        language,
        moderation,
        needs,
        onboarding,
        our_supports,
        phases,
        privacy,
        profile,
        proposal_admin,
        proposals,
        reminders,
        review,
        search,
        selection,
        staff,
        stats,
        support,
        vote,
    )

    for module in (
        onboarding,
        help,
        needs,
        proposals,
        search,
        vote,
        support,
        our_supports,
        calendar,
        profile,
        language,
        moderation,
        review,
        proposal_admin,
        selection,
        staff,
        phases,
        broadcast,
        reminders,
        stats,
        export,
        journal,
        privacy,
        cancel,
    ):
        module.register(router)
