"""The notify service: when a launch ships, every customer who asked hears it."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.runtime.service import ServiceRuntime, service_app
from services.notify import handlers
from services.notify.settings import NotifySettings

NAME = "notify"


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    handlers.register(runtime)
    return service_app(runtime, title="ProdOps notify")
