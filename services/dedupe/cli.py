"""`prodops dedupe eval`: score duplicate detection on labelled pairs, and check the threshold generalises."""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel, ConfigDict, ValidationError
from rich.console import Console
from rich.table import Table

from libs.ml.embeddings import Embedder, load_embedder
from services.dedupe import domain
from services.dedupe.settings import DedupeSettings

app = typer.Typer(help="Duplicate detection: score it on labelled pairs.", no_args_is_help=True)


class LabelledPair(BaseModel):
    """One row of a pairs file; other fields (ids, sources) are ignored."""

    model_config = ConfigDict(extra="ignore")

    a_text: str
    b_text: str
    is_duplicate: bool


class PairsError(ValueError):
    """A pairs file that cannot be scored, with where and why."""


def read_pairs(path: Path) -> list[LabelledPair]:
    """The labelled pairs of a JSON lines file; a bad row is an error naming its line."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            pair = LabelledPair.model_validate_json(line)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in error.errors())
            raise PairsError(f"{path}:{number}: {problems}") from None
        if not pair.a_text.strip() or not pair.b_text.strip():
            raise PairsError(f"{path}:{number}: a_text and b_text must not be empty")
        pairs.append(pair)
    if not pairs:
        raise PairsError(f"{path}: no pairs")
    if not any(pair.is_duplicate for pair in pairs):
        raise PairsError(f"{path}: no pair is labelled is_duplicate=true: recall cannot be measured")
    return pairs


def similarities(pairs: Sequence[LabelledPair], embedder: Embedder) -> list[float]:
    """The cosine similarity of each pair's texts, embedding every distinct text once."""
    texts = sorted({pair.a_text for pair in pairs} | {pair.b_text for pair in pairs})
    vectors = dict(zip(texts, embedder.embed(texts), strict=True))
    # The embedders give unit vectors: cosine is the dot product.
    return [sum(x * y for x, y in zip(vectors[p.a_text], vectors[p.b_text], strict=True)) for p in pairs]


class CrossValidation(BaseModel):
    """Best thresholds picked on k-1 folds, each scored on the fold it did not see."""

    folds: int
    thresholds: list[float]
    threshold_mean: float
    threshold_stdev: float
    held_out_f1: float
    held_out_f1_at_configured: float


def cross_validate(
    scores: Sequence[float], labels: Sequence[bool], *, folds: int, configured: float, seed: int = 0
) -> CrossValidation:
    """Does the best threshold generalise? Stratified folds: duplicates and others dealt out evenly."""
    if folds < 2 or sum(labels) < folds or len(labels) - sum(labels) < folds:
        raise PairsError(f"{folds}-fold cross-validation needs at least {folds} duplicates and {folds} other pairs")
    shuffle = random.Random(seed)
    fold_of = [0] * len(labels)
    for label in (True, False):
        indices = [i for i, value in enumerate(labels) if value == label]
        shuffle.shuffle(indices)
        for position, index in enumerate(indices):
            fold_of[index] = position % folds
    thresholds, held_out, held_out_configured = [], [], []
    for fold in range(folds):
        train = [i for i in range(len(labels)) if fold_of[i] != fold]
        test = [i for i in range(len(labels)) if fold_of[i] == fold]
        threshold, _ = domain.best_threshold([scores[i] for i in train], [labels[i] for i in train])
        test_scores, test_labels = [scores[i] for i in test], [labels[i] for i in test]
        thresholds.append(threshold)
        held_out.append(domain.f1_at(test_scores, test_labels, threshold))
        held_out_configured.append(domain.f1_at(test_scores, test_labels, configured))
    return CrossValidation(
        folds=folds,
        thresholds=[round(threshold, 4) for threshold in thresholds],
        threshold_mean=round(statistics.fmean(thresholds), 4),
        threshold_stdev=round(statistics.stdev(thresholds), 4),
        held_out_f1=round(statistics.fmean(held_out), 4),
        held_out_f1_at_configured=round(statistics.fmean(held_out_configured), 4),
    )


class EvalReport(BaseModel):
    pairs: int
    positives: int
    model: str
    threshold: float
    precision: float
    recall: float
    f1: float
    best_threshold: float
    best_precision: float
    best_recall: float
    best_f1: float
    cross_validation: CrossValidation | None


def evaluate_pairs(pairs: Sequence[LabelledPair], embedder: Embedder, threshold: float, folds: int) -> EvalReport:
    """Scores at the configured threshold and at the best one, and the cross-validated threshold."""
    scores = similarities(pairs, embedder)
    labels = [pair.is_duplicate for pair in pairs]
    at_threshold = domain.detection_at(scores, labels, threshold)
    best, _ = domain.best_threshold(scores, labels)
    at_best = domain.detection_at(scores, labels, best)
    return EvalReport(
        pairs=len(pairs),
        positives=sum(labels),
        model=embedder.model_name,
        threshold=threshold,
        precision=round(at_threshold.precision, 4),
        recall=round(at_threshold.recall, 4),
        f1=round(at_threshold.f1, 4),
        best_threshold=round(best, 4),
        best_precision=round(at_best.precision, 4),
        best_recall=round(at_best.recall, 4),
        best_f1=round(at_best.f1, 4),
        cross_validation=cross_validate(scores, labels, folds=folds, configured=threshold) if folds else None,
    )


@app.command("eval")
def evaluate(
    data: Annotated[
        Path, typer.Option("--data", exists=True, dir_okay=False, help="JSON lines: a_text, b_text, is_duplicate.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    folds: Annotated[int, typer.Option(help="Cross-validate the best threshold on this many folds (0: skip).")] = 5,
) -> None:
    """Precision, recall and F1 at the configured threshold, the best threshold, and whether it generalises."""
    settings = DedupeSettings()
    try:
        pairs = read_pairs(data)
        embedder = load_embedder(settings.embedding_model, settings)
        report = evaluate_pairs(pairs, embedder, settings.duplicate_threshold, folds)
    except PairsError as error:
        raise typer.BadParameter(str(error), param_hint="--data") from None
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json")))
        return
    table = Table(title=f"{report.pairs} pairs ({report.positives} duplicates), {report.model}")
    for column in ("threshold", "precision", "recall", "F1"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{report.threshold:.3f} (configured)", f"{report.precision:.3f}", f"{report.recall:.3f}", f"{report.f1:.3f}"
    )
    table.add_row(
        f"{report.best_threshold:.3f} (best here)",
        f"{report.best_precision:.3f}",
        f"{report.best_recall:.3f}",
        f"{report.best_f1:.3f}",
    )
    console = Console()
    console.print(table)
    if cv := report.cross_validation:
        console.print(
            f"{cv.folds}-fold cross-validation: best thresholds {cv.threshold_mean:.3f} +- {cv.threshold_stdev:.3f}, "
            f"held-out F1 {cv.held_out_f1:.3f} (at the configured threshold {cv.held_out_f1_at_configured:.3f})"
        )
