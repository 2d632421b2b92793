"""What the gateway's handlers and routes are given; built once, in app.py."""

from __future__ import annotations

from dataclasses import dataclass

from libs.runtime.oidc import OidcClient
from libs.runtime.service import ServiceRuntime
from services.gateway.live import Broadcaster
from services.gateway.queries import ThemeStatsCache
from services.gateway.settings import GatewaySettings


@dataclass(frozen=True)
class Gateway:
    runtime: ServiceRuntime
    settings: GatewaySettings
    # Tells the browsers listening over SSE what each fold changed, once its transaction commits.
    live: Broadcaster
    theme_stats: ThemeStatsCache
    # The provider people sign in with, when one is configured.
    oidc: OidcClient | None

    @classmethod
    def create(cls, runtime: ServiceRuntime, settings: GatewaySettings, oidc: OidcClient | None) -> Gateway:
        return cls(
            runtime=runtime,
            settings=settings,
            live=Broadcaster(settings.live_queue_size),
            theme_stats=ThemeStatsCache(settings.themes_cache_seconds),
            oidc=oidc,
        )
