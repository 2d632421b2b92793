"""How long splitting a 50 KB call transcript takes: the extractor alone, and with the local engine's heads.

    nice .venv/bin/python -m bench.transcript_split [--runs 30] [--engine-runs 3] [--json]

Two transcripts of 50 KB, one customer speaking: a monologue about one thing (cut into requests that
fit the event, between sentences) and one sentence without punctuation with a "fails" in every ten
words (cut at words; the phrasing that once grew quadratically with such a sentence). The extractor
alone reads every sentence as a confident request, so only its own work is timed (cutting, grouping,
phrasing); the local engine embeds each sentence and reads it with the heads, as triage does.
Reports p50 / p95 seconds per split over the runs, and the requests made.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from libs.ml.embeddings import MiniLMEmbedder
from libs.schemas.feedback import Category, SentimentLabel
from services.triage.domain import Reading
from services.triage.engines import LocalEngine
from services.triage.splitting import SplitPolicy, extract

SIZE = 50_000
POLICY = SplitPolicy(min_confidence=0.45, max_requests=25)
EXPORT_TROUBLE = (
    "The CSV export keeps failing on anything over ten thousand rows. "
    "The export times out after a minute and we lose the whole file. "
    "Our finance team needs that export every morning before the board call. "
    "When the export fails they rebuild the report by hand from the raw tables. "
)
RUN_ON = "the nightly export fails and then the board report is late again "


def transcript(words: str) -> str:
    return f"Dana Lee [customer]: {(words * (SIZE // len(words) + 1))[:SIZE].rsplit(' ', 1)[0]}"


def read_as_requests(sentences: list[str]) -> list[Reading]:
    request = Reading(Category.FEATURE_REQUEST, 0.9, SentimentLabel.NEUTRAL, 0.9, 0.0, 0.0)
    return [request] * len(sentences)


def timed(split: Callable[[str], int], text: str, runs: int) -> dict[str, Any]:
    """p50 / p95 seconds of `split` over the runs (after one warm-up), and the requests it made."""
    requests = split(text)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        split(text)
        seconds.append(time.perf_counter() - started)
    p95 = statistics.quantiles(seconds, n=20, method="inclusive")[18] if runs > 1 else seconds[0]
    return {"runs": runs, "p50_s": round(statistics.median(seconds), 4), "p95_s": round(p95, 4), "requests": requests}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="runs of the extractor alone")
    parser.add_argument("--engine-runs", type=int, default=3, help="runs with the local engine (seconds each)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    arguments = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    texts = {"monologue": transcript(EXPORT_TROUBLE), "run_on_sentence": transcript(RUN_ON)}
    engine = LocalEngine.load(MiniLMEmbedder.load(), Path("/nonexistent"))

    def alone(text: str) -> int:
        return len(extract(text, read_as_requests, POLICY))

    def with_engine(text: str) -> int:
        return len(engine.split_now(text, POLICY).requests)

    report: dict[str, Any] = {"transcript_chars": SIZE, "engine": engine.version}
    for name, text in texts.items():
        report[name] = {
            "extractor": timed(alone, text, arguments.runs),
            "local_engine": timed(with_engine, text, arguments.engine_runs),
        }
        for part, figures in report[name].items():
            print(
                f"{name}, {part}: p50 {figures['p50_s']:.4f} s, p95 {figures['p95_s']:.4f} s over {figures['runs']} "
                f"runs, {figures['requests']} requests",
                file=sys.stderr if arguments.json else sys.stdout,
            )
    if arguments.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
