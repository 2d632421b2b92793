from pydantic import Field

from libs.runtime.settings import ServiceSettings


class DedupeSettings(ServiceSettings):
    # Cosine similarity at or above which an item is flagged as a likely duplicate. It belongs to the
    # embedding model: for all-MiniLM-L6-v2 it was calibrated on ../shared/data/duplicates_train.jsonl
    # (534 labelled pairs): F1 0.635 at 0.50, the best there being 0.636 at 0.503; 5-fold
    # cross-validation picks 0.50 +- 0.02 with a held-out F1 of 0.62. The seed's 0.85 (set for Mistral
    # Embed) gives F1 0.11 with this model. Recalibrate whenever the model changes.
    duplicate_threshold: float = Field(default=0.50, ge=-1.0, le=1.0)
    # Only an item created within this many days of the new one (either side) can be its duplicate parent.
    window_days: int = Field(default=30, ge=0)
    # How many similar items every result lists.
    top_k: int = Field(default=5, ge=1, le=100)
