from pathlib import Path

from pydantic import Field, SecretStr

from libs.runtime.settings import ServiceSettings
from services.launches.trackers import StatusMapping

TEMPLATES_FILE = Path(__file__).parent / "checklists.yaml"


class LaunchesSettings(ServiceSettings):
    # The checklist templates a team edits; loaded into the checklist_templates table at start.
    checklist_templates_file: Path = TEMPLATES_FILE
    # At risk when the target date is this many days away or nearer and the checklist lags.
    at_risk_days: int = Field(default=14, ge=0)
    at_risk_min_readiness: float = Field(default=0.8, ge=0, le=1)
    # How often the service looks whether time alone has put a launch at risk.
    risk_review_seconds: float = Field(default=3600, gt=0)
    # How Linear project and Jira fix version states map to launch statuses (JSON in the environment).
    tracker_mapping: StatusMapping = Field(default_factory=StatusMapping)

    # Sync from Linear (on when the API key is set) and Jira (on when URL, email and token are set).
    linear_api_key: SecretStr | None = None
    linear_api_url: str = "https://api.linear.app/graphql"
    jira_base_url: str | None = None
    jira_email: str | None = None
    jira_api_token: SecretStr | None = None
    tracker_sync_seconds: float = Field(default=900, gt=0)
