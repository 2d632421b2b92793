"""Triage quality on real, human-labelled feedback: the shipped engine, and calibrated by cross-validation.

    .venv/bin/python -m bench.triage_quality [--data-dir ../shared/data] [--folds 5] [--fine-tune]
    .venv/bin/python -m bench.triage_quality --held-out 0.2 [--fine-tune [--epochs 4] [--max-minutes 30]
        [--seed 0] [--max-tokens 128]]

The shipped engine is the one fitted on the project's own examples (services/triage/examples/seed.jsonl).
The calibrated one is what `prodops triage train` fits, scored on held-out folds so that no row is scored by a model
that saw it: without --fine-tune, the heads on the bundled encoder (`train --epochs 0`); with it,
the encoder fine-tuned with its heads beside the n-gram heads (`train`, its default), once per fold.
Each fold's model chooses its auto-apply thresholds as `train` does, on its own training rows
(PRODOPS_TRIAGE_AUTO_PRECISION), and is scored on the fold's rows: the share of them applied without
a look and how often those are right, per field, and the expected calibration error; and the shipped
engine's confidence, as it would be if calibrated on its own examples.
With --held-out, one fixed split instead (stratified, seed 0): fitted on the rest, scored on that
share; fine-tuned, with each half of the blend alone, the train time and the cost of reading one
item. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

from libs.ml.embeddings import MiniLMEmbedder
from libs.schemas.feedback import sentiment_label
from services.triage import calibration, domain, evaluation, training
from services.triage.engines import SEED_EXAMPLES, LocalEngine
from services.triage.finetune import FineTuneOptions
from services.triage.settings import AutoPrecision, TriageSettings


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
    return sentiment_label(domain.sentiment_score(reading)).value


class Scored:
    """Readings of rows, each with the thresholds of the model that read it, for the auto-apply figures."""

    def __init__(self) -> None:
        self.category: list[tuple[float, bool, bool]] = []  # confidence, right, applied without a look
        self.sentiment: list[tuple[float, bool, bool]] = []
        self.direction: list[tuple[float, bool, bool]] = []

    def add(
        self, rows: list[evaluation.LabelledRow], read: list[domain.Reading], thresholds: domain.AutoThresholds
    ) -> None:
        for row, reading in zip(rows, read, strict=True):
            if row.category is not None:
                confidence = reading.category_confidence
                sure = domain.is_sure(confidence, thresholds.category)
                self.category.append((confidence, reading.category == row.category, sure))
            if row.sentiment_label is not None:
                confidence = reading.sentiment_confidence
                scored = (
                    confidence,
                    reading.sentiment == row.sentiment_label,
                    domain.is_sure(confidence, thresholds.sentiment),
                )
                self.sentiment.append(scored)
                if row.sentiment_label in evaluation.DIRECTIONAL:
                    self.direction.append(scored)

    def report(self) -> dict[str, object]:
        def applied(scored: list[tuple[float, bool, bool]]) -> dict[str, object]:
            right = np.array([r for _, r, _ in scored], dtype=bool)
            sure = np.array([s for _, _, s in scored], dtype=bool)
            return {
                "rows": len(scored),
                "accuracy": round(float(right.mean()), 4),
                "coverage": round(float(sure.mean()), 4),
                "accuracy_applied": round(float(right[sure].mean()), 4) if sure.any() else None,
                "accuracy_reviewed": round(float(right[~sure].mean()), 4) if (~sure).any() else None,
            }

        def error(scored: list[tuple[float, bool, bool]]) -> float:
            confidence, right = calibration.columns([(c, r) for c, r, _ in scored])
            return round(calibration.expected_calibration_error(confidence, right), 4)

        return {
            "auto_apply": {"category": applied(self.category), "sentiment_direction": applied(self.direction)},
            "calibration": {
                "category_ece": error(self.category),
                "sentiment_ece": error(self.sentiment),
                "sentiment_direction_ece": error(self.direction),
            },
        }


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
    parser.add_argument("--held-out", type=float, default=0.0, help="score on this share of the rows, fixed split")
    parser.add_argument("--fine-tune", action="store_true", help="calibrate with the encoder fine-tuned")
    parser.add_argument("--epochs", type=int, default=FineTuneOptions().epochs)
    parser.add_argument("--max-minutes", type=float, default=FineTuneOptions().max_minutes)
    parser.add_argument(
        "--seed", type=int, default=FineTuneOptions().seed, help="the fine-tune's seed: rerun to see its own spread"
    )
    parser.add_argument("--max-tokens", type=int, default=FineTuneOptions().max_tokens, help="read per text")
    arguments = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = evaluation.read_rows(
        [arguments.data_dir / "category_train.jsonl", arguments.data_dir / "sentiment_train.jsonl"]
    )
    # Stratify on whichever label a row has, so every fold holds every class of both files.
    strata = [(row.category or row.sentiment_label).value for row in rows]  # type: ignore[union-attr]
    options = FineTuneOptions(
        epochs=arguments.epochs, max_minutes=arguments.max_minutes, seed=arguments.seed, max_tokens=arguments.max_tokens
    )
    if arguments.fine_tune and arguments.held_out:
        print(json.dumps(fine_tuned(rows, strata, arguments.held_out, options)))
        return

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
    targets = TriageSettings().triage_auto_precision
    if arguments.held_out:
        train_index, test_index = split(strata, arguments.held_out)
        started = time.monotonic()
        heads = training.fit_heads([rows[i] for i in train_index], embeddings[train_index])
        result["fit_seconds"] = round(time.monotonic() - started, 1)
        held_out = [rows[i] for i in test_index]
        engine = LocalEngine(embedder, heads, "held-out", calibration.Calibration())
        result["shipped_held_out"] = labels_of(held_out, readings(shipped, held_out, embeddings[test_index]))
        result["calibrated_held_out"] = labels_of(held_out, readings(engine, held_out, embeddings[test_index]))
        result["held_out"] = arguments.held_out
        print(json.dumps(result))
        return

    result["shipped_calibrated_on_its_examples"] = shipped_calibrated(embedder, rows, embeddings, targets)
    predictions: list[domain.Reading | None] = [None] * len(rows)
    folds = StratifiedKFold(arguments.folds, shuffle=True, random_state=0)
    fold_seconds, thresholds, scored = [], [], Scored()
    for train_index, test_index in folds.split(np.zeros(len(rows)), strata):
        started = time.monotonic()
        held_out = [rows[i] for i in test_index]
        if arguments.fine_tune:
            engine, _ = fine_tuned_engine([rows[i] for i in train_index], options, targets)
            fold_embeddings = np.asarray(engine.embedder.embed([row.text for row in held_out]))
        else:
            heads, calibrated = training.fit_calibrated(
                [rows[i] for i in train_index], embeddings[train_index], targets
            )
            engine = LocalEngine(embedder, heads, "cv", calibrated)
            fold_embeddings = embeddings[test_index]
        fold_readings = readings(engine, held_out, fold_embeddings)
        for index, reading in zip(test_index, fold_readings, strict=True):
            predictions[index] = reading
        scored.add(held_out, fold_readings, engine.calibration.thresholds())
        thresholds.append(engine.calibration.model_dump(include={"category", "sentiment"}))
        fold_seconds.append(round(time.monotonic() - started, 1))
    result["calibrated_cross_validated"] = labels_of(rows, [p for p in predictions if p is not None]) | scored.report()
    result["targets"] = targets.model_dump()
    result["calibration_per_fold"] = thresholds
    result["folds"] = arguments.folds
    result["fine_tuned"] = arguments.fine_tune
    result["fold_seconds"] = fold_seconds
    print(json.dumps(result))


def shipped_calibrated(
    embedder: MiniLMEmbedder, rows: list[evaluation.LabelledRow], embeddings: np.ndarray, targets: AutoPrecision
) -> dict[str, object]:
    """The shipped engine calibrated, and its thresholds chosen, on its own examples by cross-validation (as the
    service does not, at start): what those thresholds would apply on real rows, and how often rightly."""
    examples = evaluation.read_rows([SEED_EXAMPLES])
    started = time.monotonic()
    heads, calibrated = training.fit_calibrated(
        examples, np.asarray(embedder.embed([row.text for row in examples])), targets
    )
    seconds = time.monotonic() - started
    engine = LocalEngine(embedder, heads, "seed-calibrated", calibrated)
    scored = Scored()
    scored.add(rows, readings(engine, rows, embeddings), calibrated.thresholds())
    return {"seconds": round(seconds, 1), "fitted": calibrated.model_dump(), **scored.report()}


def split(strata: list[str], share: float) -> tuple[np.ndarray, np.ndarray]:
    """The fixed held-out split: the same rows for every engine scored."""
    indices = np.arange(len(strata))
    train_index, test_index = train_test_split(indices, test_size=share, random_state=0, stratify=strata)
    return np.sort(train_index), np.sort(test_index)


def fine_tuned_engine(
    rows: list[evaluation.LabelledRow], options: FineTuneOptions, targets: AutoPrecision
) -> tuple[LocalEngine, training.FineTuneSummary]:
    """What `prodops triage train` fits by default: the encoder fine-tuned, its heads beside the n-gram heads."""
    heads, encoder, summary, calibrated = training.fit_fine_tuned(rows, options, targets)
    return LocalEngine(MiniLMEmbedder(encoder), heads, "fine-tuned", calibrated), summary


def fine_tuned(
    rows: list[evaluation.LabelledRow], strata: list[str], share: float, options: FineTuneOptions
) -> dict[str, object]:
    """Fine-tune on the split's rest, score on the held-out share: the blend, each half alone, and the cost."""
    train_index, test_index = split(strata, share)
    started = time.monotonic()
    engine, summary = fine_tuned_engine([rows[i] for i in train_index], options, TriageSettings().triage_auto_precision)
    train_seconds = time.monotonic() - started
    held_out = [rows[i] for i in test_index]
    started = time.monotonic()
    embeddings = np.asarray(engine.embedder.embed([row.text for row in held_out]))
    result: dict[str, object] = {
        "rows": len(rows),
        "held_out": share,
        "train_seconds": round(train_seconds, 1),
        "fine_tune": summary.model_dump(),
        "fine_tuned_held_out": labels_of(held_out, readings(engine, held_out, embeddings)),
        "read_ms_per_item_batched": round((time.monotonic() - started) * 1000 / len(held_out), 1),
    }
    heads = engine.heads
    tuned = heads.tuned
    assert tuned is not None
    # Each half alone, on the same rows: what the blend adds.
    for name, weight in (("tuned_heads_alone", 1.0), ("ngram_heads_alone", 0.0)):
        heads.tuned = training.TunedHeads(tuned.heads, dict.fromkeys(tuned.weights, weight))
        result[name] = labels_of(held_out, readings(engine, held_out, embeddings))
    heads.tuned = tuned
    single = []
    for row in held_out[:20]:
        started = time.monotonic()
        engine.assess_now([row.text])
        single.append(time.monotonic() - started)
    result["read_ms_one_item_median"] = round(float(np.median(single)) * 1000, 1)
    return result


if __name__ == "__main__":
    main()
