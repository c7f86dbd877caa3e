"""Conversation flows, written once for every backend against ``bot.context.Context``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.router import Router


def register_all(router: Router) -> None:
    """Register every flow; the order is the order ``/aide`` lists them in."""
    from handlers import (
        calendar,
        cancel,
        help,
        language,
        moderation,
        needs,
        onboarding,
        profile,
        proposal_admin,
        review,
        staff,
    )

    for module in (
        onboarding,
        help,
        needs,
        calendar,
        profile,
        language,
        moderation,
        review,
        proposal_admin,
        staff,
        cancel,
    ):
        module.register(router)
