"""Every router of the API, in the order the OpenAPI document lists their routes."""

from __future__ import annotations

from services.gateway.api.routes import (
    auth,
    commands,
    dedupe,
    feedback,
    launches,
    live,
    notifications,
    overrides,
    overview,
    themes,
)

routers = [
    feedback.router,
    themes.router,
    overview.router,
    launches.router,
    notifications.router,
    overrides.router,
    dedupe.router,
    commands.router,
    live.router,
    auth.router,
]
