"""Which errors mean a dependency is down (wait for it, or answer 503) and which are not (dead-letter)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from libs.runtime.broker import free_port
from libs.runtime.database import is_transient, make_engine


async def test_a_database_that_refuses_connections_is_down() -> None:
    # Nothing listens on a free port: the connection is refused.
    engine = make_engine(f"postgresql+asyncpg://prodops@127.0.0.1:{free_port()}/prodops", "probe")
    with pytest.raises(Exception) as caught:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    await engine.dispose()
    assert is_transient(caught.value), repr(caught.value)


async def test_a_dependency_that_does_not_answer_in_time_is_down() -> None:
    with pytest.raises(TimeoutError) as caught:
        await asyncio.wait_for(asyncio.sleep(1), timeout=0.01)
    assert is_transient(caught.value)


def test_a_missing_file_is_no_outage(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        (tmp_path / "model.joblib").read_bytes()
    assert not is_transient(caught.value), "waiting would not bring it back: the message is dead-lettered"


def test_a_programming_error_is_no_outage() -> None:
    assert not is_transient(ValueError("a bad value"))
