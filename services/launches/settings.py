from pathlib import Path
from typing import Literal, Self

from pydantic import Field, model_validator

from libs.connectors.settings import JiraSettings, LinearSettings
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

    # Sync from Linear (on when its API token is set) and Jira (on when URL, email and token are set).
    # A new launch creates its Linear project in linear.team_ids, or its Jira fix version in
    # jira.project_id (one of the two); the launch then follows it.
    linear: LinearSettings = Field(default_factory=LinearSettings)
    jira: JiraSettings = Field(default_factory=JiraSettings)
    tracker_sync_seconds: float = Field(default=900, gt=0)

    # How often the service looks for tracker objects still to create, and how hard it tries.
    tracker_link_seconds: float = Field(default=30, gt=0)
    tracker_link_attempts: int = Field(default=8, ge=1)
    tracker_link_backoff_seconds: float = Field(default=30, ge=0)

    @property
    def creates_in(self) -> Literal["linear", "jira"] | None:
        """The tracker a new launch creates its object in, if any."""
        if self.linear.team_ids:
            return "linear"
        return "jira" if self.jira.project_id is not None else None

    @model_validator(mode="after")
    def _one_creation_target_with_credentials(self) -> Self:
        if self.linear.team_ids and self.jira.project_id is not None:
            raise ValueError(
                "set PRODOPS_LINEAR_TEAM_IDS or PRODOPS_JIRA_PROJECT_ID, not both: a launch creates one tracker object"
            )
        if self.linear.team_ids and not self.linear.api_token:
            raise ValueError("PRODOPS_LINEAR_TEAM_IDS needs PRODOPS_LINEAR_API_TOKEN to create Linear projects")
        if self.jira.project_id is not None and not self.jira.configured():
            raise ValueError(
                "PRODOPS_JIRA_PROJECT_ID needs PRODOPS_JIRA_API_URL, _EMAIL and _API_TOKEN to create Jira versions"
            )
        return self
