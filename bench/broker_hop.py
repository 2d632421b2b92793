"""One hop's delivery latency on the embedded broker (tansu): a record produced while its consumer idles.

    .venv/bin/python -m bench.broker_hop [--records 40] [--json]

A FastStream batch subscriber, as `libs.runtime.consumer.consume` makes one, waits on an idle topic;
records are produced one at a time at random moments (0.2-0.7 s apart) and each one's delay from
send to handler is taken. Run for pairs of (fetch_max_wait_ms, batch_timeout_ms): the hub's (aiokafka's
500 and `consumer_batch_wait_ms`, 100) against shorter ones. The broker may hold a fetch that finds
nothing for fetch_max_wait_ms; after an empty poll FastStream sleeps batch_timeout_ms before the next.
What shorter waits cost (more fetches, idle and under load) shows in bench/pipeline.py's CPU figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from typing import Any

from faststream.kafka import KafkaBroker

from bench.load import percentile
from libs.runtime.broker import EmbeddedBroker, create_topics, free_port
from libs.runtime.settings import ServiceSettings

AIOKAFKA_FETCH_MAX_WAIT_MS = 500
SHORTER = [(100, 100), (50, 50), (20, 20)]


async def hop_latency(bootstrap: str, fetch_max_wait_ms: int, batch_timeout_ms: int, records: int) -> dict[str, Any]:
    topic = f"hop-{fetch_max_wait_ms}-{batch_timeout_ms}-{random.randrange(10**6)}"
    await create_topics(bootstrap, [topic], partitions=1)
    broker = KafkaBroker(bootstrap, logger=None)
    delays: list[float] = []
    done = asyncio.Event()

    @broker.subscriber(
        topic,
        group_id=topic,
        auto_offset_reset="earliest",
        batch=True,
        max_records=100,
        batch_timeout_ms=batch_timeout_ms,
        fetch_max_wait_ms=fetch_max_wait_ms,
    )
    async def on_batch(sent: list[float]) -> None:
        now = time.perf_counter()
        delays.extend(now - moment for moment in sent)
        if len(delays) >= records:
            done.set()

    await broker.start()
    try:
        await asyncio.sleep(3)  # the group joined, the consumer idle
        for _ in range(records):
            await asyncio.sleep(random.uniform(0.2, 0.7))
            await broker.publish(time.perf_counter(), topic)
        await asyncio.wait_for(done.wait(), 30)
    finally:
        await broker.stop()
    milliseconds = sorted(delay * 1000 for delay in delays)
    return {
        "fetch_max_wait_ms": fetch_max_wait_ms,
        "batch_timeout_ms": batch_timeout_ms,
        "records": len(milliseconds),
        "p50_ms": round(percentile(milliseconds, 0.5), 1),
        "p95_ms": round(percentile(milliseconds, 0.95), 1),
        "max_ms": round(milliseconds[-1], 1),
    }


async def measure(records: int) -> list[dict[str, Any]]:
    hub = (AIOKAFKA_FETCH_MAX_WAIT_MS, ServiceSettings().consumer_batch_wait_ms)
    broker = EmbeddedBroker(free_port())
    broker.start()
    try:
        return [await hop_latency(broker.bootstrap, *pair, records) for pair in (hub, *SHORTER)]
    finally:
        broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    runs = asyncio.run(measure(arguments.records))
    if arguments.json:
        print(json.dumps(runs))
        return
    for run in runs:
        print(
            f"fetch_max_wait_ms {run['fetch_max_wait_ms']}, batch_timeout_ms {run['batch_timeout_ms']}: "
            f"p50 {run['p50_ms']} ms, p95 {run['p95_ms']} ms, max {run['max_ms']} ms ({run['records']} records)"
        )


if __name__ == "__main__":
    main()
