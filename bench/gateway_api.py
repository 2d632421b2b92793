"""The gateway's feedback list and overview over HTTP, on a read model of N items.

    nice .venv/bin/python -m bench.gateway_api [--items 100000] [--database postgres|sqlite] [--requests 20] [--json]

Fills the gateway's read tables (its own migrations, then bulk inserts: COPY on PostgreSQL) in a
database of its own (a fresh PostgreSQL database on 127.0.0.1:5432, or a SQLite file in a temporary
folder), dropped at the end. The items: 13 sources, categories, priorities, statuses and tiers in
skewed proportions, N/10 customers (one in five known by email only), N/100 themes holding 60% of
the items, 3% merged duplicates, created over a year (more of them lately), titles and descriptions
of 5 to 300 words. Then it starts the real gateway (uvicorn in a process of its own, with a tansu
broker) and times each request from this process with httpx, one at a time: p50/p95/p99 in ms.

The overview's themes come from the gateway's cache (PRODOPS_THEMES_CACHE_SECONDS set high here);
the first overview, which computes them, is reported apart as `overview_cold_ms`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
from sqlalchemy import JSON, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from libs.runtime.auth import Role, create_token
from libs.runtime.broker import EmbeddedBroker, create_topics, free_port
from libs.runtime.database import make_engine, migrate, session_factory
from libs.schemas import topics
from libs.schemas.feedback import Category, FeedbackStatus, Priority, Source, Tier, sentiment_label
from services.gateway import queries
from services.gateway.api.models import FeedbackQuery
from services.gateway.queries import BASED
from services.gateway.read_model import FeedbackView, ThemeView, _table

MIGRATIONS = Path(__file__).resolve().parent.parent / "services" / "gateway" / "migrations"
ADMIN_DSN = os.environ.get("PRODOPS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime.now(UTC).replace(microsecond=0)
SECRET = "bench-secret-key-of-more-than-32-characters"

SOURCES = {
    Source.INTERCOM: 25, Source.ZENDESK: 20, Source.HELPSCOUT: 6, Source.LINEAR: 8, Source.GITHUB: 10,
    Source.CANNY: 8, Source.JIRA: 7, Source.GONG: 4, Source.CHORUS: 2, Source.HUBSPOT: 3,
    Source.SALESFORCE: 3, Source.API: 3, Source.IMPORT: 1,
}  # fmt: skip
CATEGORIES = {
    Category.BUG: 30, Category.FEATURE_REQUEST: 30, Category.IMPROVEMENT: 15,
    Category.QUESTION: 12, Category.COMPLAINT: 8, Category.PRAISE: 5,
}  # fmt: skip
PRIORITIES = {Priority.CRITICAL: 3, Priority.HIGH: 17, Priority.MEDIUM: 50, Priority.LOW: 30}
STATUSES = {
    FeedbackStatus.NEW: 30, FeedbackStatus.TRIAGED: 40, FeedbackStatus.PLANNED: 10,
    FeedbackStatus.IN_PROGRESS: 6, FeedbackStatus.SHIPPED: 9, FeedbackStatus.CLOSED: 5,
}  # fmt: skip
TIERS = {Tier.FREE: 50, Tier.PRO: 35, Tier.ENTERPRISE: 15}
ARR = {Tier.FREE: (0, 0), Tier.PRO: (3_000, 40_000), Tier.ENTERPRISE: (50_000, 900_000)}
AREAS = ["api", "billing", "dashboard", "integrations", "mobile", "reports", "search", "auth", "exports", "admin"]
AREA_WEIGHTS = [18, 12, 15, 12, 8, 10, 7, 8, 6, 4]
WORDS = " ".join(
    (
        "the a to and of in is it for on with when we our can not after page error slow export report",
        "dashboard chart filter search login password invoice billing plan seat user team admin role",
        "permission api key token webhook integration slack jira github sync mobile app ios android crash",
        "freeze timeout load data csv pdf email notification alert setting button click save delete update",
        "upload download share link customer account workspace project board view list table column row sort",
        "date time zone language please would love great thanks broken again still since yesterday every hour",
        "always never sometimes",
    )
).split()
# One item in a thousand mentions it: the rare text search.
RARE_WORD = "kerberos"
COMMON_WORD = "export"


def _weighted(rng: random.Random, weights: dict[Any, int], size: int) -> list[str]:
    return [str(value) for value in rng.choices(list(weights), list(weights.values()), k=size)]


def _text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high))).capitalize()


def read_model(items: int, chunk: int, seed: int = 7) -> tuple[list[dict[str, Any]], Iterator[list[dict[str, Any]]]]:
    """The read model's themes, and its items in chunks, as column values (shared by both databases' inserts)."""
    rng = random.Random(seed)
    customers = max(10, items // 10)
    tiers = _weighted(rng, TIERS, customers)
    arr = [float(rng.randint(*ARR[Tier(tier)])) for tier in tiers]
    at_risk = [rng.random() < 0.08 for _ in range(customers)]
    theme_ids = [uuid4() for _ in range(max(10, items // 100))]
    descriptions = [_text(rng, 5, 300) for _ in range(min(items, 20_000))]
    themes = [
        {
            "theme_id": theme_id,
            "name": _text(rng, 2, 4),
            "name_source": "model",
            "keywords": rng.sample(WORDS, 3),
            "merged_into": None,
            "created_at": NOW - timedelta(days=300),
            "changed_at": NOW - timedelta(days=300),
            "changed_by": "dedupe",
            "changed_event_at": NOW - timedelta(days=300),
            "updated_at": NOW - timedelta(days=300),
        }
        for theme_id in theme_ids
    ]
    return themes, _items(rng, items, chunk, customers, tiers, arr, at_risk, theme_ids, descriptions)


def _items(
    rng: random.Random,
    items: int,
    chunk: int,
    customers: int,
    tiers: list[str],
    arr: list[float],
    at_risk: list[bool],
    theme_ids: list[UUID],
    descriptions: list[str],
) -> Iterator[list[dict[str, Any]]]:
    triage_template = {"model_version": "local-1", "reasoning": "Tier and severity", "confidence": 0.8}
    roots: list[UUID] = []
    for first in range(0, items, chunk):
        size = min(chunk, items - first)
        sources, categories = _weighted(rng, SOURCES, size), _weighted(rng, CATEGORIES, size)
        priorities, statuses = _weighted(rng, PRIORITIES, size), _weighted(rng, STATUSES, size)
        areas = rng.choices(AREAS, AREA_WEIGHTS, k=size)
        rows: list[dict[str, Any]] = []
        for index in range(size):
            # More items lately: the age in days is skewed towards 0, over a year.
            created = NOW - timedelta(seconds=int(365 * 86400 * rng.random() ** 1.6))
            customer = rng.randrange(customers)
            known = rng.random() < 0.8
            score = round(rng.uniform(-1, 1) * rng.random() ** 0.3, 2)
            title = _text(rng, 3, 12)
            if rng.random() < 0.001:
                title = f"{title} {RARE_WORD}"
            themed = rng.random() < 0.6
            rows.append(
                {
                    "item_id": uuid4(),
                    "source": sources[index],
                    "source_id": f"{sources[index]}-{first + index}",
                    "title": title,
                    "description": descriptions[rng.randrange(len(descriptions))],
                    "url": f"https://example.com/{sources[index]}/{first + index}",
                    "votes": int(rng.paretovariate(1.5)) - 1,
                    "status": statuses[index],
                    "created_at": created,
                    "received_at": created + timedelta(seconds=rng.randint(1, 600)),
                    "submitted_category": None,
                    "submitted_priority": None,
                    "submitted_sentiment_score": None,
                    "submitted_tags": [],
                    "submitted_product_area": None,
                    "customer_id": f"c-{customer}" if known else None,
                    "customer_email": f"person{customer}@company{customer}.example",
                    "customer_name": f"Person {customer}",
                    "customer_company": f"Company {customer}",
                    "customer_tier": tiers[customer] if known else None,
                    "customer_arr": arr[customer] if known else None,
                    "customer_health": round(rng.random(), 2) if known else None,
                    "customer_at_risk": at_risk[customer] if known else None,
                    "customer_known": known,
                    "triage": triage_template | {"category": categories[index], "priority": priorities[index]},
                    "similar_items": [],
                    "overrides": [],
                    "category": categories[index],
                    "priority": priorities[index],
                    "product_area": areas[index],
                    "tags": [areas[index]],
                    "sentiment_score": score,
                    "sentiment_label": sentiment_label(score).value,
                    "duplicate_of": None,
                    "duplicate_root": None,
                    "duplicate_state": None,
                    "duplicate_score": None,
                    "theme_id": rng.choice(theme_ids) if themed else None,
                    "theme_score": 0.7 if themed else None,
                    "received_event_at": created,
                    "enriched_at": created,
                    "triaged_at": created,
                    "deduped_at": created,
                    "themed_at": created if themed else None,
                    "updated_at": created + timedelta(seconds=5),
                }
            )
            # 3% are merged into an item made before (their root): their votes count there, and their theme.
            if roots and rng.random() < 0.03:
                root = rng.choice(roots)
                rows[-1] |= {"duplicate_of": root, "duplicate_root": root, "duplicate_state": "merged"}
                rows[-1] |= {"duplicate_score": 0.9, "theme_id": None}
            else:
                roots.append(rows[-1]["item_id"])
        yield rows


async def _copy(dsn: str, table: Any, rows: list[dict[str, Any]]) -> None:
    """COPY the rows into the gateway's schema (JSON columns as text, which asyncpg's json codec takes)."""
    columns = [column.name for column in table.columns]
    as_json = {column.name for column in table.columns if isinstance(column.type, JSON)}
    records = [
        tuple(json.dumps(row.get(name)) if name in as_json else row.get(name) for name in columns) for row in rows
    ]
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(table.name, records=records, columns=columns, schema_name="gateway")
    finally:
        await connection.close()


async def fill(url: str, items: int) -> float:
    """Migrate and fill the read model; the seconds the inserts took."""
    engine = make_engine(url, "gateway")
    await migrate(engine, "gateway", MIGRATIONS)
    themes, chunks = read_model(items, 100_000 if engine.dialect.name == "postgresql" else 5000)
    started = time.perf_counter()
    feedback, theme = _table(FeedbackView), _table(ThemeView)
    if engine.dialect.name == "postgresql":
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        await _copy(dsn, theme, themes)
        for rows in chunks:
            await _copy(dsn, feedback, rows)
        seconds = time.perf_counter() - started
        connection = await asyncpg.connect(dsn)
        try:  # what autovacuum would have done by the time anyone reads: statistics and the visibility map
            await connection.execute("VACUUM ANALYZE gateway.feedback_view")
        finally:
            await connection.close()
    else:
        async with engine.begin() as connection:
            await connection.execute(insert(theme), themes)
            for rows in chunks:
                await connection.execute(insert(feedback), rows)
        seconds = time.perf_counter() - started
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    await engine.dispose()
    return seconds


def depths(items: int) -> list[int]:
    """How deep the pages reached by cursor lie: 10,000 rows and 500,000 (or half the items, when fewer)."""
    return sorted({min(10_000, items // 2), min(500_000, items // 2)})


async def deep_cursors(url: str, items: int) -> dict[int, str]:
    """The cursor of the page that starts so many rows deep in the default order, as the page before it gives it.

    Read from the database directly (one OFFSET, here only): walking there page by page would take thousands of
    requests.
    """
    engine = make_engine(url, "gateway")
    query, cursors = FeedbackQuery(), {}
    try:
        async with session_factory(engine)() as session:
            for depth in depths(items):
                ordered = select(FeedbackView).where(BASED).order_by(*queries._ordering(query))
                row = (await session.exec(ordered.offset(depth - 1).limit(1))).one()
                cursors[depth] = queries.cursor_after(query, row)
    finally:
        await engine.dispose()
    return cursors


def cases(items: int, theme_id: UUID, cursors: dict[int, str]) -> dict[str, dict[str, Any]]:
    """The requests timed, by name: the list's first page with each common filter, pages deep in the list (by
    cursor), and the overview."""
    return {
        "list": {},
        "list_source": {"source": "zendesk"},
        "list_category": {"category": "bug"},
        "list_priority_critical": {"priority": "critical"},
        "list_tier_enterprise": {"tier": "enterprise"},
        "list_status_planned": {"status": "planned"},
        "list_sentiment_negative": {"sentiment": "negative"},
        "list_product_area": {"product_area": "search"},
        "list_theme": {"theme": str(theme_id)},
        "list_combined": {"category": "bug", "priority": ["critical", "high"], "tier": "enterprise"},
        "list_text_common": {"q": COMMON_WORD},
        "list_text_rare": {"q": RARE_WORD},
        "list_sort_priority": {"sort": "priority"},
        "list_sort_arr": {"sort": "arr"},
        **{f"list_cursor_{depth}": {"cursor": cursor} for depth, cursor in cursors.items()},
    }


def _percentile(sorted_ms: list[float], share: float) -> float:
    return round(sorted_ms[min(len(sorted_ms) - 1, max(0, round(share * len(sorted_ms)) - 1))], 1)


async def _time(
    client: httpx.AsyncClient, path: str, params: dict[str, Any], requests: int, budget: float
) -> dict[str, Any]:
    """Percentiles of `requests` timed calls (fewer, but at least 3, when they take over `budget` seconds)."""
    timings: list[float] = []
    body: dict[str, Any] = {}
    began = time.perf_counter()
    for attempt in range(requests + 1):  # the first warms the connection and the prepared statements
        started = time.perf_counter()
        response = await client.get(path, params=params)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        body = response.json()
        if attempt >= 3 and time.perf_counter() - began > budget:
            break
    ordered = sorted(timings[1:])
    figures = {"p50": _percentile(ordered, 0.5), "p95": _percentile(ordered, 0.95), "p99": _percentile(ordered, 0.99)}
    figures["n"] = len(ordered)
    if "items" in body:
        figures |= {"total": body["total"], "total_at_least": body.get("total_at_least", False)}
    return figures


def _serve(url: str, bootstrap: str, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    environment = os.environ | {
        "PRODOPS_DATABASE_URL": url,
        "PRODOPS_KAFKA_BOOTSTRAP": bootstrap,
        "PRODOPS_SECRET_KEY": SECRET,
        "PRODOPS_DATA_DIR": str(folder),
        "PRODOPS_THEMES_CACHE_SECONDS": "3600",
        "PRODOPS_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "services.gateway.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return subprocess.Popen(command, env=environment), f"http://127.0.0.1:{port}"


async def measure(url: str, items: int, requests: int, budget: float, folder: Path) -> dict[str, Any]:
    broker = EmbeddedBroker(free_port())
    broker.start()
    server = None
    try:
        await create_topics(broker.bootstrap, topics.ALL)
        server, base = _serve(url, broker.bootstrap, folder)
        token = create_token(SECRET, Role.VIEWER, "bench")
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600
        ) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the gateway did not start")
                await asyncio.sleep(0.2)
            started = time.perf_counter()
            overview = (await client.get("/api/v1/overview")).raise_for_status().json()
            cold_ms = round((time.perf_counter() - started) * 1000, 1)
            theme_id = UUID(overview["top_themes"][0]["id"])
            cursors = await deep_cursors(url, items)
            results: dict[str, Any] = {
                name: await _time(client, "/api/v1/feedback", params, requests, budget)
                for name, params in cases(items, theme_id, cursors).items()
            }
            results["overview"] = await _time(client, "/api/v1/overview", {}, requests, budget)
            results["overview_cold_ms"] = cold_ms
            return results
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        broker.stop()


async def run(items: int, database: str, requests: int, budget: float, keep: bool, url: str | None) -> dict[str, Any]:
    """Fill a fresh database (dropped at the end unless `keep`) and measure; or measure the one at `url` as it is."""
    with tempfile.TemporaryDirectory() as folder:
        filling, fill_seconds, name = url is None, None, None
        admin = await asyncpg.connect(ADMIN_DSN) if database == "postgres" and filling else None
        if admin is not None:
            name = f"prodops_bench_{uuid4().hex[:8]}"
            await admin.execute(f'CREATE DATABASE "{name}"')
            url = f"postgresql+asyncpg://{ADMIN_DSN.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
        elif url is None:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'gateway.db'}"
        try:
            if filling:
                fill_seconds = round(await fill(url, items), 1)
                print(f"filled {items} items in {fill_seconds} s", file=sys.stderr)
            results = await measure(url, items, requests, budget, Path(folder))
        finally:
            if admin is not None:
                if keep:
                    print(f"kept {url}", file=sys.stderr)
                else:
                    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.close()
    return {"items": items, "database": database, "requests": requests, "fill_s": fill_seconds} | results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per case (after one warm-up)")
    parser.add_argument(
        "--case-seconds", type=float, default=60.0, help="stop repeating a case past this (after 3 requests)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database filled (prints its URL)")
    parser.add_argument(
        "--database-url", default=None, help="measure this read model as it is (say its --items): no fill, no drop"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args()
    database = "sqlite" if args.database_url and args.database_url.startswith("sqlite") else args.database
    report = asyncio.run(run(args.items, database, args.requests, args.case_seconds, args.keep, args.database_url))
    if args.json:
        print(json.dumps(report))
        return
    print(f"{report['database']}, {report['items']} items ({report['requests']} requests a case), ms:")
    for name, figures in report.items():
        if isinstance(figures, dict):
            bound = "+" if figures.get("total_at_least") else ""
            total = f"  total {figures['total']}{bound}" if "total" in figures else ""
            print(
                f"  {name:24} p50 {figures['p50']:8.1f}  p95 {figures['p95']:8.1f}  p99 {figures['p99']:8.1f}"
                f"  n {figures['n']:3}{total}"
            )
    print(f"  overview, themes computed: {report['overview_cold_ms']} ms")


if __name__ == "__main__":
    main()
