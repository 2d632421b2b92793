"""Scoring a triage engine against labelled rows: the spec's validation step. Pure functions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from libs.schemas.feedback import Category, Priority, SentimentLabel

# The spec's quality bars.
TARGETS = {"category_accuracy": 0.85, "priority_accuracy": 0.80, "sentiment_direction_accuracy": 0.90}
DIRECTIONAL = ("positive", "negative")


class LabelledRow(BaseModel):
    """One row of a team's labelled history: the text and any of the labels."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(min_length=1)
    category: Category | None = None
    sentiment_label: SentimentLabel | None = None
    priority: Priority | None = None


def read_rows(paths: Sequence[Path]) -> list[LabelledRow]:
    """Rows of JSON lines files; a bad line names its file and line."""
    rows = []
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(LabelledRow.model_validate_json(line))
                except ValueError as error:
                    raise ValueError(f"{path}:{number}: {error}") from error
    return rows


class ClassScore(BaseModel):
    precision: float | None
    recall: float | None
    support: int


class FieldReport(BaseModel):
    accuracy: float
    n: int
    per_class: dict[str, ClassScore]
    confusion: dict[str, dict[str, int]]


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)


def direction_accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float | None:
    """Among items a person marked positive or negative, the share predicted with the same label."""
    pairs = [(t, p) for t, p in zip(truth, predicted, strict=True) if t in DIRECTIONAL]
    return sum(t == p for t, p in pairs) / len(pairs) if pairs else None


def field_report(truth: Sequence[str], predicted: Sequence[str]) -> FieldReport:
    """Accuracy, precision and recall per class, and the confusion matrix (truth -> predicted -> count)."""
    labels = sorted(set(truth) | set(predicted))
    pairs = Counter(zip(truth, predicted, strict=True))
    per_class = {}
    for label in labels:
        hits = pairs[(label, label)]
        predicted_as = sum(count for (_, p), count in pairs.items() if p == label)
        support = sum(count for (t, _), count in pairs.items() if t == label)
        per_class[label] = ClassScore(
            precision=round(hits / predicted_as, 4) if predicted_as else None,
            recall=round(hits / support, 4) if support else None,
            support=support,
        )
    confusion = {
        t: {p: pairs[(t, p)] for p in labels if pairs[(t, p)]} for t in labels if any(pairs[(t, p)] for p in labels)
    }
    return FieldReport(
        accuracy=round(accuracy(truth, predicted), 4), n=len(truth), per_class=per_class, confusion=confusion
    )
