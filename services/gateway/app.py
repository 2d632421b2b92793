"""The gateway: folds every event into read tables, serves them over the REST API, and serves the web UI."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from libs.runtime.oidc import OidcClient
from libs.runtime.service import ServiceRuntime, service_app
from services.gateway.api.main import routers
from services.gateway.deps import Gateway
from services.gateway.handlers import router
from services.gateway.settings import GatewaySettings

NAME = "gateway"
WEB = Path(__file__).parent / "web"


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    oidc = OidcClient(settings.oidc) if settings.oidc.enabled else None
    deps = Gateway.create(runtime, settings, oidc)
    router.bind(runtime, deps)
    app = service_app(
        runtime,
        title="ProdOps gateway",
        routers=routers,
        on_stop=[oidc.aclose] if oidc else [],
        serves_without_broker=True,
    )
    app.state.gateway = deps
    # libs.runtime.auth takes the provider's ID tokens as bearer tokens when the app offers this verifier.
    app.state.id_tokens = oidc if oidc and settings.oidc.accept_id_tokens else None
    mount_web_ui(app)
    return app


def mount_web_ui(app: FastAPI) -> None:
    """The web UI: index.html at /, its assets under /static; it signs in itself (a token or /auth), so it is public."""

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(WEB / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=WEB), name="static")
