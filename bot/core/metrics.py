"""Prometheus metrics of one Guichet process, in a registry of its own.

A registry per app rather than the library's global one, so tests and a demo
running side by side never mix their counts.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "guichet_events_total", "Events handled", ["backend", "kind"], registry=self.registry
        )
        self.latency = Histogram(
            "guichet_handler_seconds",
            "Time to handle one event, transaction included",
            ["backend"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0),
            registry=self.registry,
        )
        self.errors = Counter(
            "guichet_errors_total",
            "Events whose handler failed",
            ["backend"],
            registry=self.registry,
        )
        self.unrecorded = Counter(
            "guichet_unrecorded_events_total",
            "Events answered but not recorded: the database could not be written",
            ["backend", "reason"],
            registry=self.registry,
        )
        self.sends = Counter(
            "guichet_sends_total",
            "Outbox deliveries by outcome",
            ["backend", "outcome"],
            registry=self.registry,
        )
        self.outbox_depth = Gauge(
            "guichet_outbox_pending", "Notifications waiting in the outbox", registry=self.registry
        )
        self.outbox_age = Gauge(
            "guichet_outbox_oldest_seconds",
            "Age of the oldest pending notification",
            registry=self.registry,
        )

        self.connected = Gauge(
            "guichet_backend_connected",
            "1 while the backend reaches its platform, 0 while it does not",
            ["backend"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
