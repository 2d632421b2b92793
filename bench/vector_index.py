"""Query latency of the embedded Qdrant Edge index at scale, through the service's own QdrantEdgeIndex.

    nice .venv/bin/python -m bench.vector_index [--vectors 100000] [--queries 500] [--optimize] [--json]

Stores N 384-d unit vectors drawn around N/50 cluster centres (so that neighbours are near, as
duplicates are), with created_at spread over a year, then times top-5 searches with the service's
30-day window (a query's +-30 days) and without it, each query a perturbed copy of a centre. Reports
p50/p99 latency, upsert rate, memory (RSS) and disk. With --optimize it then builds the HNSW graph
(optimize()), times it, and measures the searches again with their recall@5 against the exact
(plain) results.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import numpy as np

from services.dedupe.adapters import IndexedItem, QdrantEdgeIndex
from services.dedupe.domain import TimeWindow

DIMENSION = 384
BATCH = 1000
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_SECONDS = 365 * 86400
NOBODY = UUID(int=0)


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def near(centres: np.ndarray, rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` unit vectors, each a perturbed copy of a random centre (cosine about 0.94 to it)."""
    picked = centres[rng.integers(0, len(centres), count)]
    return unit(picked + rng.normal(0, 0.35 / DIMENSION**0.5, (count, DIMENSION)))


def rss_mib(field: str = "VmRSS") -> float:
    """This process's resident memory (VmRSS), or its peak (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def disk_mib(path: Path) -> float:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file()) / 2**20


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def fill(index: QdrantEdgeIndex, vectors: int, centres: np.ndarray, rng: np.random.Generator) -> float:
    """Upsert `vectors` items in batches; the seconds it took (generating them is not counted)."""
    spent = 0.0
    for start in range(0, vectors, BATCH):
        size = min(BATCH, vectors - start)
        rows = near(centres, rng, size)
        seconds = rng.uniform(0, YEAR_SECONDS, size)
        entries = [
            (
                IndexedItem(
                    item_id=UUID(int=start + n + 1),
                    title=f"item {start + n}",
                    created_at=YEAR_START + timedelta(seconds=float(seconds[n])),
                    model="bench-random",
                    text=f"item {start + n}",
                ),
                rows[n].tolist(),
            )
            for n in range(size)
        ]
        began = time.perf_counter()
        index.upsert_many(entries)
        spent += time.perf_counter() - began
    return spent


def timed_searches(
    index: QdrantEdgeIndex, queries: list[tuple[list[float], TimeWindow]], filtered: bool
) -> tuple[dict[str, float], list[list[UUID]]]:
    latencies, results = [], []
    for vector, window in queries:
        began = time.perf_counter()
        hits = index.search(vector, limit=5, exclude=NOBODY, window=window if filtered else None)
        latencies.append((time.perf_counter() - began) * 1000)
        results.append([hit.item_id for hit in hits])
    figures = {
        "p50_ms": round(percentile(latencies, 0.50), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
        "mean_ms": round(statistics.fmean(latencies), 3),
    }
    return figures, results


def recall(exact: list[list[UUID]], approximate: list[list[UUID]]) -> float:
    found = sum(len(set(a) & set(e)) for e, a in zip(exact, approximate, strict=True))
    return round(found / max(1, sum(len(e) for e in exact)), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--optimize", action="store_true", help="also build HNSW and measure again")
    parser.add_argument("--dir", type=Path, default=None, help="where the shard goes (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args()
    if args.vectors < 1 or args.queries < 1:
        parser.error("--vectors and --queries must be positive")

    rng = np.random.default_rng(7)
    centres = unit(rng.normal(size=(max(1, args.vectors // 50), DIMENSION)))
    workdir = Path(tempfile.mkdtemp(prefix="bench-vectors-", dir=args.dir))
    report: dict[str, object] = {"vectors": args.vectors, "dimension": DIMENSION, "queries": args.queries}
    try:
        rss_before = rss_mib()
        index = QdrantEdgeIndex.open(workdir / "shard", DIMENSION)
        upsert_seconds = fill(index, args.vectors, centres, rng)
        report["upsert_seconds"] = round(upsert_seconds, 1)
        report["upserts_per_second"] = round(args.vectors / upsert_seconds)
        report["rss_mib"] = round(rss_mib())
        report["rss_growth_mib"] = round(rss_mib() - rss_before)
        report["disk_mib"] = round(disk_mib(workdir))

        queries = []
        for _ in range(args.queries):
            [vector] = near(centres, rng, 1)
            moment = YEAR_START + timedelta(seconds=float(rng.uniform(0, YEAR_SECONDS)))
            queries.append((vector.tolist(), TimeWindow.around(moment, 30)))
        filtered, exact_filtered = timed_searches(index, queries, filtered=True)
        unfiltered, exact_unfiltered = timed_searches(index, queries, filtered=False)
        report["plain"] = {"filtered_30_days": filtered, "unfiltered": unfiltered}

        if args.optimize:
            began = time.perf_counter()
            index.optimize()
            report["optimize_seconds"] = round(time.perf_counter() - began, 1)
            filtered, approx_filtered = timed_searches(index, queries, filtered=True)
            unfiltered, approx_unfiltered = timed_searches(index, queries, filtered=False)
            report["hnsw"] = {
                "filtered_30_days": filtered | {"recall_at_5": recall(exact_filtered, approx_filtered)},
                "unfiltered": unfiltered | {"recall_at_5": recall(exact_unfiltered, approx_unfiltered)},
            }
            report["rss_after_optimize_mib"] = round(rss_mib())
            report["disk_after_optimize_mib"] = round(disk_mib(workdir))
        report["peak_rss_mib"] = round(rss_mib("VmHWM"))
        index.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    if args.json:
        print(json.dumps(report))
        return
    for key, value in report.items():
        print(f"{key:>26}: {value}")


if __name__ == "__main__":
    main()
