"""Second look-ups during a sync: what a vendor keeps apart from its listing (an author's email, a call's
transcript), each asked for once per run."""

from __future__ import annotations

from typing import Any

from libs.connectors.http import ApiRequest, VendorError
from libs.connectors.paging import Fetch

# The record is gone or hidden from us (a deleted user, an email the account's privacy settings hide):
# the item is kept without it rather than the run ended.
MISSING = frozenset({403, 404, 410})


class Lookups:
    """A run's cache of look-ups: the same author on many records is asked for once."""

    def __init__(self, fetch: Fetch) -> None:
        self.fetch = fetch
        self.answers: dict[str, Any] = {}
        self.requests = 0

    async def get(self, request: ApiRequest) -> Any:
        """The body the vendor answers to `request`, or None when the record is missing or hidden."""
        key = request.model_dump_json()
        if key not in self.answers:
            self.requests += 1
            try:
                self.answers[key] = (await self.fetch(request)).body
            except VendorError as error:
                if error.status not in MISSING:
                    raise
                self.answers[key] = None
        return self.answers[key]
