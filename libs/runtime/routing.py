"""Where a service declares its handlers: what each consumes and what it publishes, once, at module level.

A service's handlers.py makes one router and decorates module-level functions with it:

    router = EventRouter[Triage]("triage")

    @router.consumes(FeedbackEnriched, publishes=[FeedbackTriaged, FeedbackSplit], prepare=assess_ahead)
    async def on_enriched(event: FeedbackEnriched, session: AsyncSession, deps: Triage) -> list[...]:
        ...

Its composition root (app.py) builds the dependencies once and binds them: `router.bind(runtime, deps)`
subscribes every handler through libs.runtime.consumer (inbox, batches, retries, dead letters). A reply
the declaration does not name is dead-lettered, so the declarations stay true; the same declarations
make the service's AsyncAPI document (`asyncapi_document`). A command refused as a business rule raises
`Refused(CommandRejected.of(...))`: its work is rolled back and the refusal, declared like any reply, is published.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.consumer import PoisonMessage, Refused, consume, group_of
from libs.runtime.service import ServiceRuntime
from libs.runtime.settings import ServiceSettings
from libs.schemas.events import DeadLettered, Envelope

D = TypeVar("D")
E = TypeVar("E", bound=Envelope)

Handler = Callable[[E, AsyncSession, D], Awaitable[Sequence[Envelope]]]
H = TypeVar("H", bound=Callable[..., Awaitable[Sequence[Envelope]]])
# Work for a whole batch before its handlers run (one model pass for many texts): see consumer.Prepare.
Prepare = Callable[[Sequence[E], D], Awaitable[None]]
# Work once a batch's handlers ran, inside its transaction (a vector index's flush): see consumer.Conclude.
Conclude = Callable[[D], Awaitable[None]]


class UndeclaredReply(PoisonMessage):
    """A handler returned an event its declaration does not name: a bug, dead-lettered with the names."""


@dataclass(frozen=True)
class Route(Generic[E, D]):
    """One handler and what it is declared to consume and publish."""

    consumes: type[E]
    handler: Handler[E, D]
    publishes: tuple[type[Envelope], ...]
    prepare: Prepare[E, D] | None = None
    conclude: Conclude[D] | None = None

    @property
    def summary(self) -> str:
        return inspect.getdoc(self.handler) or ""


@dataclass
class EventRouter(Generic[D]):
    """A service's handlers, declared with what they consume and publish; bound to a runtime at start."""

    service: str
    # Events the service publishes outside its handlers (a job, an API route, an outbox relay).
    also_publishes: Sequence[type[Envelope]] = ()
    routes: list[Route[Any, D]] = field(default_factory=list)

    def consumes(
        self,
        event_type: type[E],
        *,
        publishes: Sequence[type[Envelope]] = (),
        prepare: Prepare[E, D] | None = None,
        conclude: Conclude[D] | None = None,
    ) -> Callable[[H], H]:
        """Declare the decorated function the service's handler of `event_type`'s topic (stackable: one
        function may handle several event types)."""

        def declare(handler: H) -> H:
            if any(route.consumes is event_type for route in self.routes):
                raise ValueError(f"{self.service} already handles {event_type.__name__}")
            self.routes.append(Route(event_type, handler, tuple(publishes), prepare, conclude))
            return handler

        return declare

    def bind(self, runtime: ServiceRuntime, deps: D) -> None:
        """Subscribe every declared handler, each given `deps`, with the hub's delivery guarantees."""
        if runtime.name != self.service:
            raise ValueError(f"the router of {self.service} cannot serve {runtime.name}")
        for route in self.routes:
            consume(
                runtime,
                route.consumes,
                _checked(route, deps),
                prepare=_with_deps(route.prepare, deps) if route.prepare else None,
                conclude=partial(route.conclude, deps) if route.conclude else None,
            )
        runtime.routers.append(self)

    def published(self) -> list[type[Envelope]]:
        """Every event type the service publishes, each once, in declaration order."""
        seen: dict[type[Envelope], None] = {}
        for route in self.routes:
            seen.update(dict.fromkeys(route.publishes))
        seen.update(dict.fromkeys(self.also_publishes))
        if self.routes:
            seen[DeadLettered] = None  # what any consumer cannot handle
        return list(seen)


def _checked(route: Route[E, D], deps: D) -> Callable[[E, AsyncSession], Awaitable[Sequence[Envelope]]]:
    async def handle(event: E, session: AsyncSession) -> Sequence[Envelope]:
        try:
            replies = await route.handler(event, session, deps)
        except Refused as refusal:
            _declared(route, [refusal.rejection])
            raise
        return _declared(route, replies)

    handle.__doc__ = route.handler.__doc__
    return handle


def _declared(route: Route[E, D], replies: Sequence[Envelope]) -> Sequence[Envelope]:
    if undeclared := sorted({type(reply).__name__ for reply in replies if type(reply) not in route.publishes}):
        raise UndeclaredReply(f"{route.handler.__name__} returned undeclared {', '.join(undeclared)}")
    return replies


def _with_deps(prepare: Prepare[E, D], deps: D) -> Callable[[Sequence[E]], Awaitable[None]]:
    async def prepared(events: Sequence[E]) -> None:
        await prepare(events, deps)

    return prepared


def asyncapi_document(routers: Sequence[EventRouter[Any]], *, title: str, version: str = "1.0.0") -> str:
    """The AsyncAPI 3.0 document (JSON) of the channels the routers' declarations consume and publish.

    Drawn by FastStream from a broker that only holds the declarations and is never connected: the live
    subscribers decode raw records themselves (poison goes to the dead-letter topic), so they carry no types.
    """
    broker = KafkaBroker(
        ServiceSettings.model_fields["kafka_bootstrap"].default,
        description="The hub's Kafka cluster: PRODOPS_KAFKA_BOOTSTRAP (the embedded default shown)",
    )
    publishers: dict[type[Envelope], None] = {}
    for router in routers:
        for route in router.routes:
            group = group_of(router.service, route.consumes)
            broker.subscriber(route.consumes.TOPIC, group_id=group, title=group, description=route.summary or None)(
                _typed(route.consumes)
            )
        publishers.update(dict.fromkeys(router.published()))
    for event_type in publishers:
        broker.publisher(
            event_type.TOPIC,
            title=f"{event_type.TOPIC}:{event_type.__name__}",
            description=inspect.getdoc(event_type),
            schema=event_type,
        )
    document = AsyncAPI(broker, title=title, version=version, schema_version="3.0.0").to_specification()
    return json.dumps(json.loads(document.to_json()), indent=2, sort_keys=True) + "\n"


def _typed(event_type: type[Envelope]) -> Callable[..., Awaitable[None]]:
    """A function whose one parameter is `event_type`: what FastStream reads a subscriber's payload from."""

    async def message(event: Any) -> None:
        raise AssertionError("a declaration only; never called")

    message.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("event", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=event_type)],
        return_annotation=None,
    )
    message.__name__ = event_type.__name__
    return message
