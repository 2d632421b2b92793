"""Real parts for every test layer, each started once per session.

- `kafka_bootstrap`: a tansu broker (the Kafka protocol, in memory) with the hub's topics.
- `postgres_url`: a fresh PostgreSQL database on the local server, dropped at the end.
- `database_url`: parametrizes a test over SQLite and PostgreSQL.

A test about to time out first prints where every task of the event loop waits: pytest-timeout
shows only the threads, and an async test that hangs shows just its loop idling in select().
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import asyncpg
import pytest

from libs.runtime.broker import EmbeddedBroker, create_topics, free_port
from libs.runtime.testing import DATABASES, database_for
from libs.schemas import topics

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

POSTGRES_ADMIN_DSN = os.environ.get("PRODOPS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    broker = EmbeddedBroker(free_port())
    broker.start()
    try:
        asyncio.run(create_topics(broker.bootstrap, topics.ALL))
        yield broker.bootstrap
    finally:
        broker.stop()


def _admin(statement: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_DSN)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    # A thread of its own, so the fixture also works when requested from inside a running loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"prodops_test_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    host_part = POSTGRES_ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    yield f"postgresql+asyncpg://{host_part}/{name}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None (SQLite) or a PostgreSQL URL: a test that takes it runs on both."""
    return database_for(request)


_TEST_LOOP: list[asyncio.AbstractEventLoop] = []  # the session's one event loop, once a fixture has run on it
_HANG_REPORT = pytest.StashKey[threading.Timer]()


@pytest.fixture(scope="session", autouse=True)
async def _test_loop() -> AsyncIterator[None]:
    _TEST_LOOP.append(asyncio.get_running_loop())
    yield
    _TEST_LOOP.clear()


def _print_waiting_tasks() -> None:
    print(f"+++ {len(asyncio.all_tasks())} tasks of the event loop, where each waits +++", file=sys.stderr)
    for task in asyncio.all_tasks():
        task.print_stack(limit=12, file=sys.stderr)


def _report_hang() -> None:
    if _TEST_LOOP:
        _TEST_LOOP[0].call_soon_threadsafe(_print_waiting_tasks)


# How many whole hubs may run at once under xdist: each is seven processes, and two cores start two in about
# a minute each; a third would starve the others' readiness waits.
HUBS_AT_ONCE = 2


# First, so that the groups are marked before xdist's own hook of the same name reads them into the test ids.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that run the whole hub (marker e2e) go to HUBS_AT_ONCE xdist groups (`--dist loadgroup`), a test
    module to one group, so that at most that many hubs run at once while the other workers take the rest.
    Ungrouped, xdist would hand each test to any worker, and a module's hub would start once per test."""
    modules = sorted({item.module.__name__ for item in items if item.get_closest_marker("e2e") and item.module})
    group_of = {module: f"whole-hub-{index % HUBS_AT_ONCE}" for index, module in enumerate(modules)}
    for item in items:
        if item.get_closest_marker("e2e") is not None and item.module is not None:
            item.add_marker(pytest.mark.xdist_group(group_of[item.module.__name__]))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Fail at once, rather than run for an hour, when xdist did not group the whole-hub tests (a pytest or
    pytest-xdist upgrade can break it: then every whole-hub test starts a hub of its own, on any worker)."""
    if not getattr(session.config.option, "loadgroup", False):  # set on xdist's workers for --dist loadgroup
        return
    ungrouped = [item.nodeid for item in session.items if item.get_closest_marker("e2e") and "@" not in item.nodeid]
    if ungrouped:
        raise pytest.UsageError(f"pytest-xdist did not group {len(ungrouped)} whole-hub tests, e.g. {ungrouped[0]}")


def pytest_timeout_set_timer(item: pytest.Item, settings: object) -> None:
    if timeout := getattr(settings, "timeout", None):
        timer = threading.Timer(max(timeout - 5, timeout / 2), _report_hang)
        timer.daemon = True
        timer.start()
        item.stash[_HANG_REPORT] = timer


def pytest_timeout_cancel_timer(item: pytest.Item) -> None:
    if (timer := item.stash.get(_HANG_REPORT, None)) is not None:
        timer.cancel()
