"""The read model's folding rules: which columns each event owns, newer wins, people beat the AI.

Pure functions, no I/O. A row is the mapping of a read table's column values ({} before its
first event); folding an event yields only the columns it changes. Folding the same events in
any order gives the same row, and folding an event again changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, Protocol, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from libs.schemas.events import (
    CustomerHistory,
    DuplicateLink,
    DuplicateLinkChanged,
    FeedbackDeduped,
    FeedbackEnriched,
    FeedbackOverridden,
    FeedbackReceived,
    FeedbackThemed,
    FeedbackTriaged,
    FeedbackUpdated,
    LaunchChanged,
    LaunchPayload,
    LaunchShipped,
    ThemeChanged,
    TriageOverride,
)
from libs.schemas.feedback import AITriage, Category, Customer, FeedbackItem, sentiment_label

Row = Mapping[str, Any]
Columns = dict[str, Any]
FeedbackEvent = (
    FeedbackReceived
    | FeedbackEnriched
    | FeedbackTriaged
    | FeedbackDeduped
    | FeedbackOverridden
    | DuplicateLinkChanged
    | FeedbackThemed
    | FeedbackUpdated
)
LaunchEvent = LaunchChanged | LaunchShipped


class OverrideEntry(TriageOverride):
    """A person's correction as the item keeps it: the override, its event and when it was made."""

    event_id: UUID
    occurred_at: AwareDatetime


def is_newer(incoming: datetime, current: datetime | None) -> bool:
    """Whether an event supersedes what the row holds from its kind; a replay (same time) does not."""
    return current is None or incoming > current


def fold_feedback(row: Row, event: FeedbackEvent) -> Columns:
    """The columns `event` changes on its item's row; empty when it brings nothing newer."""
    match event:
        case FeedbackReceived() | FeedbackUpdated():
            changes = _received(row, event)
        case FeedbackEnriched():
            changes = _enriched(row, event)
        case FeedbackTriaged():
            changes = _triaged(row, event)
        case FeedbackDeduped():
            changes = _deduped(row, event)
        case FeedbackOverridden():
            changes = _overridden(row, event)
        case DuplicateLinkChanged():
            changes = _linked(row, event)
        case FeedbackThemed():
            changes = _themed(row, event)
    if not changes:
        return {}
    derived = effective_columns({**row, **changes})
    changes |= {name: value for name, value in derived.items() if row.get(name) != value}
    return changes | {"updated_at": _latest(row.get("updated_at"), event.occurred_at)}


def fold_launch(row: Row, event: LaunchEvent) -> Columns:
    """The columns a launch event changes: the launch as of its newest event, and when it shipped."""
    changes: Columns = {}
    if isinstance(event, LaunchShipped) and is_newer(event.payload.shipped_at, row.get("shipped_at")):
        changes["shipped_at"] = event.payload.shipped_at
    if is_newer(event.occurred_at, row.get("changed_at")):
        changes |= {"changed_at": event.occurred_at} | _launch_columns(event.payload)
    if not changes:
        return {}
    return changes | {"updated_at": _latest(row.get("updated_at"), event.occurred_at)}


def effective_columns(row: Row) -> Columns:
    """What lists and filters show: a person's override, else the AI's triage, else what was submitted."""
    triage = None if is_shadow(row) else ai_triage(row)
    entries = override_entries(row)
    ai_tags = triage.tags if triage else []
    score = triage.sentiment_score if triage else row.get("submitted_sentiment_score")
    label = triage.sentiment_label if triage else (sentiment_label(score) if score is not None else None)
    return {
        "category": _first(
            _overridden_value(entries, "category"),
            triage.category.value if triage else None,
            row.get("submitted_category"),
        ),
        "priority": _first(
            _overridden_value(entries, "priority"),
            triage.priority.value if triage else None,
            row.get("submitted_priority"),
        ),
        "product_area": _first(
            _overridden_value(entries, "product_area"),
            triage.product_area if triage else None,
            row.get("submitted_product_area"),
        ),
        # An override may clear the tags ([]); an AI that found none does not hide the submitted ones.
        "tags": _first(_overridden_value(entries, "tags"), ai_tags or None, row.get("submitted_tags"), []),
        "sentiment_score": score,
        "sentiment_label": label.value if label else None,
    } | _duplicate_columns(row, entries)


def _duplicate_columns(row: Row, entries: list[OverrideEntry]) -> Columns:
    """The parent the item's votes count towards: dedupe's link (it owns links), else the model's suggestion.

    A person's "not a duplicate" made after the newest link wins until dedupe confirms it with a link.
    """
    link, person = duplicate_link(row), _newest_override(entries, "not_duplicate")
    if person is not None and person.not_duplicate and (link is None or person.occurred_at > row["linked_at"]):
        return {"duplicate_of": None, "duplicate_state": "not_duplicate"}
    if link is not None:
        return {"duplicate_of": link.duplicate_of, "duplicate_state": link.state}
    suggested = row.get("suggested_duplicate_of")
    return {"duplicate_of": suggested, "duplicate_state": "suggested" if suggested else None}


def ai_triage(row: Row) -> AITriage | None:
    """The AI's triage block the row holds, if any."""
    stored = row.get("triage")
    return AITriage.model_validate(stored) if stored else None


def is_shadow(row: Row) -> bool:
    """Whether the AI's triage is a shadow-mode suggestion, not to be shown as truth."""
    return bool((row.get("triage") or {}).get("shadow"))


def override_entries(row: Row) -> list[OverrideEntry]:
    """Every override the row holds, oldest first."""
    return [OverrideEntry.model_validate(entry) for entry in row.get("overrides") or []]


def duplicate_link(row: Row) -> DuplicateLink | None:
    """Dedupe's newest word on where the item stands among duplicates, if any."""
    stored = row.get("duplicate_link")
    return DuplicateLink.model_validate(stored) if stored else None


def customer_history(row: Row) -> CustomerHistory | None:
    """What enrich knew of the customer's earlier feedback when it matched this item."""
    stored = row.get("customer_history")
    return CustomerHistory.model_validate(stored) if stored else None


def _received(row: Row, event: FeedbackReceived | FeedbackUpdated) -> Columns:
    # An edit at the source carries the whole item as it now stands: it folds as a newer arrival.
    at, item = event.occurred_at, event.payload.item if isinstance(event, FeedbackUpdated) else event.payload
    if not is_newer(at, row.get("received_event_at")):
        return {}
    changes: Columns = {"received_event_at": at}
    if is_newer(at, _base_at(row)):
        changes |= _item_columns(item)
    # Until enrich has spoken, the submitted author is the best customer we know.
    if row.get("enriched_at") is None:
        changes |= _customer_columns(item.customer, known=None)
    return changes


def _enriched(row: Row, event: FeedbackEnriched) -> Columns:
    at, enriched = event.occurred_at, event.payload
    if not is_newer(at, row.get("enriched_at")):
        return {}
    changes: Columns = {"enriched_at": at} | _customer_columns(enriched.item.customer, known=enriched.match.known)
    changes["customer_history"] = enriched.history.model_dump(mode="json") if enriched.history else None
    # The enriched event carries the whole item, so it fills the base when received is late.
    if is_newer(at, _base_at(row)):
        changes |= _item_columns(enriched.item)
    return changes


def _triaged(row: Row, event: FeedbackTriaged) -> Columns:
    if not is_newer(event.occurred_at, row.get("triaged_at")):
        return {}
    # A shadow verdict is kept beside the human triage but never becomes an effective value.
    triage = event.payload.ai_triage.model_dump(mode="json") | {"shadow": event.payload.shadow}
    return {"triaged_at": event.occurred_at, "triage": triage}


def _deduped(row: Row, event: FeedbackDeduped) -> Columns:
    if not is_newer(event.occurred_at, row.get("deduped_at")):
        return {}
    result = event.payload
    return {
        "deduped_at": event.occurred_at,
        "similar_items": [similar.model_dump(mode="json") for similar in result.similar_items],
        "suggested_duplicate_of": result.duplicate_of,
        "duplicate_score": result.duplicate_score,
    }


def _overridden(row: Row, event: FeedbackOverridden) -> Columns:
    entries = override_entries(row)
    if any(entry.event_id == event.event_id for entry in entries):
        return {}
    entry = OverrideEntry(**event.payload.model_dump(), event_id=event.event_id, occurred_at=event.occurred_at)
    ordered = sorted([*entries, entry], key=lambda e: (e.occurred_at, str(e.event_id)))
    return {"overrides": [e.model_dump(mode="json") for e in ordered]}


def _linked(row: Row, event: DuplicateLinkChanged) -> Columns:
    if not is_newer(event.occurred_at, row.get("linked_at")):
        return {}
    return {"linked_at": event.occurred_at, "duplicate_link": event.payload.model_dump(mode="json")}


def _themed(row: Row, event: FeedbackThemed) -> Columns:
    if not is_newer(event.occurred_at, row.get("themed_at")):
        return {}
    return {"themed_at": event.occurred_at, "theme_id": event.payload.theme_id, "theme_score": event.payload.score}


def _newest_override(entries: list[OverrideEntry], field: str) -> OverrideEntry | None:
    """The newest override that sets `field`, or None when no person has touched it."""
    return next((entry for entry in reversed(entries) if getattr(entry, field) is not None), None)


def _overridden_value(entries: list[OverrideEntry], field: str) -> Any:
    entry = _newest_override(entries, field)
    return getattr(entry, field) if entry else None


def _base_at(row: Row) -> datetime | None:
    """When the base fields were written: by the newest received or enriched event folded."""
    stamps = [stamp for stamp in (row.get("received_event_at"), row.get("enriched_at")) if stamp is not None]
    return max(stamps, default=None)


def _item_columns(item: FeedbackItem) -> Columns:
    return {
        "source": item.source.value,
        "source_id": item.source_id,
        "title": item.title,
        "description": item.description,
        "url": str(item.url) if item.url else None,
        "votes": item.votes,
        "status": item.status.value,
        "created_at": item.created_at,
        "received_at": item.received_at,
        "submitted_category": item.category.value if item.category else None,
        "submitted_priority": item.priority.value if item.priority else None,
        "submitted_sentiment_score": item.sentiment_score,
        "submitted_tags": list(item.tags),
        "submitted_product_area": item.product_area,
    }


def _customer_columns(customer: Customer, known: bool | None) -> Columns:
    return {
        "customer_id": customer.id,
        "customer_email": customer.email,
        "customer_name": customer.name,
        "customer_company": customer.company,
        "customer_tier": customer.tier.value if customer.tier else None,
        "customer_arr": customer.arr,
        "customer_health": customer.health_score,
        "customer_at_risk": customer.at_risk,
        "customer_known": known,
    }


def _launch_columns(payload: LaunchPayload) -> Columns:
    launch, checklist = payload.launch, payload.checklist
    return {
        "launch": launch.model_dump(mode="json"),
        "name": launch.name,
        "status": launch.status.value,
        "team": launch.team.value,
        "type": launch.type.value,
        "start_date": launch.start_date,
        "target_date": launch.target_date,
        "checklist": checklist.model_dump(mode="json") if checklist else None,
        "readiness": checklist.readiness.overall if checklist else None,
    }


def _first(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def _latest(current: datetime | None, incoming: datetime) -> datetime:
    return incoming if current is None else max(current, incoming)


# --- themes -------------------------------------------------------------------------------------

ThemeSort = Literal["arr", "votes", "items", "trend"]


def fold_theme(row: Row, event: ThemeChanged) -> Columns:
    """The columns a theme change sets: the theme as of its newest event."""
    if not is_newer(event.occurred_at, row.get("changed_event_at")):
        return {}
    theme = event.payload
    return {
        "changed_event_at": event.occurred_at,
        "name": theme.name,
        "name_source": theme.name_source,
        "keywords": list(theme.keywords),
        "summary": theme.summary,
        "merged_into": theme.merged_into,
        "created_at": theme.created_at,
        "changed_at": theme.changed_at,
        "changed_by": theme.changed_by,
        "updated_at": _latest(row.get("updated_at"), event.occurred_at),
    }


class WeekCount(BaseModel):
    """Items received in one ISO week (Monday to Sunday, UTC)."""

    week: str
    start: date
    count: int


class ThemeStats(BaseModel):
    """A theme's numbers, computed from its items' rows; a merged duplicate counts once, in its parent."""

    theme_id: UUID
    items: int = 0
    mentions: int = 0
    votes: int = 0
    customers: int = 0
    at_risk_customers: int = 0
    arr: float = 0.0
    product_areas: dict[str, int] = Field(default_factory=dict)
    weekly: list[WeekCount] = Field(default_factory=list)

    @property
    def trend(self) -> int:
        return trend_change([week.count for week in self.weekly])


def week_starts(now: datetime, weeks: int) -> list[date]:
    """The Mondays of the last `weeks` ISO weeks, the current one included, oldest first."""
    monday = now.astimezone(UTC).date() - timedelta(days=now.astimezone(UTC).weekday())
    return [monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]


def week_bounds(now: datetime, weeks: int) -> list[datetime]:
    """Where each of the last `weeks` ISO weeks begins: Monday 00:00 UTC, oldest first."""
    return [datetime.combine(start, time.min, tzinfo=UTC) for start in week_starts(now, weeks)]


def weekly(now: datetime, weeks: int, counts: Mapping[int, int]) -> list[WeekCount]:
    """The last `weeks` ISO weeks, oldest first, with the counts given by week index (0: the oldest), else 0."""
    starts = week_starts(now, weeks)
    labels = [f"{start.isocalendar().year}-W{start.isocalendar().week:02d}" for start in starts]
    return [
        WeekCount(week=label, start=start, count=counts.get(i, 0))
        for i, (label, start) in enumerate(zip(labels, starts, strict=True))
    ]


def trend_change(counts: Sequence[int]) -> int:
    """Growth: items in the newer half of the weeks minus items in the older half (a middle week sits out)."""
    half = len(counts) // 2
    return sum(counts[len(counts) - half :]) - sum(counts[:half])


def top_product_areas(counts: Mapping[str, int], limit: int) -> list[tuple[str, int]]:
    """The most common product areas, most items first, then by name."""
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]


def theme_key(stats: ThemeStats, sort: ThemeSort) -> float:
    return {"arr": stats.arr, "votes": stats.votes, "items": stats.items, "trend": stats.trend}[sort]


def rank_themes(themes: Iterable[ThemeStats], sort: ThemeSort) -> list[ThemeStats]:
    """Largest first by the chosen measure, then by items, then by id, so pages never overlap."""
    return sorted(themes, key=lambda stats: (-theme_key(stats, sort), -stats.items, str(stats.theme_id)))


# --- launch calendar ----------------------------------------------------------------------------


class Dated(Protocol):
    @property
    def start_date(self) -> date | None: ...

    @property
    def target_date(self) -> date: ...


D = TypeVar("D", bound=Dated)


def by_month(launches: Sequence[D], year: int) -> list[list[D]]:
    """The twelve months of the year, each with the launches that target a day in it."""
    months: list[list[D]] = [[] for _ in range(12)]
    for launch in launches:
        if launch.target_date.year == year:
            months[launch.target_date.month - 1].append(launch)
    return months


def quarter_span(year: int, quarter: int) -> tuple[date, date]:
    """The first and the last day of a quarter (1 to 4)."""
    first = date(year, 3 * quarter - 2, 1)
    after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, after - timedelta(days=1)


def by_quarter(launches: Sequence[D], year: int) -> list[list[D]]:
    """The four quarters of the year, each with the launches whose span (start to target) overlaps it."""
    quarters: list[list[D]] = []
    for quarter in range(1, 5):
        first, last = quarter_span(year, quarter)
        quarters.append(
            [
                launch
                for launch in launches
                if (launch.start_date or launch.target_date) <= last and launch.target_date >= first
            ]
        )
    return quarters


# --- feedback over time -------------------------------------------------------------------------


class CategoryWeek(BaseModel):
    """Items created in one ISO week (Monday to Sunday, UTC), by category."""

    week: str
    start: date
    end: date = Field(description="Its Sunday: the last day it holds.")
    by_category: dict[Category, int] = Field(description="Every category, 0 when it has no items that week.")
    uncategorized: int = Field(description="Items with no category yet (not triaged).")
    total: int


def category_weeks(now: datetime, weeks: int, counts: Mapping[tuple[int, str | None], int]) -> list[CategoryWeek]:
    """The last `weeks` ISO weeks, oldest first, from counts by (week index, category); missing ones are 0."""
    return [
        CategoryWeek(
            week=week.week,
            start=week.start,
            end=week.start + timedelta(days=6),
            by_category={category: counts.get((index, category.value), 0) for category in Category},
            uncategorized=counts.get((index, None), 0),
            total=sum(count for (at, _), count in counts.items() if at == index),
        )
        for index, week in enumerate(weekly(now, weeks, {}))
    ]


# --- the feedback list's cursor -------------------------------------------------------------------

FeedbackSort = Literal["created_at", "priority", "arr"]
SortOrder = Literal["desc", "asc"]
# Past this many matches a text search stops counting (every match costs a substring test of its text).
TEXT_COUNT_CAP = 10_000
PRIORITY_RANKS = (1, 2, 3, 4)


class FeedbackCursor(BaseModel):
    """Where a page of the feedback list ended: its last row's sort key, created_at and id, in the order they follow.

    Not signed: decoding checks every type strictly, and a forged cursor can only ask for another page.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    sort: FeedbackSort
    order: SortOrder
    key: int | float | None = Field(
        default=None, description="The priority rank or the ARR (None: the row has none); unused by created_at."
    )
    created_at: AwareDatetime
    item_id: UUID

    @model_validator(mode="after")
    def _key_fits_the_sort(self) -> FeedbackCursor:
        key = self.key
        if self.sort == "created_at" and key is not None:
            raise ValueError("a created_at cursor carries no key")
        if self.sort == "priority" and key is not None and (type(key) is not int or key not in PRIORITY_RANKS):
            raise ValueError(f"a priority cursor's key is a rank in {PRIORITY_RANKS}")
        if self.sort == "arr" and key is not None and not math.isfinite(key):
            raise ValueError("an arr cursor's key is a finite number")
        return self


def encode_cursor(cursor: FeedbackCursor) -> str:
    """URL-safe base64 of the cursor's JSON, unpadded."""
    return base64.urlsafe_b64encode(cursor.model_dump_json().encode()).rstrip(b"=").decode()


def decode_cursor(text: str) -> FeedbackCursor:
    """The cursor encode_cursor made; ValueError for anything else."""
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        return FeedbackCursor.model_validate_json(raw)
    except (binascii.Error, ValidationError) as error:
        raise ValueError("not a cursor of this list: pass next_cursor as the previous page gave it") from error
