"""What ingest's handlers, jobs and routes are given; built once, in app.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client import Counter

from libs.runtime.service import ServiceRuntime
from services.ingest.connectors import Connector
from services.ingest.settings import IngestSettings


@dataclass(frozen=True)
class Ingest:
    runtime: ServiceRuntime
    settings: IngestSettings
    # Every source's connector, by name: its webhooks, and its syncs when it has API credentials.
    connectors: Mapping[str, Connector]
    # Outbox events the broker refuses for good, which the relay sets aside.
    set_aside: Counter
    # Webhook deliveries refused before they were read: anyone can cause one, so only a count and a bounded row.
    webhook_refusals: Counter

    @classmethod
    def create(cls, runtime: ServiceRuntime, settings: IngestSettings, connectors: Mapping[str, Connector]) -> Ingest:
        set_aside = Counter(
            "prodops_outbox_set_aside_total",
            "Outbox events the broker refuses for good (too large...), set aside so the rest go on.",
            ["topic", "reason"],
            registry=runtime.registry,
        )
        webhook_refusals = Counter(
            "prodops_webhook_refusals_total",
            "Webhook deliveries refused before they were read, by source and kind (not_configured, signature, stale).",
            ["source", "kind"],
            registry=runtime.registry,
        )
        return cls(runtime, settings, connectors, set_aside, webhook_refusals)
