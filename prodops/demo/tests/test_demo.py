import csv
import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from libs.schemas.feedback import FeedbackInput, FeedbackStatus, Source, Tier
from libs.schemas.launches import LaunchStatus, LaunchType
from prodops import demo
from prodops.demo.generate import DATA_DIR, write_all

TODAY = date(2026, 11, 20)
LINKED_SOURCES = {Source.GITHUB, Source.LINEAR, Source.JIRA, Source.CANNY}


@pytest.fixture(scope="module")
def customers() -> list[dict[str, str]]:
    with demo.customers_file().open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def items() -> list[FeedbackInput]:
    return demo.feedback()


def test_customers_file_has_the_crm_columns_and_a_realistic_book(customers: list[dict[str, str]]) -> None:
    with demo.customers_file().open(encoding="utf-8") as handle:
        assert handle.readline().strip() == "id,company,domain,email,tier,arr,health_score"
    assert len(customers) == 48
    assert Counter(row["tier"] for row in customers) == {"free": 20, "pro": 18, "enterprise": 10}
    for row in customers:
        arr, health = float(row["arr"]), float(row["health_score"])
        low, high = {"free": (0, 0), "pro": (6_000, 60_000), "enterprise": (120_000, 1_200_000)}[row["tier"]]
        assert low <= arr <= high, row
        assert 0 <= health <= 100
        assert row["email"].endswith("@" + row["domain"])
    assert 5 <= sum(float(row["health_score"]) < 40 for row in customers) <= 7
    for column in ("id", "company", "domain", "email"):
        assert len({row[column] for row in customers}) == 48


def test_every_feedback_item_validates_and_leaves_triage_to_the_ai(items: list[FeedbackInput]) -> None:
    raw = [json.loads(line) for line in (DATA_DIR / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(items) == len(raw) == 420
    assert not any({"category", "priority", "sentiment_score"} & row.keys() for row in raw)
    start, end = datetime(2025, 11, 20, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)
    for item in items:
        assert 0 < len(item.title) <= 120 and item.description
        assert item.created_at is not None and start <= item.created_at < end
        assert (item.url is not None) == (item.source in LINKED_SOURCES)
    assert len({item.source_id for item in items}) == 420
    assert len({item.title for item in items}) == 420
    assert Counter(item.status for item in items)[FeedbackStatus.NEW] >= 0.85 * len(items)


def test_every_channel_is_present(items: list[FeedbackInput]) -> None:
    per_source = Counter(item.source for item in items)
    assert set(per_source) == set(Source) - {Source.IMPORT}
    assert all(count >= 7 for count in per_source.values())


def test_authors_mix_contacts_colleagues_company_names_and_strangers(
    items: list[FeedbackInput], customers: list[dict[str, str]]
) -> None:
    contacts = {row["email"] for row in customers}
    domains = {row["domain"] for row in customers}
    companies = [row["company"].lower() for row in customers]
    kinds: Counter[str] = Counter()
    for item in items:
        email, company = item.customer.email, item.customer.company
        if email is None:
            assert company and any(company.lower().startswith(name) for name in companies), company
            kinds["company"] += 1
        elif email in contacts:
            kinds["contact"] += 1
        elif email.split("@")[1] in domains:
            kinds["colleague"] += 1
        else:
            kinds["stranger"] += 1
    assert kinds["contact"] + kinds["colleague"] >= 0.8 * len(items)
    assert kinds["colleague"] >= 0.25 * len(items)
    assert 0.08 * len(items) <= kinds["company"] <= 0.12 * len(items)
    assert 0.03 * len(items) <= kinds["stranger"] <= 0.07 * len(items)


def test_every_tier_speaks_and_at_risk_accounts_are_heard(
    items: list[FeedbackInput], customers: list[dict[str, str]]
) -> None:
    by_domain = {row["domain"]: row for row in customers}
    authors = [
        by_domain[i.customer.email.split("@")[1]]
        for i in items
        if i.customer.email and i.customer.email.split("@")[1] in by_domain
    ]
    assert {Tier(row["tier"]) for row in authors} == set(Tier)
    assert sum(float(row["health_score"]) < 40 for row in authors) >= 20
    assert len({row["id"] for row in authors}) == 48


def test_recent_months_are_denser(items: list[FeedbackInput]) -> None:
    recent = sum(item.created_at is not None and item.created_at.date() >= date(2026, 5, 20) for item in items)
    assert recent >= 0.6 * len(items)


def test_duplicate_clusters_are_labelled_across_different_customers(items: list[FeedbackInput]) -> None:
    clusters = demo.duplicate_clusters()
    by_id = {item.source_id: item for item in items}
    assert len(clusters) >= 25
    members = [source_id for ids in clusters.values() for source_id in ids]
    assert len(members) == len(set(members)) >= 100
    for name, ids in clusters.items():
        assert 2 <= len(ids) <= 6, name
        cluster_items = [by_id[source_id] for source_id in ids]
        who = {(i.customer.email or "").split("@")[-1] or (i.customer.company or "").split()[0] for i in cluster_items}
        assert len(who) == len(ids), name


def test_launches_cover_the_year_with_every_type(items: list[FeedbackInput]) -> None:
    launches = demo.launches()
    assert len(launches) == 26 and len({launch.id for launch in launches}) == 26
    assert {launch.type for launch in launches} == set(LaunchType)
    for launch in launches:
        assert date(2026, 3, 1) <= launch.target_date <= date(2027, 2, 28)
        assert launch.start_date is not None and launch.start_date < launch.target_date
        assert (launch.status is LaunchStatus.SHIPPED) == (launch.target_date < TODAY), launch.name
        assert launch.feedback_ids == [] and launch.theme_ids == []
    assert {launch.status for launch in launches} == set(LaunchStatus)


def test_regenerating_gives_byte_identical_files(tmp_path: Path) -> None:
    written = write_all(tmp_path)
    for path in written.values():
        assert path.read_bytes() == (DATA_DIR / path.name).read_bytes(), path.name
