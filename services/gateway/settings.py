from pydantic import Field

from libs.runtime.oidc import OidcSettings
from libs.runtime.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """The gateway's settings: the shared ones (broker, database, signing key) and its own."""

    themes_cache_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How long every theme's numbers (a scan of all items) are reused by the themes list and the "
        "overview; 0 computes them on every request. One theme's page is always computed live.",
    )
    live_heartbeat_seconds: float = Field(
        default=15.0, gt=0, description="How often an idle event stream (/api/v1/stream) sends a heartbeat comment."
    )
    oidc: OidcSettings = Field(
        default_factory=OidcSettings, description="Sign-in with OpenID Connect (PRODOPS_OIDC_*; docs/sign-in.md)."
    )
    live_queue_size: int = Field(
        default=256,
        ge=1,
        description="Changes held for one event-stream client that reads slowly; past that it is told to reload.",
    )
