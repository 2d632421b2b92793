"""Salesforce's REST query API, shared by the sources and the CRM: its pages and its change stamps."""

from __future__ import annotations

from datetime import datetime

from libs.connectors.http import ApiResponse
from libs.connectors.paging import Cursor, PageContent
from libs.connectors.records import JSON, dig, objects, text_at, when


class SoqlPages:
    """A query's `records`, then `nextRecordsUrl` until `done`; records ordered and stamped by LastModifiedDate."""

    def read_page(self, cursor: Cursor, response: ApiResponse) -> PageContent:
        done = dig(response.body, "done") is not False
        return PageContent(
            objects(dig(response.body, "records")), None if done else text_at(response.body, "nextRecordsUrl")
        )

    def updated_at(self, record: JSON) -> datetime | None:
        return when(record.get("LastModifiedDate"))
