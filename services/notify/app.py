"""The notify service: when a launch ships, every customer who asked hears it, once per channel."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from libs.runtime.service import ServiceRuntime, service_app
from services.notify import adapters, delivery, handlers
from services.notify.settings import NotifySettings

NAME = "notify"


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    client = httpx.AsyncClient(timeout=settings.delivery_timeout_seconds)
    notifiers = adapters.notifiers(settings, client)
    handlers.register(runtime, settings, list(notifiers))
    metrics = delivery.NotifyMetrics(runtime.registry, notifiers)

    async def deliver() -> None:
        await delivery.delivery_loop(runtime, notifiers, settings, metrics)

    return service_app(runtime, title="ProdOps notify", background=[deliver], on_stop=[client.aclose])
