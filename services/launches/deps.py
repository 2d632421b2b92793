"""What the launches service's handler and jobs are given; built once, in app.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from libs.runtime.service import ServiceRuntime
from services.launches import adapters, domain
from services.launches.adapters import Tracker
from services.launches.settings import LaunchesSettings


@dataclass(frozen=True)
class Launches:
    runtime: ServiceRuntime
    settings: LaunchesSettings
    rules: domain.RiskRules
    # How hard the service tries to create a new launch's tracker object.
    tracker_retries: domain.RetryPolicy
    client: httpx.AsyncClient
    # The configured trackers, by system: launches following another one are not synced.
    trackers: Mapping[str, Tracker]

    @classmethod
    def create(cls, runtime: ServiceRuntime, settings: LaunchesSettings) -> Launches:
        client = httpx.AsyncClient(timeout=30.0)
        return cls(
            runtime=runtime,
            settings=settings,
            rules=domain.RiskRules(
                days_before_target=settings.at_risk_days, min_readiness=settings.at_risk_min_readiness
            ),
            tracker_retries=domain.RetryPolicy(
                attempts=settings.tracker_link_attempts, backoff_seconds=settings.tracker_link_backoff_seconds
            ),
            client=client,
            trackers=adapters.trackers(settings, client),
        )
