"""What dedupe's handlers, jobs and routes are given; built once, in app.py."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import Counter

from libs.runtime.service import ServiceRuntime
from services.dedupe.changes import ThemeRules
from services.dedupe.engines import Engines
from services.dedupe.refresh import Vectors
from services.dedupe.settings import DedupeSettings


@dataclass(frozen=True)
class DedupeMetrics:
    decisions: Counter

    @classmethod
    def create(cls, runtime: ServiceRuntime) -> DedupeMetrics:
        return cls(
            decisions=Counter(
                "prodops_dedupe_decisions_total",
                "Duplicate decisions: the model's on each new item (duplicate, unique), people's (merged, "
                "unmerged, not_duplicate).",
                ["decided_by", "outcome"],
                registry=runtime.registry,
            )
        )


@dataclass(frozen=True)
class Dedupe:
    runtime: ServiceRuntime
    settings: DedupeSettings
    # What the handlers embed and search with, and the vectors (generations, refresh) behind it.
    engines: Engines
    vectors: Vectors
    metrics: DedupeMetrics
    theme_rules: ThemeRules

    @classmethod
    def create(cls, runtime: ServiceRuntime, settings: DedupeSettings, engines: Engines, vectors: Vectors) -> Dedupe:
        return cls(
            runtime=runtime,
            settings=settings,
            engines=engines,
            vectors=vectors,
            metrics=DedupeMetrics.create(runtime),
            theme_rules=ThemeRules(
                join_similarity=settings.theme_similarity, seed_similarity=settings.theme_seed_similarity
            ),
        )
