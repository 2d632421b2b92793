from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator

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

    # A new launch creates its Linear project in these teams, or its Jira fix version in this project
    # (one of the two), with the credentials above; the launch then follows it.
    linear_team_ids: list[str] = Field(default_factory=list)
    jira_project_id: int | None = None
    # How often the service looks for tracker objects still to create, and how hard it tries.
    tracker_link_seconds: float = Field(default=30, gt=0)
    tracker_link_attempts: int = Field(default=8, ge=1)
    tracker_link_backoff_seconds: float = Field(default=30, ge=0)

    @property
    def creates_in(self) -> Literal["linear", "jira"] | None:
        """The tracker a new launch creates its object in, if any."""
        if self.linear_team_ids:
            return "linear"
        return "jira" if self.jira_project_id is not None else None

    @model_validator(mode="after")
    def _one_creation_target_with_credentials(self) -> Self:
        if self.linear_team_ids and self.jira_project_id is not None:
            raise ValueError("set linear_team_ids or jira_project_id, not both: a launch creates one tracker object")
        if self.linear_team_ids and not self.linear_api_key:
            raise ValueError("linear_team_ids needs linear_api_key to create Linear projects")
        if self.jira_project_id is not None and not (self.jira_base_url and self.jira_email and self.jira_api_token):
            raise ValueError(
                "jira_project_id needs jira_base_url, jira_email and jira_api_token to create Jira versions"
            )
        return self
