"""One running service: its broker, database, metrics, and the ASGI app that serves its probes.

Every service process is the same shape: a FastAPI app whose lifespan migrates the service's
tables, starts its FastStream broker, and serves /healthz, /readyz and /metrics (plus whatever
API the service adds).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from fastapi import APIRouter, FastAPI, Response
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.database import database_url, make_engine, migrate, session_factory
from libs.runtime.inbox import OutgoingMessage
from libs.runtime.settings import ServiceSettings
from libs.runtime.telemetry import ConsumerMetrics, configure_logging, tracer_provider
from libs.schemas.events import Envelope

log = structlog.get_logger()

Hook = Callable[[], Awaitable[None]]


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
    ready_checks: list[Callable[[], Awaitable[str | None]]] = field(default_factory=list)

    @classmethod
    def create(cls, name: str, settings: ServiceSettings, migrations: Path) -> ServiceRuntime:
        registry = CollectorRegistry()
        broker = KafkaBroker(
            settings.kafka_bootstrap,
            client_id=f"prodops-{name}",
            middlewares=[
                KafkaTelemetryMiddleware(tracer_provider=tracer_provider(name)),
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
        )

    async def publish(self, message: Envelope) -> None:
        await self.publish_all([OutgoingMessage.of(message)])

    async def publish_all(self, messages: Sequence[OutgoingMessage]) -> None:
        """Publish and wait for the broker's acknowledgement of each, in order."""
        for message in messages:
            await self.broker.publish(
                message.body.encode(),
                topic=message.topic,
                key=message.key.encode() if message.key else None,
                headers={"content-type": "application/json", "producer": self.name},
            )

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


def service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    routers: Iterable[APIRouter] = (),
    on_start: Sequence[Hook] = (),
    on_stop: Sequence[Hook] = (),
    background: Sequence[Callable[[], Awaitable[None]]] = (),
    serves_without_broker: bool = False,
) -> FastAPI:
    """The service's ASGI app: probes and metrics, its routers, its broker in the lifespan.

    A service that `serves_without_broker` (ingest parks items in its outbox, the gateway serves
    its read model) stays ready while the broker is away, and says it is degraded.
    """
    settings = runtime.settings
    configure_logging(runtime.name, settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        try:
            await migrate(runtime.engine, runtime.name, runtime.migrations)
            for hook in on_start:
                await hook()
            await runtime.broker.start()
            tasks = [asyncio.create_task(loop(), name=loop.__name__) for loop in background]
            log.info("service started")
            yield
        finally:
            # Also after a failed start: whatever was opened is closed.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await runtime.broker.stop()
            for hook in on_stop:
                await hook()
            await runtime.engine.dispose()

    app = FastAPI(title=title, version="1.0.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.signing_key = settings.signing_key()

    @app.get("/healthz", tags=["probes"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.name}

    @app.get("/readyz", tags=["probes"])
    async def readyz(response: Response) -> dict[str, object]:
        problems = await runtime.readiness()
        degraded = {"broker": problems.pop("broker")} if serves_without_broker and "broker" in problems else {}
        if problems:
            response.status_code = 503
        return {"ready": not problems, "service": runtime.name, "problems": problems, "degraded": degraded}

    @app.get("/metrics", tags=["probes"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(runtime.registry), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router)
    return app
