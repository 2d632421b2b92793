"""Each vendor's block of settings, one definition for every service that talks to it.

A service nests a block as a field named after the vendor, so `PRODOPS_LINEAR_API_URL` is
`LinearSettings.api_url` in ingest and in launches alike. Old spellings of the same meaning are
still read, as deprecated aliases (docs/deploy.md).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import AliasChoices, Field, field_validator

from libs.runtime.settings import Secret, SettingsBlock
from libs.schemas.feedback import Tier

_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEFAULT_PLAN_TIERS = {"free": Tier.FREE, "pro": Tier.PRO, "professional": Tier.PRO, "enterprise": Tier.ENTERPRISE}


def _token(*deprecated: str) -> Secret:
    """The api_token field, also read under its deprecated names."""
    return Field(default=None, validation_alias=AliasChoices("api_token", *deprecated))


class VendorSettings(SettingsBlock):
    """A vendor API's base URL and token: PRODOPS_<VENDOR>_API_URL and PRODOPS_<VENDOR>_API_TOKEN."""

    api_url: str = ""
    api_token: Secret = None

    def configured(self) -> bool:
        return self.api_token is not None and bool(self.api_url)

    def token(self) -> str:
        return self.api_token.get_secret_value() if self.api_token else ""


class SourceSettings(VendorSettings):
    """A feedback source's block: ingest's webhooks and sync of that vendor."""

    webhook_secret: Secret = None
    # Vendors that send a timestamp get this window (either side, for clock skew).
    replay_window_seconds: float = Field(default=300, gt=0)
    sync_every_minutes: float = Field(default=15, gt=0)
    backfill_cron: str = "0 2 * * *"
    page_size: int = Field(default=100, ge=1)
    # A rate-limit reset further away than this ends the run; the next one resumes from the cursor.
    max_rate_limit_wait_seconds: float = Field(default=900, ge=0)


# --- feedback sources (ingest), trackers (launches) and channels (notify) ------------------------


class CannySettings(SourceSettings):
    """Canny signs webhooks with the team's API key: set the same key as webhook secret and API token."""

    api_url: str = "https://canny.io"
    board_id: str | None = None


class ChorusSettings(SourceSettings):
    api_url: str = "https://chorus.ai"


class GitHubSettings(SourceSettings):
    api_url: str = "https://api.github.com"
    repositories: list[str] = Field(default_factory=list, description='["owner/name", ...] to sync')

    def configured(self) -> bool:
        return super().configured() and bool(self.repositories)


class GongSettings(SourceSettings):
    """The webhook secret is the rule's URL key; with a public key set, the signed JWT header is required."""

    api_url: str = "https://api.gong.io"
    access_key: str | None = None
    """Gong's API authenticates `<access key>:<access key secret>` (basic auth); the secret is the token."""
    webhook_public_key: Secret = None
    """The RSA public key (PEM) shown in the automation rule, for the 'Signed JWT header' option."""


class HelpScoutSettings(SourceSettings):
    api_url: str = "https://api.helpscout.net"


class HubSpotSettings(SourceSettings):
    """The webhook secret is the app's client secret."""

    api_url: str = "https://api.hubapi.com"
    webhook_url: str | None = None
    """The public URL HubSpot calls, when a proxy in front of ingest changes what ingest sees."""


class IntercomSettings(SourceSettings):
    """Intercom: ingest syncs its conversations, notify sends messages as an admin."""

    api_url: str = "https://api.intercom.io"
    api_token: Secret = _token("token")
    api_version: str = Field(default="2.14", validation_alias=AliasChoices("api_version", "version"))
    """The Intercom-Version header every call sends."""
    page_size: int = 150
    admin_id: str | None = None
    """The admin notify's messages come from; notify sends none without it."""


class JiraSettings(SourceSettings):
    """Jira Cloud: ingest syncs its issues, launches follows and creates fix versions."""

    api_url: str = Field(default="", validation_alias=AliasChoices("api_url", "base_url"))
    """The site, https://<site>.atlassian.net"""
    email: str | None = None
    """Jira Cloud API tokens authenticate as `<email>:<token>` (basic auth)."""
    jql: str = ""
    """Narrows ingest's sync, e.g. `project = FEED`; ANDed with the updated-since clause."""
    project_id: int | None = None
    """The project a new launch creates its fix version in."""

    def configured(self) -> bool:
        return super().configured() and bool(self.email)


class LinearSettings(SourceSettings):
    """Linear: ingest syncs its issues, launches follows and creates its projects."""

    api_url: str = "https://api.linear.app"
    api_token: Secret = _token("api_key")
    # Linear's SDK refuses deliveries more than 60 s old.
    replay_window_seconds: float = 60
    page_size: int = 50
    team_ids: list[str] = Field(default_factory=list)
    """The teams a new launch creates its project in."""

    @field_validator("api_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        # The GraphQL endpoint given instead of the base URL names the same API.
        return value.rstrip("/").removesuffix("/graphql")

    @property
    def graphql_url(self) -> str:
        return f"{self.api_url}/graphql"


class SalesforceSettings(SourceSettings):
    api_url: str = ""
    """The org's instance URL, https://<domain>.my.salesforce.com"""
    api_version: str = "v60.0"
    sobject: Literal["Case", "Note"] = "Case"


class SlackSettings(VendorSettings):
    """Slack: notify posts to an account's own channel (by CRM id or company), else the default one."""

    api_url: str = "https://slack.com/api"
    api_token: Secret = _token("token")
    channel: str | None = None
    account_channels: dict[str, str] = Field(default_factory=dict)


class ZendeskSettings(SourceSettings):
    api_url: str = ""
    """https://<subdomain>.zendesk.com"""
    email: str | None = None
    """With an API token, Zendesk authenticates `<email>/token:<token>` (basic auth)."""


# --- CRMs (enrich's accounts sync: PRODOPS_CRM_<NAME>_*) -------------------------------------------


class CrmSettings(VendorSettings):
    """A CRM's block: enrich's incremental sync of its accounts."""

    page_size: int = Field(default=100, ge=1)
    sync_every_minutes: float = Field(default=15, gt=0)
    # A rate-limit reset further away than this ends the run; the next one resumes from the cursor.
    max_rate_limit_wait_seconds: float = Field(default=900, ge=0)
    # The account's properties (custom in both CRMs) that hold the plan, the ARR and the health score (0-100);
    # without a plan property, or when an account has none, the tier follows the ARR thresholds.
    plan_property: str | None = None
    arr_property: str | None = None
    health_property: str | None = None
    plan_tiers: dict[str, Tier] = Field(default_factory=lambda: dict(DEFAULT_PLAN_TIERS))
    enterprise_arr_from: float = Field(default=100_000, ge=0)
    pro_arr_from: float = Field(default=1, ge=0)

    @field_validator("plan_property", "arr_property", "health_property")
    @classmethod
    def _a_field_name(cls, value: str | None) -> str | None:
        # These go into queries (SOQL): a name, never an expression.
        if value is not None and not _FIELD_NAME.match(value):
            raise ValueError(f"{value!r} is not a property name (letters, digits, underscores)")
        return value

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def properties(self) -> list[str]:
        return [name for name in (self.plan_property, self.arr_property, self.health_property) if name]


class HubSpotCrmSettings(CrmSettings):
    """A private app's access token with the crm.objects.companies.read scope."""

    api_url: str = "https://api.hubapi.com"
    plan_property: str | None = "plan"
    arr_property: str | None = "arr"
    health_property: str | None = "health_score"


class SalesforceCrmSettings(CrmSettings):
    """api_url is the org's instance URL (https://<domain>.my.salesforce.com); api_token an OAuth access token."""

    api_version: str = "v60.0"
    plan_property: str | None = "Plan__c"
    arr_property: str | None = "ARR__c"
    health_property: str | None = "Health_Score__c"
