"""Confidence that means what it says, and the confidence above which a verdict needs no person's look.

Fitted at train time on held-out predictions (rows the heads were not fitted on): per field, a
temperature (one number, so the order of the answers is kept) and the lowest confidence at which
those rows reach a target precision. Pure functions and the stored models; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel, Field
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp

from services.triage.domain import AutoThresholds, is_sure

# Equal-width bins of confidence for the expected calibration error, as it is usually reported.
ECE_BINS = 15
# A threshold rests on at least this many held-out rows at or above it: fewer say little about a precision.
MIN_ROWS_ABOVE = 30
# The held-out rows above a threshold reach the target precision one standard error below what they show: the
# lowest confidence at which they just reach it picks the luckiest cut, and falls short on new rows (5-fold on
# ../shared/data, heads alone: 0.898 right where 0.90 was asked, 0.942 for 0.95; with the margin 0.905 and 0.951,
# on 3-4 points fewer rows; docs/triage.md).
MARGIN = 1.0
# A probability the heads give as 0 (a class one half of a blend lacks) is read as this much.
_FLOOR = 1e-9
_LOG_TEMPERATURE_BOUNDS = (np.log(0.05), np.log(20.0))


def fit_temperature(probabilities: np.ndarray, truth: np.ndarray) -> float:
    """The temperature T that makes the true classes most likely under p ** (1 / T), renormalised.

    `probabilities`: one row per held-out text, one column per class; `truth`: each row's true column.
    """
    logs = np.log(np.clip(probabilities, _FLOOR, 1.0))
    rows = np.arange(len(truth))

    def negative_log_likelihood(log_temperature: float) -> float:
        scaled = logs / np.exp(log_temperature)
        return float(-np.mean(scaled[rows, truth] - logsumexp(scaled, axis=1)))

    fitted = minimize_scalar(negative_log_likelihood, bounds=_LOG_TEMPERATURE_BOUNDS, method="bounded")
    return float(np.exp(fitted.x))


def tempered(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Each row's probabilities at a temperature (1: unchanged; above 1: less sure), summing to 1."""
    scaled = np.log(np.clip(probabilities, _FLOOR, 1.0)) / temperature
    return np.exp(scaled - logsumexp(scaled, axis=-1, keepdims=True))


def columns(scored: Sequence[tuple[float, bool]]) -> tuple[np.ndarray, np.ndarray]:
    """(confidence, right) pairs as two arrays."""
    return np.array([confidence for confidence, _ in scored], dtype=float), np.array(
        [right for _, right in scored], dtype=bool
    )


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS) -> float:
    """The rows' average gap between how sure and how right, bin by bin of confidence (equal widths)."""
    if not len(confidence):
        return 0.0
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    gap = 0.0
    for bin_ in np.unique(index):
        members = index == bin_
        gap += abs(float(np.mean(correct[members])) - float(np.mean(confidence[members]))) * int(members.sum())
    return gap / len(confidence)


def auto_threshold(
    confidence: np.ndarray, correct: np.ndarray, target: float, min_rows: int = MIN_ROWS_ABOVE, margin: float = MARGIN
) -> float | None:
    """The lowest confidence at which the rows at or above it are right at least `target` of the time, by the
    lower bound of their precision `margin` standard errors down (Wilson), with at least `min_rows` of them;
    None when no confidence reaches it."""
    order = np.argsort(-confidence, kind="stable")
    ranked, hits = confidence[order], np.cumsum(correct[order])
    counts = np.arange(1, len(ranked) + 1)
    # A cut falls between distinct confidences: rows tied at the threshold are all above it.
    last_of_tie = np.append(ranked[1:] != ranked[:-1], True)
    reaches = last_of_tie & (precision_lower_bound(hits, counts, margin) >= target - 1e-9) & (counts >= min_rows)
    if not reaches.any():
        return None
    return float(ranked[np.flatnonzero(reaches)[-1]])


def precision_lower_bound(hits: np.ndarray, counts: np.ndarray, margin: float) -> np.ndarray:
    """Wilson's score interval's lower end, `margin` standard errors below the observed share hits / counts."""
    share = hits / counts
    spread = margin * np.sqrt(share * (1 - share) / counts + margin**2 / (4 * counts**2))
    return (share + margin**2 / (2 * counts) - spread) / (1 + margin**2 / counts)


class AutoApplied(BaseModel):
    """What a threshold applies on scored rows: the share of them that reach it, and how often those are right
    (None: no rows, or none reach it)."""

    threshold: float | None
    coverage: float | None
    accuracy: float | None


def auto_applied(confidence: np.ndarray, correct: np.ndarray, threshold: float | None) -> AutoApplied:
    sure = np.array([is_sure(float(value), threshold) for value in confidence], dtype=bool)
    return AutoApplied(
        threshold=threshold,
        coverage=round(float(sure.mean()), 4) if len(sure) else None,
        accuracy=round(float(np.mean(correct[sure])), 4) if sure.any() else None,
    )


class FieldCalibration(BaseModel):
    """One field's calibration; the defaults leave the heads' probabilities as they are and apply nothing."""

    temperature: float = Field(default=1.0, gt=0)
    # The lowest calibrated confidence applied without a person's look; None: every verdict is looked at.
    threshold: float | None = None
    target_precision: float | None = None
    # What the held-out rows showed, after calibration: how many, the calibration error, and at the threshold.
    held_out_rows: int = 0
    ece: float | None = None
    held_out: AutoApplied | None = None

    def scaled(self, probabilities: Mapping[str, float]) -> dict[str, float]:
        """One text's probabilities, calibrated."""
        if self.temperature == 1.0:
            return dict(probabilities)
        labels = list(probabilities)
        values = tempered(np.array([probabilities[label] for label in labels]), self.temperature)
        return dict(zip(labels, map(float, values), strict=True))


class Calibration(BaseModel):
    """Stored with a model version: the category head's calibration, and the sentiment head's (its threshold
    chosen for direction: rows labelled positive or negative). A version saved before it existed reads as
    uncalibrated, with no thresholds: every verdict it gives needs a person's look."""

    category: FieldCalibration = Field(default_factory=FieldCalibration)
    sentiment: FieldCalibration = Field(default_factory=FieldCalibration)
    # How the held-out predictions were made: k-fold cross-validation (k), or a share held out of fitting (0).
    folds: int = 0

    def thresholds(self) -> AutoThresholds:
        return AutoThresholds(category=self.category.threshold, sentiment=self.sentiment.threshold)
