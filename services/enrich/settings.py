from datetime import timedelta
from pathlib import Path

from pydantic import Field

from libs.connectors.settings import HubSpotCrmSettings, SalesforceCrmSettings
from libs.runtime.settings import ServiceSettings
from services.enrich.domain import ChurnRules


class EnrichSettings(ServiceSettings):
    # A CSV or JSON export of the CRM's accounts, loaded (upserted) at start.
    customers_file: Path | None = None
    # At risk: health (0-100) below this, or this many negative items within the window, or a recent downgrade.
    at_risk_health_below: float = 40.0
    churn_negative_items: int = Field(default=3, ge=1)
    churn_window_days: int = Field(default=30, ge=1)
    downgrade_window_days: int = Field(default=90, ge=1)
    # Run each configured CRM's sync on its interval in this process (one replica should, when there are several).
    crm_sync: bool = True
    # Each CRM's block (PRODOPS_CRM_<NAME>_*): on when its API token (and URL) is set.
    crm_hubspot: HubSpotCrmSettings = Field(default_factory=HubSpotCrmSettings)
    crm_salesforce: SalesforceCrmSettings = Field(default_factory=SalesforceCrmSettings)

    def churn_rules(self) -> ChurnRules:
        return ChurnRules(
            health_below=self.at_risk_health_below,
            negative_items=self.churn_negative_items,
            window=timedelta(days=self.churn_window_days),
            downgrade_window=timedelta(days=self.downgrade_window_days),
        )
