"""The customers table (this service's copy of the CRM) and its import from CSV or JSON."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Column, func
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import UTCDateTime, upsert_insert
from libs.schemas.events import utcnow
from libs.schemas.feedback import Customer, Tier
from services.enrich.domain import Candidates, email_domain, normalize_company, normalize_email


class CustomerRecord(SQLModel, table=True):
    __tablename__ = "customers"

    id: str = SQLField(primary_key=True, max_length=100)
    company: str = SQLField(max_length=200)
    company_key: str = SQLField(index=True, max_length=200)
    domain: str | None = SQLField(default=None, index=True, max_length=200)
    contact_email: str | None = SQLField(default=None, index=True, max_length=320)
    tier: str = SQLField(max_length=20)
    arr: float = 0.0
    health_score: float | None = None
    updated_at: datetime = SQLField(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, server_default=func.now())
    )

    def as_customer(self) -> Customer:
        return Customer(
            id=self.id, company=self.company, tier=Tier(self.tier), arr=self.arr, health_score=self.health_score
        )


class CustomerImportRow(BaseModel):
    """One account of a CRM export; columns: id, company, domain, email, tier, arr, health_score."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1)
    company: str = Field(min_length=1)
    domain: str | None = None
    email: str | None = None
    tier: Tier
    arr: float = Field(default=0.0, ge=0)
    health_score: float | None = Field(default=None, ge=0, le=100)

    @field_validator("tier", mode="before")
    @classmethod
    def _tier_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("domain", "email", "health_score", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value


def read_customers_file(path: Path) -> list[CustomerImportRow]:
    """Parse a CSV (with a header) or a JSON array of accounts; a bad row names its line."""
    if path.suffix.lower() == ".json":
        rows = json.loads(path.read_text())
    else:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    parsed = []
    for number, row in enumerate(rows, start=1):
        try:
            parsed.append(CustomerImportRow.model_validate(row))
        except ValueError as error:
            raise ValueError(f"{path}: customer row {number}: {error}") from error
    return parsed


async def upsert_customers(session: AsyncSession, rows: list[CustomerImportRow]) -> int:
    if not rows:
        return 0
    values = [
        {
            "id": row.id,
            "company": row.company,
            "company_key": normalize_company(row.company) or row.company.lower(),
            "domain": (row.domain or email_domain(row.email) or "").lower() or None,
            "contact_email": normalize_email(row.email),
            "tier": row.tier.value,
            "arr": row.arr,
            "health_score": row.health_score,
            "updated_at": utcnow(),
        }
        for row in rows
    ]
    statement = upsert_insert(session)(CustomerRecord).values(values)
    updated = {name: statement.excluded[name] for name in values[0] if name != "id"}
    await session.exec(statement.on_conflict_do_update(index_elements=["id"], set_=updated))  # type: ignore[call-overload]
    return len(values)


async def find_candidates(session: AsyncSession, submitted: Customer) -> Candidates:
    async def first(condition) -> Customer | None:  # type: ignore[no-untyped-def]
        record = (await session.exec(select(CustomerRecord).where(condition).limit(1))).first()
        return record.as_customer() if record else None

    email = normalize_email(submitted.email)
    domain = email_domain(submitted.email)
    company = normalize_company(submitted.company)
    return Candidates(
        by_email=await first(CustomerRecord.contact_email == email) if email else None,
        by_domain=await first(CustomerRecord.domain == domain) if domain else None,
        by_company=await first(CustomerRecord.company_key == company) if company else None,
    )
