"""What notify's handlers and jobs are given; built once, in app.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import httpx
from prometheus_client import Counter

from libs.runtime.service import ServiceRuntime
from libs.schemas.commands import Channel
from services.notify import adapters, domain
from services.notify.adapters import DeliveryFailed, Notifier
from services.notify.settings import NotifySettings


@dataclass(frozen=True)
class NotifyMetrics:
    """Messages sent and failed per channel; failures by reason (unavailable, refused, not_configured)."""

    sent: Counter
    failed: Counter

    @classmethod
    def create(cls, runtime: ServiceRuntime, channels: Iterable[Channel]) -> NotifyMetrics:
        metrics = cls(
            sent=Counter(
                "prodops_notifications_sent_total",
                "Notifications sent, by channel.",
                ["channel"],
                registry=runtime.registry,
            ),
            failed=Counter(
                "prodops_notifications_failed_total",
                "Notifications that failed for good, by channel and reason.",
                ["channel", "reason"],
                registry=runtime.registry,
            ),
        )
        for channel in channels:  # a configured channel's series exist from the start, at zero
            metrics.sent.labels(channel)
        return metrics

    def count(self, channel: Channel, failure: DeliveryFailed | None) -> None:
        if failure is None:
            self.sent.labels(channel).inc()
        else:
            self.failed.labels(channel, failure.kind).inc()


@dataclass(frozen=True)
class Notify:
    runtime: ServiceRuntime
    settings: NotifySettings
    client: httpx.AsyncClient
    # The configured channels' notifiers: nothing is planned on the others.
    notifiers: Mapping[Channel, Notifier]
    slack: domain.SlackRouting
    metrics: NotifyMetrics

    @classmethod
    def create(cls, runtime: ServiceRuntime, settings: NotifySettings) -> Notify:
        client = httpx.AsyncClient(timeout=settings.delivery_timeout_seconds)
        notifiers = adapters.notifiers(settings, client)
        return cls(
            runtime=runtime,
            settings=settings,
            client=client,
            notifiers=notifiers,
            slack=domain.SlackRouting(channels=settings.slack.account_channels, default=settings.slack.channel),
            metrics=NotifyMetrics.create(runtime, notifiers),
        )
