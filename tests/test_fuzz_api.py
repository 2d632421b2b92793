"""Schemathesis against the gateway's and ingest's OpenAPI documents, each app on a real uvicorn port.

Every documented operation is called with generated valid and invalid input, as an admin, on the
real broker and SQLite: no 5xx, and every answer has a documented status and a body of the
documented shape. The webhooks are fuzzed with the vendors' own signatures: a forged delivery is a
401, a signed but mangled one a 2xx or a 422, never a 5xx.
PRODOPS_FUZZ_EXAMPLES raises the number of examples per operation for a deeper run (docs/testing.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis import Case, CheckFunction, GenerationMode
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import positive_data_acceptance

from libs.runtime.auth import Role, create_token
from libs.runtime.settings import ServiceSettings
from libs.runtime.testing import quick_settings
from libs.schemas.events import utcnow
from libs.testing.fuzz import fuzz_settings
from libs.testing.http import serving
from services.gateway.app import create_app as create_gateway
from services.gateway.settings import GatewaySettings
from services.ingest.app import create_app as create_ingest
from services.ingest.connectors import REGISTRY
from services.ingest.settings import IngestSettings
from services.ingest.tests.connectors.mutations import forged_headers, mutated
from services.ingest.tests.connectors.vendors import VENDORS, Vendor

pytestmark = [
    pytest.mark.kafka,
    # schemathesis 4.32 draws from `random` inside its strategies; not ours to fix.
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
]

fuzz = fuzz_settings(10)
SECRET = "whsec-fuzz-0123456789"
# Business rules a JSON Schema cannot say (an override must change something, a link names feedback or
# themes) make some schema-valid bodies a 422: that is no failure. Every other check applies.
EXCLUDED_CHECKS: list[CheckFunction] = [positive_data_acceptance]


class Served:
    """A service running on a free port, with an admin token for it."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}


def _serve(
    create: Callable[..., FastAPI],
    settings_type: type[ServiceSettings],
    data_dir: Path,
    kafka_bootstrap: str,
    **extra: Any,
) -> Iterator[Served]:
    app = create(quick_settings(settings_type, kafka_bootstrap, data_dir, None), **extra)
    with serving(app, timeout=60) as url:
        yield Served(url, create_token(app.state.signing_key, Role.ADMIN, "fuzzer"))


@pytest.fixture(scope="module")
def gateway(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _serve(create_gateway, GatewaySettings, tmp_path_factory.mktemp("fuzz-gateway"), kafka_bootstrap)


@pytest.fixture(scope="module")
def ingest(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    # Every source has a webhook secret, so a delivery gets past the "not configured" refusal.
    connectors = {
        name: cls(cls.settings_type(webhook_secret=SecretStr(SECRET))) for name, cls in sorted(REGISTRY.items())
    }
    data_dir = tmp_path_factory.mktemp("fuzz-ingest")
    yield from _serve(create_ingest, IngestSettings, data_dir, kafka_bootstrap, connectors=connectors)


def fuzz_operations(served: Served) -> list[str]:
    """Every operation of the served OpenAPI document, with valid and invalid input mixed; what failed, by operation."""
    # The document is built on its first request: seconds, on a loaded machine.
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json", timeout=60)
    failures: list[str] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # an operation the document describes wrongly is a finding too
            failures.append(str(result.err()))
            continue
        operation = result.ok()
        cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)

        @fuzz
        @given(case=cases)
        def call(case: Case) -> None:
            case.call_and_validate(headers=served.headers, excluded_checks=EXCLUDED_CHECKS, timeout=30)

        # Schemathesis raises its findings as an exception group; all operations run, all findings are told.
        try:
            call()
        except (Exception, BaseExceptionGroup) as error:
            failures.append(f"{operation.label}: {error}")
    return failures


def test_the_gateway_answers_every_input_as_documented(gateway: Served) -> None:
    failures = fuzz_operations(gateway)
    assert not failures, "\n\n".join(failures)


def test_ingest_answers_every_input_as_documented(ingest: Served) -> None:
    failures = fuzz_operations(ingest)
    assert not failures, "\n\n".join(failures)


# --- webhooks: the signature is the authentication -------------------------------------------


def test_forged_webhooks_are_refused_with_401(ingest: Served) -> None:
    with httpx.Client(base_url=ingest.url, timeout=30) as client:

        @fuzz
        @given(source=st.sampled_from(sorted(REGISTRY)), body=st.binary(max_size=2000), headers=forged_headers())
        def deliver(source: str, body: bytes, headers: dict[str, str]) -> None:
            response = client.post(f"/webhooks/{source}", content=body, headers=headers)
            assert response.status_code == 401, response.text
            assert response.json()["detail"]

        deliver()


def test_signed_but_mangled_webhooks_are_stored_ignored_or_refused_never_a_5xx(ingest: Served) -> None:
    with httpx.Client(timeout=30) as client:

        @fuzz
        @given(vendor=st.sampled_from(VENDORS), data=st.data())
        def deliver(vendor: Vendor, data: st.DataObject) -> None:
            payload = data.draw(mutated(vendor.feedback if vendor.feedback is not None else vendor.ignored))
            assume(vendor.stamp_body is None or isinstance(payload, dict))  # Linear dates the body itself
            delivery = vendor.deliver(SECRET, payload, utcnow(), vendor.feedback_headers, base_url=ingest.url)
            response = client.post(delivery.url, content=delivery.body, headers=delivery.headers)
            assert response.status_code in (200, 202, 413, 422), response.text
            if response.status_code >= 400:
                assert response.json()["detail"]

        deliver()


# --- what the fuzzer found, kept as plain regressions ------------------------------------------


def test_a_cursor_the_gateway_did_not_make_is_a_422_not_a_500(gateway: Served) -> None:
    # The list pages by cursor now; a page offset no database holds was a 500 before.
    for cursor in ("x" * 400, "eyJzb3J0IjoiYXJyIn0", "%%%"):
        response = httpx.get(f"{gateway.url}/api/v1/feedback", params={"cursor": cursor}, headers=gateway.headers)
        assert response.status_code == 422, response.text


def test_a_text_search_counts_its_matches(gateway: Served) -> None:
    # The capped count came back as a row, not a number: every search with q was a 500.
    response = httpx.get(f"{gateway.url}/api/v1/feedback", params={"q": "Î"}, headers=gateway.headers)
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["total"], int)


@pytest.mark.parametrize(
    "body",
    [
        b'{"title": "t", "votes": 9223372036854775808}',  # accepted, it then poisoned the gateway's read model
        b'{"title": "t", "customer": {"arr": Infinity}}',  # Python's JSON reads it; no one downstream can
    ],
)
def test_numbers_no_database_holds_are_refused_at_the_door(ingest: Served, body: bytes) -> None:
    response = httpx.post(
        f"{ingest.url}/api/v1/feedback",
        content=body,
        headers={**ingest.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["errors"]


def test_a_refused_import_answers_in_the_documented_shape(ingest: Served) -> None:
    response = httpx.post(
        f"{ingest.url}/api/v1/feedback/import",
        content=b"[{}]",
        headers={**ingest.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    documented = httpx.get(f"{ingest.url}/openapi.json", timeout=60).json()["paths"]["/api/v1/feedback/import"]["post"]
    assert documented["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("ImportProblem")
    assert response.json()["detail"]["rows"][0]["row"] == 1
