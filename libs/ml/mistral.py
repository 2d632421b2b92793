"""Mistral's API through the official SDK: the settings and client every service shares, and Mistral Embed."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.runtime.settings import Secret

if TYPE_CHECKING:
    from mistralai.client import Mistral

MISTRAL_EMBED = "mistral-embed"
MISTRAL_EMBED_DIMENSION = 1024
# mistral-embed reads at most 8,192 tokens of one input and 16,384 of one request, and refuses more
# than 256 inputs; at about 4 characters a token (2-3 for code), these stay clear of both.
MAX_INPUT_CHARS = 12_000
MAX_REQUEST_CHARS = 40_000


class MistralSettings(BaseSettings):
    """How to reach the Mistral API (PRODOPS_MISTRAL_*); a service's settings inherit these."""

    model_config = SettingsConfigDict(env_prefix="PRODOPS_", extra="ignore")

    # Unset: no call leaves the machine; each service uses its local model instead.
    mistral_api_key: Secret = Field(
        default=None, validation_alias=AliasChoices("MISTRAL_API_KEY", "PRODOPS_MISTRAL_API_KEY")
    )
    mistral_server_url: str | None = None
    mistral_timeout_seconds: float = Field(default=20.0, gt=0)
    # 0: no retries; else 429, 5xx and refused connections are retried with backoff (Retry-After
    # honoured) for up to mistral_retry_seconds in all.
    mistral_retries: int = Field(default=3, ge=0)
    mistral_retry_seconds: float = Field(default=20.0, gt=0)
    # Texts per embeddings request (the API refuses more than 256).
    mistral_embed_batch_size: int = Field(default=64, ge=1, le=256)


def mistral_client(settings: MistralSettings) -> Mistral:
    """The SDK's client, with timeouts and backoff on 429, 5xx and connection errors."""
    from mistralai.client import Mistral
    from mistralai.client.utils.retries import BackoffStrategy, RetryConfig

    if settings.mistral_api_key is None:
        raise ValueError("the Mistral API needs a key: set PRODOPS_MISTRAL_API_KEY")
    retry_ms = int(settings.mistral_retry_seconds * 1000)
    retries = RetryConfig("backoff", BackoffStrategy(200, 5_000, 2.0, retry_ms), retry_connection_errors=True)
    return Mistral(
        api_key=settings.mistral_api_key.get_secret_value(),
        server_url=settings.mistral_server_url,
        retry_config=retries if settings.mistral_retries else None,
        timeout_ms=int(settings.mistral_timeout_seconds * 1000),
    )


class MistralUnavailable(ConnectionError):
    """The API did not answer (down, overloaded, rate-limited past the retries): a down dependency,
    so a consumer waits for it and redelivers rather than dead-letters."""


class MistralRefused(RuntimeError):
    """The API answered with an error no retry mends (a bad key, an input it refuses, a bad answer)."""


class MistralEmbedder:
    """mistral-embed (1024-d, unit length) through the SDK, in requests of at most the batch size."""

    def __init__(self, client: Mistral, batch_size: int) -> None:
        self._client = client
        self._batch_size = batch_size

    @classmethod
    def create(cls, settings: MistralSettings) -> MistralEmbedder:
        return cls(mistral_client(settings), settings.mistral_embed_batch_size)

    @property
    def model_name(self) -> str:
        return MISTRAL_EMBED

    @property
    def dimension(self) -> int:
        return MISTRAL_EMBED_DIMENSION

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Unit-length embeddings, one per text; raises MistralUnavailable or MistralRefused."""
        # Truncated alike every time, so a refresh embeds a stored text to the same vector.
        inputs = [text[:MAX_INPUT_CHARS] for text in texts]
        vectors: list[list[float]] = []
        for batch in batches(inputs, self._batch_size, MAX_REQUEST_CHARS):
            vectors.extend(self._request(batch))
        return vectors

    def _request(self, inputs: list[str]) -> list[list[float]]:
        import httpx2  # the SDK's own fork of httpx, in which its transport errors are raised
        from mistralai.client.errors import MistralError

        try:
            response = self._client.embeddings.create(model=MISTRAL_EMBED, inputs=inputs)
        except MistralError as error:
            reason = f"{MISTRAL_EMBED}: HTTP {error.status_code}: {str(error)[:200]}"
            if error.status_code == 429 or error.status_code >= 500:
                raise MistralUnavailable(reason) from error
            raise MistralRefused(reason) from error
        except httpx2.TransportError as error:  # refused connections, timeouts
            raise MistralUnavailable(f"{MISTRAL_EMBED}: {type(error).__name__}: {str(error)[:200]}") from error
        rows = sorted(response.data, key=lambda row: row.index or 0)
        vectors = [row.embedding or [] for row in rows]
        if len(vectors) != len(inputs) or any(len(vector) != MISTRAL_EMBED_DIMENSION for vector in vectors):
            raise MistralRefused(
                f"{MISTRAL_EMBED}: asked for {len(inputs)} vectors of {MISTRAL_EMBED_DIMENSION}, "
                f"got {len(vectors)} of {sorted({len(vector) for vector in vectors})}"
            )
        return [_unit(vector) for vector in vectors]


def batches(texts: list[str], size: int, max_chars: int) -> list[list[str]]:
    """Consecutive batches of at most `size` texts and (unless one text alone is longer) `max_chars`."""
    if size < 1:
        raise ValueError(f"a batch holds at least one text, not {size}")
    result: list[list[str]] = []
    current: list[str] = []
    chars = 0
    for text in texts:
        if current and (len(current) == size or chars + len(text) > max_chars):
            result.append(current)
            current, chars = [], 0
        current.append(text)
        chars += len(text)
    if current:
        result.append(current)
    return result


def _unit(vector: list[float]) -> list[float]:
    # mistral-embed's vectors are unit length already; the Embedder promise must not hang on it.
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0:
        raise MistralRefused(f"{MISTRAL_EMBED}: a zero vector")
    return [x / norm for x in vector]
