"""What the webhook benches share: signed GitHub deliveries, the load generator (its own process), the hub.

The generator runs as `python -m bench.load --generate ...` so that the load never shares a process
(or an event loop) with what it measures. It signs every delivery before the clock starts, then
posts them over C keep-alive connections, as fast as they are accepted or at a fixed rate, and
prints one JSON object: acknowledgement latencies, status codes, and, for every accepted delivery,
the wall-clock time it was sent and the item ids ingest answered with.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import math
import os
import secrets
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from libs.runtime.settings import SERVICES
from libs.schemas.events import utcnow
from prodops.hub import Hub
from services.ingest.tests.connectors.vendors import BY_SOURCE
from tests.conftest import HubClient, start_hub

REPOSITORY = Path(__file__).resolve().parents[1]
SECRET_VARIABLE = "PRODOPS_GITHUB_WEBHOOK_SECRET"
FIRST_ISSUE_ID = 50_000_000  # issue n is FIRST_ISSUE_ID + n
REQUEST_TIMEOUT = 30.0


def github_issue(number: int) -> dict[str, Any]:
    """An `issues.opened` payload in GitHub's shape, distinct per number (issue id, title, dates)."""
    payload = copy.deepcopy(BY_SOURCE["github"].feedback)
    issue = payload["issue"]
    stamp = f"2026-11-20T{10 + number // 3600 % 12:02d}:{number // 60 % 60:02d}:{number % 60:02d}Z"
    issue.update(
        id=FIRST_ISSUE_ID + number,
        number=number,
        title=f"Export #{number} to CSV drops unicode in column {number % 7}",
        html_url=f"https://github.com/acme/app/issues/{number}",
        created_at=stamp,
        updated_at=stamp,
    )
    return payload


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest rank of a sorted list."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def note(text: str, json_output: bool) -> None:
    """Progress and the human summary: on stderr when stdout is for the JSON object."""
    print(text, file=sys.stderr if json_output else sys.stdout, flush=True)


# --- the load generator (its own process) -------------------------------------------------------


async def generate(
    ingest_url: str, secret: str, numbers: range, concurrency: int, timeout: float, rate: float | None
) -> dict[str, Any]:
    """Post one signed delivery per issue number; time each until its answer; at `rate`/s if given."""
    if urlsplit(ingest_url).hostname != "127.0.0.1":
        raise SystemExit(f"refusing to send load anywhere but 127.0.0.1: {ingest_url}")
    github = BY_SOURCE["github"]
    # Signed before the clock starts: the bench measures the hub, not the signer.
    deliveries = [
        github.deliver(secret, github_issue(number), utcnow(), {"X-GitHub-Event": "issues"}, ingest_url)
        for number in numbers
    ]
    assert len({delivery.headers["X-GitHub-Delivery"] for delivery in deliveries}) == len(numbers)

    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    refused: list[str] = []
    accepted: list[tuple[float, list[str]]] = []  # (wall-clock send time, item ids) per 202
    pending = iter(enumerate(deliveries))  # shared by the workers: next() never awaits
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(limits=limits, timeout=REQUEST_TIMEOUT) as client:

        async def worker() -> None:
            for index, delivery in pending:
                if rate:
                    # A steady stream: delivery i leaves at i/rate seconds, or at once when behind.
                    await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
                if time.monotonic() > deadline:
                    return
                sent_at, sent = time.time(), time.perf_counter()
                try:
                    response = await client.post(delivery.url, content=delivery.body, headers=delivery.headers)
                except httpx.HTTPError as error:
                    statuses[type(error).__name__] += 1
                    continue
                latencies.append(time.perf_counter() - sent)
                statuses[str(response.status_code)] += 1
                if response.status_code == 202:
                    accepted.append((sent_at, [str(item) for item in response.json()["ids"]]))
                elif len(refused) < 5:
                    refused.append(f"{response.status_code}: {response.text[:300]}")

        started_at = time.time()
        started = time.perf_counter()
        deadline = time.monotonic() + timeout
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        finished_at = time.time()

    ordered = sorted(latencies)
    return {
        "requests": len(numbers),
        "concurrency": concurrency,
        "rate": rate,
        "sent": sum(statuses.values()),
        "unsent": len(numbers) - sum(statuses.values()),
        "seconds": round(elapsed, 3),
        "requests_per_s": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "latency_ms": {
            name: round(percentile(ordered, fraction) * 1000, 1) if ordered else None
            for name, fraction in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
        },
        "statuses": dict(sorted(statuses.items())),
        "refused": refused,
        "started_at": started_at,
        "finished_at": finished_at,
        "accepted": accepted,
    }


async def run_generator(
    ingest_url: str,
    secret: str,
    numbers: range,
    concurrency: int,
    timeout: float,
    rate: float | None = None,
) -> dict[str, Any]:
    """The generator as its own process (this interpreter, this module); its one line of output is the result."""
    arguments = [
        *("--url", ingest_url),
        *("--start", str(numbers.start), "--requests", str(len(numbers))),
        *("--concurrency", str(concurrency), "--timeout", str(timeout)),
        *(("--rate", str(rate)) if rate else ()),
    ]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.load",
        *arguments,
        cwd=REPOSITORY,
        env={**os.environ, SECRET_VARIABLE: secret},
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout + 120)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise RuntimeError(f"the load generator exited with {process.returncode}")
    return dict(json.loads(output))


# --- the hub under load (the measuring process) --------------------------------------------------


async def start_signed_hub(
    data_dir: Path, database_url: str | None, services: tuple[str, ...] = SERVICES
) -> tuple[Hub, str, float]:
    """The hub with a fresh GitHub webhook secret; also the seconds it took to be ready."""
    secret = f"bench-{secrets.token_hex(16)}"
    started = time.monotonic()
    hub = await start_hub(data_dir, database_url, {SECRET_VARIABLE: secret}, services)
    return hub, secret, time.monotonic() - started


async def warm_up(
    client: HubClient, secret: str, number: int, *, through_pipeline: bool, timeout: float = 90.0
) -> None:
    """One delivery first (through the whole pipeline if it runs): connections, caches and models warm."""
    delivery = BY_SOURCE["github"].deliver(
        secret, github_issue(number), utcnow(), {"X-GitHub-Event": "issues"}, client.hub.ingest_url
    )
    answer = await client.http.post(delivery.url, content=delivery.body, headers=delivery.headers)
    if answer.status_code != 202:
        raise RuntimeError(f"the warm-up delivery was refused: {answer.status_code} {answer.text[:300]}")
    if through_pipeline:
        await client.processed([str(item) for item in answer.json()["ids"]], timeout=timeout)


def log_tails(hub: Hub, characters: int = 3000) -> str:
    """The end of every service's log, for a run that failed."""
    logs = [(name, hub.log_of(name)) for name in hub.processes]
    return "\n".join(f"--- {name} ---\n{log.read_text()[-characters:]}" for name, log in logs if log.exists())


def main() -> None:
    parser = argparse.ArgumentParser(description="The load generator: signed GitHub webhooks to one ingest.")
    parser.add_argument("--url", required=True, help="ingest's base URL (127.0.0.1 only)")
    parser.add_argument("--start", type=int, default=0, help="the first issue number")
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=300.0, help="stop sending after this many seconds")
    parser.add_argument("--rate", type=float, default=None, help="deliveries per second (default: as accepted)")
    arguments = parser.parse_args()
    numbers = range(arguments.start, arguments.start + arguments.requests)
    secret = os.environ[SECRET_VARIABLE]
    result = asyncio.run(
        generate(arguments.url, secret, numbers, arguments.concurrency, arguments.timeout, arguments.rate)
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
