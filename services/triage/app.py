"""The triage service: feedback.enriched -> feedback.triaged."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.runtime.service import ServiceRuntime, service_app
from services.triage import handlers
from services.triage.settings import TriageSettings

NAME = "triage"


def create_app(settings: TriageSettings | None = None) -> FastAPI:
    settings = settings or TriageSettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    handlers.register(runtime, settings)
    return service_app(runtime, title="ProdOps triage")
