"""The unified feedback model: every source maps its items to this shape.

Models on the bus ignore fields they do not know (a tolerant reader), so a v1 event can gain an
optional field without breaking consumers that are not yet upgraded.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, HttpUrl


class Source(StrEnum):
    INTERCOM = "intercom"
    ZENDESK = "zendesk"
    HELPSCOUT = "helpscout"
    LINEAR = "linear"
    GITHUB = "github"
    CANNY = "canny"
    JIRA = "jira"
    GONG = "gong"
    CHORUS = "chorus"
    HUBSPOT = "hubspot"
    SALESFORCE = "salesforce"
    API = "api"
    IMPORT = "import"


class Category(StrEnum):
    BUG = "bug"
    FEATURE_REQUEST = "feature_request"
    IMPROVEMENT = "improvement"
    QUESTION = "question"
    COMPLAINT = "complaint"
    PRAISE = "praise"


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class SentimentLabel(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class Tier(StrEnum):
    FREE = "free"
    PRO = "pro"
    ENTERPRISE = "enterprise"


class FeedbackStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SHIPPED = "shipped"
    CLOSED = "closed"


SentimentScore = Annotated[float, Field(ge=-1.0, le=1.0)]
# What every database's integer column holds: a larger count would poison each read model downstream.
MAX_VOTES = 2**31 - 1
Confidence = Annotated[float, Field(ge=0.0, le=1.0)]

# Every text and list on the bus is bounded, so that no item's event can outgrow the broker's message limit
# (1 MiB): the largest item, every field full, serializes to well under half of it.
MAX_TAGS = 20
MAX_TAG_LENGTH = 100
Tag = Annotated[str, Field(max_length=MAX_TAG_LENGTH)]
# A CRM's customer id, as enrich keeps it (its customer tables hold 100 characters).
CustomerId = Annotated[str, Field(max_length=100)]
MAX_REASON_LENGTH = 1_000


def _clipped(text: object) -> object:
    """An over-long reason keeps its beginning: a reason is for people, and an error text may be any length."""
    if isinstance(text, str) and len(text) > MAX_REASON_LENGTH:
        return text[: MAX_REASON_LENGTH - 1] + "…"
    return text


# Why something went the way it did (a fallback, a failed delivery), as our own code words it: cut, never refused.
Reason = Annotated[str, BeforeValidator(_clipped), Field(max_length=MAX_REASON_LENGTH)]


def sentiment_label(score: float) -> SentimentLabel:
    """The contract's thresholds: >= 0.5 positive, <= -0.3 negative, else neutral."""
    if score >= 0.5:
        return SentimentLabel.POSITIVE
    if score <= -0.3:
        return SentimentLabel.NEGATIVE
    return SentimentLabel.NEUTRAL


class Customer(BaseModel):
    """Who is asking; ingest knows the email or company, enrich fills the rest from the CRM."""

    model_config = ConfigDict(extra="ignore")

    id: CustomerId | None = None
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    tier: Tier | None = None
    arr: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    health_score: float | None = Field(default=None, ge=0, le=100)
    at_risk: bool = False


class SimilarItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    score: float = Field(ge=-1.0, le=1.0)
    title: str | None = Field(default=None, max_length=500)


class FieldConfidence(BaseModel):
    model_config = ConfigDict(extra="ignore")

    category: Confidence
    sentiment: Confidence
    priority: Confidence


class ReviewState(StrEnum):
    """Whether a person needs to look at the AI's verdict, or has."""

    AUTO = "auto"  # sure of every field at the model's thresholds: applied as it is
    NEEDS_REVIEW = "needs_review"
    CONFIRMED = "confirmed"
    CORRECTED = "corrected"


class ReviewedField(StrEnum):
    CATEGORY = "category"
    SENTIMENT = "sentiment"
    PRIORITY = "priority"


class Answer(BaseModel):
    """One answer the AI weighed for a field, and how likely it is right."""

    model_config = ConfigDict(extra="ignore")

    label: str = Field(max_length=40)
    probability: Confidence


class FieldReview(BaseModel):
    """A field the AI is not sure enough of: its best answers, most likely first, and the bar they missed."""

    model_config = ConfigDict(extra="ignore")

    field: ReviewedField
    answers: list[Answer] = Field(default_factory=list, max_length=2)
    # The model version's auto-apply threshold for the field; None: it has none, every verdict is looked at.
    threshold: Confidence | None = None


class Review(BaseModel):
    """Whether a person needs to look (and at which fields), or who confirmed or corrected the verdict, and when."""

    model_config = ConfigDict(extra="ignore")

    state: ReviewState
    fields: list[FieldReview] = Field(default_factory=list, max_length=len(ReviewedField))
    actor: str | None = Field(default=None, max_length=320)
    at: AwareDatetime | None = None


class AITriage(BaseModel):
    """The spec's ai_triage block: what the triage engine decided about one item, and why."""

    model_config = ConfigDict(extra="ignore")

    category: Category
    sentiment_score: SentimentScore
    sentiment_label: SentimentLabel
    priority: Priority
    priority_score: float = Field(ge=0)
    priority_reasoning: str = Field(max_length=2_000)
    tags: list[Tag] = Field(default_factory=list, max_length=5)
    product_area: str | None = Field(default=None, max_length=100)
    similar_issues: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=20)
    confidence: FieldConfidence
    model_version: str = Field(max_length=200)
    processed_at: AwareDatetime
    # The primary engine (Mistral) failed and the fallback answered: the item is triaged again by
    # the primary once it answers (triage's schedule, or a re-triage command with `degraded`).
    degraded: bool = False
    degraded_reason: Reason | None = None
    # None on verdicts given before reviews existed.
    review: Review | None = None


class FeedbackInput(BaseModel):
    """What a source (or a person through the API) submits: the unified fields it knows."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    source: Source = Source.API
    source_id: str | None = Field(default=None, max_length=200)
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(default="", max_length=50_000)
    customer: Customer = Field(default_factory=Customer)
    category: Category | None = None
    priority: Priority | None = None
    sentiment_score: SentimentScore | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)
    product_area: str | None = Field(default=None, max_length=100)
    url: HttpUrl | None = Field(default=None, description="At most 2,083 characters (pydantic's HttpUrl).")
    votes: int = Field(default=1, ge=0, le=MAX_VOTES)
    created_at: AwareDatetime | None = None
    status: FeedbackStatus = FeedbackStatus.NEW
    parent_id: UUID | None = Field(
        default=None, description="The item this one was extracted from (a request voiced in a sales call)."
    )


class FeedbackItem(FeedbackInput):
    """One feedback item as the hub knows it: the input plus its id and timestamps."""

    id: UUID
    created_at: AwareDatetime
    received_at: AwareDatetime
    ai_triage: AITriage | None = None

    @property
    def item_id(self) -> UUID:
        return self.id

    @property
    def text(self) -> str:
        """Title and description as one text, for the models."""
        return f"{self.title}\n\n{self.description}".strip()
