"""The gateway: folds every event into read tables, serves them over the REST API, and serves the web UI."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from libs.runtime.oidc import OidcClient
from libs.runtime.service import ServiceRuntime, service_app
from services.gateway import api, auth_api, dedupe_api, handlers, launches_api, overrides_api
from services.gateway import live as stream
from services.gateway.deps import ThemeStatsCache
from services.gateway.live import Broadcaster
from services.gateway.settings import GatewaySettings

NAME = "gateway"
WEB = Path(__file__).parent / "web"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    live = Broadcaster(settings.live_queue_size)
    handlers.register(runtime, live)
    oidc = OidcClient(settings.oidc) if settings.oidc.enabled else None
    app = service_app(
        runtime,
        title="ProdOps gateway",
        routers=[
            api.router,
            launches_api.router,
            overrides_api.router,
            dedupe_api.router,
            stream.router,
            auth_api.router,
        ],
        on_stop=[oidc.aclose] if oidc else [],
        serves_without_broker=True,
    )
    app.state.oidc = oidc
    app.state.id_tokens = oidc if oidc and settings.oidc.accept_id_tokens else None
    app.state.live = live
    app.state.theme_stats = ThemeStatsCache(settings.themes_cache_seconds)
    mount_web_ui(app)
    return app


def mount_web_ui(app: FastAPI) -> None:
    """The web UI: index.html at /, its assets under /static; it signs in itself (a token or /auth), so it is public."""

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(WEB / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=WEB), name="static")
