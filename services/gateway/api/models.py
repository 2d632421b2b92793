"""The API's request and response models: XCreate / XUpdate a body sent, XPublic an answer, XQuery a query string."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from libs.runtime.auth import Role
from libs.schemas.commands import Channel
from libs.schemas.events import DuplicateLink, Notification
from libs.schemas.feedback import (
    AITriage,
    Category,
    Customer,
    FeedbackStatus,
    Priority,
    ReviewState,
    SentimentLabel,
    SimilarItem,
    Source,
    Tag,
    Tier,
)
from libs.schemas.launches import Checklist, Launch, LaunchChanges, LaunchFields
from services.gateway import domain

# --- commands -------------------------------------------------------------------------------------

PENDING = "Its owning service has not refused it (within the wait asked for): it applies it, or is about to."


class CommandOutcomePublic(BaseModel):
    """Where a command stands: pending (no refusal folded: its owner applied it or has not handled it yet; its
    effect shows in the read model once folded), or rejected by its owning service, with the reason."""

    command_id: UUID
    status: Literal["pending", "rejected"]
    command_type: str | None = Field(default=None, description="When rejected: dedupe.command, launch.command, ...")
    service: str | None = Field(default=None, description="When rejected: the owning service that refused it.")
    reason: str | None = Field(default=None, description="When rejected: why, in a sentence.")
    actor: str | None = Field(default=None, description="When rejected: who sent the command.")
    decided_at: AwareDatetime | None = Field(default=None, description="When rejected: when the owner refused it.")


class CommandRefusal(BaseModel):
    """The 409 of a command sent with a wait, when its owning service refused it within the wait."""

    detail: CommandOutcomePublic


# --- feedback -------------------------------------------------------------------------------------


class FeedbackQuery(BaseModel):
    """Filters (repeat one to match any of its values), sort and page of the feedback list."""

    model_config = ConfigDict(extra="forbid")

    source: list[Source] = Field(default_factory=list)
    category: list[Category] = Field(default_factory=list)
    priority: list[Priority] = Field(default_factory=list)
    product_area: list[str] = Field(default_factory=list)
    tier: list[Tier] = Field(default_factory=list)
    status: list[FeedbackStatus] = Field(default_factory=list)
    sentiment: list[SentimentLabel] = Field(default_factory=list)
    review: list[ReviewState] = Field(
        default_factory=list, description="Items whose AI verdict is in any of these review states (ai_triage.review)."
    )
    theme: list[UUID] = Field(default_factory=list, description="Items in any of these themes.")
    q: str | None = Field(default=None, min_length=1, max_length=200, description="Text in title or description.")
    created_from: datetime | None = Field(default=None, description="Created at or after (no offset: UTC).")
    created_to: datetime | None = Field(default=None, description="Created before (no offset: UTC).")
    sort: domain.FeedbackSort = "created_at"
    order: domain.SortOrder = Field(
        default="desc",
        description="desc: newest, most urgent, largest first; asc: the reverse. Items with no priority or ARR: last.",
    )
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(
        default=None,
        max_length=400,
        description="The previous page's next_cursor: the page after it (same filters, sort and order).",
    )

    @model_validator(mode="after")
    def _cursor_fits(self) -> FeedbackQuery:
        self.after  # noqa: B018 (decoding is the check)
        return self

    @property
    def after(self) -> domain.FeedbackCursor | None:
        """The decoded cursor: the page starts strictly after this row. ValueError when it is not this list's."""
        if self.cursor is None:
            return None
        after = domain.decode_cursor(self.cursor)
        if (after.sort, after.order) != (self.sort, self.order):
            made, asked = f"sort={after.sort}&order={after.order}", f"sort={self.sort}&order={self.order}"
            raise ValueError(f"the cursor continues {made}, not {asked}: start again without it")
        return after


class CustomerSummaryPublic(BaseModel):
    company: str | None
    tier: Tier | None
    arr: float | None


class ProcessingPublic(BaseModel):
    """Which events about the item the gateway has folded."""

    received: bool
    enriched: bool
    triaged: bool
    deduped: bool


class _FeedbackBase(BaseModel):
    id: UUID
    source: Source
    title: str
    status: FeedbackStatus
    created_at: AwareDatetime
    # Effective values: a person's override, else the AI's triage, else what was submitted.
    category: str | None
    priority: str | None
    sentiment_label: str | None
    product_area: str | None
    processing: ProcessingPublic


class FeedbackSummaryPublic(_FeedbackBase):
    customer: CustomerSummaryPublic
    votes: int = Field(description="The item's own votes.")
    vote_total: int | None = Field(
        description="Its own votes and those of the items merged into it; null when it is merged into another."
    )
    duplicate_of: UUID | None
    theme_id: UUID | None


class FeedbackPagePublic(BaseModel):
    items: list[FeedbackSummaryPublic]
    total: int = Field(description="How many items match the filters, over all pages.")
    total_at_least: bool = Field(
        description="True when counting stopped early (a text search with more than "
        f"{domain.TEXT_COUNT_CAP:,} matches): there are at least `total` items, maybe more."
    )
    limit: int
    next_cursor: str | None = Field(
        description="Pass it as `cursor` (with the same filters, sort and order) for the next page; null on the last."
    )


class SubmittedPublic(BaseModel):
    """What the source submitted, before the AI or a person had a say."""

    category: str | None
    priority: str | None
    sentiment_score: float | None
    tags: list[str]
    product_area: str | None


class OverridePublic(domain.OverrideEntry):
    """A person's correction of the AI."""


class ThemeRefPublic(BaseModel):
    id: UUID
    name: str | None = Field(description="Null until dedupe names the theme.")


class DuplicatePublic(BaseModel):
    """An item merged into this one (directly, or through another duplicate): its votes count here."""

    id: UUID
    title: str
    votes: int
    created_at: AwareDatetime
    customer: CustomerSummaryPublic
    duplicate_of: UUID | None = Field(description="Its direct parent (this item, or another duplicate of it).")
    state: str | None
    link: DuplicateLink | None = Field(description="Dedupe's link: state, score, who and when.")


class HistoryItemPublic(BaseModel):
    id: UUID
    title: str | None = Field(description="Null when the item is not in the read model (yet).")
    created_at: AwareDatetime | None
    category: str | None


class CustomerHistoryPublic(BaseModel):
    """What the hub had heard from the customer before this item, as enrich found it."""

    previous_items: int
    items: list[HistoryItemPublic] = Field(description="The most recent previous items, newest first.")
    negative_items_recent: int
    churn_signals: list[str]


class FeedbackPublic(_FeedbackBase):
    source_id: str | None
    description: str
    url: str | None
    votes: int
    received_at: AwareDatetime
    tags: list[str]
    sentiment_score: float | None
    submitted: SubmittedPublic
    customer: Customer
    customer_known: bool | None = Field(description="Whether enrich found the customer in the CRM (null: not yet).")
    ai_triage: AITriage | None
    similar_items: list[SimilarItem]
    duplicate_of: UUID | None
    duplicate_score: float | None
    duplicate_state: str | None = Field(description="suggested, merged, not_duplicate, standalone (null: not known).")
    duplicate_root: UUID | None = Field(description="The top of its duplicate chain, where its votes count.")
    duplicate_link: DuplicateLink | None = Field(description="Dedupe's newest link: state, score, who and when.")
    vote_total: int | None = Field(
        description="Its own votes and those of the items merged into it; null when it is merged into another."
    )
    duplicates: list[DuplicatePublic] = Field(description="The items merged into it, most votes first.")
    theme: ThemeRefPublic | None
    customer_history: CustomerHistoryPublic | None
    overrides: list[OverridePublic]
    updated_at: AwareDatetime


# --- themes ---------------------------------------------------------------------------------------


class ProductAreaCountPublic(BaseModel):
    product_area: str
    count: int


class TrendWeekPublic(domain.WeekCount):
    """Items (duplicates included) received in one ISO week."""


class ThemeSummaryPublic(BaseModel):
    """A theme and its numbers, computed from its items as they are now."""

    id: UUID
    name: str | None = Field(description="Null until dedupe names the theme.")
    name_source: str | None
    keywords: list[str] = Field(description="Its top keywords, most telling first: tags beside the name.")
    summary: str | None = Field(description="One line saying what it is about; null until dedupe describes it.")
    items: int = Field(description="Requests: its items not merged into another.")
    mentions: int = Field(description="Its items, merged duplicates included.")
    customers: int = Field(description="Distinct customers asking (CRM id, else email).")
    votes: int = Field(description="Votes of all its items; a merged duplicate's count once, in its parent.")
    arr: float = Field(description="Sum of the ARR of the distinct known customers asking.")
    at_risk_customers: int
    top_product_areas: list[ProductAreaCountPublic]
    trend: list[TrendWeekPublic] = Field(description="Items received per ISO week, oldest first, y from 0.")
    trend_sample: int = Field(description="Items received over the weeks of the trend.")
    trend_change: int = Field(description="Items in the newer half of the weeks minus those in the older half.")
    merged_into: UUID | None = Field(description="Set when a person merged it into another theme: follow that one.")
    changed_at: AwareDatetime | None
    changed_by: str | None


class ThemeQuery(BaseModel):
    """Sort, filters and page of the themes list."""

    model_config = ConfigDict(extra="forbid")

    sort: domain.ThemeSort = Field(default="arr", description="Largest first; trend: fastest growing first.")
    product_area: list[str] = Field(default_factory=list, description="Themes with items in any of these areas.")
    min_items: int = Field(default=0, ge=0)
    weeks: int = Field(default=8, ge=2, le=52, description="Weeks of the trend.")
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0)


class ThemePagePublic(BaseModel):
    items: list[ThemeSummaryPublic]
    total: int = Field(description="How many themes match the filters, over all pages.")
    limit: int
    offset: int
    computed_at: AwareDatetime = Field(
        description="When the numbers were computed (reused for PRODOPS_THEMES_CACHE_SECONDS, 10 s by default)."
    )


class ThemeRequestPublic(FeedbackSummaryPublic):
    merged: int = Field(description="How many items are merged into it.")


class ThemeDetailPublic(ThemeSummaryPublic):
    requests: list[ThemeRequestPublic] = Field(description="Its requests, most votes first.")
    requests_total: int


# --- launches and notifications -------------------------------------------------------------------


class LaunchPublic(Launch):
    shipped_at: AwareDatetime | None
    readiness: float | None = Field(description="Share of the checklist done (null: no checklist yet).")


class LaunchListPublic(BaseModel):
    view: Literal["list"] = "list"
    items: list[LaunchPublic]
    total: int


class MonthPublic(BaseModel):
    month: int = Field(ge=1, le=12)
    name: str
    launches: list[LaunchPublic] = Field(description="The launches that target a day of the month.")


class LaunchCalendarPublic(BaseModel):
    """The 12-month grid of a year."""

    view: Literal["calendar"] = "calendar"
    year: int
    months: list[MonthPublic]
    total: int = Field(description="Launches in the grid.")


class QuarterPublic(BaseModel):
    quarter: int = Field(ge=1, le=4)
    label: str
    start: date
    end: date
    launches: list[LaunchPublic] = Field(description="The launches whose span (start to target) overlaps the quarter.")


class LaunchTimelinePublic(BaseModel):
    """The quarterly timeline of a year."""

    view: Literal["timeline"] = "timeline"
    year: int
    quarters: list[QuarterPublic]
    total: int = Field(description="Distinct launches on the timeline.")


class LaunchCreate(LaunchFields):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _starts_before_target(self) -> LaunchCreate:
        if self.start_date and self.start_date > self.target_date:
            raise ValueError("start_date is after target_date")
        return self


class LaunchUpdate(LaunchChanges):
    """Only the fields sent change; null clears owner, start_date or tracker; status shipped ships it."""

    model_config = ConfigDict(extra="forbid")


class LinksCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feedback_ids: list[UUID] = Field(default_factory=list, max_length=1000)
    theme_ids: list[UUID] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _something(self) -> LinksCreate:
        if not self.feedback_ids and not self.theme_ids:
            raise ValueError("give feedback_ids or theme_ids")
        return self


class ChecklistItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    done: bool


class AcceptedPublic(BaseModel):
    """A command accepted for its owning service; its effect shows in the read model once folded."""

    id: UUID = Field(description="The launch (or, for an opt-out, the command) it is about.")
    command_id: UUID
    status: Literal["pending"] = Field(default="pending", description=PENDING)


class ChecklistPublic(Checklist):
    launch_id: UUID
    launch_name: str


class OptOutCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer: str = Field(min_length=1, max_length=320, description="An email or a CRM customer id.")
    channel: Channel | None = Field(default=None, description="None: every channel.")
    opted_out: bool = True


class NotificationPublic(Notification):
    """A notification to a customer about a launch: sent, or failed with its reason."""


class NotificationsPublic(BaseModel):
    items: list[NotificationPublic]
    total: int = Field(description="How many notifications match the filters.")


class NotificationQuery(BaseModel):
    """Filters and size of the notifications list."""

    model_config = ConfigDict(extra="forbid")

    launch_id: UUID | None = None
    channel: list[Channel] = Field(default_factory=list)
    status: list[Literal["sent", "failed"]] = Field(default_factory=list)
    customer: str | None = Field(default=None, max_length=320, description="A customer's email or CRM id.")
    limit: int = Field(default=50, ge=1, le=200)


# --- overview -------------------------------------------------------------------------------------


class VolumePublic(BaseModel):
    last_7_days: int
    previous_7_days: int


class SentimentPublic(BaseModel):
    average: float | None
    negative_share: float | None
    sample_size: int = Field(description="Items with a sentiment score.")


class CustomersAskingPublic(BaseModel):
    arr: float = Field(description="Sum of the ARR of the distinct known customers behind the items.")
    customers: int


class CategoryWeekPublic(domain.CategoryWeek):
    """Items created in one ISO week, by category: list them with created_from=start, created_to=end + 1 day."""


class FeedbackOverTimePublic(BaseModel):
    """Items created per ISO week over the last weeks, split by category; counted by the database."""

    weeks: list[CategoryWeekPublic] = Field(description="Oldest first, the current (partial) week last; y from 0.")
    categories: list[Category] = Field(description="The categories, in the order the chart stacks them.")
    sample_size: int = Field(description="Items created in these weeks.")
    uncategorized: int = Field(description="Of those, items with no category yet.")


class OverviewPublic(BaseModel):
    total: int = Field(description="Items shown; the sample behind the counts by category, priority and source.")
    volume: VolumePublic
    by_category: dict[str, int]
    by_priority: dict[str, int]
    by_source: dict[str, int]
    sentiment: SentimentPublic
    top_product_areas: list[ProductAreaCountPublic]
    critical_high_open: int = Field(description="Critical or high priority items not shipped or closed.")
    customers_asking: CustomersAskingPublic
    top_themes: list[ThemeSummaryPublic] = Field(description="The themes with the most ARR asking.")
    upcoming_launches: list[LaunchPublic] = Field(description="Not shipped yet, soonest target first.")
    last_updated: AwareDatetime | None = Field(description="When the newest event folded in happened.")
    over_time: FeedbackOverTimePublic = Field(description="Items per ISO week by category.")


# --- corrections ----------------------------------------------------------------------------------


class OverrideCreate(BaseModel):
    """The spec's correction: "AI says Bug, High. Correct? No: it is ..." Only what changes is sent."""

    model_config = ConfigDict(extra="forbid")

    category: Category | None = None
    priority: Priority | None = None
    tags: list[Tag] | None = Field(default=None, max_length=5)
    product_area: str | None = Field(default=None, max_length=100)
    not_duplicate: bool | None = None
    reason: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _changes_something(self) -> OverrideCreate:
        if all(
            getattr(self, name) is None for name in ("category", "priority", "tags", "product_area", "not_duplicate")
        ):
            raise ValueError(
                "an override changes at least one of category, priority, tags, product_area, not_duplicate"
            )
        return self


class RetriageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_ids: list[UUID] = Field(default_factory=list, max_length=10_000)
    all: bool = False
    # Every item whose ai_triage is degraded (the local fallback's), by Mistral if it answers.
    degraded: bool = False
    reason: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _names_items(self) -> RetriageCreate:
        if not self.all and not self.item_ids and not self.degraded:
            raise ValueError("name item_ids, or set all or degraded to true")
        return self


class CommandAccepted(BaseModel):
    command_id: UUID
    status: Literal["pending"] = Field(default="pending", description=PENDING)


class NotDuplicateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000)


# --- duplicates and themes ------------------------------------------------------------------------


class _Reasoned(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=1000)


class MergeCreate(_Reasoned):
    into_id: UUID = Field(description="The item this one duplicates: its votes and theme move there.")


class UnmergeCreate(_Reasoned):
    pass


class ThemeRename(_Reasoned):
    name: str = Field(min_length=1, max_length=200)


class ThemeMerge(_Reasoned):
    into_id: UUID = Field(description="The theme that takes this one's items; this one becomes a redirect.")


class ThemeSplit(_Reasoned):
    item_ids: list[UUID] = Field(min_length=1, max_length=1000, description="Items of the theme to move out.")
    name: str | None = Field(default=None, min_length=1, max_length=200)


class SplitAccepted(CommandAccepted):
    theme_id: UUID = Field(description="The new theme's id, chosen by the gateway.")


# --- sign-in and the live stream ------------------------------------------------------------------


class OidcOption(BaseModel):
    name: str = Field(description='The provider, for "Sign in with <name>".')
    login_url: str


class SignInOptions(BaseModel):
    token: bool = Field(default=True, description="A bearer token (`prodops token create`) is always accepted.")
    oidc: OidcOption | None = Field(description="Null when no provider is configured.")


class Me(BaseModel):
    subject: str
    role: Role
    via: Literal["session", "bearer"]
    csrf_token: str | None = Field(description="Send as X-CSRF-Token with every write the session cookie signs.")


class StreamTicket(BaseModel):
    ticket: str = Field(description="Pass as `?ticket=` to GET /api/v1/stream; good for one minute.")
    expires_in: int = Field(description="Seconds.")
