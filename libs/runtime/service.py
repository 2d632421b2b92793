"""One running service: its broker, database, metrics, and the ASGI app that serves its probes.

Every service process is the same shape: a FastAPI app whose lifespan migrates the service's
tables, starts its FastStream broker, and serves /healthz, /readyz and /metrics (plus whatever
API the service adds).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from aiokafka.errors import IllegalStateError
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.kafka.subscriber.usecase import LogicSubscriber
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.body_limits import BodyLimits
from libs.runtime.database import database_url, is_transient, make_engine, migrate, session_factory
from libs.runtime.inbox import OutgoingMessage
from libs.runtime.jobs import Scheduler
from libs.runtime.security_headers import SecurityHeaders
from libs.runtime.settings import MAX_MESSAGE_BYTES, ServiceSettings
from libs.runtime.telemetry import (
    ConsumerMetrics,
    HttpMetrics,
    configure_logging,
    redact_span_urls,
    tracer_provider,
    within_trace,
)
from libs.schemas.events import Envelope
from libs.schemas.feedback import Source

if TYPE_CHECKING:
    from libs.runtime.routing import EventRouter

log = structlog.get_logger()

Hook = Callable[[], Awaitable[None]]
PROBES = ("/healthz", "/readyz", "/metrics", "/asyncapi.json")


class Problem(BaseModel):
    """Every error answer (FastAPI's shape): a message, the validation errors, or a reason with its parts."""

    detail: str | list[Any] | dict[str, Any]


# The answers any API route may give besides its own, documented so clients (and the fuzzer) can rely on them.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "A body that cannot be read (not UTF-8)"},
    401: {"model": Problem, "description": "No bearer token, or a forged or expired one"},
    403: {"model": Problem, "description": "The token's role is not enough"},
    413: {"model": Problem, "description": "A body over the route's limit (refused as it arrives, unread)"},
    422: {"model": Problem, "description": "Input that breaks the documented rules"},
    503: {"model": Problem, "description": "A dependency (the database) is away: nothing was done; send it again"},
}


@dataclass
class ServiceRuntime:
    name: str
    settings: ServiceSettings
    broker: KafkaBroker
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    registry: CollectorRegistry
    metrics: ConsumerMetrics
    migrations: Path
    tracing: TracerProvider
    scheduler: Scheduler
    ready_checks: list[Callable[[], Awaitable[str | None]]] = field(default_factory=list)
    # Consumer group -> its subscriber, whose aiokafka consumer tells the lag.
    subscribers: dict[str, LogicSubscriber[Any]] = field(default_factory=dict)
    # Consumer group -> (topic, partition) -> the earliest offset of the batch it is handling: fetched
    # (the consumer's position is past it) but not handled yet, so still lag.
    in_flight: dict[str, dict[tuple[str, int], int]] = field(default_factory=dict)
    # The handler declarations bound to this runtime (libs.runtime.routing): its AsyncAPI document.
    routers: list[EventRouter[Any]] = field(default_factory=list)

    @classmethod
    def create(cls, name: str, settings: ServiceSettings, migrations: Path) -> ServiceRuntime:
        registry = CollectorRegistry()
        tracing = tracer_provider(name)
        broker = KafkaBroker(
            settings.kafka_bootstrap,
            client_id=f"prodops-{name}",
            # Published means every in-sync replica holds it, not the leader alone: the outbox and a consumer's
            # commit count on it. Idempotent where the broker allows it (docs/operations.md).
            acks="all",
            enable_idempotence=settings.kafka_idempotent,
            # A larger record is refused here, before it is sent (MessageSizeTooLargeError): refused for good.
            max_request_size=MAX_MESSAGE_BYTES,
            middlewares=[
                KafkaTelemetryMiddleware(tracer_provider=tracing),
                KafkaPrometheusMiddleware(registry=registry, app_name=f"prodops-{name}"),
            ],
            graceful_timeout=10.0,
            logger=None,
        )
        engine = make_engine(database_url(settings, name), name)
        return cls(
            name=name,
            settings=settings,
            broker=broker,
            engine=engine,
            sessions=session_factory(engine),
            registry=registry,
            metrics=ConsumerMetrics(registry),
            migrations=migrations,
            tracing=tracing,
            scheduler=Scheduler(registry),
        )

    async def publish(self, message: Envelope) -> None:
        await self.publish_all([OutgoingMessage.of(message)])

    async def publish_all(self, messages: Sequence[OutgoingMessage]) -> None:
        """Publish in order, each continuing its own trace; then wait until the broker acknowledged them all.

        One wait for the lot, not one per message: a batch's replies cost one round trip.
        """
        acknowledgements = []
        for message in messages:
            with within_trace(message.trace_context):
                acknowledgements.append(
                    await self.broker.publish(
                        message.body.encode(),
                        topic=message.topic,
                        key=message.key.encode() if message.key else None,
                        headers={"content-type": "application/json", "producer": self.name},
                        no_confirm=True,
                    )
                )
        # FastStream's in-memory test broker has delivered by now and hands back no acknowledgement to wait for.
        await asyncio.gather(*(ack for ack in acknowledgements if ack is not None))

    async def sample_lag(self) -> None:
        """Set the lag gauge of every partition each consumer group holds now (and drop the ones it gave up)."""
        lags: dict[tuple[str, str, str], int] = {}
        for group, subscriber in self.subscribers.items():
            consumer = subscriber.consumer
            if consumer is None:
                continue
            for partition in consumer.assignment():
                try:
                    highwater = consumer.highwater(partition)
                    # Known once fetched; bounded, so that a rebalance in progress does not stall the sampler.
                    position = await asyncio.wait_for(consumer.position(partition), 2.0)
                except (IllegalStateError, AssertionError, TimeoutError):
                    continue  # taken away by a rebalance meanwhile
                # A batch being handled is past the position already, and still lag.
                handling = self.in_flight.get(group, {}).get((partition.topic, partition.partition))
                position = position if handling is None else min(position, handling)
                if highwater is not None:
                    lags[group, partition.topic, str(partition.partition)] = max(0, highwater - position)
        gauge = self.metrics.lag
        held = {tuple(sample.labels.values()) for metric in gauge.collect() for sample in metric.samples}
        for labels in held - set(lags):
            gauge.remove(*labels)
        for labels, lag in lags.items():
            gauge.labels(*labels).set(lag)

    async def readiness(self) -> dict[str, str]:
        """Each dependency that is not fine, with what is wrong with it."""
        problems: dict[str, str] = {}
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            problems["database"] = type(error).__name__
        if not await self.broker.ping(timeout=2.0):
            problems["broker"] = "unreachable"
        for check in self.ready_checks:
            if problem := await check():
                problems[check.__name__] = problem
        return problems


# Label values come from a closed set: a label taken from the path as sent would let anyone add series for ever.
SOURCE_LABELS = frozenset(source.value for source in Source)


def _source_label(request: Request) -> str:
    """The webhook's source when it is one the hub knows, "unknown" when not, "" off the webhook routes."""
    source = request.path_params.get("source")
    if source is None:
        return ""
    return source if source in SOURCE_LABELS else "unknown"


def service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    routers: Iterable[APIRouter] = (),
    on_start: Sequence[Hook] = (),
    on_stop: Sequence[Hook] = (),
    serves_without_broker: bool = False,
    body_limits: Mapping[str, int] = {},
) -> FastAPI:
    """The service's ASGI app: probes and metrics, its routers, its broker in the lifespan.

    A service that `serves_without_broker` (ingest parks items in its outbox, the gateway serves
    its read model) stays ready while the broker is away, and says it is degraded.
    """
    settings = runtime.settings
    configure_logging(runtime.name, settings.log_level, settings.log_json)

    # A failed sample leaves the gauge stale; the next one tries again.
    runtime.scheduler.every("sample-consumer-lag", settings.lag_sample_seconds, runtime.sample_lag, at_start=False)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            await migrate(runtime.engine, runtime.name, runtime.migrations)
            for hook in on_start:
                await hook()
            await runtime.broker.start()
            runtime.scheduler.start()
            log.info("service started", jobs=runtime.scheduler.names)
            yield
        finally:
            # Also after a failed start: whatever was opened is closed.
            await runtime.scheduler.stop()
            try:
                async with asyncio.timeout(settings.broker_stop_seconds):
                    await runtime.broker.stop()
            except TimeoutError:
                # Uncommitted offsets are redelivered to the next consumer, and the inbox skips their work.
                log.error(
                    "the broker connection did not close in time; leaving it", seconds=settings.broker_stop_seconds
                )
            for hook in on_stop:
                await hook()
            await runtime.engine.dispose()

    app = FastAPI(title=title, version="1.0.0", lifespan=lifespan)
    app.add_middleware(BodyLimits, default=settings.max_body_bytes, limits=body_limits)
    # Added last, so outermost: a 413 carries the headers too.
    documents = [url for url in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if url]
    app.add_middleware(SecurityHeaders, documents=documents, strict_transport=settings.env not in ("dev", "test"))
    # A server span per request, continuing a caller's traceparent; the probes would only be noise.
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=runtime.tracing,
        excluded_urls="healthz,readyz,metrics",
        server_request_hook=redact_span_urls,  # a webhook's URL may carry its key
    )
    app.state.runtime = runtime
    app.state.signing_key = settings.signing_key()

    http_metrics = HttpMetrics(runtime.registry)

    @app.middleware("http")
    async def count_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            # The route template, not the path: one series per endpoint, whatever the ids in it.
            route = getattr(request.scope.get("route"), "path", "unmatched")
            if route not in PROBES:
                http_metrics.requests.labels(request.method, route, _source_label(request), str(status)).inc()
                http_metrics.seconds.labels(request.method, route).observe(time.perf_counter() - started)

    @app.get("/healthz", tags=["probes"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.name}

    @app.get("/readyz", tags=["probes"], responses={503: {"description": "A dependency is not fine"}})
    async def readyz(response: Response) -> dict[str, object]:
        problems = await runtime.readiness()
        degraded = {"broker": problems.pop("broker")} if serves_without_broker and "broker" in problems else {}
        if problems:
            response.status_code = 503
        return {"ready": not problems, "service": runtime.name, "problems": problems, "degraded": degraded}

    @app.get("/metrics", tags=["probes"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(runtime.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/asyncapi.json", tags=["probes"], include_in_schema=False)
    async def asyncapi() -> Response:
        """What the service consumes and publishes, drawn from its handlers' declarations."""
        from libs.runtime.routing import asyncapi_document  # routing builds on this module

        return Response(asyncapi_document(runtime.routers, title=title), media_type="application/json")

    async def dependency_away(_: Request, error: Exception) -> Response:
        """Nothing was stored, so nothing is acknowledged: a 503 the caller retries, not a bare 500."""
        if not is_transient(error):
            raise error
        return JSONResponse(
            status_code=503,
            content={"detail": f"a dependency is unavailable ({type(error).__name__}): nothing done, send it again"},
            headers={"Retry-After": "5"},
        )

    # A route's database calls fail with the driver's errors (OperationalError...) or the socket's (OSError).
    for kind in (DBAPIError, OSError):
        app.add_exception_handler(kind, dependency_away)
    for router in routers:
        app.include_router(router, responses=ERROR_RESPONSES)
    return app
