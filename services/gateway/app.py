"""The gateway: folds every event into read tables and serves them over the REST API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from libs.runtime.service import ServiceRuntime, service_app
from services.gateway import api, handlers, launches_api, overrides_api
from services.gateway.settings import GatewaySettings

NAME = "gateway"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    handlers.register(runtime)
    return service_app(
        runtime,
        title="ProdOps gateway",
        routers=[api.router, launches_api.router, overrides_api.router],
        serves_without_broker=True,
    )
