"""Published means stored by every in-sync replica: the producers ask for acks=all, and tansu serves them."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import UnknownError
from faststream.kafka.publisher.producer import AioKafkaFastProducerImpl
from faststream.kafka.publisher.state import RealProducer

from libs.runtime.broker import durable_producer, publish
from libs.runtime.service import ServiceRuntime, service_app
from libs.runtime.testing import running
from libs.runtime.tests.probe import overridden, probe_runtime

pytestmark = pytest.mark.kafka

ALL_IN_SYNC_REPLICAS = -1  # acks=all on the wire


def required_acks(producer: AIOKafkaProducer) -> int:
    """What each produce request of `producer` asks the broker for (aiokafka keeps it on its sender)."""
    acks: int = producer._sender._acks
    return acks


def connected_producer(runtime: ServiceRuntime) -> AIOKafkaProducer:
    """The aiokafka producer under the runtime's FastStream broker, once it started."""
    producer = runtime.broker.config.producer
    assert isinstance(producer, AioKafkaFastProducerImpl) and isinstance(producer._producer, RealProducer)
    return producer._producer.producer


async def test_the_services_producer_waits_for_every_in_sync_replica(runtime: ServiceRuntime) -> None:
    async with running(service_app(runtime, title="probe")):
        await runtime.publish(overridden("acknowledged by all"))  # returns once tansu acknowledged it
        assert required_acks(connected_producer(runtime)) == ALL_IN_SYNC_REPLICAS


async def test_the_command_lines_producer_waits_for_every_in_sync_replica(kafka_bootstrap: str) -> None:
    assert required_acks(durable_producer(kafka_bootstrap)) == ALL_IN_SYNC_REPLICAS
    await publish(kafka_bootstrap, overridden("published by the CLI"))  # and tansu takes it


async def test_tansu_refuses_the_producer_id_an_idempotent_producer_needs(kafka_bootstrap: str) -> None:
    """Why the producers are not idempotent: aiokafka asks InitProducerId v0, which tansu 0.6 answers with
    UNKNOWN_SERVER_ERROR. When this fails, tansu serves them: turn on enable_idempotence."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True)
    with pytest.raises(UnknownError):
        await producer.start()
    await producer.stop()


async def test_an_idempotent_service_asks_for_a_producer_id(kafka_bootstrap: str, tmp_path: Path) -> None:
    """PRODOPS_KAFKA_IDEMPOTENT reaches the producer: it asks tansu for a producer id, which tansu refuses."""
    runtime = probe_runtime(kafka_bootstrap, tmp_path, kafka_idempotent=True)
    with pytest.raises(UnknownError):
        async with running(service_app(runtime, title="probe")):
            pass
