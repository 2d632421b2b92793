"""Who is asking, and are they about to leave: matching, tiers, CRM records, churn rules. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from libs.connectors.records import problem_of
from libs.schemas.events import CustomerHistory, CustomerMatch, EnrichedFeedback
from libs.schemas.feedback import Customer, FeedbackItem, Tier

# A gmail address says nothing about the company behind it.
PERSONAL_EMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "yahoo.com",
        "icloud.com",
        "proton.me",
        "protonmail.com",
    }
)
_COMPANY_SUFFIX = re.compile(r"\b(inc|llc|ltd|gmbh|sa|sas|bv|corp|corporation|co|limited|plc|ag)\b\.?", re.IGNORECASE)
# The contract's page of previous item ids.
HISTORY_PAGE = 20
TIER_RANK = {Tier.FREE: 0, Tier.PRO: 1, Tier.ENTERPRISE: 2}


def normalize_email(email: str | None) -> str | None:
    return email.strip().lower() if email and "@" in email else None


def email_domain(email: str | None) -> str | None:
    """The company domain of an address, or None for personal mail providers."""
    normalized = normalize_email(email)
    if normalized is None:
        return None
    domain = normalized.rsplit("@", 1)[1]
    return None if domain in PERSONAL_EMAIL_DOMAINS else domain


def normalize_company(name: str | None) -> str | None:
    """'Acme, Inc.' and 'acme' are the same company."""
    if not name:
        return None
    stripped = _COMPANY_SUFFIX.sub("", name.lower())
    collapsed = re.sub(r"[^a-z0-9]+", " ", stripped).strip()
    return collapsed or None


def website_domain(website: str | None) -> str | None:
    """'https://www.Acme.io/about' and 'acme.io' are the domain acme.io."""
    if not website or not website.strip():
        return None
    value = website.strip().lower()
    host = urlsplit(value if "//" in value else f"//{value}").hostname or ""
    host = host.removeprefix("www.")
    return host if "." in host else None


# --- accounts: what the CSV/JSON import and the CRMs give -------------------------------------------


class Account(BaseModel):
    """One customer account, from an export (columns: id, company, domain, email, tier, arr, health_score) or a CRM."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=100)
    company: str = Field(min_length=1, max_length=200)
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

    @field_validator("domain")
    @classmethod
    def _bare_domain(cls, value: str | None) -> str | None:
        return website_domain(value)

    @property
    def match_domain(self) -> str | None:
        """The domain authors' addresses are matched on: the account's own, or its contact's."""
        return self.domain or email_domain(self.email)


class TierRules(BaseModel):
    """How a CRM's plan (or, without one, its ARR) becomes a tier."""

    plans: dict[str, Tier]
    enterprise_arr_from: float = Field(ge=0)
    pro_arr_from: float = Field(ge=0)


def tier_of(plan: str | None, arr: float | None, rules: TierRules) -> Tier:
    """The plan's tier when the account has a plan, else the tier its ARR reaches; an unknown plan is an error."""
    if plan is not None and plan.strip():
        known = {name.lower(): tier for name, tier in rules.plans.items()}
        tier = known.get(plan.strip().lower())
        if tier is None:
            raise ValueError(f"unknown plan {plan!r}: map it to free, pro or enterprise in the plan_tiers setting")
        return tier
    arr = arr or 0.0
    if arr >= rules.enterprise_arr_from:
        return Tier.ENTERPRISE
    return Tier.PRO if arr >= rules.pro_arr_from else Tier.FREE


def number(value: object, field: str) -> float | None:
    """A CRM's numeric property (HubSpot sends strings, Salesforce numbers); None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{field} is not a number: {value!r}") from None


@dataclass(frozen=True)
class CrmRecord:
    """The fields of a CRM account that become a customer, read from the vendor's record by its adapter."""

    crm: str
    id: str
    name: str | None
    website: str | None
    plan: object = None
    arr: object = None
    health: object = None


def crm_account(record: CrmRecord, rules: TierRules) -> Account:
    """A CRM account as a customer; raises ValueError (naming the record) when it cannot be one."""
    try:
        if not record.name or not record.name.strip():
            raise ValueError("it has no name")
        arr = number(record.arr, "ARR")
        plan = None if record.plan is None else str(record.plan)
        return Account(
            id=f"{record.crm}:{record.id}",
            company=record.name,
            domain=website_domain(record.website),
            tier=tier_of(plan, arr, rules),
            arr=arr or 0.0,
            health_score=number(record.health, "health score"),
        )
    except ValueError as error:
        raise ValueError(f"{record.crm} account {record.id}: {problem_of(error)}") from error


# --- tiers over time ---------------------------------------------------------------------------------


def is_downgrade(before: Tier | None, after: Tier | None) -> bool:
    return before is not None and after is not None and TIER_RANK[after] < TIER_RANK[before]


@dataclass(frozen=True)
class TierChange:
    """The tier a customer had before its latest change of tier, and when that change was seen."""

    previous_tier: Tier | None = None
    changed_at: datetime | None = None


def tier_change(stored_tier: Tier | None, stored: TierChange, new_tier: Tier, now: datetime) -> TierChange:
    """What a customer keeps of its past tier after an upsert: a new change replaces the old one."""
    if stored_tier is None or stored_tier == new_tier:
        return stored
    return TierChange(previous_tier=stored_tier, changed_at=now)


# --- matching ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """A customer of the store, with its tier before the latest change."""

    customer: Customer
    tier_change: TierChange = TierChange()


@dataclass(frozen=True)
class Candidates:
    """What the customers store found for an author, by each way of matching."""

    by_email: Known | None = None
    by_domain: Known | None = None
    by_company: Known | None = None


@dataclass(frozen=True)
class Matched:
    customer: Customer
    match: CustomerMatch
    known: Known | None


def match_customer(submitted: Customer, candidates: Candidates) -> Matched:
    """The best match (email, then domain, then company); an unknown author keeps what was submitted."""
    ways: tuple[tuple[Literal["email", "domain", "company"], Known | None], ...] = (
        ("email", candidates.by_email),
        ("domain", candidates.by_domain),
        ("company", candidates.by_company),
    )
    for matched_by, found in ways:
        if found is not None:
            customer = found.customer.model_copy(
                update={"email": submitted.email or found.customer.email, "name": submitted.name or found.customer.name}
            )
            return Matched(customer, CustomerMatch(matched_by=matched_by, known=True), found)
    return Matched(submitted, CustomerMatch(matched_by="none", known=False), None)


# --- churn -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChurnRules:
    health_below: float
    negative_items: int
    window: timedelta
    downgrade_window: timedelta


def churn_signals(
    customer: Customer, known: Known | None, negative_recent: int, at: datetime, rules: ChurnRules
) -> list[str]:
    """Why a customer is at risk at time `at`, in words; empty when it is not."""
    signals = []
    if customer.health_score is not None and customer.health_score < rules.health_below:
        signals.append(f"health {customer.health_score:g} < {rules.health_below:g}")
    if negative_recent >= rules.negative_items:
        signals.append(f"{negative_recent} negative items in {rules.window.days} days")
    change = known.tier_change if known else TierChange()
    recent = change.changed_at is not None and change.changed_at >= at - rules.downgrade_window
    if recent and is_downgrade(change.previous_tier, customer.tier):
        signals.append(f"downgraded {change.previous_tier} -> {customer.tier}")
    return signals


@dataclass(frozen=True)
class PastItems:
    """What the store holds of a customer's items created before this one."""

    count: int
    recent_ids: list[UUID]
    """The most recent first."""
    negative_recent: int


def enriched(item: FeedbackItem, matched: Matched, past: PastItems | None, rules: ChurnRules) -> EnrichedFeedback:
    """The item with its customer (at risk or not, and why) and the customer's history."""
    negative = past.negative_recent if past else 0
    signals = churn_signals(matched.customer, matched.known, negative, item.created_at, rules)
    customer = matched.customer.model_copy(update={"at_risk": bool(signals)})
    history = (
        CustomerHistory(
            previous_items=past.count,
            previous_item_ids=past.recent_ids[:HISTORY_PAGE],
            negative_items_recent=negative,
            churn_signals=signals,
        )
        if past is not None
        else None
    )
    return EnrichedFeedback(item=item.model_copy(update={"customer": customer}), match=matched.match, history=history)
