"""Logs, traces and metrics set up once per process."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import structlog
from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# --- secrets out of traces and logs ---------------------------------------------------------------
# Some vendors can only call a URL that carries its secret (`/webhooks/salesforce?key=...`), and an API's
# next-page link may carry a token: every query value is taken for a secret. The keys stay, for reading.

REDACTED = "REDACTED"
# What instrumentations record a request's URL, or its query, under (the old and the stable conventions).
URL_ATTRIBUTES = frozenset({"http.url", "url.full", "http.target"})
QUERY_ATTRIBUTES = frozenset({"url.query"})
# A URL (or a path from its root) with a query inside free text (a log line, an error message), up to
# whitespace or a quote.
_URL_QUERY = re.compile(r"""((?:\b[a-z][a-z0-9+.-]*://|(?<![\w/])/)[^\s?#"'<>]*\?)([^\s#"'<>]*)""", re.IGNORECASE)


def redact_query(query: str) -> str:
    """Every value of a query string replaced, its keys kept; a part with no key is all value."""
    parts = (part.partition("=") for part in query.split("&"))
    return "&".join(f"{name}={REDACTED}" if equals else REDACTED for name, equals, _ in parts)


def redact_url(url: str) -> str:
    """A URL (or a path with its query) with every query value redacted; the fragment goes too."""
    head, question, query = url.partition("#")[0].partition("?")
    return f"{head}?{redact_query(query)}" if question else head


def redact_urls_in(text: str) -> str:
    """Free text with the query values of every URL in it redacted."""
    return _URL_QUERY.sub(lambda url: url[1] + redact_query(url[2]), text)


def redact_span_urls(span: trace.Span, _: Mapping[str, Any] | None = None) -> None:
    """The HTTP server instrumentation's request hook: its span's URL and query attributes with every query value
    redacted, before the span can end and reach an exporter."""
    if not isinstance(span, ReadableSpan):
        return  # not recording: nothing is kept
    for key, value in list((span.attributes or {}).items()):
        if not isinstance(value, str):
            continue
        if key in URL_ATTRIBUTES and "?" in value:
            span.set_attribute(key, redact_url(value))
        elif key in QUERY_ATTRIBUTES and value:
            span.set_attribute(key, redact_query(value))


def _redact_event(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog: the query values of URLs in any text of an event redacted."""
    for key, value in event.items():
        if isinstance(value, str) and "?" in value:
            event[key] = redact_urls_in(value)
    return event


class RedactingFilter(logging.Filter):
    """The standard library's records (httpx logs each request's URL) with their URLs' query values redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a call whose arguments do not fit its format: the handler reports it as it would
        if "?" in message:
            record.msg, record.args = redact_urls_in(message), None
        return True


_REDACTING_FILTER = RedactingFilter()


def configure_logging(service: str, level: str, json_logs: bool) -> None:
    logging.basicConfig(level=level, format="%(message)s", stream=sys.stderr)
    # On the handlers, not a logger: records from every library's logger pass through them.
    for handler in logging.getLogger().handlers:
        handler.addFilter(_REDACTING_FILTER)
    renderer = structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            _redact_event,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        # stdout belongs to what a command prints (`prodops dlq list --json | jq`); logs go beside it.
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    structlog.contextvars.bind_contextvars(service=service)


def tracer_provider(service: str) -> TracerProvider:
    """A tracer provider; spans leave the process only when OTEL_EXPORTER_OTLP_ENDPOINT says where."""
    provider = TracerProvider(resource=Resource.create({"service.name": f"prodops-{service}"}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def trace_carrier() -> dict[str, str]:
    """The current trace context as W3C headers, for work that leaves it (an outbox row published later)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


@contextmanager
def within_trace(carrier: dict[str, str]) -> Iterator[None]:
    """Spans started inside continue the trace a `trace_carrier()` took (none given: the current one)."""
    token = context.attach(propagate.extract(carrier)) if carrier else None
    try:
        yield
    finally:
        if token is not None:
            context.detach(token)


class ConsumerMetrics:
    """What SREs watch on every consumer, beside FastStream's own per-topic metrics."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.handled = Counter(
            "prodops_messages_handled_total",
            "Messages by outcome: handled, redelivered, dead_lettered, retried, dependency_down.",
            ["consumer", "topic", "outcome"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "prodops_dead_letters_total",
            "Messages sent to the dead-letter topic, by reason.",
            ["consumer", "topic", "reason"],
            registry=registry,
        )
        self.handle_seconds = Histogram(
            "prodops_handle_seconds",
            "Time to handle one message, work and inbox commit included.",
            ["consumer", "topic"],
            registry=registry,
        )
        self.lag = Gauge(
            "prodops_consumer_lag",
            "Messages on a partition that the consumer group has not taken yet (highwater - position).",
            ["consumer", "topic", "partition"],
            registry=registry,
        )
        self.newest_event = Gauge(
            "prodops_newest_event_handled_timestamp_seconds",
            "When the newest event a consumer handled happened; time() minus it is how stale its tables are.",
            ["consumer", "topic"],
            registry=registry,
        )
        self._newest: dict[tuple[str, str], float] = {}

    def handled_event_of(self, consumer: str, topic: str, occurred_at: datetime) -> None:
        """Keep the newest occurred_at handled (partitions interleave, so events come out of order)."""
        stamp = max(occurred_at.timestamp(), self._newest.get((consumer, topic), 0.0))
        self._newest[consumer, topic] = stamp
        self.newest_event.labels(consumer, topic).set(stamp)


class HttpMetrics:
    """Requests to a service's API and webhooks, by route template and, for webhooks, by source."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "prodops_http_requests_total",
            "HTTP requests by method, route template, source (webhooks) and status (401 on a webhook: bad signature).",
            ["method", "route", "source", "status"],
            registry=registry,
        )
        self.seconds = Histogram(
            "prodops_http_request_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            registry=registry,
        )
