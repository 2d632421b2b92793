"""The local engine's heads: fit on labelled rows, saved as a versioned bundle, loaded by the service.

Features are TF-IDF word and character n-grams beside the sentence embedding of the text; each
head (category, sentiment, priority) is a class-balanced logistic regression over them, fitted
only when the rows carry that label.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
from pydantic import BaseModel
from scipy.sparse import csr_matrix, hstack, spmatrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from services.triage.evaluation import LabelledRow

HEADS = ("category", "sentiment_label", "priority")
# How much the sentence embedding counts beside the n-grams. Chosen by 5-fold cross-validation on
# ../shared/data: 0.5 gave category 0.741 and sentiment direction 0.789, against 0.721 / 0.782
# for the n-grams alone and 0.713 / 0.768 at weight 2.
EMBEDDING_WEIGHT = 0.5


class Featurizer:
    """Texts to one sparse matrix: word n-grams, character n-grams, and the sentence embedding."""

    def __init__(self) -> None:
        self.words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=50_000)
        self.chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=80_000
        )

    def fit(self, texts: list[str]) -> Featurizer:
        self.words.fit(texts)
        self.chars.fit(texts)
        return self

    def transform(self, texts: list[str], embeddings: np.ndarray) -> spmatrix:
        return hstack(
            [self.words.transform(texts), self.chars.transform(texts), csr_matrix(embeddings * EMBEDDING_WEIGHT)]
        ).tocsr()


class Heads:
    """The fitted heads, with the featurizer they share."""

    def __init__(self, featurizer: Featurizer, classifiers: dict[str, LogisticRegression]) -> None:
        self.featurizer = featurizer
        self.classifiers = classifiers

    def predict(self, texts: list[str], embeddings: np.ndarray) -> dict[str, list[dict[str, float]]]:
        """Per head, one probability per class for every text."""
        features = self.featurizer.transform(texts, embeddings)
        return {
            head: [
                dict(zip(classifier.classes_, map(float, row), strict=True))
                for row in classifier.predict_proba(features)
            ]
            for head, classifier in self.classifiers.items()
        }


def fit_heads(rows: Sequence[LabelledRow], embeddings: np.ndarray) -> Heads:
    """Fit every head that the rows have labels for (at least two classes each)."""
    texts = [row.text for row in rows]
    featurizer = Featurizer().fit(texts)
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


class ModelInfo(BaseModel):
    version: str
    trained_at: datetime
    rows: int
    heads: list[str]
    sources: list[str]


def save(heads: Heads, directory: Path, info: ModelInfo) -> Path:
    """Write a new model version and point `current` at it; the service picks it up."""
    target = directory / info.version
    target.mkdir(parents=True, exist_ok=False)
    joblib.dump(heads, target / "heads.joblib")
    (target / "info.json").write_text(info.model_dump_json(indent=2))
    pointer = directory / "current"
    temporary = directory / "current.tmp"
    temporary.write_text(info.version)
    temporary.replace(pointer)  # atomic: a reader sees the old version or the new, never half
    return target


def current_version(directory: Path) -> str | None:
    pointer = directory / "current"
    return pointer.read_text().strip() if pointer.exists() else None


def load_current(directory: Path) -> tuple[Heads, ModelInfo] | None:
    version = current_version(directory)
    if version is None:
        return None
    target = directory / version
    info = ModelInfo.model_validate_json((target / "info.json").read_text())
    return joblib.load(target / "heads.joblib"), info


def new_version(prefix: str, now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return f"{prefix}-{moment:%Y%m%d-%H%M%S}"
