"""Fine-tuning the encoder with its task heads: a model version that loads, reads, and has learned."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from libs.ml.embeddings import MiniLMEmbedder
from libs.schemas.feedback import Category, SentimentLabel
from services.triage import training
from services.triage.calibration import Calibration
from services.triage.engines import LocalEngine
from services.triage.evaluation import LabelledRow
from services.triage.finetune import FineTuneOptions, LinearHead, balanced_weights
from services.triage.settings import AutoPrecision

pytestmark = pytest.mark.model

# A toy set the project wrote: three categories, each with its own words, so a model that learns
# anything reads them apart.
TOPICS = {
    "bug": ("crashes", "throws an error", "fails with a 500", "freezes"),
    "praise": ("is wonderful, thank you", "is brilliant, great work", "is a delight, love it", "is superb"),
    "feature_request": ("please add a setting for it", "could you support it", "we need an option for it", "add it"),
}
SENTIMENT = {"bug": "negative", "praise": "positive", "feature_request": "neutral"}
THINGS = ("the export", "the dashboard", "the login page")


def toy_rows(things: tuple[str, ...]) -> list[LabelledRow]:
    return [
        LabelledRow(text=f"{thing} {phrase}", category=category, sentiment_label=SENTIMENT[category])
        for category, phrases in TOPICS.items()
        for phrase in phrases
        for thing in things
    ]


def test_balanced_weights_count_a_rare_class_more() -> None:
    weights = balanced_weights(["bug", "bug", "bug", "praise"], ["bug", "praise"])
    assert weights.tolist() == pytest.approx([4 / 6, 2.0])


def test_a_linear_head_gives_a_distribution_per_row() -> None:
    head = LinearHead(classes=["a", "b"], weight=np.array([[1.0, 0.0], [0.0, 1.0]]), bias=np.zeros(2))
    probabilities = head.predict_proba(np.array([[5.0, 0.0], [0.0, 5.0]]))
    assert probabilities.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert probabilities.argmax(axis=1).tolist() == [0, 1]


def test_the_blend_weighs_the_tuned_head_against_the_ngram_head() -> None:
    ngrams = {"category": [{"bug": 0.8, "praise": 0.2}]}
    tuned = {"category": [{"bug": 0.1, "praise": 0.9}]}
    assert training.blend(ngrams, tuned, {"category": 0.7})["category"][0] == pytest.approx(
        {"bug": 0.31, "praise": 0.69}
    )
    # Praise wins from a weight of 0.43 up, bug below it: of the weights that read the row right, the nearest 0.5.
    assert training.best_weight([LabelledRow(text="x", category="praise")], "category", ngrams, tuned) == 0.5
    assert training.best_weight([LabelledRow(text="x", category="bug")], "category", ngrams, tuned) == 0.4


# Fine-tuning, even this small, takes minutes when the shared machine is busy.
@pytest.mark.timeout(900)
def test_a_fine_tuned_version_loads_and_reads_unseen_texts(tmp_path: Path) -> None:
    rows = toy_rows(THINGS)
    options = FineTuneOptions(epochs=2, batch_size=6, max_tokens=16, head_learning_rate=1e-2)
    heads, encoder, summary, calibrated = training.fit_fine_tuned(rows, options, AutoPrecision())
    assert summary.report.steps == 2 * 6 and summary.held_out_rows == 0, "too few rows to hold any out"
    assert calibrated == Calibration(), "nothing held out: uncalibrated, every verdict reviewed"
    assert heads.tuned is not None and sorted(heads.tuned.heads) == ["category", "sentiment_label"]

    info = training.ModelInfo(
        version="local-tuned", trained_at="2026-11-27T00:00:00Z", rows=len(rows), heads=[], sources=[]
    )
    version = training.save(heads, tmp_path, info, encoder)
    assert (version / training.ENCODER).is_dir()
    engine = LocalEngine.load(MiniLMEmbedder.load(), tmp_path)
    assert engine.version == "local-tuned"
    text = ["the export crashes"]
    assert engine.embedder.embed(text) != MiniLMEmbedder.load().embed(text), "it embeds with the fine-tuned encoder"

    unseen = toy_rows(("the billing page", "the search bar"))
    assessments = engine.assess_now([row.text for row in unseen])
    assert all(isinstance(a.reading.category, Category) for a in assessments)
    assert all(isinstance(a.reading.sentiment, SentimentLabel) for a in assessments)
    right = sum(a.reading.category == row.category for a, row in zip(assessments, unseen, strict=True))
    assert right / len(unseen) > 0.6, f"{right}/{len(unseen)}: chance is a third"

    # The tuned heads alone, without the n-grams, have learned the rows they were tuned on.
    embeddings = np.asarray(engine.embedder.embed([row.text for row in rows]))
    alone = training.tuned_probabilities(heads.tuned.heads, embeddings)["category"]
    right = sum(max(p, key=p.__getitem__) == row.category for p, row in zip(alone, rows, strict=True))
    assert right / len(rows) > 0.6, f"{right}/{len(rows)}: chance is a third"
