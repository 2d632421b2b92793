"""What triage's handlers and jobs are given; built once, in app.py."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import Counter, Gauge

from libs.runtime.consumer import Ahead
from libs.runtime.service import ServiceRuntime
from services.triage import domain
from services.triage.engines import Assessment, Models, TriageEngine
from services.triage.settings import TriageSettings
from services.triage.splitting import SplitPolicy


@dataclass(frozen=True)
class TriageMetrics:
    overrides: Counter
    degraded_items: Gauge

    @classmethod
    def create(cls, runtime: ServiceRuntime) -> TriageMetrics:
        return cls(
            overrides=Counter(
                "prodops_triage_overrides_total",
                "Human corrections of the AI, by field.",
                ["field"],
                registry=runtime.registry,
            ),
            degraded_items=Gauge(
                "prodops_triage_degraded_items",
                "Items whose verdict is the local fallback's, waiting to be triaged again by Mistral.",
                registry=runtime.registry,
            ),
        )


@dataclass(frozen=True)
class Triage:
    runtime: ServiceRuntime
    settings: TriageSettings
    models: Models
    metrics: TriageMetrics
    bands: domain.PriorityBands
    split_policy: SplitPolicy
    # A batch's assessments, made in one pass of the engine, by (engine, text).
    ahead: Ahead[tuple[TriageEngine, str], Assessment]

    @classmethod
    def create(cls, runtime: ServiceRuntime, settings: TriageSettings, models: Models) -> Triage:
        return cls(
            runtime=runtime,
            settings=settings,
            models=models,
            metrics=TriageMetrics.create(runtime),
            bands=domain.PriorityBands(
                critical_from=settings.critical_from,
                high_from=settings.high_from,
                medium_from=settings.medium_from,
                at_risk_boost=settings.at_risk_boost,
            ),
            split_policy=SplitPolicy(
                min_confidence=settings.split_min_confidence, max_requests=settings.split_max_requests
            ),
            ahead=Ahead(),
        )
