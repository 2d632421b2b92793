"""A local OpenTelemetry collector: receives OTLP/HTTP trace exports (protobuf) and keeps every span."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI, Request, Response
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from libs.testing.http import serving


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str


@dataclass
class SpanStore:
    spans: list[ReceivedSpan] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: ExportTraceServiceRequest) -> None:
        with self.lock:
            for resource_spans in request.resource_spans:
                attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                service = attributes.get("service.name", "")
                for scope_spans in resource_spans.scope_spans:
                    self.spans.extend(
                        ReceivedSpan(
                            service=service,
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                        )
                        for span in scope_spans.spans
                    )

    def of_trace(self, trace_id: str) -> list[ReceivedSpan]:
        with self.lock:
            return [span for span in self.spans if span.trace_id == trace_id]


def collector_app(store: SpanStore) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/traces")
    async def export(request: Request) -> Response:
        export_request = ExportTraceServiceRequest()
        export_request.ParseFromString(await request.body())
        store.add(export_request)
        return Response(ExportTraceServiceResponse().SerializeToString(), media_type="application/x-protobuf")

    return app


@contextmanager
def otlp_collector() -> Iterator[tuple[SpanStore, str]]:
    """A collector on a free local port: its store and the URL to give OTEL_EXPORTER_OTLP_ENDPOINT."""
    store = SpanStore()
    with serving(collector_app(store)) as url:
        yield store, url
