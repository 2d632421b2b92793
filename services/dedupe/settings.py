from pydantic import Field, model_validator

from libs.ml.embeddings import E5_SMALL, MINILM, MODELS
from libs.ml.mistral import MISTRAL_EMBED, MistralSettings
from libs.runtime.settings import Secret, ServiceSettings

# The cosine similarity at or above which an item is flagged as a likely duplicate belongs to the
# embedding model. Each was calibrated on ../shared/data/duplicates_train.jsonl (534 labelled pairs)
# with `prodops dedupe eval` and 5-fold cross-validation of the best threshold (docs/dedupe.md):
# all-MiniLM-L6-v2: F1 0.635 at 0.50; the folds' best thresholds 0.505 +- 0.003, held-out F1 0.63.
# multilingual-e5-small (q4): F1 0.556 at 0.87; the folds' best 0.870 +- 0.005, held-out F1 0.54
# (E5's cosines crowd near 1: unrelated texts score about 0.8).
# The spec's 0.85 (set for Mistral Embed) gives F1 0.11 with MiniLM.
# mistral-embed: the spec's 0.85, NOT calibrated (no network here to embed the pairs); run
# `prodops dedupe eval` with a key before trusting it.
CALIBRATED_THRESHOLDS = {MINILM: 0.50, E5_SMALL: 0.87, MISTRAL_EMBED: 0.85}
# Theme clustering per model: (join a theme's centroid, found a theme with a neighbour), set by
# clustering ../shared/data/category_train.jsonl (docs/dedupe.md, "Merges and themes").
# mistral-embed's are uncalibrated guesses a little below its duplicate threshold.
THEME_SIMILARITIES = {MINILM: (0.55, 0.6), E5_SMALL: (0.93, 0.94), MISTRAL_EMBED: (0.8, 0.82)}


class DedupeSettings(ServiceSettings, MistralSettings):
    # Which model embeds items (PRODOPS_EMBEDDING_MODEL); unset: mistral-embed when a Mistral key is
    # set, else MiniLM. Changing it re-embeds the index at start.
    embedding_model: str = MINILM
    # Unset: the model's calibrated threshold above. Recalibrate with `prodops dedupe eval` when setting it.
    duplicate_threshold: float = Field(default=CALIBRATED_THRESHOLDS[MINILM], ge=-1.0, le=1.0)
    # Only an item created within this many days of the new one (either side) can be its duplicate parent.
    window_days: int = Field(default=30, ge=0)
    # How many similar items every result lists.
    top_k: int = Field(default=5, ge=1, le=100)
    # Themes (unset: the model's values above): an item joins the theme of a near item whose centroid
    # is at least this similar to it...
    theme_similarity: float = Field(default=THEME_SIMILARITIES[MINILM][0], ge=-1.0, le=1.0)
    # ...else it founds a theme with a near item that has none, when the two are at least this similar.
    theme_seed_similarity: float = Field(default=THEME_SIMILARITIES[MINILM][1], ge=-1.0, le=1.0)

    # Set (http://qdrant:6333): vectors in that Qdrant server; unset: a Qdrant Edge shard under data_dir.
    qdrant_url: str | None = None
    qdrant_api_key: Secret = None
    # The server alias naming the live collection; each generation is a collection `<alias>--<model>-<time>`.
    qdrant_collection: str = Field(default="prodops-feedback", pattern=r"^[A-Za-z0-9_-]+$")
    # Items re-embedded per step of a refresh (one embedder call, one index write).
    refresh_batch_size: int = Field(default=64, ge=1, le=4096)

    @model_validator(mode="after")
    def _threshold_of_the_model(self) -> "DedupeSettings":
        if "embedding_model" not in self.model_fields_set and self.mistral_api_key is not None:
            self.embedding_model = MISTRAL_EMBED
        if self.embedding_model not in MODELS:
            raise ValueError(f"unknown embedding_model {self.embedding_model!r}; known: {', '.join(MODELS)}")
        if self.embedding_model == MISTRAL_EMBED and self.mistral_api_key is None:
            raise ValueError(f"embedding_model {MISTRAL_EMBED} needs PRODOPS_MISTRAL_API_KEY")
        if "duplicate_threshold" not in self.model_fields_set:
            self.duplicate_threshold = CALIBRATED_THRESHOLDS[self.embedding_model]
        join, seed = THEME_SIMILARITIES[self.embedding_model]
        if "theme_similarity" not in self.model_fields_set:
            self.theme_similarity = join
        if "theme_seed_similarity" not in self.model_fields_set:
            self.theme_seed_similarity = seed
        return self
