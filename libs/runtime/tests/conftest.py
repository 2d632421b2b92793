"""The probe service the runtime's tests run on the real broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest

from libs.runtime.service import ServiceRuntime
from libs.runtime.settings import ServiceSettings


@pytest.fixture
async def runtime(kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[ServiceRuntime]:
    """A service of its own name (so its consumer groups are fresh) on the real broker, SQLite in tmp_path."""
    settings = ServiceSettings(
        kafka_bootstrap=kafka_bootstrap,
        data_dir=tmp_path,
        handler_backoff_seconds=0.01,
        lag_sample_seconds=0.1,
        kafka_session_timeout_ms=2000,
        kafka_heartbeat_interval_ms=500,
    )
    migrations = tmp_path / "no-migrations-of-its-own"
    migrations.mkdir()
    yield ServiceRuntime.create(f"probe-{uuid4().hex[:6]}", settings, migrations)
