"""`GET /api/v1/feedback?review=...`: the items whose AI verdict needs a person's look, or did not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from uuid import UUID, uuid4

import httpx
import pytest

from libs.runtime.auth import Role, create_token
from libs.runtime.testing import DATABASES, UNUSED_BOOTSTRAP, database_for, in_memory, quick_settings
from libs.schemas.events import FeedbackTriaged, utcnow
from libs.schemas.feedback import Answer, FieldReview, Review, ReviewedField, ReviewState
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.gateway.tests import factories


@dataclass
class Items:
    client: httpx.AsyncClient
    marker: str
    sure: UUID = field(default_factory=uuid4)
    unsure: UUID = field(default_factory=uuid4)
    before_reviews: UUID = field(default_factory=uuid4)  # a verdict given before reviews existed: no review


def reviewed(item_id: UUID, review: Review | None) -> FeedbackTriaged:
    event = factories.triaged(item_id, utcnow())
    verdict = event.payload.ai_triage.model_copy(update={"review": review})
    return event.model_copy(update={"payload": event.payload.model_copy(update={"ai_triage": verdict})})


@pytest.fixture(scope="module", params=DATABASES)
async def items(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Items]:
    settings = quick_settings(
        GatewaySettings, UNUSED_BOOTSTRAP, tmp_path_factory.mktemp(f"review-{request.param}"), database_for(request)
    )
    app = create_app(settings)
    async with in_memory(app) as bus:
        token = create_token(app.state.signing_key, Role.VIEWER, "test")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://gateway",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            made = Items(client, f"mk{uuid4().hex[:10]}")
            doubt = FieldReview(
                field=ReviewedField.CATEGORY,
                answers=[Answer(label="bug", probability=0.55), Answer(label="question", probability=0.3)],
                threshold=0.8,
            )
            for item_id, review in (
                (made.sure, Review(state=ReviewState.AUTO)),
                (made.unsure, Review(state=ReviewState.NEEDS_REVIEW, fields=[doubt])),
                (made.before_reviews, None),
            ):
                await bus.publish(factories.received(item_id, utcnow(), title=f"{made.marker} item"))
                await bus.publish(reviewed(item_id, review))
            yield made


async def listed(items: Items, *review: str) -> set[UUID]:
    response = await items.client.get("/api/v1/feedback", params={"q": items.marker, "review": list(review)})
    assert response.status_code == 200, response.text
    return {UUID(item["id"]) for item in response.json()["items"]}


async def test_the_list_filters_on_the_verdicts_review_state(items: Items) -> None:
    assert await listed(items, "needs_review") == {items.unsure}
    assert await listed(items, "auto") == {items.sure}
    assert await listed(items, "auto", "needs_review") == {items.sure, items.unsure}
    assert await listed(items) == {items.sure, items.unsure, items.before_reviews}, "no filter: every item"


async def test_the_review_is_shown_with_the_verdict(items: Items) -> None:
    shown = (await items.client.get(f"/api/v1/feedback/{items.unsure}")).json()["ai_triage"]["review"]
    assert shown["state"] == "needs_review"
    assert shown["fields"][0]["answers"] == [
        {"label": "bug", "probability": 0.55},
        {"label": "question", "probability": 0.3},
    ]


async def test_an_unknown_review_state_is_refused(items: Items) -> None:
    response = await items.client.get("/api/v1/feedback", params={"review": "maybe"})
    assert response.status_code == 422
