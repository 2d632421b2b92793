"""`prodops sync SOURCE` as a person runs it: its own process, settings from the environment."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlmodel import func, select

from libs.runtime.database import make_engine, session_factory
from services.ingest.storage import StoredItem
from services.ingest.tests.connectors.fake_vendors import FakeVendor, serving


async def prodops(*args: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "prodops.cli", *args,
        env={**os.environ, "COLUMNS": "200", **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


async def stored_items(data_dir: Path) -> int:
    engine = make_engine(f"sqlite+aiosqlite:///{data_dir / 'ingest.db'}", "ingest")
    try:
        async with session_factory(engine)() as session:
            return (await session.exec(select(func.count()).select_from(StoredItem))).one()
    finally:
        await engine.dispose()


async def test_sync_by_hand_then_a_backfill(tmp_path: Path) -> None:
    vendor = FakeVendor("helpscout")
    vendor.add(5)
    async with serving(vendor) as base:
        env = {
            "PRODOPS_DATA_DIR": str(tmp_path),
            "PRODOPS_HELPSCOUT_API_URL": base,
            "PRODOPS_HELPSCOUT_API_TOKEN": "secret-token-never-printed",
            "PRODOPS_LOG_LEVEL": "WARNING",
        }
        code, output = await prodops("sync", "helpscout", env=env)
        assert code == 0, output
        assert "5 new items" in output and "secret-token-never-printed" not in output
        assert await stored_items(tmp_path) == 5

        code, output = await prodops("sync", "helpscout", "--backfill", env=env)
        assert code == 0 and "5 records" in output and "0 new items" in output, output

        code, output = await prodops("sync", "helpscout", "--since", "yesterday", env=env)
        assert code == 2 and "--since" in output


async def test_a_source_without_credentials_is_refused_clearly(tmp_path: Path) -> None:
    code, output = await prodops("sync", "jira", env={"PRODOPS_DATA_DIR": str(tmp_path)})
    assert code == 2 and "PRODOPS_JIRA_API_TOKEN" in output
