"""The CRM adapters against a local server that answers like HubSpot and Salesforce, on both databases."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlmodel import select

from libs.connectors.cursors import load_cursor
from libs.connectors.http import ApiResponse, RateLimited, VendorError
from libs.connectors.paging import Cursor
from libs.connectors.rejections import RejectedPayload
from libs.connectors.settings import HubSpotCrmSettings, SalesforceCrmSettings
from libs.runtime.database import make_engine, session_factory
from libs.schemas.feedback import Tier
from libs.testing.http import serving
from services.enrich.crm import CrmAdapter, HubSpotCrm, SalesforceCrm, sync_crm
from services.enrich.storage import CustomerRecord
from services.enrich.tests.conftest import Sessions
from services.enrich.tests.fake_crm import FakeCrm

CRMS = ["hubspot", "salesforce"]


def adapter(crm: str, base_url: str, **settings: object) -> CrmAdapter:
    common = {"api_url": base_url, "api_token": SecretStr("token"), "page_size": 2, **settings}
    if crm == "hubspot":
        return HubSpotCrm(HubSpotCrmSettings(**common))
    return SalesforceCrm(SalesforceCrmSettings(**common))


async def customers(sessions: Sessions) -> dict[str, CustomerRecord]:
    async with sessions() as session:
        return {record.id: record for record in (await session.exec(select(CustomerRecord))).all()}


@pytest.mark.parametrize("crm", CRMS)
async def test_a_sync_pages_through_the_accounts_then_fetches_only_what_changed(sessions: Sessions, crm: str) -> None:
    vendor = FakeCrm(crm)
    vendor.add(4, plan="Enterprise", arr=250_000, health=80)
    vendor.add(1, plan="", arr=30_000, health=32)  # no plan: the ARR gives the tier
    with serving(vendor.app()) as base:
        first = await sync_crm(sessions, adapter(crm, base))
        assert (first.pages, first.records, first.new, first.updated, first.rejected) == (3, 5, 5, 0, 0), "two a page"
        stored = await customers(sessions)
        acme = stored[vendor.customer_id(1)]
        assert (acme.company, acme.domain, acme.tier, acme.arr, acme.health_score) == (
            "Company 1 Inc.",
            "company-1.io",
            "enterprise",
            250_000,
            80,
        )
        assert stored[vendor.customer_id(5)].tier == "pro"

        vendor.change(2, plan="Pro", arr=40_000)  # a downgrade
        vendor.add(1)
        asked = len(vendor.requests)
        second = await sync_crm(sessions, adapter(crm, base))
    assert len(vendor.requests) - asked == 2, "an incremental run does not start over"
    # Changed at or after the last change seen: account 5 once more (a no-op), then 2 and 6.
    assert second.records == 3
    downgraded = (await customers(sessions))[vendor.customer_id(2)].as_known()
    assert downgraded.customer.tier is Tier.PRO and downgraded.tier_change.previous_tier is Tier.ENTERPRISE
    assert len(await customers(sessions)) == 6


@pytest.mark.parametrize("crm", CRMS)
async def test_a_rate_limit_is_waited_out_as_the_vendor_asks(sessions: Sessions, crm: str) -> None:
    vendor = FakeCrm(crm, rate_limited={2})
    vendor.add(5)
    with serving(vendor.app()) as base:
        report = await sync_crm(sessions, adapter(crm, base, max_rate_limit_wait_seconds=5))
    assert report.new == 5
    assert len(vendor.requests) == report.pages + 1 and vendor.requests[1] == vendor.requests[2], "asked again, once"


@pytest.mark.parametrize("crm", CRMS)
async def test_a_rate_limit_reset_further_than_allowed_ends_the_run_and_the_next_resumes(
    sessions: Sessions, crm: str
) -> None:
    vendor = FakeCrm(crm, rate_limited={2})
    vendor.add(5)
    with serving(vendor.app()) as base:
        with pytest.raises(RateLimited, match="retry in 1.0 s"):  # the vendor's Retry-After, read
            await sync_crm(sessions, adapter(crm, base, max_rate_limit_wait_seconds=0.5))
        assert len(await customers(sessions)) == 2, "the first page is kept"
        resumed = await sync_crm(sessions, adapter(crm, base))
    assert vendor.requests[2] == vendor.requests[1], "the next run asks for page two, not page one"
    assert resumed.records == 3 and len(await customers(sessions)) == 5


@pytest.mark.parametrize("crm", CRMS)
async def test_a_run_that_stops_midway_resumes_from_the_saved_cursor(sessions: Sessions, crm: str) -> None:
    vendor = FakeCrm(crm, failing={3})
    vendor.add(5)
    with serving(vendor.app()) as base:
        with pytest.raises(VendorError, match="HTTP 400"):
            await sync_crm(sessions, adapter(crm, base))
        async with sessions() as session:
            saved = await load_cursor(session, crm, "incremental")
        assert saved is not None and saved.page is not None and saved.high_water is not None
        assert len(await customers(sessions)) == 4
        resumed = await sync_crm(sessions, adapter(crm, base))
    assert vendor.requests[3] == vendor.requests[2], "the failed page is asked for again"
    assert (resumed.pages, resumed.records) == (1, 1)
    async with sessions() as session:
        done = await load_cursor(session, crm, "incremental")
    assert done == Cursor(since=vendor.accounts[5].updated), "the newest change seen is the next run's start"


@pytest.mark.parametrize("crm", CRMS)
async def test_an_account_that_cannot_be_a_customer_is_rejected_counted_and_kept_with_its_reason(
    sessions: Sessions, crm: str
) -> None:
    vendor = FakeCrm(crm)
    vendor.add(2)
    vendor.accounts[2].plan = "Platinum"
    with serving(vendor.app()) as base:
        report = await sync_crm(sessions, adapter(crm, base))
    assert (report.new, report.rejected) == (1, 1)
    async with sessions() as session:
        (rejected,) = (await session.exec(select(RejectedPayload))).all()
    assert rejected.source == crm and rejected.reason.startswith(f"{crm} account")
    assert "unknown plan 'Platinum'" in rejected.reason and vendor.customer_id(2).split(":")[-1] in rejected.body


def test_the_queries_ask_for_the_configured_properties_since_the_cursor() -> None:
    since = Cursor(since=datetime(2026, 11, 1, 5, tzinfo=UTC))
    hubspot = HubSpotCrm(HubSpotCrmSettings(plan_property=None, arr_property="mrr_x12"))
    body = hubspot.page_request(since).body
    assert body["filterGroups"][0]["filters"][0] == {
        "propertyName": "hs_lastmodifieddate",
        "operator": "GTE",
        "value": 1_793_509_200_000,  # 2026-11-01T05:00Z in milliseconds
    }
    assert body["properties"] == ["name", "domain", "hs_lastmodifieddate", "mrr_x12", "health_score"]
    salesforce = SalesforceCrm(SalesforceCrmSettings(api_url="https://acme.my.salesforce.com"))
    assert salesforce.page_request(since).params["q"] == (
        "SELECT Id, Name, Website, LastModifiedDate, Plan__c, ARR__c, Health_Score__c FROM Account "
        "WHERE LastModifiedDate >= 2026-11-01T05:00:00Z ORDER BY LastModifiedDate"
    )
    assert "WHERE" not in str(salesforce.page_request(Cursor()).params["q"])


def test_hubspot_paging_stops_short_of_the_search_cap_and_goes_on_from_the_newest_change() -> None:
    hubspot = HubSpotCrm(HubSpotCrmSettings(page_size=100))
    stamp = "2026-11-01T05:00:00.000Z"
    page = {
        "results": [{"id": "1", "properties": {"hs_lastmodifieddate": stamp}}],
        "paging": {"next": {"after": "9800"}},
    }
    assert hubspot.read_page(Cursor(), ApiResponse("u", 200, {}, page)).next_page == "9800"
    last = {**page, "paging": {"next": {"after": "9950"}}}
    assert hubspot.read_page(Cursor(), ApiResponse("u", 200, {}, last)).next_page is None


def test_a_property_setting_must_be_a_name_not_an_expression() -> None:
    with pytest.raises(ValueError, match="is not a property name"):
        SalesforceCrmSettings(arr_property="ARR__c FROM User --")


def test_salesforce_says_its_allocation_is_spent_with_a_403() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    spent = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    salesforce = SalesforceCrm()
    assert salesforce.rate_limit_wait(ApiResponse("u", 403, {}, spent), now) == 3600
    assert salesforce.rate_limit_wait(ApiResponse("u", 403, {}, [{"errorCode": "INSUFFICIENT_ACCESS"}]), now) is None
    assert salesforce.rate_limit_wait(ApiResponse("u", 429, {"retry-after": "7"}, None), now) == 7
    assert HubSpotCrm().rate_limit_wait(ApiResponse("u", 429, {}, None), now) == 1, (
        "the search API's limit is per second"
    )


async def test_prodops_enrich_sync_runs_every_configured_crm_once(tmp_path: Path) -> None:
    hubspot, salesforce = FakeCrm("hubspot"), FakeCrm("salesforce")
    hubspot.add(3)
    salesforce.add(2)
    with serving(hubspot.app()) as hubspot_url, serving(salesforce.app()) as salesforce_url:
        env = {
            **os.environ,
            "COLUMNS": "200",
            "PRODOPS_DATA_DIR": str(tmp_path),
            "PRODOPS_CRM_HUBSPOT_API_URL": hubspot_url,
            "PRODOPS_CRM_HUBSPOT_API_TOKEN": "hubspot-token",
            "PRODOPS_CRM_SALESFORCE_API_URL": salesforce_url,
            "PRODOPS_CRM_SALESFORCE_API_TOKEN": "salesforce-token",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "prodops.cli", "enrich", "sync",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output = (await process.communicate())[0].decode()
    assert process.returncode == 0, output
    assert "hubspot: 3 accounts on 2 pages" in output and "salesforce: 2 accounts on 1 pages" in output
    assert "token" not in output.replace("_TOKEN", ""), "no credential in the output"
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'enrich.db'}", "enrich")
    try:
        assert len(await customers(session_factory(engine))) == 5
    finally:
        await engine.dispose()
