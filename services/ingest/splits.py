"""Sales calls: the transcript item, and its requests (feedback.split from triage) as items of their own. Pure.

Each request voiced in a call becomes a child item: the parent's source and customer, the quote in
its description, a link back to the parent, and an id derived from the parent's id and the
request's place in the split, so a split read twice makes the same items.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from libs.schemas.events import FeedbackReceived, FeedbackSplit, VoicedRequest
from libs.schemas.feedback import FeedbackInput, FeedbackItem, FeedbackStatus
from services.ingest import domain

SALES_CALL_TAG = "sales-call"
# On the transcript itself, which is closed: the call is not one request, its children are.
TRANSCRIPT_TAG = "transcript"


def child_id(parent_id: UUID, index: int) -> UUID:
    """The id of the item made from the index-th request voiced in a transcript."""
    return uuid5(NAMESPACE_URL, f"prodops:split/{parent_id}/{index}")


def child_item(parent: FeedbackItem, request: VoicedRequest, index: int, now: datetime) -> FeedbackItem:
    """One voiced request as an item: who said it, in their words, on which call."""
    source_id = f"{parent.source_id}#{index + 1}" if parent.source_id else None
    return FeedbackItem(
        id=child_id(parent.id, index),
        source=parent.source,
        source_id=source_id[:200] if source_id else None,
        title=request.title,
        description=f"{request.description}\n\n“{request.quote}”\n— {request.speaker}, on the call “{parent.title}”",
        customer=parent.customer,
        tags=[SALES_CALL_TAG, request.kind],
        url=parent.url,
        created_at=parent.created_at,
        received_at=now,
        parent_id=parent.id,
    )


def children(parent: FeedbackItem, split: FeedbackSplit, now: datetime) -> list[FeedbackReceived]:
    """The feedback.received event of every request in a split, caused by the split."""
    return [
        domain.received_event(child_item(parent, request, index, now)).model_copy(
            update={"causation_id": split.event_id}
        )
        for index, request in enumerate(split.payload.requests)
    ]


def transcript_parent(call: FeedbackInput) -> FeedbackInput:
    """A call whose text is its transcript, closed: the requests voiced in it become the items to act on."""
    return call.model_copy(
        update={
            "status": FeedbackStatus.CLOSED,
            "tags": list(dict.fromkeys([*call.tags, SALES_CALL_TAG, TRANSCRIPT_TAG]))[:20],
        }
    )
