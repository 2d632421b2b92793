"""Throughput of the local triage engine on this machine: one item at a time, and in batches.

    .venv/bin/python -m bench.triage_throughput [--items 256]

Every model pass an item needs (the sentence embedding and the heads) on the demo texts.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from libs.ml.embeddings import MiniLMEmbedder
from prodops.demo import feedback
from services.triage.engines import LocalEngine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=256)
    arguments = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    texts = [f"{item.title}\n\n{item.description}" for item in feedback()][: arguments.items]
    engine = LocalEngine.load(MiniLMEmbedder.load(), Path("/nonexistent"))
    engine.assess_now(texts[:8])  # warm-up

    started = time.monotonic()
    for text in texts[:64]:
        engine.assess_now([text])
    single = 64 / (time.monotonic() - started)

    started = time.monotonic()
    for start in range(0, len(texts), 64):
        engine.assess_now(texts[start : start + 64])
    batch = len(texts) / (time.monotonic() - started)
    print(f"local engine {engine.version}: {single:.0f} items/s one at a time, {batch:.0f} items/s in batches of 64")


if __name__ == "__main__":
    main()
