"""Triage quality on real, human-labelled feedback: the shipped engine, and calibrated by cross-validation.

    .venv/bin/python -m bench.triage_quality [--data-dir ../shared/data] [--folds 5]

The shipped engine is the one fitted on the project's own seed examples. The calibrated one is
what `prodops triage train` fits, scored here on held-out folds so that no row is scored by a
model that saw it. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

from libs.ml.embeddings import MiniLMEmbedder
from services.triage import domain, evaluation, training
from services.triage.engines import LocalEngine


def labels_of(rows: list[evaluation.LabelledRow], predictions: list[domain.Reading]) -> dict[str, object]:
    scores: dict[str, object] = {}
    for field in ("category", "sentiment_label"):
        pairs = [
            (getattr(row, field).value, _predicted(field, reading))
            for row, reading in zip(rows, predictions, strict=True)
            if getattr(row, field)
        ]
        truth, predicted = [t for t, _ in pairs], [p for _, p in pairs]
        report = evaluation.field_report(truth, predicted)
        scores[field] = {
            "accuracy": report.accuracy,
            "n": report.n,
            "per_class": {label: score.model_dump() for label, score in report.per_class.items()},
        }
        if field == "sentiment_label":
            scores["sentiment_direction_accuracy"] = round(evaluation.direction_accuracy(truth, predicted) or 0, 4)
    return scores


def _predicted(field: str, reading: domain.Reading) -> str:
    if field == "category":
        return reading.category.value
    return domain.sentiment_label(domain.sentiment_score(reading)).value


def readings(engine: LocalEngine, rows: list[evaluation.LabelledRow], embeddings: np.ndarray) -> list[domain.Reading]:
    texts = [row.text for row in rows]
    return [
        domain.apply_rules(text, reading)
        for text, (reading, _) in zip(texts, engine.read(texts, embeddings), strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--folds", type=int, default=5)
    arguments = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = evaluation.read_rows(
        [arguments.data_dir / "category_train.jsonl", arguments.data_dir / "sentiment_train.jsonl"]
    )
    embedder = MiniLMEmbedder.load()
    started = time.monotonic()
    embeddings = np.asarray(embedder.embed([row.text for row in rows]))
    embed_seconds = time.monotonic() - started

    shipped = LocalEngine.load(embedder, Path("/nonexistent"))
    result: dict[str, object] = {
        "rows": len(rows),
        "embed_items_per_s": round(len(rows) / embed_seconds, 1),
        "shipped": labels_of(rows, readings(shipped, rows, embeddings)),
    }

    # Stratify on whichever label a row has, so every fold holds every class of both files.
    strata = [(row.category or row.sentiment_label).value for row in rows]  # type: ignore[union-attr]
    predictions: list[domain.Reading | None] = [None] * len(rows)
    folds = StratifiedKFold(arguments.folds, shuffle=True, random_state=0)
    for train_index, test_index in folds.split(np.zeros(len(rows)), strata):
        heads = training.fit_heads([rows[i] for i in train_index], embeddings[train_index])
        engine = LocalEngine(embedder, heads, "cv")
        held_out = [rows[i] for i in test_index]
        for index, reading in zip(test_index, readings(engine, held_out, embeddings[test_index]), strict=True):
            predictions[index] = reading
    result["calibrated_cross_validated"] = labels_of(rows, [p for p in predictions if p is not None])
    result["folds"] = arguments.folds
    print(json.dumps(result))


if __name__ == "__main__":
    main()
