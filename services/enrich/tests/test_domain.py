from libs.schemas.feedback import Customer, Tier
from services.enrich.domain import Candidates, email_domain, match_customer, normalize_company

ACME = Customer(id="c-1", company="Acme Corp", tier=Tier.ENTERPRISE, arr=250_000, health_score=82)
STRUGGLING = Customer(id="c-2", company="Globex", tier=Tier.PRO, arr=24_000, health_score=31)


def test_company_names_match_across_suffixes_and_case() -> None:
    assert normalize_company("Acme, Inc.") == normalize_company("acme") == "acme"
    assert normalize_company("  ") is None


def test_personal_mail_providers_say_nothing_about_the_company() -> None:
    assert email_domain("Jane@Acme.io") == "acme.io"
    assert email_domain("jane@gmail.com") is None
    assert email_domain("not-an-email") is None


def test_email_match_wins_over_domain_and_company() -> None:
    submitted = Customer(email="jane@acme.io")
    customer, match = match_customer(submitted, Candidates(by_email=ACME, by_domain=STRUGGLING), at_risk_below=40)
    assert (customer.id, match.matched_by, match.known) == ("c-1", "email", True)
    assert customer.email == "jane@acme.io"


def test_low_health_marks_the_customer_at_risk() -> None:
    customer, _ = match_customer(Customer(company="Globex"), Candidates(by_company=STRUGGLING), at_risk_below=40)
    assert customer.at_risk
    healthy, _ = match_customer(Customer(company="Acme"), Candidates(by_company=ACME), at_risk_below=40)
    assert not healthy.at_risk


def test_unknown_author_is_kept_not_dropped() -> None:
    submitted = Customer(email="someone@unknown.dev", company="Unknown Dev")
    customer, match = match_customer(submitted, Candidates(), at_risk_below=40)
    assert customer == submitted
    assert (match.matched_by, match.known) == ("none", False)
