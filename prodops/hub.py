"""The whole hub on one machine: a broker, every service as its own process, demo data.

`prodops up` uses this, and so do the end-to-end tests, so what the tests prove is what runs.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import structlog

from libs.runtime.broker import EmbeddedBroker, create_topics, free_port
from libs.runtime.settings import SERVICES, ServiceSettings
from libs.schemas import topics

log = structlog.get_logger()


EPHEMERAL_PORTS = 32_768


def free_port_block(size: int, start: int = 20_000, stop: int = 60_000) -> int:
    """The first port of `size` consecutive free ports, for one hub's services.

    The search starts at a random block below Linux's ephemeral ports (32768 on), where outgoing
    connections would take a port between the check and the bind: hubs started at the same moment
    (tests, benches) would otherwise all find the first block free and then race to bind it.
    """
    blocks = list(range(start, stop - size + 1, size))
    below = [base for base in blocks if base + size <= EPHEMERAL_PORTS] or blocks
    first = random.randrange(len(below))
    for base in below[first:] + below[:first] + [base for base in blocks if base not in below]:
        if all(_is_free(base + offset) for offset in range(size)):
            return base
    raise RuntimeError(f"no {size} consecutive free ports between {start} and {stop}")


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class ServiceProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Hub:
    """Starts and stops the hub's processes; settings reach them as PRODOPS_* variables."""

    data_dir: Path
    base_port: int = 8000
    kafka_bootstrap: str | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    services: tuple[str, ...] = SERVICES
    broker: EmbeddedBroker | None = None
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    max_restarts: int = 5
    # The module each service process runs as `python -m LAUNCHER SERVICE` (a fault test swaps in its own).
    launcher: str = "prodops.serve"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.base_port}"

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.base_port + 1}"

    def settings(self) -> ServiceSettings:
        return ServiceSettings(data_dir=self.data_dir, base_port=self.base_port, **self._env_settings())

    def _env_settings(self) -> dict[str, Any]:
        return {"kafka_bootstrap": self.kafka_bootstrap} if self.kafka_bootstrap else {}

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        env.update(
            PRODOPS_DATA_DIR=str(self.data_dir.resolve()),
            PRODOPS_BASE_PORT=str(self.base_port),
            PRODOPS_KAFKA_BOOTSTRAP=self.kafka_bootstrap or "",
            HF_HUB_OFFLINE="1",
            TOKENIZERS_PARALLELISM="false",
            HF_HUB_DISABLE_PROGRESS_BARS="1",
            TRANSFORMERS_VERBOSITY="error",
        )
        return env

    async def start(self, ready_timeout: float = 180.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.kafka_bootstrap:
            self.broker = EmbeddedBroker(free_port())
            self.broker.start()
            self.kafka_bootstrap = self.broker.bootstrap
        await create_topics(self.kafka_bootstrap, topics.ALL)
        settings = self.settings()
        settings.signing_key()  # create the dev key once, before the services race to
        for name in self.services:
            self.processes[name] = ServiceProcess(name, settings.port_of(name))
            self._spawn(self.processes[name])
        await self.wait_ready(ready_timeout)

    def _spawn(self, service: ServiceProcess) -> None:
        logs = self.data_dir / "logs"
        logs.mkdir(exist_ok=True)
        with (logs / f"{service.name}.log").open("ab") as output:
            service.process = subprocess.Popen(
                [sys.executable, "-m", self.launcher, service.name],
                env=self.environment(),
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    async def wait_ready(self, timeout: float) -> None:
        """Wait until every service answers /readyz with 200."""
        deadline = time.monotonic() + timeout
        pending = set(self.processes)
        async with httpx.AsyncClient(timeout=2.0) as client:
            while pending:
                for name in list(pending):
                    service = self.processes[name]
                    if service.process and service.process.poll() is not None:
                        raise RuntimeError(f"{name} exited with {service.process.returncode}; see {self.log_of(name)}")
                    try:
                        if (await client.get(f"{service.url}/readyz")).status_code == 200:
                            pending.discard(name)
                    except httpx.TransportError:
                        pass
                if pending and time.monotonic() > deadline:
                    raise TimeoutError(f"not ready after {timeout:.0f}s: {sorted(pending)}")
                await asyncio.sleep(0.25)

    def log_of(self, name: str) -> Path:
        return self.data_dir / "logs" / f"{name}.log"

    def kill(self, name: str) -> None:
        """Kill a service at once (SIGKILL), as a crash would."""
        process = self.processes[name].process
        if process and process.poll() is None:
            process.kill()
            process.wait()

    async def restart(self, name: str, ready_timeout: float = 120.0) -> None:
        self.kill(name)
        self._spawn(self.processes[name])
        await self.wait_ready(ready_timeout)

    async def supervise(self) -> None:
        """Restart a service that died, a few times, until stopped."""
        while True:
            for service in self.processes.values():
                if service.process and service.process.poll() is not None:
                    if service.restarts >= self.max_restarts:
                        raise RuntimeError(f"{service.name} keeps failing; see {self.log_of(service.name)}")
                    service.restarts += 1
                    log.warning("service died; restarting", service=service.name, code=service.process.returncode)
                    self._spawn(service)
            await asyncio.sleep(1.0)

    def stop(self) -> None:
        for service in self.processes.values():
            if service.process and service.process.poll() is None:
                service.process.terminate()
        for service in self.processes.values():
            if service.process:
                try:
                    service.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    service.process.kill()
        if self.broker:
            self.broker.stop()
