"""The triage service: feedback.enriched -> feedback.triaged; overrides and re-triage commands."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.runtime.service import ServiceRuntime, service_app
from services.triage import jobs
from services.triage.deps import Triage
from services.triage.engines import MistralMetrics, Models
from services.triage.handlers import router
from services.triage.settings import TriageSettings

NAME = "triage"


def create_app(settings: TriageSettings | None = None) -> FastAPI:
    settings = settings or TriageSettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    models = Models(settings, MistralMetrics(runtime.registry))
    deps = Triage.create(runtime, settings, models)
    router.bind(runtime, deps)
    jobs.schedule(runtime.scheduler, deps)
    return service_app(runtime, title="ProdOps triage", on_start=[models.load])
