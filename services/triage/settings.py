from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from libs.ml.mistral import MistralSettings
from libs.runtime.settings import ServiceSettings


class AutoPrecision(BaseModel):
    """How often, on held-out rows, the verdicts applied without a person's look must be right, per field.

    PRODOPS_TRIAGE_AUTO_PRECISION is one number for both, or `{"category": 0.9, "sentiment_direction": 0.95}`.
    """

    model_config = ConfigDict(extra="forbid")

    category: float = Field(default=0.90, gt=0, le=1)
    sentiment_direction: float = Field(default=0.95, gt=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _one_for_both(cls, value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"category": value, "sentiment_direction": value}
        return value


class TriageSettings(ServiceSettings, MistralSettings):
    # Priority score bands (Tier x 3 + Severity x 2 + Revenue x 1, plus the at-risk boost; max 22),
    # set so that an unknown customer's outage is high, an enterprise's critical, a typo low.
    critical_from: float = 17.0
    high_from: float = 13.0
    medium_from: float = 9.0
    at_risk_boost: float = 2.0

    # Where `prodops triage train` writes model versions; unset: under data_dir.
    models_dir: Path | None = None
    # How often the service looks for a newly trained model version.
    model_check_seconds: float = 10.0
    # `prodops triage train` chooses each field's auto-apply threshold for these precisions (stored with the version).
    triage_auto_precision: AutoPrecision = Field(default_factory=AutoPrecision)
    # Shadow mode: the AI's verdict is stored and published as a suggestion, never shown as truth.
    shadow_mode: bool = False

    # The Mistral API (key, server, timeouts, retries: MistralSettings): used when a key is set, with
    # the local engine as fallback.
    mistral_small_model: str = "mistral-small-latest"
    mistral_medium_model: str = "mistral-medium-latest"
    mistral_large_model: str = "mistral-large-latest"
    # Texts longer than this (sales-call transcripts) go to the large model.
    mistral_long_text_chars: int = 6000
    # How much of a transcript the large model reads when splitting it (about 4 characters a token).
    mistral_split_max_chars: int = Field(default=200_000, ge=1000)
    mistral_max_concurrency: int = Field(default=4, ge=1)
    # How often degraded verdicts (the local fallback's, while Mistral failed) are offered to Mistral
    # again, and how many at most a run; a run stops at the first item Mistral still cannot answer.
    retriage_degraded_seconds: float = Field(default=60.0, gt=0)
    retriage_degraded_batch: int = Field(default=100, ge=1)
    # Dollars per million tokens (input, output), for the cost counter.
    mistral_price_per_million: dict[str, tuple[float, float]] = {
        "mistral-small-latest": (0.1, 0.3),
        "mistral-medium-latest": (0.4, 2.0),
        "mistral-large-latest": (2.0, 6.0),
    }

    # A multi-speaker transcript at least this long is split into one item per request voiced in it.
    split_min_chars: int = Field(default=300, ge=1)
    # How sure the local heads must be that a sentence is a request, bug, complaint or improvement.
    split_min_confidence: float = Field(default=0.45, ge=0, le=1)
    split_max_requests: int = Field(default=25, ge=1)

    def model_directory(self) -> Path:
        return self.models_dir or self.data_dir / "triage-models"
