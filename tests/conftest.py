"""The whole hub, every service its own process, on a broker of its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from libs.runtime.auth import Role, create_token
from libs.runtime.settings import SERVICES
from prodops.hub import Hub, free_port_block

CUSTOMERS_CSV = """id,company,domain,email,tier,arr,health_score
e2e-1,Northwind Labs,northwind.ai,cto@northwind.ai,enterprise,640000,72
e2e-2,Pied Piper,piedpiper.com,richard@piedpiper.com,pro,24000,28
e2e-3,Hooli,hooli.xyz,gavin@hooli.xyz,free,0,90
"""


def hub_env(data_dir: Path, database_url: str | None, extra: Mapping[str, str] = {}) -> dict[str, str]:
    customers = data_dir / "customers.csv"
    data_dir.mkdir(parents=True, exist_ok=True)
    customers.write_text(CUSTOMERS_CSV)
    env = {
        "PRODOPS_ENV": "test",
        "PRODOPS_CUSTOMERS_FILE": str(customers),
        "PRODOPS_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "PRODOPS_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
        "PRODOPS_LOG_LEVEL": "WARNING",
        **extra,
    }
    if database_url:
        env["PRODOPS_DATABASE_URL"] = database_url
    return env


async def start_hub(
    data_dir: Path,
    database_url: str | None,
    extra: Mapping[str, str] = {},
    services: tuple[str, ...] = SERVICES,
    ready_timeout: float = 180.0,
    launcher: str = "prodops.serve",
) -> Hub:
    hub = Hub(
        data_dir=data_dir,
        base_port=free_port_block(len(SERVICES)),
        extra_env=hub_env(data_dir, database_url, extra),
        services=services,
        launcher=launcher,
    )
    try:
        await hub.start(ready_timeout)
    except BaseException:
        hub.stop()
        for name in SERVICES:
            if hub.log_of(name).exists():
                print(f"--- {name} ---\n{hub.log_of(name).read_text()[-3000:]}")
        raise
    return hub


class HubClient:
    """Talks to a running hub as a user would: ingest to submit, the gateway to read."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        key = hub.settings().signing_key()
        self.editor = {"Authorization": f"Bearer {create_token(key, Role.EDITOR, 'e2e')}"}
        self.viewer = {"Authorization": f"Bearer {create_token(key, Role.VIEWER, 'e2e')}"}
        self.http = httpx.AsyncClient(timeout=10.0)

    async def submit(self, body: dict[str, Any]) -> str:
        response = await self.http.post(f"{self.hub.ingest_url}/api/v1/feedback", json=body, headers=self.editor)
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    async def item(self, item_id: str) -> httpx.Response:
        return await self.http.get(f"{self.hub.gateway_url}/api/v1/feedback/{item_id}", headers=self.viewer)

    async def item_when(
        self, item_id: str, done: Callable[[dict[str, Any]], bool], timeout: float = 90.0
    ) -> dict[str, Any]:
        """Wait until the gateway shows the item as `done` says it should be."""
        deadline = time.monotonic() + timeout
        while True:
            response = await self.item(item_id)
            if response.status_code == 200 and done(response.json()):
                return dict(response.json())
            assert time.monotonic() < deadline, f"not as expected after {timeout}s: {response.text[:2000]}"
            await asyncio.sleep(0.25)

    async def processed(
        self, item_ids: list[str], timeout: float = 90.0, poll: float = 0.25
    ) -> dict[str, dict[str, Any]]:
        """Wait until every item is fully processed in the gateway's read model."""
        deadline = time.monotonic() + timeout
        done: dict[str, dict[str, Any]] = {}
        while True:
            for item_id in item_ids:
                if item_id in done:
                    continue
                response = await self.item(item_id)
                if response.status_code == 200 and all(response.json()["processing"].values()):
                    done[item_id] = response.json()
            if len(done) == len(item_ids):
                return done
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(item_ids) - len(done)} of {len(item_ids)} items not processed in {timeout}s"
                )
            await asyncio.sleep(poll)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], scope="module")
async def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    database_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    running = await start_hub(tmp_path_factory.mktemp(f"hub-{request.param}"), database_url)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
async def client(hub: Hub) -> AsyncIterator[HubClient]:
    user = HubClient(hub)
    try:
        yield user
    finally:
        await user.http.aclose()
