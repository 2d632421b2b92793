from libs.runtime.settings import ServiceSettings


class TriageSettings(ServiceSettings):
    # Priority score bands (Tier x 3 + Severity x 2 + Revenue x 1, plus the at-risk boost; max 22).
    critical_from: float = 17.0
    high_from: float = 13.0
    medium_from: float = 9.0
    at_risk_boost: float = 2.0
