"""The read model's folding rules: which columns each event owns, newer wins, people beat the AI.

Pure functions, no I/O. A row is the mapping of a read table's column values ({} before its
first event); folding an event yields only the columns it changes. Folding the same events in
any order gives the same row, and folding an event again changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar
from uuid import UUID

from pydantic import AwareDatetime

from libs.schemas.events import (
    FeedbackDeduped,
    FeedbackEnriched,
    FeedbackOverridden,
    FeedbackReceived,
    FeedbackTriaged,
    LaunchChanged,
    LaunchPayload,
    LaunchShipped,
    TriageOverride,
)
from libs.schemas.feedback import AITriage, Customer, FeedbackItem, sentiment_label

Row = Mapping[str, Any]
Columns = dict[str, Any]
FeedbackEvent = FeedbackReceived | FeedbackEnriched | FeedbackTriaged | FeedbackDeduped | FeedbackOverridden
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
        case FeedbackReceived():
            changes = _received(row, event)
        case FeedbackEnriched():
            changes = _enriched(row, event)
        case FeedbackTriaged():
            changes = _triaged(row, event)
        case FeedbackDeduped():
            changes = _deduped(row, event)
        case FeedbackOverridden():
            changes = _overridden(row, event)
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
        "duplicate_of": None if _overridden_value(entries, "not_duplicate") else row.get("suggested_duplicate_of"),
    }


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


def _received(row: Row, event: FeedbackReceived) -> Columns:
    at, item = event.occurred_at, event.payload
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
    changes = {"enriched_at": at} | _customer_columns(enriched.item.customer, known=enriched.match.known)
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


def _overridden_value(entries: list[OverrideEntry], field: str) -> Any:
    """The newest override that sets `field`, or None when no person has touched it."""
    for entry in reversed(entries):
        if (value := getattr(entry, field)) is not None:
            return value
    return None


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
