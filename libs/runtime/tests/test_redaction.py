"""Secrets in URLs stay out of traces and logs: every query value is redacted, the keys kept.

Vendors that sign nothing call `/webhooks/<source>?key=<secret>`; an API's next-page link may carry a token.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from libs.runtime.service import ServiceRuntime, service_app
from libs.runtime.telemetry import (
    RedactingFilter,
    configure_logging,
    redact_query,
    redact_span_urls,
    redact_url,
    redact_urls_in,
    tracer_provider,
)
from libs.runtime.testing import UNUSED_BOOTSTRAP
from libs.runtime.tests.probe import probe_runtime

SECRET = "s3cr3t-v4lue"


def test_every_query_value_is_redacted_and_the_keys_are_kept() -> None:
    assert redact_query(f"key={SECRET}&page=2&flag=&{SECRET}") == "key=REDACTED&page=REDACTED&flag=REDACTED&REDACTED"
    assert redact_url(f"https://hub.example.com/webhooks/gong?key={SECRET}#frag") == (
        "https://hub.example.com/webhooks/gong?key=REDACTED"
    )
    assert redact_url(f"/webhooks/chorus?key={SECRET}") == "/webhooks/chorus?key=REDACTED"
    assert redact_url("/api/v1/feedback") == "/api/v1/feedback"
    text = f"GET https://api.example.com/v2/items?cursor=abc&api_key={SECRET} failed; see http://x.test/ok"
    assert redact_urls_in(text) == (
        "GET https://api.example.com/v2/items?cursor=REDACTED&api_key=REDACTED failed; see http://x.test/ok"
    )
    assert redact_urls_in(f"'https://x.test/p?token={SECRET}'") == "'https://x.test/p?token=REDACTED'"
    assert redact_urls_in(f"POST /webhooks/gong?key={SECRET} 202") == "POST /webhooks/gong?key=REDACTED 202"
    assert redact_urls_in("and/or? either/or") == "and/or? either/or"


@pytest.fixture
def exported(tmp_path: Path) -> Iterator[tuple[ServiceRuntime, InMemorySpanExporter]]:
    """A service whose spans also go to memory, as an exporter would get them."""
    runtime = probe_runtime(UNUSED_BOOTSTRAP, tmp_path)
    exporter = InMemorySpanExporter()
    runtime.tracing.add_span_processor(SimpleSpanProcessor(exporter))
    yield runtime, exporter
    runtime.tracing.shutdown()


def _texts(spans: tuple[ReadableSpan, ...]) -> list[str]:
    return [f"{span.name} {key}={value!r}" for span in spans for key, value in (span.attributes or {}).items()]


async def test_a_request_url_reaches_the_trace_without_its_query_values(
    exported: tuple[ServiceRuntime, InMemorySpanExporter],
) -> None:
    runtime, exporter = exported
    app = service_app(runtime, title="probe")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe") as http:
        answer = await http.get("/asyncapi.json", params={"key": SECRET, "signature": SECRET, "api_key": SECRET})
    assert answer.status_code == 200
    texts = _texts(exporter.get_finished_spans())
    assert texts and not [text for text in texts if SECRET in text]
    assert any("key=REDACTED&signature=REDACTED&api_key=REDACTED" in text for text in texts), texts


def test_the_stable_conventions_url_and_query_attributes_are_redacted_too() -> None:
    provider = tracer_provider("redaction")
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    attributes = {
        "url.full": f"https://hub.example.com/webhooks/gong?key={SECRET}",
        "url.query": f"key={SECRET}",
        "url.path": "/webhooks/gong",
        "http.target": f"/webhooks/gong?key={SECRET}",
    }
    span = provider.get_tracer("test").start_span("POST /webhooks/{source}", attributes=attributes)
    redact_span_urls(span, {})
    span.end()
    (exported,) = exporter.get_finished_spans()
    assert dict(exported.attributes or {}) == {
        "url.full": "https://hub.example.com/webhooks/gong?key=REDACTED",
        "url.query": "key=REDACTED",
        "url.path": "/webhooks/gong",
        "http.target": "/webhooks/gong?key=REDACTED",
    }
    provider.shutdown()


@pytest.fixture
def handlers_restored() -> Iterator[None]:
    """The tests set logging up as a service does; the redacting filter then leaves pytest's own handlers again."""
    yield
    for handler in logging.getLogger().handlers:
        handler.filters = [kept for kept in handler.filters if not isinstance(kept, RedactingFilter)]


async def test_a_logged_request_url_keeps_no_query_value(
    handlers_restored: None, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("redaction", "INFO", json_logs=True)
    caplog.set_level(logging.INFO, logger="httpx")

    def vendor(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={})

    async with httpx.AsyncClient(transport=httpx.MockTransport(vendor)) as http:
        await http.get(f"https://api.example.com/v2/tickets?api_key={SECRET}&page=3")
    (record,) = [record for record in caplog.records if record.name == "httpx"]
    assert record.getMessage().startswith("HTTP Request: GET https://api.example.com/v2/tickets?api_key=REDACTED&page")
    assert SECRET not in caplog.text


def test_the_hubs_own_log_lines_keep_no_query_value(
    handlers_restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("redaction", "INFO", json_logs=True)  # structlog writes to the stderr capsys holds now
    structlog.get_logger().warning(f"fetch of https://x.test/a?token={SECRET} failed", url=f"/hooks?key={SECRET}")
    logged = capsys.readouterr().err
    assert "https://x.test/a?token=REDACTED" in logged and SECRET not in logged
