"""Logs, traces and metrics set up once per process."""

from __future__ import annotations

import logging
import os

import structlog
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CollectorRegistry, Counter, Histogram


def configure_logging(service: str, level: str, json_logs: bool) -> None:
    logging.basicConfig(level=level, format="%(message)s")
    renderer = structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
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


class ConsumerMetrics:
    """What SREs watch on every consumer, beside FastStream's own per-topic metrics."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.handled = Counter(
            "prodops_messages_handled_total",
            "Messages handled by a consumer, by outcome (handled, redelivered, dead_lettered, retried).",
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
