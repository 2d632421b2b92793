"""Who to tell when a launch ships, and what to say. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from libs.schemas.events import Notification, ShippedLaunch
from libs.schemas.feedback import Tier


@dataclass(frozen=True)
class Requester:
    """A customer who asked, through one feedback item."""

    item_id: UUID
    email: str | None
    company: str | None
    tier: Tier | None


def audience_key(requester: Requester) -> str | None:
    """One message per person: by email, else by company; nobody to tell without either."""
    if requester.email:
        return requester.email.lower()
    return f"company:{requester.company.lower()}" if requester.company else None


def notifications_for(shipped: ShippedLaunch, requesters: list[Requester], now: datetime) -> list[Notification]:
    """One in-app notification per customer who asked, listing every item of theirs it answers."""
    by_audience: dict[str, list[Requester]] = {}
    for requester in requesters:
        if (key := audience_key(requester)) is not None:
            by_audience.setdefault(key, []).append(requester)
    launch = shipped.launch
    notifications = []
    for key, asked in sorted(by_audience.items()):
        first = asked[0]
        items = sorted({requester.item_id for requester in asked}, key=str)
        notifications.append(
            Notification(
                # Stable per launch and person, so a replay sends nothing twice.
                id=uuid5(NAMESPACE_URL, f"prodops:notify/{launch.id}/in_app/{key}"),
                launch_id=launch.id,
                launch_name=launch.name,
                channel="in_app",
                customer_email=first.email,
                customer_company=first.company,
                customer_tier=first.tier,
                feedback_ids=items,
                message=_message(launch.name, len(items)),
                sent_at=now,
            )
        )
    return notifications


def _message(launch_name: str, asked: int) -> str:
    requests = "your request" if asked == 1 else f"{asked} of your requests"
    return f"{launch_name} has shipped. It answers {requests}: thank you for telling us."
