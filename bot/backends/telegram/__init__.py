"""Telegram through python-telegram-bot: polling, rendering, sending."""
