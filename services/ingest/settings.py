from pydantic import Field

from libs.connectors.settings import (
    CannySettings,
    ChorusSettings,
    GitHubSettings,
    GongSettings,
    HelpScoutSettings,
    HubSpotSettings,
    IntercomSettings,
    JiraSettings,
    LinearSettings,
    SalesforceSettings,
    ZendeskSettings,
)
from libs.runtime.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    # How often the outbox relay looks for items still to publish when nothing wakes it.
    relay_interval_seconds: float = 1.0
    relay_batch_size: int = 500
    max_import_rows: int = 10_000
    # Request bodies, refused with a 413 as they arrive (before parsing and authentication) when larger.
    max_webhook_bytes: int = 5_000_000
    max_feedback_bytes: int = 256_000
    max_import_bytes: int = 25_000_000
    # Refused webhook deliveries and rejected payloads: how long each is kept, and at most how many of each.
    rejection_retention_days: int = Field(default=30, ge=1)
    rejections_kept: int = Field(default=10_000, ge=0)
    # Run each configured source's sync schedules in this process (one replica should, when there are several).
    sync_schedules: bool = True

    # Each source's block (PRODOPS_<SOURCE>_*), named as the source, for its connector.
    canny: CannySettings = Field(default_factory=CannySettings)
    chorus: ChorusSettings = Field(default_factory=ChorusSettings)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    gong: GongSettings = Field(default_factory=GongSettings)
    helpscout: HelpScoutSettings = Field(default_factory=HelpScoutSettings)
    hubspot: HubSpotSettings = Field(default_factory=HubSpotSettings)
    intercom: IntercomSettings = Field(default_factory=IntercomSettings)
    jira: JiraSettings = Field(default_factory=JiraSettings)
    linear: LinearSettings = Field(default_factory=LinearSettings)
    salesforce: SalesforceSettings = Field(default_factory=SalesforceSettings)
    zendesk: ZendeskSettings = Field(default_factory=ZendeskSettings)
