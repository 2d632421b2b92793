"""Settings every service shares; each service extends them with its own block.

Everything comes from the environment (prefix PRODOPS_), so one code path runs embedded on a
laptop and in production: only the values differ.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("gateway", "ingest", "enrich", "triage", "dedupe", "launches", "notify")

# Port offsets from the base port: the gateway on P, ingest on P+1 (the interface), the rest after.
PORT_OFFSETS = {name: offset for offset, name in enumerate(SERVICES)}

# The largest record a producer sends (aiokafka's max_request_size, as large as Kafka's default message.max.bytes):
# every service's producer is built with it, and ingest refuses before storing an item whose event would not fit.
MAX_MESSAGE_BYTES = 1_048_576


def _empty_is_unset(value: object) -> object:
    """A set but empty (or blank) secret is no secret: `PRODOPS_GITHUB_WEBHOOK_SECRET=` must not let anyone sign
    with an empty key, so it reads as unset, which refuses."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    return None if isinstance(text, str) and not text.strip() else value


# Every secret setting (keys, tokens, passwords, webhook secrets): SecretStr, and empty means unset.
Secret = Annotated[SecretStr | None, BeforeValidator(_empty_is_unset)]


# Placeholders the project's own examples show; long enough for the length check, known to everyone.
EXAMPLE_SECRETS = frozenset({"replace-with-the-output-of-openssl-rand-hex-32"})


class SettingsBlock(BaseModel):
    """A block of a service's settings (a vendor's, sign-in's), read from PRODOPS_<BLOCK>_<FIELD>."""

    model_config = ConfigDict(extra="ignore")


class ServiceSettings(BaseSettings):
    # A block field nests: PRODOPS_LINEAR_API_URL is the `linear` block's api_url. One split only, so
    # the block's own field names keep their underscores.
    model_config = SettingsConfigDict(
        env_prefix="PRODOPS_", extra="ignore", env_nested_delimiter="_", env_nested_max_split=1
    )

    env: Literal["dev", "test", "prod"] = "dev"
    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    base_port: int = Field(default=8000, ge=1, le=65000)

    kafka_bootstrap: str = "127.0.0.1:9092"
    # Short sessions make a new or restarted consumer get its partitions in a second, not ten.
    kafka_session_timeout_ms: int = 6000
    kafka_heartbeat_interval_ms: int = 1000
    # Idempotent producers: a send the client retries is stored once, not twice. Needs a broker that grants producer
    # ids (Apache Kafka does; the embedded tansu refuses them, so it stays off there).
    kafka_idempotent: bool = False
    # How long a stopping service waits for its broker connection to close (handlers in flight get 10 s
    # of it) before it leaves it: a consumer that never closes must not keep the process alive.
    broker_stop_seconds: float = Field(default=20.0, gt=0)

    # Unset: each service gets its own SQLite file under data_dir (one writer per file).
    # Set to postgresql+asyncpg://...: each service gets its own schema in that database.
    database_url: str | None = None

    secret_key: Secret = None

    # How often each service samples its consumers' lag for /metrics.
    lag_sample_seconds: float = Field(default=5.0, gt=0)

    # A consumer takes up to this many fetched messages at once: one transaction, one publish wait
    # and one offset commit for them all (1: a message at a time).
    consumer_batch_size: int = Field(default=100, ge=1)
    # How long an idle consumer polls before it looks again; records that arrive end the wait at once,
    # but after an empty poll FastStream sleeps as long again before the next, so it also bounds how
    # long a record that arrives then waits. Shorter waits (and fetch waits) cut an idle hop's delay on
    # tansu and cost CPU: bench/broker_hop.py and docs/benchmarks.md.
    consumer_batch_wait_ms: int = Field(default=100, ge=1)

    handler_attempts: int = Field(default=4, ge=1)
    handler_backoff_seconds: float = Field(default=0.2, ge=0)

    # The largest request body any route takes unless the service sets its own (ingest's webhooks and imports).
    max_body_bytes: int = Field(default=1_000_000, ge=1)

    log_level: str = "INFO"
    log_json: bool = False

    @model_validator(mode="after")
    def _refuse_missing_secret_in_prod(self) -> ServiceSettings:
        key = self.secret_key.get_secret_value() if self.secret_key else ""
        if self.env == "prod" and (len(key) < 32 or key in EXAMPLE_SECRETS):
            raise ValueError(
                "PRODOPS_SECRET_KEY must be set (32+ random characters, not an example's) when PRODOPS_ENV=prod"
            )
        return self

    def port_of(self, service: str) -> int:
        return self.base_port + PORT_OFFSETS[service]

    def signing_key(self) -> str:
        """The token signing key: from the environment, or in dev a random one kept in data_dir."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()
