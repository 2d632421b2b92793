"""A local HTTP server that answers like HubSpot's CRM search and Salesforce's SOQL query, for accounts.

Record shapes and paging as the vendors document them (HubSpot: `results`, `paging.next.after`, string
properties; Salesforce: `records` with `attributes`, `done`, `nextRecordsUrl`). At most two accounts to
a page, so a handful spans several pages. Faults on demand: 429 with Retry-After, or a 400, at request N.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from libs.connectors.records import moment

PAGE = 2
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
API_VERSION = "v60.0"
JSON = dict[str, Any]


@dataclass
class Account:
    number: int
    plan: str
    arr: float
    health: float
    updated: datetime

    @property
    def name(self) -> str:
        return f"Company {self.number} Inc."

    @property
    def domain(self) -> str:
        return f"company-{self.number}.io"


@dataclass
class FakeCrm:
    crm: str
    accounts: dict[int, Account] = field(default_factory=dict)
    requests: list[JSON] = field(default_factory=list)
    rate_limited: set[int] = field(default_factory=set)
    """1-based numbers of the requests to answer 429 with Retry-After: 1."""
    failing: set[int] = field(default_factory=set)
    """1-based numbers of the requests to answer 400."""
    queries: list[datetime | None] = field(default_factory=list)

    def add(self, count: int, plan: str = "Pro", arr: float = 24_000, health: float = 70) -> None:
        for _ in range(count):
            number = len(self.accounts) + 1
            self.accounts[number] = Account(number, plan, arr, health, EPOCH + timedelta(hours=number))

    def change(self, number: int, **values: Any) -> None:
        """Change an account now (later than every other change)."""
        latest = max(account.updated for account in self.accounts.values())
        account = self.accounts[number]
        for name, value in values.items():
            setattr(account, name, value)
        account.updated = latest + timedelta(hours=1)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/crm/v3/objects/companies/search")
        async def hubspot_search(request: Request) -> JSONResponse:
            body = await request.json()
            if (fault := self._fault(request, body)) is not None:
                return fault
            since = moment(body["filterGroups"][0]["filters"][0]["value"])
            offset, limit = int(body.get("after") or 0), min(int(body["limit"]), PAGE)
            matching = self._changed_since(since)
            page = matching[offset : offset + limit]
            following = offset + limit if offset + limit < len(matching) else None
            paging = {"next": {"after": str(following), "link": "?after=..."}} if following is not None else None
            results = [self._hubspot(account) for account in page]
            return JSONResponse({"total": len(matching), "results": results, **({"paging": paging} if paging else {})})

        @app.get("/services/data/{version}/query")
        async def soql(request: Request, version: str, q: str) -> JSONResponse:
            if (fault := self._fault(request, None)) is not None:
                return fault
            found = re.search(r"LastModifiedDate >= (\S+)", q)
            self.queries.append(moment(found.group(1)) if found else None)
            return self._soql_page(version, len(self.queries) - 1, 0)

        @app.get("/services/data/{version}/query/{locator}")
        async def soql_more(request: Request, version: str, locator: str) -> JSONResponse:
            if (fault := self._fault(request, None)) is not None:
                return fault
            query, offset = (int(part) for part in locator.removeprefix("01gFAKE").split("-"))
            return self._soql_page(version, query, offset)

        return app

    def _fault(self, request: Request, body: Any) -> JSONResponse | None:
        self.requests.append({"method": request.method, "url": str(request.url), "body": body})
        number = len(self.requests)
        if number in self.rate_limited:
            return JSONResponse({"status": "error", "category": "RATE_LIMITS"}, 429, {"Retry-After": "1"})
        if number in self.failing:
            return JSONResponse([{"message": "bad request", "errorCode": "MALFORMED_QUERY"}], 400)
        return None

    def _changed_since(self, since: datetime | None) -> list[Account]:
        ordered = sorted(self.accounts.values(), key=lambda account: account.updated)
        return [account for account in ordered if since is None or account.updated >= since]

    def _soql_page(self, version: str, query: int, offset: int) -> JSONResponse:
        matching = self._changed_since(self.queries[query])
        page = matching[offset : offset + PAGE]
        following = offset + PAGE if offset + PAGE < len(matching) else None
        answer: JSON = {
            "totalSize": len(matching),
            "done": following is None,
            "records": [self._salesforce(version, account) for account in page],
        }
        if following is not None:
            answer["nextRecordsUrl"] = f"/services/data/{version}/query/01gFAKE{query}-{following}"
        return JSONResponse(answer)

    @staticmethod
    def _hubspot(account: Account) -> JSON:
        stamp = account.updated.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return {
            "id": str(1000 + account.number),
            "properties": {
                "name": account.name,
                "domain": account.domain,
                "plan": account.plan,
                "arr": f"{account.arr:g}",
                "health_score": f"{account.health:g}",
                "hs_lastmodifieddate": stamp,
                "hs_object_id": str(1000 + account.number),
            },
            "createdAt": EPOCH.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "updatedAt": stamp,
            "archived": False,
        }

    @staticmethod
    def _salesforce(version: str, account: Account) -> JSON:
        record_id = f"001D{account.number:014d}"
        return {
            "attributes": {"type": "Account", "url": f"/services/data/{version}/sobjects/Account/{record_id}"},
            "Id": record_id,
            "Name": account.name,
            "Website": f"https://www.{account.domain}/",
            "Plan__c": account.plan,
            "ARR__c": account.arr,
            "Health_Score__c": account.health,
            "LastModifiedDate": account.updated.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        }

    def customer_id(self, number: int) -> str:
        return f"hubspot:{1000 + number}" if self.crm == "hubspot" else f"salesforce:001D{number:014d}"
