"""What webhooks bring: a request as it arrived, and the feedback a verified delivery carries.

The REST side (requests, pages, cursors) is shared with enrich's CRM adapters: libs/connectors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from libs.connectors.records import JSON
from libs.schemas.feedback import FeedbackInput


@dataclass(frozen=True)
class WebhookRequest:
    """A webhook delivery exactly as it arrived: the raw body is verified before anything parses it."""

    method: str
    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Feedback:
    """One vendor record that is feedback, kept raw beside what it became."""

    record: JSON
    item: FeedbackInput
    updated_at: datetime | None = None
    """When the vendor last changed the record, for a source whose records say so (`Connector.versioned`)."""


@dataclass(frozen=True)
class WebhookEvent:
    """What a verified delivery says: its event name, its delivery id, and the feedback it carries."""

    name: str
    delivery_id: str
    feedback: list[Feedback]
    edits: list[Feedback] = field(default_factory=list)
    """Records from an update event: they change items the hub holds, and create none."""
