"""The pipeline under load: webhooks to read model, against the local AI work alone.

    python bench/pipeline.py --items N [--rate R] [--half-rate] [--json]

1. The engine alone: every model pass an item needs, as the services make them (triage's local
   engine, `LocalEngine.assess_now`, and dedupe's embedding, `embed`), in this process with no
   broker and no database, on every core: engine_items_per_s in batches of --engine-batch (the
   services assess and embed each fetched batch in one pass; 16-100 items at the peak), and
   engine.single_items_per_s one item at a time (what the services did before they batched).
2. The whole hub (tansu, every service a process, SQLite) in a data dir of its own; one warm-up
   delivery; then a second process (bench/load.py) posts N signed GitHub `issues.opened` webhooks,
   as fast as ingest accepts them or at --rate per second. Meanwhile this process polls the
   gateway's read model every 50 ms and notes when each item is first fully processed (received,
   enriched, triaged, deduped). pipeline_items_per_s is N over the time from the first webhook
   sent to the last item folded; latency is per item, from its webhook sent to it fully processed.
   lost: acknowledged with a 202 but not fully processed within --drain-timeout. doubled: read-model
   rows beyond one per source id, plus messages a consumer handled (not skipped by its inbox) beyond
   one per item on the per-item topics.
3. With --half-rate, a second stream of N new items at half the measured pipeline_items_per_s, in
   the same hub: its latency shows the pipeline when it keeps up.

Prints one JSON object with --json (progress on stderr), with per-stage notes: the mean handling
time of each consumer and the CPU seconds each process used during the stream.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _project_interpreter() -> None:
    """Let `python bench/pipeline.py` run from any interpreter: the project's venv, and its root importable."""
    try:
        import faststream  # noqa: F401
    except ImportError:
        venv_python = ROOT / ".venv" / "bin" / "python"
        if not venv_python.exists() or Path(sys.executable).absolute() == venv_python.absolute():
            raise SystemExit(f"{sys.executable} lacks the project's packages and there is no {venv_python}") from None
        os.execv(venv_python, [str(venv_python), str(Path(__file__).resolve()), *sys.argv[1:]])
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


_project_interpreter()

# The project's imports come after the interpreter check above, hence E402.
import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402
from sqlmodel import col, select  # noqa: E402
from sqlmodel.ext.asyncio.session import AsyncSession  # noqa: E402

from bench.load import (  # noqa: E402
    FIRST_ISSUE_ID,
    github_issue,
    log_tails,
    note,
    percentile,
    run_generator,
    start_signed_hub,
    warm_up,
)
from libs.runtime.database import database_url, make_engine  # noqa: E402
from libs.runtime.settings import ServiceSettings  # noqa: E402
from libs.schemas import topics  # noqa: E402
from prodops.hub import Hub  # noqa: E402
from tests.conftest import HubClient  # noqa: E402

POLL_SECONDS = 0.05
# Every item passes once through each of these topics; a consumer of one handles one message per item.
PER_ITEM_TOPICS = (topics.FEEDBACK_RECEIVED, topics.FEEDBACK_ENRICHED, topics.FEEDBACK_TRIAGED, topics.FEEDBACK_DEDUPED)


# --- the engine alone ----------------------------------------------------------------------------


def item_texts(numbers: range) -> list[str]:
    """The text the models read for each item, made from the webhook payload by ingest's own connector."""
    from services.ingest.connectors.github import GitHub

    connector = GitHub()
    texts = []
    for number in numbers:
        unified = connector.transform_to_standard(github_issue(number)["issue"])
        # FeedbackItem.text, which triage and dedupe both read.
        texts.append(f"{unified.title}\n\n{unified.description}".strip())
    return texts


def engine_throughput(texts: list[str], data_dir: Path, batch: int) -> dict[str, Any]:
    """Items/s of every model pass an item needs, as triage and dedupe make them: in batches, and one by one."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    from libs.ml.embeddings import MiniLMEmbedder, load_embedder
    from services.dedupe.settings import DedupeSettings
    from services.triage.engines import LocalEngine
    from services.triage.settings import TriageSettings

    # The models each service loads with the hub's settings (the environment, this data dir).
    triage = LocalEngine.load(MiniLMEmbedder.load(), TriageSettings(data_dir=data_dir).model_directory())
    dedupe_settings = DedupeSettings(data_dir=data_dir)
    dedupe = load_embedder(dedupe_settings.embedding_model)
    # The services run one torch thread each (two model services share the cores); alone, the
    # models get every core, as the pipeline's processes do together.
    torch.set_num_threads(os.cpu_count() or 1)

    def model_passes(chunk: list[str]) -> None:
        triage.assess_now(chunk)  # triage's on_enriched: embed, heads, severity
        dedupe.embed(chunk)  # dedupe's on_received: its own embedding of the same texts

    def items_per_s(size: int) -> float:
        chunks = [texts[start : start + size] for start in range(0, len(texts), size)]
        model_passes(chunks[0])  # warm
        started = time.perf_counter()
        for chunk in chunks:
            model_passes(chunk)
        return round(len(texts) / (time.perf_counter() - started), 1)

    return {
        "items": len(texts),
        "batch": batch,
        "items_per_s": items_per_s(batch),
        "single_items_per_s": items_per_s(1),
        "threads": torch.get_num_threads(),
        "model_passes": f"triage: {triage.version} (embedding and heads); dedupe: {dedupe.model_name} embedding",
    }


# --- what the hub did ----------------------------------------------------------------------------


class ReadModel:
    """The gateway's read model, read directly: which items are fully processed, and rows per source id."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def processed(self) -> set[str]:
        from services.gateway.read_model import FeedbackView

        stamps = (FeedbackView.received_event_at, FeedbackView.enriched_at, FeedbackView.triaged_at)
        query = select(FeedbackView.item_id).where(
            FeedbackView.source == "github",
            *(col(stamp).is_not(None) for stamp in (*stamps, FeedbackView.deduped_at)),
        )
        async with AsyncSession(self.engine) as session:
            return {str(item_id) for item_id in (await session.exec(query)).all()}

    async def extra_rows(self, source_ids: set[str]) -> int:
        """Rows beyond one per source id, among these source ids."""
        from services.gateway.read_model import FeedbackView

        query = (
            select(FeedbackView.source_id, func.count())
            .where(FeedbackView.source == "github")
            .group_by(col(FeedbackView.source_id))
            .having(func.count() > 1)
        )
        async with AsyncSession(self.engine) as session:
            rows = (await session.exec(query)).all()
        return sum(count - 1 for source_id, count in rows if source_id in source_ids)


@dataclass
class Snapshot:
    """Counters of every service at one moment: messages handled, handling time, CPU seconds."""

    handled: dict[str, float] = field(default_factory=dict)  # consumer group -> messages handled
    topic_of: dict[str, str] = field(default_factory=dict)
    handle_sum: dict[str, float] = field(default_factory=dict)
    handle_count: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # process -> CPU seconds

    @classmethod
    async def take(cls, hub: Hub, http: httpx.AsyncClient) -> Snapshot:
        snapshot = cls()
        for name, service in hub.processes.items():
            text = (await http.get(f"{service.url}/metrics")).text
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    consumer = sample.labels.get("consumer", "")
                    if sample.name == "prodops_messages_handled_total" and sample.labels["outcome"] == "handled":
                        snapshot.handled[consumer] = sample.value
                        snapshot.topic_of[consumer] = sample.labels["topic"]
                    elif sample.name == "prodops_handle_seconds_sum":
                        snapshot.handle_sum[consumer] = sample.value
                    elif sample.name == "prodops_handle_seconds_count":
                        snapshot.handle_count[consumer] = sample.value
            if service.process:
                snapshot.cpu[name] = cpu_seconds(service.process.pid)
        if hub.broker and hub.broker.process:
            snapshot.cpu["broker"] = cpu_seconds(hub.broker.process.pid)
        return snapshot

    @classmethod
    async def settled(cls, hub: Hub, http: httpx.AsyncClient, timeout: float = 30.0) -> Snapshot:
        """A snapshot once no consumer's count moves: an item shown processed by the gateway may still be on its way
        to consumers off the gateway's path (enrich's history, notify), and would count in the next stream."""
        deadline = time.monotonic() + timeout
        snapshot = await cls.take(hub, http)
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            latest = await cls.take(hub, http)
            if latest.handled == snapshot.handled:
                return latest
            snapshot = latest
        return snapshot


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stage_notes(before: Snapshot, after: Snapshot, items: int, seconds: float) -> dict[str, Any]:
    """Mean handling time per consumer, CPU seconds per process, and messages handled beyond one per item."""
    handle_ms = {}
    for consumer, count in after.handle_count.items():
        done = count - before.handle_count.get(consumer, 0)
        if done:
            spent = after.handle_sum[consumer] - before.handle_sum.get(consumer, 0)
            handle_ms[consumer] = round(spent / done * 1000, 1)
    extra_handled = {
        consumer: int(excess)
        for consumer, count in after.handled.items()
        if after.topic_of[consumer] in PER_ITEM_TOPICS
        and (excess := count - before.handled.get(consumer, 0) - items) > 0
    }
    cpu = {name: round(after.cpu[name] - before.cpu.get(name, 0), 1) for name in after.cpu}
    return {
        "mean_handle_ms": dict(sorted(handle_ms.items(), key=lambda pair: -pair[1])),
        "cpu_seconds": dict(sorted(cpu.items(), key=lambda pair: -pair[1])),
        "cpu_ms_per_item": round(sum(cpu.values()) / items * 1000, 1) if items else None,
        "cpu_cores_busy": round(sum(cpu.values()) / seconds, 2) if seconds else None,
        "extra_handled": extra_handled,
    }


# --- one stream ----------------------------------------------------------------------------------


async def stream(
    hub: Hub,
    client: HubClient,
    secret: str,
    read_model: ReadModel,
    numbers: range,
    rate: float | None,
    arguments: argparse.Namespace,
) -> dict[str, Any]:
    """Send one stream of webhooks from the generator process and follow every item into the read model."""
    first_seen: dict[str, float] = {}

    async def look() -> None:
        now = time.time()
        for item_id in await read_model.processed():
            first_seen.setdefault(item_id, now)

    await look()  # the warm-up and earlier streams are in already
    already = set(first_seen)
    before = await Snapshot.settled(hub, client.http)
    generator = asyncio.create_task(
        run_generator(hub.ingest_url, secret, numbers, arguments.concurrency, arguments.send_timeout, rate)
    )
    while not generator.done():
        await look()
        await asyncio.sleep(POLL_SECONDS)
    sent = generator.result()
    sent_at = {item_id: at for at, item_ids in sent.pop("accepted") for item_id in item_ids}
    note(
        f"{len(sent_at)} of {len(numbers)} webhooks accepted in {sent['seconds']:.1f}s "
        f"({sent['requests_per_s']:.1f}/s); waiting for the read model",
        arguments.json,
    )
    deadline = time.monotonic() + arguments.drain_timeout
    while not sent_at.keys() <= first_seen.keys() and time.monotonic() < deadline:
        await look()
        await asyncio.sleep(POLL_SECONDS)
    after = await Snapshot.take(hub, client.http)

    folded = [item_id for item_id in sent_at if item_id in first_seen and item_id not in already]
    latencies = sorted(first_seen[item_id] - sent_at[item_id] for item_id in folded)
    seconds = max((first_seen[item_id] for item_id in folded), default=sent["started_at"]) - sent["started_at"]
    source_ids = {str(FIRST_ISSUE_ID + number) for number in numbers}
    notes = stage_notes(before, after, len(sent_at), seconds)
    extra_rows = await read_model.extra_rows(source_ids)
    return {
        "items": len(numbers),
        "accepted": len(sent_at),
        "pipeline_items_per_s": round(len(folded) / seconds, 2) if seconds > 0 else 0.0,
        "seconds": round(seconds, 1),
        **{
            f"{name}_ms": round(percentile(latencies, fraction) * 1000) if latencies else None
            for name, fraction in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
        },
        "mean_ms": round(statistics.fmean(latencies) * 1000) if latencies else None,
        "lost": len(sent_at) - len(folded),
        "doubled": extra_rows + sum(notes["extra_handled"].values()),
        "doubled_rows": extra_rows,
        "rate": rate,
        "send_rate": sent["requests_per_s"],
        "ack_ms": sent["latency_ms"],
        "statuses": sent["statuses"],
        "refused": sent["refused"],
        "stages": notes,
    }


async def measure(arguments: argparse.Namespace) -> dict[str, Any]:
    items = arguments.items
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "hub"
        settings = ServiceSettings(data_dir=data_dir, database_url=arguments.database_url)
        texts = item_texts(range(min(items, arguments.engine_items)))
        note(f"engine alone: {len(texts)} items", arguments.json)
        engine = await asyncio.to_thread(engine_throughput, texts, data_dir, arguments.engine_batch)
        note(
            f"engine alone: {engine['items_per_s']} items/s in batches of {engine['batch']}, "
            f"{engine['single_items_per_s']} one by one",
            arguments.json,
        )

        hub, secret, ready_seconds = await start_signed_hub(data_dir, arguments.database_url)
        note(f"hub ready in {ready_seconds:.1f}s", arguments.json)
        client = HubClient(hub)
        read_model = ReadModel(make_engine(database_url(settings, "gateway"), "gateway"))
        try:
            await warm_up(client, secret, items, through_pipeline=True, timeout=arguments.drain_timeout)
            peak = await stream(hub, client, secret, read_model, range(items), arguments.rate, arguments)
            result: dict[str, Any] = {
                "items": items,
                "pipeline_items_per_s": peak["pipeline_items_per_s"],
                "engine_items_per_s": engine["items_per_s"],
                "ratio": round(peak["pipeline_items_per_s"] / engine["items_per_s"], 3),
                "ratio_to_single": round(peak["pipeline_items_per_s"] / engine["single_items_per_s"], 3),
                **{key: value for key, value in peak.items() if key not in ("items", "pipeline_items_per_s")},
                "engine": engine,
                "hub_start_s": round(ready_seconds, 1),
            }
            if arguments.half_rate:
                half = round(peak["pipeline_items_per_s"] / 2, 2)
                note(f"half the peak rate: {half} items/s", arguments.json)
                numbers = range(items + 1, 2 * items + 1)  # after the warm-up's number, new source ids
                result["half_rate"] = await stream(hub, client, secret, read_model, numbers, half, arguments)
        except BaseException:
            note(log_tails(hub), arguments.json)
            raise
        finally:
            await read_model.engine.dispose()
            await client.http.aclose()
            hub.stop()
    result["load_average_before"] = [round(load, 2) for load in load_before]
    result["load_average_after"] = [round(load, 2) for load in os.getloadavg()]
    return result


def summary(result: dict[str, Any]) -> str:
    lines = [
        f"{result['items']} items: pipeline {result['pipeline_items_per_s']} items/s, engine alone "
        f"{result['engine_items_per_s']} items/s (one by one {result['engine']['single_items_per_s']}), ratio "
        f"{result['ratio']} ({result['ratio_to_single']} to one by one); latency p50 {result['p50_ms']} ms, "
        f"p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms; lost {result['lost']}, doubled {result['doubled']}"
    ]
    if half := result.get("half_rate"):
        lines.append(
            f"at half the peak ({half['rate']} items/s): p50 {half['p50_ms']} ms, p95 {half['p95_ms']} ms, "
            f"p99 {half['p99_ms']} ms; lost {half['lost']}, doubled {half['doubled']}"
        )
    stages = result["stages"]
    lines.append(
        f"CPU {stages['cpu_ms_per_item']} ms an item; busiest: {stages['cpu_seconds']}; "
        f"mean handling: {stages['mean_handle_ms']}"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200, help="webhooks to send, one item each (N)")
    parser.add_argument("--rate", type=float, default=None, help="webhooks per second (default: as fast as accepted)")
    parser.add_argument("--half-rate", action="store_true", help="then N more at half the measured pipeline rate")
    parser.add_argument("--concurrency", type=int, default=16, help="the generator's connections")
    parser.add_argument("--engine-items", type=int, default=200, help="at most this many items for the engine alone")
    parser.add_argument("--engine-batch", type=int, default=32, help="items per model pass for the engine alone")
    parser.add_argument("--send-timeout", type=float, default=600.0, help="stop sending after this many seconds")
    parser.add_argument("--drain-timeout", type=float, default=600.0, help="after the last 202; then it is lost")
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of SQLite files")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    arguments = parser.parse_args()
    if min(arguments.items, arguments.concurrency, arguments.engine_batch) < 1 or (
        arguments.rate is not None and arguments.rate <= 0
    ):
        parser.error("--items, --concurrency and --engine-batch must be at least 1, --rate above 0")
    result = asyncio.run(measure(arguments))
    note(summary(result), arguments.json)
    if arguments.json:
        print(json.dumps(result))
    if result["lost"] or result["doubled"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
