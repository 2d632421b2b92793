"""A database that goes down for a while, for real (PostgreSQL behind a proxy that is cut), on the real broker."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime import inbox
from libs.runtime.consumer import consume
from libs.runtime.database import make_engine, session_factory
from libs.runtime.service import ServiceRuntime, service_app
from libs.runtime.settings import ServiceSettings
from libs.runtime.testing import running
from libs.runtime.tests.probe import eventually, handled, overridden
from libs.schemas.events import Envelope, FeedbackOverridden
from libs.testing.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_a_database_down_for_a_while_is_waited_out_and_no_offset_is_committed_before_the_write(
    kafka_bootstrap: str, postgres_url: str, tmp_path: Path
) -> None:
    database = urlsplit(postgres_url)
    proxy = TcpProxy(database.hostname or "127.0.0.1", database.port or 5432)
    await proxy.start()
    settings = ServiceSettings(
        kafka_bootstrap=kafka_bootstrap,
        data_dir=tmp_path,
        database_url=proxy.through(postgres_url),
        handler_backoff_seconds=0.05,
        kafka_session_timeout_ms=2000,
        kafka_heartbeat_interval_ms=500,
    )
    (tmp_path / "migrations").mkdir()
    runtime = ServiceRuntime.create(f"probe-{uuid4().hex[:6]}", settings, tmp_path / "migrations")
    group = f"{runtime.name}.{FeedbackOverridden.TOPIC}"
    handled_ids: list[object] = []

    async def handler(event: FeedbackOverridden, session: AsyncSession) -> list[Envelope]:
        handled_ids.append(event.event_id)
        return []

    consume(runtime, FeedbackOverridden, handler)
    event = overridden("while the database is down")
    # The service's own tables, read past the proxy: what it stored while its own connection is cut.
    direct = make_engine(postgres_url, runtime.name)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    await producer.start()
    try:
        async with running(service_app(runtime, title="probe")):
            await proxy.cut()
            sent = await producer.send_and_wait(event.TOPIC, event.model_dump_json().encode(), key=event.key)
            partition = TopicPartition(sent.topic, sent.partition)
            offset: int = sent.offset  # aiokafka's RecordMetadata is untyped

            async def committed() -> int:
                offsets = await admin.list_consumer_group_offsets(group, partitions=[partition])
                return offsets[partition].offset if partition in offsets else -1

            async def waited_on_the_database() -> bool:
                labels = {"consumer": group, "topic": event.TOPIC, "outcome": "dependency_down"}
                return (runtime.registry.get_sample_value("prodops_messages_handled_total", labels) or 0) >= 3

            await eventually(waited_on_the_database)
            async with session_factory(direct)() as session:
                assert await inbox.find(session, event.event_id, group) is None, "nothing stored"
            assert await committed() <= offset, "no offset committed before the write"
            assert event.event_id not in handled_ids

            await proxy.start()  # the database is back
            await handled(runtime, event)

            async def committed_past_it() -> bool:
                return await committed() > offset

            await eventually(committed_past_it)
        assert handled_ids.count(event.event_id) == 1
    finally:
        await producer.stop()
        await admin.close()
        await direct.dispose()
        await proxy.cut()
