"""CRM adapters (HubSpot companies, Salesforce accounts) and the incremental sync that feeds the customers table.

An adapter describes its vendor's API without I/O (the request for a page, the page's records, when a
record changed, how it says "rate limited") and reads a record into a domain.CrmRecord. A new CRM is a
new class, its settings block in libs/connectors/settings.py nested in EnrichSettings, and a line in
configured_crms(). The walk, the waiting, the cursor and the sync loop (rejected records counted, logged
and kept) are libs/connectors'.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import ClassVar, Protocol

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.connectors.http import ApiRequest, ApiResponse, VendorApi, wait_from_headers
from libs.connectors.paging import Cursor, PageContent, PagedApi, walk
from libs.connectors.records import JSON, dig, objects, text_at, when
from libs.connectors.salesforce import SoqlPages
from libs.connectors.settings import CrmSettings, HubSpotCrmSettings, SalesforceCrmSettings
from libs.connectors.sync import Destination, SyncReport, run_sync
from services.enrich import storage
from services.enrich.domain import Account, CrmRecord, TierRules, crm_account
from services.enrich.settings import EnrichSettings

SEARCH_CAP = 10_000


class CrmAdapter(PagedApi, Protocol):
    """One CRM: its paged, incremental listing of accounts (PagedApi), its rate limits, and its records."""

    @property
    def name(self) -> str: ...

    @property
    def settings(self) -> CrmSettings: ...

    def rate_limit_wait(self, response: ApiResponse, now: datetime) -> float | None:
        """Seconds to wait before retrying a rate-limited response; None when it is not rate-limited."""
        ...

    def record(self, raw: JSON) -> CrmRecord:
        """The fields of a vendor record that make a customer."""
        ...


# --- HubSpot -----------------------------------------------------------------------------------------


class HubSpotCrm:
    """Companies through CRM search: hs_lastmodifieddate >= since, oldest change first, `after` paging."""

    name: ClassVar[str] = "hubspot"

    def __init__(self, settings: HubSpotCrmSettings | None = None) -> None:
        """The adapter with enrich's crm_hubspot block; without one, the block's defaults."""
        self.settings = settings or HubSpotCrmSettings()

    def page_request(self, cursor: Cursor) -> ApiRequest:
        since = int(cursor.since.timestamp() * 1000) if cursor.since else 0
        body: JSON = {
            "filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": since}]}],
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            "properties": ["name", "domain", "hs_lastmodifieddate", *self.settings.properties()],
            "limit": self._limit(),
        }
        if cursor.page:
            body["after"] = cursor.page
        return ApiRequest(method="POST", url="/crm/v3/objects/companies/search", body=body)

    def read_page(self, cursor: Cursor, response: ApiResponse) -> PageContent:
        records = objects(dig(response.body, "results"))
        token = dig(response.body, "paging", "next", "after")
        following = str(token) if token is not None and records else None
        # Search answers at most 10,000 results a query: stop short of that, and the run ends with the newest
        # change seen as the next `since`, from where the next run goes on.
        if following and following.isdigit() and int(following) + self._limit() > SEARCH_CAP:
            following = None
        return PageContent(records, following)

    def _limit(self) -> int:
        return min(self.settings.page_size, 200)

    def updated_at(self, record: JSON) -> datetime | None:
        return when(dig(record, "properties", "hs_lastmodifieddate"))

    def rate_limit_wait(self, response: ApiResponse, now: datetime) -> float | None:
        # The search API's limit is per second: without a Retry-After, a second is enough.
        return wait_from_headers(response.headers, now, default=1.0) if response.status == 429 else None

    def record(self, raw: JSON) -> CrmRecord:
        properties = dig(raw, "properties") or {}
        settings = self.settings
        return CrmRecord(
            crm=self.name,
            id=str(raw.get("id", "")),
            name=text_at(properties, "name"),
            website=text_at(properties, "domain"),
            plan=properties.get(settings.plan_property) if settings.plan_property else None,
            arr=properties.get(settings.arr_property) if settings.arr_property else None,
            health=properties.get(settings.health_property) if settings.health_property else None,
        )


# --- Salesforce --------------------------------------------------------------------------------------


class SalesforceCrm(SoqlPages):
    """Accounts by SOQL: LastModifiedDate >= since, oldest change first, `nextRecordsUrl` paging until `done`."""

    name: ClassVar[str] = "salesforce"

    def __init__(self, settings: SalesforceCrmSettings | None = None) -> None:
        """The adapter with enrich's crm_salesforce block; without one, the block's defaults."""
        self.settings = settings or SalesforceCrmSettings()

    def page_request(self, cursor: Cursor) -> ApiRequest:
        if cursor.page:
            return ApiRequest(url=cursor.page)
        fields = ", ".join(dict.fromkeys(["Id", "Name", "Website", "LastModifiedDate", *self.settings.properties()]))
        # >= rather than >: a change within the same second as the last one seen is not lost (re-reading one
        # account is a no-op upsert).
        where = f" WHERE LastModifiedDate >= {cursor.since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}" if cursor.since else ""
        soql = f"SELECT {fields} FROM Account{where} ORDER BY LastModifiedDate"
        return ApiRequest(url=f"/services/data/{self.settings.api_version}/query", params={"q": soql})

    def rate_limit_wait(self, response: ApiResponse, now: datetime) -> float | None:
        if response.status == 429:
            return wait_from_headers(response.headers, now)
        codes = {text_at(error, "errorCode") for error in objects(response.body)}
        if response.status == 403 and "REQUEST_LIMIT_EXCEEDED" in codes:
            # The org's rolling 24-hour API allocation is spent: an hour's wait ends the run, and a later
            # scheduled run resumes from the cursor.
            return wait_from_headers(response.headers, now, default=3600.0)
        return None

    def record(self, raw: JSON) -> CrmRecord:
        settings = self.settings
        return CrmRecord(
            crm=self.name,
            id=str(raw.get("Id", "")),
            name=text_at(raw, "Name"),
            website=text_at(raw, "Website"),
            plan=raw.get(settings.plan_property) if settings.plan_property else None,
            arr=raw.get(settings.arr_property) if settings.arr_property else None,
            health=raw.get(settings.health_property) if settings.health_property else None,
        )


CRMS = (HubSpotCrm.name, SalesforceCrm.name)


def configured_crms(settings: EnrichSettings) -> list[CrmAdapter]:
    """Every CRM whose PRODOPS_CRM_<NAME>_API_TOKEN (and URL) is set, with its block of the service's settings."""
    crms: list[CrmAdapter] = [HubSpotCrm(settings.crm_hubspot), SalesforceCrm(settings.crm_salesforce)]
    return [crm for crm in crms if crm.settings.configured()]


def tier_rules(settings: CrmSettings) -> TierRules:
    """How a CRM's plans and ARR become tiers."""
    return TierRules(
        plans=settings.plan_tiers, enterprise_arr_from=settings.enterprise_arr_from, pro_arr_from=settings.pro_arr_from
    )


# --- the sync ----------------------------------------------------------------------------------------


def crm_api(crm: CrmAdapter) -> VendorApi:
    """The CRM's REST API as its settings describe it."""
    return VendorApi(
        crm.name,
        crm.settings.api_url,
        crm.settings.auth_headers(),
        rate_limit_wait=crm.rate_limit_wait,
        max_rate_limit_wait=crm.settings.max_rate_limit_wait_seconds,
    )


def accounts_of(crm: CrmAdapter) -> Destination[Account]:
    """A record as the account it is (one that cannot be a customer is rejected), upserted into the customers."""
    rules = tier_rules(crm.settings)

    def read(raw: JSON) -> Account:
        return crm_account(crm.record(raw), rules)

    return Destination(read, storage.upsert_customers)


async def sync_crm(
    sessions: async_sessionmaker[AsyncSession],
    crm: CrmAdapter,
    on_page: Callable[[SyncReport], None] = lambda _: None,
) -> SyncReport:
    """One incremental run: the accounts changed since the CRM's cursor, each page upserted with its cursor."""
    async with crm_api(crm) as api:
        return await run_sync(sessions, crm.name, partial(walk, crm, api), accounts_of(crm), on_page=on_page)
