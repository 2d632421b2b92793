"""The embedder and the vector index in use: served once the vectors open, replaced together by a refresh."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from libs.ml.embeddings import Embedder
from libs.runtime.consumer import Ahead
from services.dedupe.adapters import VectorIndex


@dataclass(frozen=True)
class Serving:
    """An embedder and the index of its vectors: read together, so that no vector of one model is
    ever searched among another's."""

    embedder: Embedder
    index: VectorIndex


class Engines:
    """What the handlers embed and search with; `refresh.Vectors` sets it as it opens and switches."""

    def __init__(self) -> None:
        self._serving: Serving | None = None
        # The vectors of the batch being handled, embedded in one call, by (model, text).
        self._ahead: Ahead[tuple[str, str], list[float]] = Ahead()

    @property
    def serving(self) -> Serving:
        assert self._serving is not None, "the vectors are opened before the broker starts"
        return self._serving

    def use(self, embedder: Embedder, index: VectorIndex) -> None:
        """Serve this pair from now on (one assignment, on the event loop: a handler never sees half of it)."""
        self._serving = Serving(embedder, index)

    async def embed_ahead(self, texts: list[str]) -> None:
        """Embed a batch's texts at once (far cheaper per text than one by one), for `embed` to find."""
        embedder = self.serving.embedder
        vectors = await asyncio.to_thread(embedder.embed, texts)
        self._ahead.keep({(embedder.model_name, text): vector for text, vector in zip(texts, vectors, strict=True)})

    async def embed(self, embedder: Embedder, text: str) -> list[float]:
        """The text's vector by `embedder`: embedded ahead with its batch, or now, off the event loop."""
        if (vector := self._ahead.get((embedder.model_name, text))) is not None:
            return vector
        [vector] = await asyncio.to_thread(embedder.embed, [text])
        return vector
