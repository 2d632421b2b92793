"""The notify service: when a launch ships, every customer who asked hears it, once per channel."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.runtime.service import ServiceRuntime, service_app
from services.notify import jobs
from services.notify.deps import Notify
from services.notify.handlers import router
from services.notify.settings import NotifySettings

NAME = "notify"


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    deps = Notify.create(runtime, settings)
    router.bind(runtime, deps)
    jobs.schedule(runtime.scheduler, deps)
    return service_app(runtime, title="ProdOps notify", on_stop=[deps.client.aclose])
