"""The local engine's heads: fit on labelled rows, saved as a versioned bundle, loaded by the service.

Features are TF-IDF word and character n-grams, a sentiment lexicon's scores (VADER) and the
sentence embedding of the text; each head (category, sentiment, priority) is a class-balanced
logistic regression over them, fitted only when the rows carry that label.

With fine-tuning (`fit_fine_tuned`), the encoder itself is trained with a linear head per task
(services/triage/finetune.py) and saved in the version's folder; the engine then embeds with it,
and each head's answer is the average of the tuned head's probabilities and the n-gram head's,
weighted as a held-out part of the rows said was best.

Either way the version is calibrated (services/triage/calibration.py) on predictions for rows the
heads were not fitted on: k-fold cross-validation for the heads alone, the held-out part beside
fine-tuning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import joblib
import numpy as np
from pydantic import BaseModel, Field
from scipy.sparse import csr_matrix, hstack, spmatrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from services.triage import calibration, domain
from services.triage.calibration import Calibration, FieldCalibration
from services.triage.evaluation import DIRECTIONAL, LabelledRow
from services.triage.finetune import FineTuneOptions, FineTuneReport, LinearHead, fine_tune
from services.triage.settings import AutoPrecision

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

HEADS = ("category", "sentiment_label", "priority")
# How much the sentence embedding counts beside the n-grams. Chosen by 5-fold cross-validation on
# ../shared/data: 0.5 gave category 0.741 and sentiment direction 0.789, against 0.721 / 0.782
# for the n-grams alone and 0.713 / 0.768 at weight 2.
EMBEDDING_WEIGHT = 0.5
# How much a sentiment lexicon's reading counts beside them. 5-fold cross-validated on ../shared/data
# (docs/triage.md): weight 1 lifts sentiment direction from 0.780 to 0.814, sentiment from 0.762 to
# 0.780; the shipped engine's direction from 0.494 to 0.678.
LEXICON_WEIGHT = 1.0


@cache
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def lexicon_sentiment(texts: list[str]) -> np.ndarray:
    """Per text, VADER's compound, positive and negative scores: rules and a lexicon of some 7,500
    words and emoticons rated by people, written for short informal text and shipped in its wheel.
    It knows words that a few thousand labelled rows never show the heads."""
    scores = [_vader().polarity_scores(text) for text in texts]
    return np.array([[score["compound"], score["pos"], score["neg"]] for score in scores]).reshape(len(texts), 3)


class Featurizer:
    """Texts to one sparse matrix: word n-grams, character n-grams, a sentiment lexicon's scores, and
    the sentence embedding (unless its weight is 0: beside a fine-tuned encoder's own heads)."""

    # Class attributes as well, so that versions pickled before them still load (and read as they did).
    embedding_weight: float = EMBEDDING_WEIGHT
    lexicon_weight: float = 0.0

    def __init__(self, embedding_weight: float = EMBEDDING_WEIGHT, lexicon_weight: float = LEXICON_WEIGHT) -> None:
        self.embedding_weight = embedding_weight
        self.lexicon_weight = lexicon_weight
        self.words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=50_000)
        self.chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=80_000
        )

    def fit(self, texts: list[str]) -> Featurizer:
        self.words.fit(texts)
        self.chars.fit(texts)
        return self

    def transform(self, texts: list[str], embeddings: np.ndarray) -> spmatrix:
        parts = [self.words.transform(texts), self.chars.transform(texts)]
        if self.lexicon_weight:
            parts.append(csr_matrix(lexicon_sentiment(texts) * self.lexicon_weight))
        if self.embedding_weight:
            parts.append(csr_matrix(embeddings * self.embedding_weight))
        return hstack(parts).tocsr()


@dataclass
class TunedHeads:
    """The fine-tuned encoder's heads, and how much each counts beside the n-gram head of its task."""

    heads: dict[str, LinearHead]
    weights: dict[str, float]


Probabilities = dict[str, list[dict[str, float]]]


class Heads:
    """The fitted heads, with the featurizer they share, and the fine-tuned encoder's heads if any."""

    # A class attribute as well, so that versions pickled before it existed still load.
    tuned: TunedHeads | None = None

    def __init__(
        self, featurizer: Featurizer, classifiers: dict[str, LogisticRegression], tuned: TunedHeads | None = None
    ) -> None:
        self.featurizer = featurizer
        self.classifiers = classifiers
        self.tuned = tuned

    def predict(self, texts: list[str], embeddings: np.ndarray) -> Probabilities:
        """Per head, one probability per class for every text (`embeddings` from the fine-tuned
        encoder when there is one)."""
        features = self.featurizer.transform(texts, embeddings)
        ngrams = {
            head: [
                dict(zip(classifier.classes_, map(float, row), strict=True))
                for row in classifier.predict_proba(features)
            ]
            for head, classifier in self.classifiers.items()
        }
        if self.tuned is None:
            return ngrams
        return blend(ngrams, tuned_probabilities(self.tuned.heads, embeddings), self.tuned.weights)


def tuned_probabilities(heads: dict[str, LinearHead], embeddings: np.ndarray) -> Probabilities:
    return {
        head: [dict(zip(linear.classes, map(float, row), strict=True)) for row in linear.predict_proba(embeddings)]
        for head, linear in heads.items()
    }


def blend(ngrams: Probabilities, tuned: Probabilities, weights: dict[str, float]) -> Probabilities:
    """Per head, weight x tuned + (1 - weight) x n-grams (a class one side lacks counts 0 there)."""
    blended = dict(ngrams)
    for head, rows in tuned.items():
        weight = weights.get(head, 1.0) if head in ngrams else 1.0
        others = ngrams.get(head, [{}] * len(rows))
        blended[head] = [
            {
                label: weight * mine.get(label, 0.0) + (1 - weight) * other.get(label, 0.0)
                for label in sorted(mine.keys() | other.keys())
            }
            for mine, other in zip(rows, others, strict=True)
        ]
    return blended


def fit_heads(rows: Sequence[LabelledRow], embeddings: np.ndarray, embedding_weight: float = EMBEDDING_WEIGHT) -> Heads:
    """Fit every head that the rows have labels for (at least two classes each)."""
    texts = [row.text for row in rows]
    featurizer = Featurizer(embedding_weight).fit(texts)
    features = featurizer.transform(texts, embeddings)
    classifiers = {}
    for head in HEADS:
        labelled = [index for index, row in enumerate(rows) if getattr(row, head) is not None]
        labels = [getattr(rows[index], head).value for index in labelled]
        if len(set(labels)) < 2:
            continue
        classifier = LogisticRegression(C=10.0, max_iter=3000, class_weight="balanced")
        classifiers[head] = classifier.fit(features[labelled], labels)
    return Heads(featurizer, classifiers)


# Below this many rows nothing is held out to weigh the two kinds of head: they count half each.
MIN_ROWS_TO_WEIGH = 200
HELD_OUT_SHARE = 0.1
WEIGHT_GRID = [step / 10 for step in range(11)]


class FineTuneSummary(BaseModel):
    report: FineTuneReport
    weights: dict[str, float]
    held_out_rows: int


def fit_fine_tuned(
    rows: Sequence[LabelledRow], options: FineTuneOptions, targets: AutoPrecision
) -> tuple[Heads, SentenceTransformer, FineTuneSummary, Calibration]:
    """Fine-tune the encoder with its task heads, and fit the n-gram heads beside them.

    A tenth of the rows (stratified, fixed seed) is held out of fine-tuning to choose, per task,
    the weight of the tuned head against the n-gram head, and to calibrate the blend (fine-tuning
    once per fold would take hours); the n-gram heads are then refitted on every row.
    """
    rows = list(rows)
    held_out: list[LabelledRow] = []
    tuning = rows
    if len(rows) >= MIN_ROWS_TO_WEIGH:
        strata = [_stratum(row) for row in rows]
        tuning, held_out = train_test_split(rows, test_size=HELD_OUT_SHARE, random_state=0, stratify=strata)
    encoder, linear, report = fine_tune(tuning, HEADS, options)
    weights = {head: 0.5 for head in linear}
    calibrated = Calibration()
    if held_out:
        texts = [row.text for row in held_out]
        embeddings = encoder.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        ngrams = _ngram_heads(tuning).predict(texts, embeddings)
        tuned = tuned_probabilities(linear, embeddings)
        weights = {head: best_weight(held_out, head, ngrams, tuned) for head in linear if head in ngrams}
        calibrated = calibrate(held_out, blend(ngrams, tuned, weights), targets, folds=0)
    heads = _ngram_heads(rows)
    heads.tuned = TunedHeads(linear, weights)
    return heads, encoder, FineTuneSummary(report=report, weights=weights, held_out_rows=len(held_out)), calibrated


def best_weight(rows: Sequence[LabelledRow], head: str, ngrams: Probabilities, tuned: Probabilities) -> float:
    """The tuned head's weight (0 to 1, by tenths) that reads the most held-out labels right; ties: nearest 0.5."""
    labelled = [(index, getattr(row, head).value) for index, row in enumerate(rows) if getattr(row, head) is not None]
    if not labelled:
        return 0.5

    def accuracy(weight: float) -> float:
        mixed = blend({head: ngrams[head]}, {head: tuned[head]}, {head: weight})[head]
        return sum(max(mixed[index], key=mixed[index].__getitem__) == label for index, label in labelled)

    return max(WEIGHT_GRID, key=lambda weight: (accuracy(weight), -abs(weight - 0.5)))


def _ngram_heads(rows: Sequence[LabelledRow]) -> Heads:
    """The n-gram heads alone: beside a fine-tuned encoder, its own heads read the embedding."""
    return fit_heads(rows, np.zeros((len(rows), 0)), embedding_weight=0)


def _stratum(row: LabelledRow) -> str:
    label = row.category or row.sentiment_label or row.priority
    return label.value if label is not None else ""


# --- calibration ----------------------------------------------------------------------------------

CALIBRATION_FOLDS = 5
# Fewer rows than this give no field enough held-out rows above a threshold (calibration.MIN_ROWS_ABOVE):
# such a version is left uncalibrated, and every verdict it gives is looked at.
MIN_ROWS_TO_CALIBRATE = 100


def fit_calibrated(
    rows: Sequence[LabelledRow], embeddings: np.ndarray, targets: AutoPrecision, folds: int = CALIBRATION_FOLDS
) -> tuple[Heads, Calibration]:
    """The heads fitted on every row, and calibrated on each row's prediction by heads fitted without it
    (k-fold: k fits more, each about as long as the first)."""
    heads = fit_heads(rows, embeddings)
    if len(rows) < MIN_ROWS_TO_CALIBRATE:
        return heads, Calibration()
    return heads, calibrate(rows, cross_validated(rows, embeddings, folds), targets, folds)


def cross_validated(rows: Sequence[LabelledRow], embeddings: np.ndarray, folds: int) -> Probabilities:
    """Per head, each row's probabilities from heads fitted on the other folds (stratified by label, seed 0);
    an empty answer where a fold's rows were too few to fit the head."""
    strata = [_stratum(row) for row in rows]
    smallest = min(strata.count(stratum) for stratum in set(strata))
    splitter = (
        StratifiedKFold(folds, shuffle=True, random_state=0)
        if smallest >= folds
        else KFold(folds, shuffle=True, random_state=0)
    )
    predicted: Probabilities = {}
    for train, test in splitter.split(np.zeros(len(rows)), strata):
        heads = fit_heads([rows[index] for index in train], embeddings[train])
        for head, answers in heads.predict([rows[index].text for index in test], embeddings[test]).items():
            column = predicted.setdefault(head, [{} for _ in rows])
            for index, answer in zip(test, answers, strict=True):
                column[index] = answer
    return predicted


def calibrate(rows: Sequence[LabelledRow], held_out: Probabilities, targets: AutoPrecision, folds: int) -> Calibration:
    """Per field, the temperature and the auto-apply threshold, from predictions (per head, per row) for labelled
    rows that the heads predicting them were not fitted on. Thresholds are chosen on the readings as served:
    calibrated, then the domain's rules. Sentiment's calibration error is over every row labelled with one,
    its threshold for direction (rows labelled positive or negative)."""
    category = FieldCalibration(temperature=_temperature(rows, held_out.get("category"), "category"))
    sentiment = FieldCalibration(temperature=_temperature(rows, held_out.get("sentiment_label"), "sentiment_label"))
    readings = [
        domain.apply_rules(row.text, domain.reading_from(category.scaled(categories), sentiment.scaled(sentiments)))
        if categories and sentiments
        else None
        for row, categories, sentiments in zip(
            rows,
            held_out.get("category", [{}] * len(rows)),
            held_out.get("sentiment_label", [{}] * len(rows)),
            strict=True,
        )
    ]
    category_scored = [
        (reading.category_confidence, reading.category == row.category)
        for row, reading in zip(rows, readings, strict=True)
        if reading is not None and row.category is not None
    ]
    sentiment_scored = [
        (reading.sentiment_confidence, reading.sentiment == row.sentiment_label, row.sentiment_label in DIRECTIONAL)
        for row, reading in zip(rows, readings, strict=True)
        if reading is not None and row.sentiment_label is not None
    ]
    return Calibration(
        category=_chosen(category, category_scored, category_scored, targets.category),
        sentiment=_chosen(
            sentiment,
            [(confidence, right) for confidence, right, _ in sentiment_scored],
            [(confidence, right) for confidence, right, directional in sentiment_scored if directional],
            targets.sentiment_direction,
        ),
        folds=folds,
    )


def _temperature(rows: Sequence[LabelledRow], answers: list[dict[str, float]] | None, field: str) -> float:
    pairs = [
        (answer, getattr(row, field).value)
        for row, answer in zip(rows, answers or [{}] * len(rows), strict=True)
        if answer and getattr(row, field) is not None
    ]
    if not pairs:
        return 1.0
    classes = sorted({label for answer, _ in pairs for label in answer} | {truth for _, truth in pairs})
    probabilities = np.array([[answer.get(label, 0.0) for label in classes] for answer, _ in pairs])
    return calibration.fit_temperature(probabilities, np.array([classes.index(truth) for _, truth in pairs]))


def _chosen(
    field: FieldCalibration,
    scored: list[tuple[float, bool]],
    thresholded: list[tuple[float, bool]],
    target: float,
) -> FieldCalibration:
    """The field's threshold chosen on `thresholded` (confidence, right) pairs, its error measured on `scored`."""
    if not thresholded:
        return field
    confidence, right = calibration.columns(thresholded)
    threshold = calibration.auto_threshold(confidence, right, target)
    scored_confidence, scored_right = calibration.columns(scored)
    return field.model_copy(
        update={
            "threshold": threshold,
            "target_precision": target,
            "held_out_rows": len(thresholded),
            "ece": round(calibration.expected_calibration_error(scored_confidence, scored_right), 4),
            "held_out": calibration.auto_applied(confidence, right, threshold),
        }
    )


class ModelInfo(BaseModel):
    version: str
    trained_at: datetime
    rows: int
    heads: list[str]
    sources: list[str]
    fine_tuned: FineTuneSummary | None = None
    # Versions saved before calibration existed read as uncalibrated, with no thresholds.
    calibration: Calibration = Field(default_factory=Calibration)


ENCODER = "encoder"


def save(heads: Heads, directory: Path, info: ModelInfo, encoder: SentenceTransformer | None = None) -> Path:
    """Write a new model version (with the fine-tuned encoder, if any) and point `current` at it;
    the service picks it up."""
    target = directory / info.version
    target.mkdir(parents=True, exist_ok=False)
    joblib.dump(heads, target / "heads.joblib")
    if encoder is not None:
        encoder.save(str(target / ENCODER))
    (target / "info.json").write_text(info.model_dump_json(indent=2))
    pointer = directory / "current"
    temporary = directory / "current.tmp"
    temporary.write_text(info.version)
    temporary.replace(pointer)  # atomic: a reader sees the old version or the new, never half
    return target


def current_version(directory: Path) -> str | None:
    pointer = directory / "current"
    return pointer.read_text().strip() if pointer.exists() else None


@dataclass
class SavedModel:
    heads: Heads
    info: ModelInfo
    # The fine-tuned encoder's folder, or None: the bundled MiniLM embeds for these heads.
    encoder: Path | None


def load_current(directory: Path) -> SavedModel | None:
    version = current_version(directory)
    if version is None:
        return None
    target = directory / version
    info = ModelInfo.model_validate_json((target / "info.json").read_text())
    encoder = target / ENCODER
    return SavedModel(joblib.load(target / "heads.joblib"), info, encoder if encoder.is_dir() else None)


def new_version(prefix: str, now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return f"{prefix}-{moment:%Y%m%d-%H%M%S}"
