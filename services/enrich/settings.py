from pathlib import Path

from libs.runtime.settings import ServiceSettings


class EnrichSettings(ServiceSettings):
    # A CSV or JSON export of the CRM's accounts, loaded (upserted) at start.
    customers_file: Path | None = None
    # Below this health score (0-100) a customer counts as at risk.
    at_risk_health_below: float = 40.0
