"""End-to-end latency of one item, webhook to read model, on the embedded hub.

    .venv/bin/python -m bench.pipeline_latency [--items 30]

Starts the whole hub (every service a process, tansu, SQLite), posts items one at a time and
times each from the 202 of ingest's POST to the moment the gateway serves it fully processed
(customer, ai_triage, similar_items). Prints p50, p95 and max.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from tests.conftest import HubClient, start_hub


async def measure(items: int) -> list[float]:
    with tempfile.TemporaryDirectory() as scratch:
        started = time.monotonic()
        hub = await start_hub(Path(scratch) / "hub", None)
        print(f"hub ready in {time.monotonic() - started:.1f}s")
        client = HubClient(hub)
        try:
            warmup = await client.submit({"title": "warm-up", "customer": {"email": "cto@northwind.ai"}})
            await client.processed([warmup])
            latencies = []
            for number in range(items):
                posted = time.monotonic()
                item_id = await client.submit(
                    {"title": f"Export of usage #{number} times out", "customer": {"email": "cto@northwind.ai"}}
                )
                await client.processed([item_id], timeout=60, poll=0.01)
                latencies.append(time.monotonic() - posted)
            return latencies
        finally:
            await client.http.aclose()
            hub.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=30)
    latencies = sorted(asyncio.run(measure(parser.parse_args().items)))
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(
        f"{len(latencies)} items, one at a time: p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms (polled every 10 ms)"
    )


if __name__ == "__main__":
    main()
