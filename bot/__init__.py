"""Guichet core: neutral message types, router, i18n, outbox and backends."""

__version__ = "0.1.0"
