"""Every message on the bus: an envelope around a typed payload.

Events are facts in the past tense (FeedbackReceived); commands ask an owning service to act
(LaunchCommand, whose payloads are in commands.py). Each model names its topic and its schema
version; a v1 model only ever grows compatibly (see compat.py and the schema test).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal, Self
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from libs.schemas import topics
from libs.schemas.commands import Channel, DedupeCommandPayload, LaunchCommandPayload, OptOut
from libs.schemas.feedback import AITriage, Customer, FeedbackItem, Reason, SimilarItem, Tag, Tier
from libs.schemas.launches import Checklist, Launch


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """What every message carries besides its payload: identity, time, and lineage."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    TOPIC: ClassVar[str]

    event_id: UUID = Field(default_factory=uuid4)
    type: str
    version: int = 1
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    correlation_id: UUID = Field(default_factory=uuid4)
    causation_id: UUID | None = None
    producer: str
    payload: Any

    @classmethod
    def caused_by(cls, cause: Envelope, *, producer: str, payload: Any) -> Self:
        """A message that follows from another: same correlation, caused by it."""
        # Validated as cls(...) would be; its `type` is the subclass's default, which mypy cannot see on Envelope.
        return cls.model_validate(
            {
                "producer": producer,
                "correlation_id": cause.correlation_id,
                "causation_id": cause.event_id,
                "payload": payload,
            }
        )

    @property
    def key(self) -> bytes | None:
        """Partition key: keeps every message about one item (or launch) in order."""
        return None


class _FeedbackKeyed(Envelope):
    @property
    def key(self) -> bytes:
        return str(self.payload.item_id).encode()


# --- feedback -----------------------------------------------------------------------------------


class FeedbackReceived(_FeedbackKeyed):
    TOPIC: ClassVar[str] = topics.FEEDBACK_RECEIVED
    type: Literal["feedback.received"] = "feedback.received"
    payload: FeedbackItem


class CustomerMatch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    matched_by: Literal["email", "domain", "company", "none"]
    known: bool


class CustomerHistory(BaseModel):
    """What the hub already heard from this customer before this item."""

    model_config = ConfigDict(extra="ignore")

    previous_items: int = Field(default=0, ge=0)
    # The most recent first, at most a page of them; previous_items counts them all.
    previous_item_ids: list[UUID] = Field(default_factory=list)
    negative_items_recent: int = Field(default=0, ge=0, description="Negative items within the churn window.")
    churn_signals: list[str] = Field(
        default_factory=list, description="Why the customer is at risk, in words (low health, a downgrade, ...)."
    )


class EnrichedFeedback(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item: FeedbackItem
    match: CustomerMatch
    history: CustomerHistory | None = None

    @property
    def item_id(self) -> UUID:
        return self.item.id


class FeedbackEnriched(_FeedbackKeyed):
    TOPIC: ClassVar[str] = topics.FEEDBACK_ENRICHED
    type: Literal["feedback.enriched"] = "feedback.enriched"
    payload: EnrichedFeedback


class TriageResult(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item_id: UUID
    ai_triage: AITriage
    degraded: bool = False
    degraded_reason: Reason | None = None
    # In shadow mode the verdict is a suggestion stored beside the human triage, never shown as truth.
    shadow: bool = False


class FeedbackTriaged(_FeedbackKeyed):
    TOPIC: ClassVar[str] = topics.FEEDBACK_TRIAGED
    type: Literal["feedback.triaged"] = "feedback.triaged"
    payload: TriageResult


class DedupeResult(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item_id: UUID
    similar_items: list[SimilarItem]
    duplicate_of: UUID | None = None
    duplicate_score: float | None = None
    threshold: float
    window_days: int
    embedding_model: str


class FeedbackDeduped(_FeedbackKeyed):
    TOPIC: ClassVar[str] = topics.FEEDBACK_DEDUPED
    type: Literal["feedback.deduped"] = "feedback.deduped"
    payload: DedupeResult


class TriageOverride(BaseModel):
    """A person's correction of the AI; every one is kept as training data."""

    model_config = ConfigDict(extra="ignore")

    item_id: UUID
    actor: str = Field(max_length=320)
    category: str | None = Field(default=None, max_length=40)
    priority: str | None = Field(default=None, max_length=40)
    tags: list[Tag] | None = Field(default=None, max_length=5)
    product_area: str | None = Field(default=None, max_length=100)
    not_duplicate: bool | None = None
    reason: str | None = Field(default=None, max_length=1_000)


class FeedbackOverridden(_FeedbackKeyed):
    TOPIC: ClassVar[str] = topics.FEEDBACK_OVERRIDDEN
    type: Literal["feedback.overridden"] = "feedback.overridden"
    payload: TriageOverride


class OverrideTriage(_FeedbackKeyed):
    """Command: a person corrects the AI's triage of one item (or flags a false duplicate)."""

    TOPIC: ClassVar[str] = topics.TRIAGE_OVERRIDES
    type: Literal["triage.override"] = "triage.override"
    payload: TriageOverride


class RetriageRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item_ids: list[UUID] = Field(default_factory=list, max_length=10_000)
    everything: bool = False
    # Every item whose verdict is degraded (the fallback's), with the primary engine, while it answers.
    degraded: bool = False
    requested_by: str = Field(max_length=320)
    reason: str | None = Field(default=None, max_length=1_000)

    @property
    def item_id(self) -> str:
        if self.everything:
            return "all"
        return "degraded" if self.degraded else ",".join(sorted(map(str, self.item_ids)))[:200]


class RetriageFeedback(_FeedbackKeyed):
    """Command: triage these items again (after a model change, or on a person's request)."""

    TOPIC: ClassVar[str] = topics.TRIAGE_RETRIAGE
    type: Literal["triage.retriage"] = "triage.retriage"
    payload: RetriageRequest


class VoicedRequest(BaseModel):
    """One request, complaint, bug, praise or question a customer voiced in a call."""

    model_config = ConfigDict(extra="ignore")

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5_000)
    quote: str = Field(min_length=1, max_length=5_000, description="The customer's own words, verbatim.")
    speaker: str = Field(min_length=1, max_length=200)
    kind: Literal["request", "complaint", "bug", "praise", "question"]


class TranscriptSplit(BaseModel):
    """What triage read in a transcript item: the requests in it, in the order they were voiced."""

    model_config = ConfigDict(extra="ignore")

    item_id: UUID = Field(description="The transcript item (the parent of the items made from the requests).")
    requests: list[VoicedRequest]
    model_version: str
    degraded: bool = False
    degraded_reason: Reason | None = None


class FeedbackSplit(_FeedbackKeyed):
    TOPIC: ClassVar[str] = topics.FEEDBACK_SPLIT
    type: Literal["feedback.split"] = "feedback.split"
    payload: TranscriptSplit


ContentField = Literal["title", "description", "votes", "tags", "status"]


class FeedbackUpdate(BaseModel):
    """An item edited at its source after the hub received it: the item as the source now has it.

    Only a change of content (title, description, votes, tags, status) is announced, never a
    redelivery of the same; the item keeps its id, creation and reception times, and what the hub
    added to it (triage, duplicates, themes) stays with it.
    """

    model_config = ConfigDict(extra="ignore")

    item_id: UUID
    changed: list[ContentField] = Field(min_length=1, description="What differs from the version announced before.")
    item: FeedbackItem = Field(description="The whole item as it now stands (same id, created_at and received_at).")
    updated_at: AwareDatetime = Field(description="When the hub heard of the change.")

    @property
    def text_changed(self) -> bool:
        """Whether what the models read (title and description) changed."""
        return bool({"title", "description"} & set(self.changed))


class FeedbackUpdated(_FeedbackKeyed):
    TOPIC: ClassVar[str] = topics.FEEDBACK_UPDATED
    type: Literal["feedback.updated"] = "feedback.updated"
    payload: FeedbackUpdate


# --- duplicates and themes ---------------------------------------------------------------------


class DedupeCommand(Envelope):
    """Command to the dedupe service: merge, unmerge or unlink items; rename, merge or split themes."""

    TOPIC: ClassVar[str] = topics.DEDUPE_COMMANDS
    type: Literal["dedupe.command"] = "dedupe.command"
    payload: DedupeCommandPayload

    @property
    def key(self) -> bytes:
        return str(self.payload.subject_id).encode()


class DuplicateLink(BaseModel):
    """Where an item stands among duplicates, after the model's decision or a person's command.

    Votes: an item whose state is suggested or merged counts its votes towards its vote root, the
    item reached by following duplicate_of until an item with none (a merge links to the root of the
    item named, but the root may itself be linked later). Every item counts exactly once: in its
    root's total, or in its own when it has no parent; the root's total includes its own votes.
    Standalone and not_duplicate items have no parent. An unmerge restores the state before the
    merge (a suggestion the model had made of another parent comes back; a merge confirming the
    model's suggestion, undone, leaves the item standalone). Only the latest event per item counts.
    """

    model_config = ConfigDict(extra="ignore")

    item_id: UUID
    # The parent this item's votes count towards (through it, its root's); None when it stands alone.
    duplicate_of: UUID | None
    state: Literal["suggested", "merged", "not_duplicate", "standalone"]
    score: float | None = None
    actor: str = Field(description="'dedupe' for the model, else the person who acted.")
    changed_at: AwareDatetime


class DuplicateLinkChanged(_FeedbackKeyed):
    TOPIC: ClassVar[str] = topics.DUPLICATES_CHANGED
    type: Literal["duplicates.changed"] = "duplicates.changed"
    payload: DuplicateLink


class ThemeMembership(BaseModel):
    """An item joins a theme (first clustering, a merge, a split, or following its duplicate parent)."""

    model_config = ConfigDict(extra="ignore")

    item_id: UUID
    theme_id: UUID
    previous_theme_id: UUID | None = None
    score: float | None = Field(default=None, description="Similarity to the theme's centroid, when clustered.")


class FeedbackThemed(_FeedbackKeyed):
    TOPIC: ClassVar[str] = topics.FEEDBACK_THEMED
    type: Literal["feedback.themed"] = "feedback.themed"
    payload: ThemeMembership


class Theme(BaseModel):
    """A theme as of its latest change; membership travels separately in feedback.themed."""

    model_config = ConfigDict(extra="ignore")

    id: UUID
    name: str
    # "keywords": named by dedupe from the theme's own titles and words, remade as it grows; "mistral": named by
    # the model; "person": renamed by a person, and kept.
    name_source: Literal["keywords", "mistral", "person"]
    keywords: list[Annotated[str, StringConstraints(max_length=100)]] = Field(default_factory=list, max_length=20)
    summary: str | None = Field(default=None, max_length=300, description="One line saying what the theme is about.")
    items: int = Field(ge=0, description="How many items the theme holds now.")
    # Set when a person merged this theme into another: the id to follow.
    merged_into: UUID | None = None
    created_at: AwareDatetime
    changed_at: AwareDatetime
    changed_by: str


class ThemeChanged(Envelope):
    TOPIC: ClassVar[str] = topics.THEMES_CHANGED
    type: Literal["themes.changed"] = "themes.changed"
    payload: Theme

    @property
    def key(self) -> bytes:
        return str(self.payload.id).encode()


# --- launches and notifications -----------------------------------------------------------------


class _LaunchKeyed(Envelope):
    @property
    def key(self) -> bytes:
        return str(self.payload.launch.id).encode()


class LaunchPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    launch: Launch
    checklist: Checklist | None = None


class LaunchCommand(Envelope):
    """Command to the launches service: create, update, link, tick, or reassess one launch."""

    TOPIC: ClassVar[str] = topics.LAUNCH_COMMANDS
    type: Literal["launch.command"] = "launch.command"
    payload: LaunchCommandPayload

    @property
    def key(self) -> bytes:
        return str(self.payload.launch_id).encode()


class LaunchChanged(_LaunchKeyed):
    TOPIC: ClassVar[str] = topics.LAUNCH_CHANGED
    type: Literal["launch.changed"] = "launch.changed"
    payload: LaunchPayload


class ShippedLaunch(LaunchPayload):
    shipped_at: AwareDatetime


class LaunchShipped(_LaunchKeyed):
    TOPIC: ClassVar[str] = topics.LAUNCH_SHIPPED
    type: Literal["launch.shipped"] = "launch.shipped"
    payload: ShippedLaunch


class Notification(BaseModel):
    """One message to one customer on one channel about a shipped launch, and how it went."""

    model_config = ConfigDict(extra="ignore")

    id: UUID = Field(description="Stable per launch, customer and channel.")
    launch_id: UUID
    launch_name: str
    channel: Channel
    status: Literal["sent", "failed"] = "sent"
    reason: Reason | None = Field(default=None, description="Why it failed, when it did.")
    attempts: int = Field(default=1, ge=1)
    customer_id: str | None = None
    customer_email: str | None
    customer_company: str | None
    customer_tier: Tier | None = None
    feedback_ids: list[UUID]
    message: str
    sent_at: AwareDatetime = Field(description="When it was sent, or when it was given up.")


class NotificationSent(Envelope):
    TOPIC: ClassVar[str] = topics.NOTIFICATION_SENT
    type: Literal["notification.sent"] = "notification.sent"
    payload: Notification

    @property
    def key(self) -> bytes:
        return str(self.payload.launch_id).encode()


class SetNotificationOptOut(Envelope):
    """Command to the notify service: a customer opts out of (or back into) launch notifications."""

    TOPIC: ClassVar[str] = topics.NOTIFICATION_COMMANDS
    type: Literal["notification.opt_out"] = "notification.opt_out"
    payload: OptOut

    @property
    def key(self) -> bytes:
        return self.payload.customer.lower().encode()


# --- command outcomes ---------------------------------------------------------------------------


class Rejection(BaseModel):
    """Why an owning service refused a command: a business rule (an unknown launch, an impossible merge),
    not a fault (a malformed or failing command is dead-lettered). The command changed nothing."""

    model_config = ConfigDict(extra="ignore")

    command_id: UUID = Field(description="The refused command's event_id.")
    command_type: str = Field(description="The refused command's type (dedupe.command, launch.command, ...).")
    command_key: str | None = Field(description="The command's partition key: the refusal is keyed like it.")
    service: str = Field(description="The owning service that refused it.")
    reason: str = Field(description="Why, in a sentence a person can act on.")
    actor: str = Field(description="Who sent the command.")
    rejected_at: AwareDatetime


class CommandRejected(Envelope):
    """An owning service refused a command as a business rule; the sender (the gateway) folds the reason."""

    TOPIC: ClassVar[str] = topics.COMMAND_REJECTED
    type: Literal["command.rejected"] = "command.rejected"
    payload: Rejection

    @classmethod
    def of(cls, command: Envelope, *, producer: str, reason: str, actor: str) -> CommandRejected:
        """The refusal of `command` by `producer`, its owner."""
        key = command.key.decode() if command.key is not None else None
        rejection = Rejection(
            command_id=command.event_id,
            command_type=command.type,
            command_key=key,
            service=producer,
            reason=reason,
            actor=actor,
            rejected_at=utcnow(),
        )
        return cls.caused_by(command, producer=producer, payload=rejection)

    @property
    def key(self) -> bytes | None:
        return self.payload.command_key.encode() if self.payload.command_key is not None else None


# --- dead letters -------------------------------------------------------------------------------


class DeadLetterRecord(BaseModel):
    """A message a consumer could not handle, kept whole with the reason, for replay."""

    model_config = ConfigDict(extra="ignore")

    consumer_group: str
    topic: str
    partition: int
    offset: int
    key: str | None
    body: str
    reason: str
    error_type: str
    attempts: int
    failed_at: AwareDatetime


class DeadLettered(Envelope):
    TOPIC: ClassVar[str] = topics.DEAD_LETTER
    type: Literal["dead_letter"] = "dead_letter"
    payload: DeadLetterRecord


EVENT_TYPES: tuple[type[Envelope], ...] = (
    FeedbackReceived,
    FeedbackEnriched,
    FeedbackTriaged,
    FeedbackDeduped,
    FeedbackOverridden,
    OverrideTriage,
    RetriageFeedback,
    DedupeCommand,
    DuplicateLinkChanged,
    FeedbackThemed,
    ThemeChanged,
    FeedbackSplit,
    FeedbackUpdated,
    LaunchCommand,
    LaunchChanged,
    LaunchShipped,
    NotificationSent,
    SetNotificationOptOut,
    CommandRejected,
    DeadLettered,
)

__all__ = [
    "AITriage",
    "CommandRejected",
    "Customer",
    "CustomerHistory",
    "CustomerMatch",
    "DeadLetterRecord",
    "DeadLettered",
    "DedupeCommand",
    "DedupeResult",
    "DuplicateLink",
    "DuplicateLinkChanged",
    "EVENT_TYPES",
    "EnrichedFeedback",
    "Envelope",
    "FeedbackDeduped",
    "FeedbackEnriched",
    "FeedbackItem",
    "FeedbackOverridden",
    "FeedbackReceived",
    "FeedbackSplit",
    "FeedbackThemed",
    "FeedbackUpdate",
    "FeedbackUpdated",
    "FeedbackTriaged",
    "LaunchChanged",
    "LaunchCommand",
    "LaunchPayload",
    "LaunchShipped",
    "Notification",
    "NotificationSent",
    "OverrideTriage",
    "RetriageFeedback",
    "Rejection",
    "RetriageRequest",
    "SetNotificationOptOut",
    "ShippedLaunch",
    "Theme",
    "ThemeChanged",
    "ThemeMembership",
    "TriageOverride",
    "TranscriptSplit",
    "TriageResult",
    "VoicedRequest",
    "utcnow",
]
