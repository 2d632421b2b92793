"""The probe service the runtime's tests run on the real broker."""

from __future__ import annotations

from pathlib import Path

import pytest

from libs.runtime.service import ServiceRuntime
from libs.runtime.tests.probe import probe_runtime


@pytest.fixture
async def runtime(kafka_bootstrap: str, tmp_path: Path) -> ServiceRuntime:
    """A service of its own name (so its consumer groups are fresh) on the real broker, SQLite in tmp_path."""
    return probe_runtime(kafka_bootstrap, tmp_path)
