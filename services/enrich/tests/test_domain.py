"""The pure rules: matching, tiers, CRM records, churn."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from libs.schemas.feedback import Customer, FeedbackItem, Tier
from services.enrich.domain import (
    Candidates,
    ChurnRules,
    CrmRecord,
    Known,
    PastItems,
    TierChange,
    TierRules,
    churn_signals,
    crm_account,
    email_domain,
    enriched,
    match_customer,
    normalize_company,
    tier_change,
    tier_of,
    website_domain,
)

NOW = datetime(2026, 11, 28, tzinfo=UTC)
ACME = Known(Customer(id="c-1", company="Acme Corp", tier=Tier.ENTERPRISE, arr=250_000, health_score=82))
GLOBEX = Known(Customer(id="c-2", company="Globex", tier=Tier.PRO, arr=24_000, health_score=31))
INITECH = Known(Customer(id="c-3", company="Initech", tier=Tier.PRO, arr=36_000, health_score=90))
RULES = ChurnRules(health_below=40, negative_items=3, window=timedelta(days=30), downgrade_window=timedelta(days=90))
TIERS = TierRules(
    plans={"free": Tier.FREE, "pro": Tier.PRO, "Growth": Tier.PRO, "enterprise": Tier.ENTERPRISE},
    enterprise_arr_from=100_000,
    pro_arr_from=1,
)


# --- matching ----------------------------------------------------------------------------------------


def test_company_names_match_across_suffixes_and_case() -> None:
    assert normalize_company("Acme, Inc.") == normalize_company("acme") == "acme"
    assert normalize_company("  ") is None


def test_personal_mail_providers_say_nothing_about_the_company() -> None:
    assert email_domain("Jane@Acme.io") == "acme.io"
    assert email_domain("jane@gmail.com") is None
    assert email_domain("not-an-email") is None


def test_websites_become_bare_domains() -> None:
    assert website_domain("https://www.Acme.io/about") == website_domain("acme.io") == "acme.io"
    assert website_domain("localhost") is None and website_domain("") is None


def test_email_wins_over_domain_and_domain_over_company() -> None:
    all_three = Candidates(by_email=ACME, by_domain=GLOBEX, by_company=INITECH)
    matched = match_customer(Customer(email="jane@acme.io", name="Jane"), all_three)
    assert (matched.customer.id, matched.match.matched_by, matched.match.known) == ("c-1", "email", True)
    assert (matched.customer.email, matched.customer.name) == ("jane@acme.io", "Jane"), "the author is kept"
    by_domain = match_customer(Customer(email="bob@globex.com"), Candidates(by_domain=GLOBEX, by_company=INITECH))
    assert (by_domain.customer.id, by_domain.match.matched_by) == ("c-2", "domain")
    assert match_customer(Customer(company="Initech"), Candidates(by_company=INITECH)).match.matched_by == "company"


def test_unknown_author_is_kept_not_dropped() -> None:
    submitted = Customer(email="someone@unknown.dev", company="Unknown Dev")
    matched = match_customer(submitted, Candidates())
    assert matched.customer == submitted and matched.known is None
    assert (matched.match.matched_by, matched.match.known) == ("none", False)


# --- tiers and CRM records ---------------------------------------------------------------------------


def test_the_plan_gives_the_tier_and_without_a_plan_the_arr_does() -> None:
    assert tier_of("Enterprise", 0, TIERS) is Tier.ENTERPRISE
    assert tier_of("growth", 500_000, TIERS) is Tier.PRO, "a plan alias, whatever the ARR"
    assert tier_of(None, 150_000, TIERS) is Tier.ENTERPRISE
    assert tier_of("", 12_000, TIERS) is Tier.PRO
    assert tier_of(None, 0, TIERS) is Tier.FREE


def test_an_unknown_plan_is_an_error_that_says_what_to_configure() -> None:
    with pytest.raises(ValueError, match="unknown plan 'Platinum'.*plan_tiers"):
        tier_of("Platinum", 0, TIERS)


def test_a_crm_record_becomes_an_account() -> None:
    record = CrmRecord("hubspot", "1001", "Acme Inc.", "https://www.acme.io", plan="Pro", arr="24000", health="55.5")
    account = crm_account(record, TIERS)
    assert (account.id, account.company, account.domain, account.tier) == (
        "hubspot:1001",
        "Acme Inc.",
        "acme.io",
        "pro",
    )
    assert (account.arr, account.health_score) == (24_000, 55.5)
    bare = crm_account(CrmRecord("salesforce", "001D", "Globex", None, arr=None), TIERS)
    assert (bare.domain, bare.tier, bare.arr, bare.health_score) == (None, Tier.FREE, 0, None)


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        (CrmRecord("hubspot", "7", None, "acme.io"), "hubspot account 7: it has no name"),
        (CrmRecord("hubspot", "8", "Acme", None, arr="lots"), "hubspot account 8: ARR is not a number: 'lots'"),
        (
            CrmRecord("salesforce", "9", "Acme", None, health=140),
            "salesforce account 9: Account.health_score: Input should be less than or equal",
        ),
    ],
)
def test_a_crm_record_that_cannot_be_a_customer_names_itself(record: CrmRecord, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        crm_account(record, TIERS)


def test_a_change_of_tier_keeps_the_tier_before() -> None:
    assert tier_change(None, TierChange(), Tier.PRO, NOW) == TierChange(), "a new customer has no past tier"
    down = tier_change(Tier.ENTERPRISE, TierChange(), Tier.PRO, NOW)
    assert down == TierChange(Tier.ENTERPRISE, NOW)
    later = NOW + timedelta(days=1)
    assert tier_change(Tier.PRO, down, Tier.PRO, later) == down, "the same tier again keeps the change"
    assert tier_change(Tier.PRO, down, Tier.FREE, later) == TierChange(Tier.PRO, later)


# --- churn -------------------------------------------------------------------------------------------


def test_low_health_is_a_churn_signal() -> None:
    assert churn_signals(GLOBEX.customer, GLOBEX, 0, NOW, RULES) == ["health 31 < 40"]
    assert churn_signals(ACME.customer, ACME, 0, NOW, RULES) == []


def test_enough_negative_items_in_the_window_are_a_churn_signal() -> None:
    assert churn_signals(ACME.customer, ACME, 2, NOW, RULES) == []
    assert churn_signals(ACME.customer, ACME, 3, NOW, RULES) == ["3 negative items in 30 days"]
    unknown = Customer(email="x@nowhere.dev")
    assert churn_signals(unknown, None, 4, NOW, RULES) == ["4 negative items in 30 days"]


def test_a_recent_downgrade_is_a_churn_signal_and_an_upgrade_or_an_old_one_is_not() -> None:
    pro = Customer(id="c-9", company="Hooli", tier=Tier.PRO, health_score=75)
    downgraded = Known(pro, TierChange(Tier.ENTERPRISE, NOW - timedelta(days=10)))
    assert churn_signals(pro, downgraded, 0, NOW, RULES) == ["downgraded enterprise -> pro"]
    long_ago = Known(pro, TierChange(Tier.ENTERPRISE, NOW - timedelta(days=200)))
    assert churn_signals(pro, long_ago, 0, NOW, RULES) == []
    upgraded = Known(pro, TierChange(Tier.FREE, NOW - timedelta(days=10)))
    assert churn_signals(pro, upgraded, 0, NOW, RULES) == []


def test_every_signal_is_given_together() -> None:
    weak = Customer(id="c-8", company="Pied Piper", tier=Tier.FREE, health_score=12)
    known = Known(weak, TierChange(Tier.PRO, NOW))
    assert churn_signals(weak, known, 5, NOW, RULES) == [
        "health 12 < 40",
        "5 negative items in 30 days",
        "downgraded pro -> free",
    ]


def item(customer: Customer) -> FeedbackItem:
    return FeedbackItem(id=uuid4(), title="Exports time out", customer=customer, created_at=NOW, received_at=NOW)


def test_the_enriched_item_carries_at_risk_and_the_history() -> None:
    matched = match_customer(Customer(email="ops@globex.com"), Candidates(by_domain=GLOBEX))
    earlier = [uuid4() for _ in range(25)]
    out = enriched(item(Customer(email="ops@globex.com")), matched, PastItems(25, earlier, 1), RULES)
    assert out.item.customer.at_risk and out.item.customer.id == "c-2"
    assert out.history is not None
    assert (out.history.previous_items, out.history.negative_items_recent) == (25, 1)
    assert out.history.previous_item_ids == earlier[:20], "a page of the most recent, the count says the rest"
    assert out.history.churn_signals == ["health 31 < 40"]


def test_an_author_with_neither_crm_id_nor_email_has_no_history() -> None:
    submitted = Customer(company="Nobody Ltd")
    out = enriched(item(submitted), match_customer(submitted, Candidates()), None, RULES)
    assert out.history is None and not out.item.customer.at_risk and out.match.known is False
