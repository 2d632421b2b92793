"""Triage rules: priority as the spec defines it, and a first local reading of the text.

Priority = Tier x 3 + Severity x 2 + Revenue x 1, boosted for customers at risk. Tier, ARR and
health come from enrichment; severity is read from the language. Everything here is pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from libs.schemas.feedback import (
    AITriage,
    Answer,
    Category,
    Customer,
    FeedbackItem,
    FieldConfidence,
    FieldReview,
    Priority,
    Review,
    ReviewedField,
    ReviewState,
    SentimentLabel,
    Tier,
    sentiment_label,
)

TIER_POINTS = {Tier.FREE: 1, Tier.PRO: 2, Tier.ENTERPRISE: 3}


@dataclass(frozen=True)
class PriorityBands:
    critical_from: float
    high_from: float
    medium_from: float
    at_risk_boost: float


def revenue_points(arr: float | None) -> int:
    """0 for no revenue, then 1 / 2 / 3 at $10k and $100k of ARR."""
    if not arr:
        return 0
    if arr < 10_000:
        return 1
    return 2 if arr < 100_000 else 3


def priority_of(customer: Customer, severity: int, bands: PriorityBands) -> tuple[Priority, float, str]:
    """The priority band, its score, and a reasoning that names each factor."""
    tier = TIER_POINTS.get(customer.tier, 1) if customer.tier else 1
    revenue = revenue_points(customer.arr)
    boost = bands.at_risk_boost if customer.at_risk else 0.0
    score = tier * 3 + severity * 2 + revenue + boost
    if score >= bands.critical_from:
        priority = Priority.CRITICAL
    elif score >= bands.high_from:
        priority = Priority.HIGH
    elif score >= bands.medium_from:
        priority = Priority.MEDIUM
    else:
        priority = Priority.LOW
    tier_name = customer.tier.value if customer.tier else "unknown"
    arr = f"${customer.arr:,.0f} ARR" if customer.arr else "no known ARR"
    reasoning = (
        f"{priority.value}: score {score:g} = tier {tier_name} ({tier}x3) + severity {SEVERITY_NAMES[severity]} "
        f"({severity}x2) + revenue {arr} ({revenue}x1)"
    )
    if boost:
        reasoning += f" + {boost:g} because the customer is at risk (health {customer.health_score:g})"
    return priority, score, reasoning


# --- reading the text: severity cues, rules, product areas ---------------------------------------

SEVERITY_NAMES = {1: "minor", 2: "moderate", 3: "major", 4: "blocking"}

_SEVERITY_CUES: dict[int, tuple[str, ...]] = {
    4: (
        r"production (is )?down",
        r"\boutage\b",
        r"all (of our )?requests",
        r"data loss",
        r"security",
        r"can(no|')t (log ?in|access)",
        r"\bblock(ed|ing|er)\b",
        r"\bdown for\b",
        r"urgent",
        r"\bp0\b",
        r"breach",
    ),
    3: (
        r"\berrors?\b",
        r"\b50[0-9]\b",
        r"\bcrash",
        r"\bbroken\b",
        r"\bfails?\b",
        r"\bfailing\b",
        r"not working",
        r"doesn'?t work",
        r"\btimeouts?\b",
        r"\bbug\b",
        r"wrong",
        r"\bcharged\b",
        r"\blost\b",
    ),
    2: (r"\bslow\b", r"annoying", r"confusing", r"\bmissing\b", r"\bneed\b", r"would (be|like)", r"please add"),
    1: (r"\btypo\b", r"\bminor\b", r"cosmetic", r"nice to have", r"\bsmall\b", r"\bsuggestion\b"),
}

# "Great, another outage": praise words next to a repeat of trouble are sarcasm, not praise.
_SARCASM = re.compile(
    r"\b(great|awesome|fantastic|love (it|that)|perfect|thanks|wonderful|brilliant)\b[,!. ]+"
    r"(another|again|yet another|once again)\b",
    re.IGNORECASE,
)
_DEFECT = re.compile(
    r"\b(crash(es|ed|ing)?|exception|stack ?trace|traceback|error|[45]\d\d|broken|fails?|failing|not working)\b",
    re.IGNORECASE,
)
_ASKS = re.compile(r"\?\s*$|^(how|why|what|where|when|is there|can i|can we|does|do you|is it)\b", re.IGNORECASE)

PRODUCT_AREAS: dict[str, tuple[str, ...]] = {
    "API": (r"\bapi\b", r"endpoint", r"\brate limit", r"\bsdk\b", r"\brequests?\b", r"\bwebhook"),
    "Dashboard": (r"dashboard", r"\bconsole\b", r"\bui\b", r"\bchart", r"\bdark mode\b", r"\bpage\b"),
    "Fine-tuning": (r"fine.?tun", r"\btraining (job|run)", r"\bcheckpoint", r"\blora\b"),
    "Embeddings": (r"embedding", r"\bvector", r"\bsimilarity\b"),
    "Billing": (r"\bbill", r"\binvoice", r"\bcharged?\b", r"\bpricing\b", r"\bpayment", r"\bcredit card\b", r"\bquota"),
    "Docs": (r"\bdocs?\b", r"documentation", r"\btutorial", r"\bguide\b", r"\bexample"),
    "Inference": (
        r"\blatency\b",
        r"\bstreaming\b",
        r"\btokens?\b",
        r"\bcompletions?\b",
        r"\bmodel\b",
        r"\bfunction call",
    ),
    "Auth": (r"\bsso\b", r"\bsaml\b", r"\bokta\b", r"\blog ?in\b", r"\bapi keys?\b", r"\b2fa\b", r"\bpermissions?\b"),
}


def _hits(patterns: tuple[str, ...], text: str) -> int:
    return sum(1 for pattern in patterns if re.search(pattern, text, re.IGNORECASE | re.MULTILINE))


def read_severity(text: str) -> int:
    """1 (minor) to 4 (blocking): the strongest cue in the text wins; none means moderate."""
    for level in (4, 3, 1):
        if _hits(_SEVERITY_CUES[level], text):
            return level
    return 2


@dataclass(frozen=True)
class Reading:
    """What the heads (or the API) read in one text, before the rules and the priority formula."""

    category: Category
    category_confidence: float
    sentiment: SentimentLabel
    sentiment_confidence: float
    positive: float
    negative: float
    # The best answers weighed per field, most likely first (at most two): what a reviewer chooses between.
    category_answers: tuple[Answer, ...] = ()
    sentiment_answers: tuple[Answer, ...] = ()


def reading_from(category: Mapping[str, float], sentiment: Mapping[str, float]) -> Reading:
    """The heads' answer for one text: per field, the most likely class and its probability."""
    categories, sentiments = _best_two(category), _best_two(sentiment)
    return Reading(
        category=Category(categories[0].label),
        category_confidence=categories[0].probability,
        sentiment=SentimentLabel(sentiments[0].label),
        sentiment_confidence=sentiments[0].probability,
        positive=sentiment.get(SentimentLabel.POSITIVE, 0.0),
        negative=sentiment.get(SentimentLabel.NEGATIVE, 0.0),
        category_answers=categories,
        sentiment_answers=sentiments,
    )


def _best_two(probabilities: Mapping[str, float]) -> tuple[Answer, ...]:
    ranked = sorted(probabilities.items(), key=lambda pair: pair[1], reverse=True)[:2]
    return tuple(Answer(label=label, probability=min(1.0, max(0.0, probability))) for label, probability in ranked)


@dataclass(frozen=True)
class AutoThresholds:
    """Per field, the lowest confidence at which a verdict is applied without a person's look (chosen when the
    model was trained); None: the field is always looked at."""

    category: float | None = None
    sentiment: float | None = None


# An engine whose confidence was never measured on held-out rows (Mistral, the seed examples' heads): all reviewed.
NO_THRESHOLDS = AutoThresholds()


def is_sure(confidence: float, threshold: float | None) -> bool:
    """Whether a field's confidence clears its threshold (no threshold: never)."""
    return threshold is not None and confidence >= threshold


def review_of(reading: Reading, thresholds: AutoThresholds) -> Review:
    """`auto` when every field clears its threshold, else `needs_review` naming the fields that do not."""
    unsure = [
        FieldReview(field=field, answers=list(answers), threshold=threshold)
        for field, confidence, answers, threshold in (
            (ReviewedField.CATEGORY, reading.category_confidence, reading.category_answers, thresholds.category),
            (ReviewedField.SENTIMENT, reading.sentiment_confidence, reading.sentiment_answers, thresholds.sentiment),
        )
        if not is_sure(confidence, threshold)
    ]
    return Review(state=ReviewState.NEEDS_REVIEW if unsure else ReviewState.AUTO, fields=unsure)


def apply_rules(text: str, reading: Reading) -> Reading:
    """The few rules that beat the model: sarcasm is negative, a defect asked as a question is a bug."""
    if _SARCASM.search(text):
        category = Category.COMPLAINT if reading.category == Category.PRAISE else reading.category
        return replace(reading, category=category, sentiment=SentimentLabel.NEGATIVE, positive=0.0, negative=1.0)
    if reading.category == Category.QUESTION and _DEFECT.search(text) and _ASKS.search(text.splitlines()[0]):
        return replace(reading, category=Category.BUG, category_confidence=reading.category_confidence / 2)
    return reading


def sentiment_score(reading: Reading) -> float:
    """A score in [-1, 1] whose contract label (>= 0.5 positive, <= -0.3 negative) is the predicted one."""
    lean = reading.positive - reading.negative
    if reading.sentiment == SentimentLabel.POSITIVE:
        return round(0.5 + 0.5 * max(0.0, lean), 3)
    if reading.sentiment == SentimentLabel.NEGATIVE:
        return round(-0.3 - 0.7 * max(0.0, -lean), 3)
    return round(max(-0.29, min(0.49, lean)), 3)


def read_product_area(text: str, default: str | None) -> str | None:
    scores = {area: _hits(cues, text) for area, cues in PRODUCT_AREAS.items()}
    best = max(scores, key=lambda area: scores[area])
    return best if scores[best] else default


def read_tags(text: str, submitted: list[str], area: str | None) -> list[str]:
    """Up to 5: what the source tagged, then every product area the text touches."""
    tags = [tag.lower() for tag in submitted]
    tags += [area.lower() for area, cues in PRODUCT_AREAS.items() if _hits(cues, text)]
    if area:
        tags.append(area.lower())
    return list(dict.fromkeys(tags))[:5]


def triage(
    item: FeedbackItem,
    reading: Reading,
    severity: int,
    bands: PriorityBands,
    model_version: str,
    now: datetime,
    degraded_reason: str | None = None,
    thresholds: AutoThresholds = NO_THRESHOLDS,
) -> AITriage:
    """The whole ai_triage block for one enriched item; degraded when the fallback engine read it, and
    whether a person needs to look, at the thresholds the engine's model was trained with."""
    text = item.text
    reading = apply_rules(text, reading)
    score = sentiment_score(reading)
    priority, priority_score, reasoning = priority_of(item.customer, severity, bands)
    area = read_product_area(text, item.product_area)
    return AITriage(
        category=reading.category,
        sentiment_score=score,
        sentiment_label=sentiment_label(score),
        priority=priority,
        priority_score=priority_score,
        priority_reasoning=reasoning,
        tags=read_tags(text, item.tags, area),
        product_area=area,
        confidence=FieldConfidence(
            category=round(reading.category_confidence, 3),
            sentiment=round(reading.sentiment_confidence, 3),
            priority=0.6,
        ),
        model_version=model_version,
        processed_at=now,
        degraded=degraded_reason is not None,
        degraded_reason=degraded_reason,
        review=review_of(reading, thresholds),
    )


SEVERITY_OF = {Priority.CRITICAL: 4, Priority.HIGH: 3, Priority.MEDIUM: 2, Priority.LOW: 1}
PRIORITY_OF_SEVERITY = {severity: priority for priority, severity in SEVERITY_OF.items()}


def severity_from(text: str, learned: Priority | None) -> int:
    """A head trained on the team's own priorities knows their scale best; else the language cues."""
    return SEVERITY_OF[learned] if learned is not None else read_severity(text)
