"""Who is asking: match an item's author to a CRM customer. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass

from libs.schemas.events import CustomerMatch, EnrichedFeedback
from libs.schemas.feedback import Customer, FeedbackItem

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


@dataclass(frozen=True)
class Candidates:
    """What the customers store found for an author, by each way of matching."""

    by_email: Customer | None = None
    by_domain: Customer | None = None
    by_company: Customer | None = None


def match_customer(submitted: Customer, candidates: Candidates, at_risk_below: float) -> tuple[Customer, CustomerMatch]:
    """The best match (email, then domain, then company); an unknown author keeps what was submitted."""
    for matched_by, found in (
        ("email", candidates.by_email),
        ("domain", candidates.by_domain),
        ("company", candidates.by_company),
    ):
        if found is not None:
            customer = found.model_copy(
                update={
                    "email": submitted.email or found.email,
                    "name": submitted.name or found.name,
                    "at_risk": is_at_risk(found, at_risk_below),
                }
            )
            return customer, CustomerMatch(matched_by=matched_by, known=True)  # type: ignore[arg-type]
    return submitted, CustomerMatch(matched_by="none", known=False)


def is_at_risk(customer: Customer, at_risk_below: float) -> bool:
    return customer.at_risk or (customer.health_score is not None and customer.health_score < at_risk_below)


def enriched(item: FeedbackItem, customer: Customer, match: CustomerMatch) -> EnrichedFeedback:
    return EnrichedFeedback(item=item.model_copy(update={"customer": customer}), match=match)
