"""Triage rules: priority as the seed defines it, and a first local reading of the text.

Priority = Tier x 3 + Severity x 2 + Revenue x 1, boosted for customers at risk. Tier, ARR and
health come from enrichment; severity is read from the language. Everything here is pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from libs.schemas.feedback import (
    AITriage,
    Category,
    Customer,
    FeedbackItem,
    FieldConfidence,
    Priority,
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


# --- a first local reading of the text: keyword evidence, weighed --------------------------------

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

_CATEGORY_CUES: dict[Category, tuple[str, ...]] = {
    Category.BUG: (
        r"\berrors?\b",
        r"\b[45]0[0-9]\b",
        r"\bcrash",
        r"\bbroken\b",
        r"\bfails?\b",
        r"\bfailing\b",
        r"not working",
        r"doesn'?t work",
        r"\bbug\b",
        r"exception",
        r"regression",
        r"steps to reproduce",
        r"\btimeouts?\b",
        r"\bwrong\b",
        r"\bincorrect",
        r"stopped working",
        r"\bdown\b",
    ),
    Category.FEATURE_REQUEST: (
        r"feature request",
        r"please add",
        r"would (be|love) (great|nice|to have)",
        r"\bsupport for\b",
        r"\badd (a|an|support)\b",
        r"\bwish\b",
        r"\bability to\b",
        r"\ballow (us|me|users)\b",
        r"\bintegration with\b",
        r"\bneed (a|an)\b",
        r"any plans",
    ),
    Category.IMPROVEMENT: (
        r"\bimprove",
        r"\bfaster\b",
        r"\bslow(er)?\b",
        r"\bbetter\b",
        r"\bconfusing\b",
        r"\bclunky\b",
        r"\beasier\b",
        r"\bsimplify",
        r"\bclearer\b",
        r"\bperformance\b",
    ),
    Category.QUESTION: (
        r"^(how|what|why|where|when|is there|can i|can we|does|do you|is it)\b",
        r"\bhow (do|can|to)\b",
        r"\bis there a way\b",
        r"\bany (docs|documentation|guide)\b",
        r"\?\s*$",
    ),
    Category.COMPLAINT: (
        r"frustrat",
        r"unacceptable",
        r"disappoint",
        r"\bcancel",
        r"\bterrible\b",
        r"\bworst\b",
        r"\bridiculous\b",
        r"\bswitch(ing)? to\b",
        r"\bchurn",
        r"fed up",
        r"\bexpensive\b",
    ),
    Category.PRAISE: (
        r"\blove\b",
        r"great job",
        r"\bthank",
        r"\bawesome\b",
        r"\bamazing\b",
        r"\bfantastic\b",
        r"\bkudos\b",
        r"well done",
        r"\bimpressed\b",
        r"game.?changer",
        r"\bexcellent\b",
    ),
}

_POSITIVE = (
    r"\blove",
    r"\bgreat\b",
    r"\bthank",
    r"\bawesome\b",
    r"\bamazing\b",
    r"\bfantastic\b",
    r"\bexcellent\b",
    r"\bhappy\b",
    r"\bimpressed\b",
    r"\bhelpful\b",
    r"\bsmooth\b",
    r"\bperfect\b",
    r"\bnice\b",
    r"\bgood\b",
)
_NEGATIVE = (
    r"frustrat",
    r"\bbroken\b",
    r"\bfail",
    r"\berrors?\b",
    r"\bcrash",
    r"unacceptable",
    r"disappoint",
    r"\bterrible\b",
    r"\bworst\b",
    r"\bslow\b",
    r"\bannoy",
    r"\bbad\b",
    r"\bcancel",
    r"\bdown\b",
    r"\boutage\b",
    r"\bconfus",
    r"\bbug\b",
    r"\bwrong\b",
    r"\bhate\b",
    r"\bunusable\b",
    r"\blost\b",
)
# "Great, another outage": praise words next to failure words are sarcasm, not praise.
_SARCASM = re.compile(r"\b(great|awesome|fantastic|love it|perfect|thanks)\b[,!. ]+(another|again|yet another)\b", re.I)

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


def read_sentiment(text: str) -> tuple[float, float]:
    """A score in [-1, 1] and a confidence, from weighed positive and negative cues."""
    positive, negative = _hits(_POSITIVE, text), _hits(_NEGATIVE, text)
    if _SARCASM.search(text):
        positive, negative = 0, negative + 2
    total = positive + negative
    if total == 0:
        return 0.0, 0.3
    score = (positive - negative) / (total + 1)
    return round(max(-1.0, min(1.0, score * 1.5)), 3), min(0.9, 0.4 + 0.1 * total)


def read_category(title: str, text: str, sentiment: float) -> tuple[Category, float]:
    """The category whose cues weigh most; the title counts double, sentiment breaks ties."""
    scores = {category: _hits(cues, title) * 2 + _hits(cues, text) for category, cues in _CATEGORY_CUES.items()}
    if sentiment < -0.3:
        scores[Category.COMPLAINT] += 1
    if sentiment > 0.5:
        scores[Category.PRAISE] += 1
    best = max(scores, key=lambda category: scores[category])
    if scores[best] == 0:
        return Category.FEATURE_REQUEST if sentiment >= 0 else Category.COMPLAINT, 0.25
    ranked = sorted(scores.values(), reverse=True)
    margin = (ranked[0] - ranked[1]) / ranked[0]
    return best, round(min(0.95, 0.4 + 0.5 * margin), 3)


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


def triage(item: FeedbackItem, bands: PriorityBands, model_version: str, now: datetime) -> AITriage:
    """The whole ai_triage block for one enriched item."""
    text = item.text
    sentiment, sentiment_confidence = read_sentiment(text)
    category, category_confidence = read_category(item.title, text, sentiment)
    severity = read_severity(text)
    priority, score, reasoning = priority_of(item.customer, severity, bands)
    area = read_product_area(text, item.product_area)
    return AITriage(
        category=category,
        sentiment_score=sentiment,
        sentiment_label=sentiment_label(sentiment),
        priority=priority,
        priority_score=score,
        priority_reasoning=reasoning,
        tags=read_tags(text, item.tags, area),
        product_area=area,
        confidence=FieldConfidence(category=category_confidence, sentiment=sentiment_confidence, priority=0.6),
        model_version=model_version,
        processed_at=now,
    )
