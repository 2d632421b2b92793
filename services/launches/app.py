"""The launches service: launch commands -> launch.changed and launch.shipped."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.runtime.service import ServiceRuntime, service_app
from services.launches import handlers
from services.launches.settings import LaunchesSettings

NAME = "launches"


def create_app(settings: LaunchesSettings | None = None) -> FastAPI:
    settings = settings or LaunchesSettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    handlers.register(runtime)
    return service_app(runtime, title="ProdOps launches")
