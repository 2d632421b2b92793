"""Launch lifecycle rules. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime

from libs.schemas.launches import Launch, LaunchStatus


def shipped_at_after(incoming: Launch, shipped_before: datetime | None, now: datetime) -> datetime | None:
    """When the launch shipped: kept from the first time it reached Shipped, even if it is reopened."""
    if shipped_before is not None:
        return shipped_before
    return now if incoming.status == LaunchStatus.SHIPPED else None


def ships_now(incoming: Launch, shipped_before: datetime | None) -> bool:
    """A launch announces it shipped once: the first time it reaches Shipped."""
    return incoming.status == LaunchStatus.SHIPPED and shipped_before is None
