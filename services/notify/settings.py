from pydantic import Field

from libs.connectors.settings import IntercomSettings, SlackSettings
from libs.runtime.settings import Secret, ServiceSettings


class NotifySettings(ServiceSettings):
    """The channels (each off until configured) and how hard delivery tries; in-app is always on."""

    # Email over SMTP: on when smtp_host is set.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_from: str = "ProdOps Hub <noreply@prodops.invalid>"
    smtp_username: str | None = None
    smtp_password: Secret = None
    smtp_use_tls: bool = False
    # None: STARTTLS when the server offers it.
    smtp_start_tls: bool | None = None

    # Intercom messages: on when the API token and the sending admin are set.
    intercom: IntercomSettings = Field(default_factory=IntercomSettings)
    # Slack posts: on when the API token is set.
    slack: SlackSettings = Field(default_factory=SlackSettings)

    # Each message is tried this many times, with backoff, before it is recorded as failed.
    delivery_attempts: int = Field(default=4, ge=1)
    delivery_backoff_seconds: float = Field(default=1.0, ge=0)
    delivery_timeout_seconds: float = Field(default=15.0, gt=0)
    delivery_poll_seconds: float = Field(default=0.5, gt=0)
    # A message claimed this long ago and never finished (its sender died) is claimed again.
    delivery_lease_seconds: float = Field(default=300.0, gt=0)
    # How much of the customer's own words a message quotes.
    excerpt_chars: int = Field(default=240, ge=40)
