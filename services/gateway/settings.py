from pydantic import Field

from libs.runtime.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """The gateway's settings: the shared ones (broker, database, signing key) and its own."""

    themes_cache_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How long every theme's numbers (a scan of all items) are reused by the themes list and the "
        "overview; 0 computes them on every request. One theme's page is always computed live.",
    )
