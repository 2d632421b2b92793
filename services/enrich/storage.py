"""Enrich's tables: the customers (its copy of the CRM), the items each customer sent, and which were negative
(the CRM sync's cursors and rejected records are libs/connectors' tables)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Column, Index, and_, func, or_
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.connectors.sync import Written
from libs.runtime.database import UTCDateTime, upsert_insert
from libs.schemas.events import utcnow
from libs.schemas.feedback import Customer, FeedbackItem, Tier
from services.enrich.domain import (
    HISTORY_PAGE,
    Account,
    Candidates,
    Known,
    PastItems,
    TierChange,
    email_domain,
    normalize_company,
    normalize_email,
    tier_change,
)


class CustomerRecord(SQLModel, table=True):
    __tablename__ = "customers"

    id: str = Field(primary_key=True, max_length=100)
    company: str = Field(max_length=200)
    company_key: str = Field(index=True, max_length=200)
    domain: str | None = Field(default=None, index=True, max_length=200)
    contact_email: str | None = Field(default=None, index=True, max_length=320)
    tier: str = Field(max_length=20)
    arr: float = 0.0
    health_score: float | None = None
    # The tier before the latest change of tier, kept so that a downgrade shows.
    previous_tier: str | None = Field(default=None, max_length=20)
    tier_changed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    def as_known(self) -> Known:
        customer = Customer(
            id=self.id, company=self.company, tier=Tier(self.tier), arr=self.arr, health_score=self.health_score
        )
        previous = Tier(self.previous_tier) if self.previous_tier else None
        return Known(customer, TierChange(previous, self.tier_changed_at))


class CustomerItem(SQLModel, table=True):
    """Every item enrich saw, once, with the customer it came from (the CRM id, and the author's email)."""

    __tablename__ = "customer_items"
    __table_args__ = (
        Index("ix_customer_items_customer_time", "customer_id", "created_at"),
        Index("ix_customer_items_email_time", "email", "created_at"),
    )

    item_id: UUID = Field(primary_key=True)
    customer_id: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=320)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ItemSentiment(SQLModel, table=True):
    """Triage's latest sentiment of an item (kept apart: it may arrive before enrich sees the item on a replay)."""

    __tablename__ = "item_sentiments"

    item_id: UUID = Field(primary_key=True)
    negative: bool
    sentiment_score: float
    processed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


# --- customers ---------------------------------------------------------------------------------------


def read_customers_file(path: Path) -> list[Account]:
    """Parse a CSV (with a header) or a JSON array of accounts; a bad row names its line."""
    if path.suffix.lower() == ".json":
        rows = json.loads(path.read_text())
    else:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    parsed = []
    for number, row in enumerate(rows, start=1):
        try:
            parsed.append(Account.model_validate(row))
        except ValueError as error:
            raise ValueError(f"{path}: customer row {number}: {error}") from error
    return parsed


async def upsert_customers(session: AsyncSession, accounts: Sequence[Account]) -> Written:
    """Insert or update accounts by id, keeping the tier each had before a change of tier."""
    latest = {account.id: account for account in accounts}  # one row per id: the last one wins
    if not latest:
        return Written(new=0)
    stored = {
        row.id: row
        for row in (await session.exec(select(CustomerRecord).where(col(CustomerRecord.id).in_(latest)))).all()
    }
    now = utcnow()
    values: list[dict[str, Any]] = []
    for account in latest.values():
        before = stored.get(account.id)
        change = (
            tier_change(Tier(before.tier), before.as_known().tier_change, account.tier, now) if before else TierChange()
        )
        values.append(
            {
                "id": account.id,
                "company": account.company,
                "company_key": normalize_company(account.company) or account.company.lower(),
                "domain": account.match_domain,
                "contact_email": normalize_email(account.email),
                "tier": account.tier.value,
                "arr": account.arr,
                "health_score": account.health_score,
                "previous_tier": change.previous_tier.value if change.previous_tier else None,
                "tier_changed_at": change.changed_at,
                "updated_at": now,
            }
        )
    statement = upsert_insert(session)(CustomerRecord).values(values)
    updated = {name: statement.excluded[name] for name in values[0] if name != "id"}
    await session.exec(statement.on_conflict_do_update(index_elements=["id"], set_=updated))
    return Written(new=len(latest) - len(stored), updated=len(stored))


async def find_candidates(session: AsyncSession, submitted: Customer) -> Candidates:
    async def first(condition: Any) -> Known | None:
        query = select(CustomerRecord).where(condition).order_by(col(CustomerRecord.id)).limit(1)
        record = (await session.exec(query)).first()
        return record.as_known() if record else None

    email = normalize_email(submitted.email)
    domain = email_domain(submitted.email)
    company = normalize_company(submitted.company)
    return Candidates(
        by_email=await first(CustomerRecord.contact_email == email) if email else None,
        by_domain=await first(CustomerRecord.domain == domain) if domain else None,
        by_company=await first(CustomerRecord.company_key == company) if company else None,
    )


# --- history -----------------------------------------------------------------------------------------


async def record_item(session: AsyncSession, item: FeedbackItem, customer_id: str | None, email: str | None) -> None:
    """Remember who sent an item; seeing it again (a replay) changes nothing but a better match."""
    statement = upsert_insert(session)(CustomerItem).values(
        item_id=item.id, customer_id=customer_id, email=email, created_at=item.created_at
    )
    statement = statement.on_conflict_do_update(
        index_elements=["item_id"],
        set_={"customer_id": statement.excluded.customer_id, "email": statement.excluded.email},
    )
    await session.exec(statement)


async def past_items(
    session: AsyncSession, item: FeedbackItem, customer_id: str | None, email: str | None, window: timedelta
) -> PastItems:
    """The customer's items created before this one (by CRM id, or by the author's email), and the negative ones
    among those created within `window` before it."""
    ways = [
        *([col(CustomerItem.customer_id) == customer_id] if customer_id else []),
        *([col(CustomerItem.email) == email] if email else []),
    ]
    if not ways:
        raise ValueError("a customer's history needs its CRM id or its email")
    same_customer = or_(*ways)
    # Before this item in a total order, so that a replay gives the same history.
    earlier = or_(
        col(CustomerItem.created_at) < item.created_at,
        and_(col(CustomerItem.created_at) == item.created_at, col(CustomerItem.item_id) < item.id),
    )
    mine = and_(same_customer, earlier)
    count = (await session.exec(select(func.count()).select_from(CustomerItem).where(mine))).one()
    recent = await session.exec(
        select(CustomerItem.item_id)
        .where(mine)
        .order_by(col(CustomerItem.created_at).desc(), col(CustomerItem.item_id).desc())
        .limit(HISTORY_PAGE)
    )
    negative = (
        await session.exec(
            select(func.count())
            .select_from(CustomerItem)
            .join(ItemSentiment, col(ItemSentiment.item_id) == col(CustomerItem.item_id))
            .where(mine, col(ItemSentiment.negative), col(CustomerItem.created_at) >= item.created_at - window)
        )
    ).one()
    return PastItems(count=count, recent_ids=list(recent.all()), negative_recent=negative)


async def record_sentiment(
    session: AsyncSession, item_id: UUID, score: float, negative: bool, processed_at: datetime
) -> None:
    """Keep triage's latest verdict on an item; an older one arriving late changes nothing."""
    statement = upsert_insert(session)(ItemSentiment).values(
        item_id=item_id, negative=negative, sentiment_score=score, processed_at=processed_at
    )
    statement = statement.on_conflict_do_update(
        index_elements=["item_id"],
        set_={
            "negative": statement.excluded.negative,
            "sentiment_score": statement.excluded.sentiment_score,
            "processed_at": statement.excluded.processed_at,
        },
        where=col(ItemSentiment.processed_at) <= statement.excluded.processed_at,
    )
    await session.exec(statement)
