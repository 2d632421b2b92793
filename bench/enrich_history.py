"""Enrich's per-item database work as the history grows: record the item, read the customer's past.

    .venv/bin/python -m bench.enrich_history [--items 100000] [--customers 1000] [--lookups 2000] [--database-url URL]

Fills customer_items (N items spread over C customers, over 90 days, one in four negative) in a fresh
SQLite file (or a fresh schema of the PostgreSQL database given, dropped at the end), then times what on_received does
per item besides matching: record_item + past_items (count, the latest 20, negatives within 30 days),
in one transaction, for L items of random customers. Prints p50/p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from sqlalchemy import insert, text

from libs.runtime.database import make_engine, migrate, session_factory
from libs.schemas.feedback import Customer, FeedbackItem
from services.enrich import storage
from services.enrich.app import MIGRATIONS

START = datetime(2026, 8, 1, tzinfo=UTC)


async def run(items: int, customers: int, lookups: int, url: str | None) -> None:
    schema = f"enrich_bench_{uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(url or f"sqlite+aiosqlite:///{Path(folder) / 'enrich.db'}", schema)
        await migrate(engine, schema, MIGRATIONS)
        sessions = session_factory(engine)
        rng = random.Random(7)
        rows, sentiments = [], []
        for _ in range(items):
            item_id = uuid4()
            rows.append(
                {
                    "item_id": item_id,
                    "customer_id": f"c-{rng.randrange(customers)}",
                    "email": None,
                    "created_at": START + timedelta(minutes=rng.randrange(90 * 24 * 60)),
                }
            )
            negative = rng.random() < 0.25
            sentiments.append(
                {
                    "item_id": item_id,
                    "negative": negative,
                    "sentiment_score": -0.7 if negative else 0.2,
                    "processed_at": START,
                }
            )
        started = time.perf_counter()
        async with engine.begin() as connection:
            for chunk in range(0, items, 5000):
                await connection.execute(insert(storage.CustomerItem), rows[chunk : chunk + 5000])
                await connection.execute(insert(storage.ItemSentiment), sentiments[chunk : chunk + 5000])
        print(f"filled {items} items over {customers} customers in {time.perf_counter() - started:.1f} s")

        timings = []
        for _ in range(lookups):
            at = START + timedelta(days=91)
            item = FeedbackItem(id=uuid4(), title="t", customer=Customer(), created_at=at, received_at=at)
            customer_id = f"c-{rng.randrange(customers)}"
            began = time.perf_counter()
            async with sessions() as session, session.begin():
                await storage.record_item(session, item, customer_id, None)
                await storage.past_items(session, item, customer_id, None, timedelta(days=30))
            timings.append((time.perf_counter() - began) * 1000)
        timings.sort()
        p99 = timings[int(len(timings) * 0.99) - 1]
        p50 = statistics.median(timings)
        print(f"{engine.dialect.name}: record + history per item p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        if engine.dialect.name == "postgresql":
            async with engine.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    asyncio.run(run(args.items, args.customers, args.lookups, args.database_url))


if __name__ == "__main__":
    main()
