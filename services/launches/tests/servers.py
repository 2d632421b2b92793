"""A small HTTP server that answers as Linear's GraphQL API and Jira's REST API do, as far as launches uses them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from libs.testing.http import serving


@dataclass
class Trackers:
    """The projects (under /linear) and fix versions (under /jira) the fake trackers know, and what they were asked."""

    url: str = ""
    linear_projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    jira_versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str], dict[str, Any] | None]] = field(default_factory=list)


def _app(trackers: Trackers) -> FastAPI:
    app = FastAPI()

    @app.post("/linear/graphql")
    async def linear(request: Request) -> JSONResponse:
        body = await request.json()
        trackers.requests.append(("/linear/graphql", dict(request.headers), body))
        project = trackers.linear_projects.get(body["variables"]["id"])
        if project is None:
            error = {"message": "Entity not found: Project", "extensions": {"type": "invalid input"}}
            return JSONResponse({"data": None, "errors": [error]})
        return JSONResponse({"data": {"project": project}})

    @app.get("/jira/rest/api/3/version/{version_id}")
    async def jira(version_id: str, request: Request) -> JSONResponse:
        trackers.requests.append((f"/jira/rest/api/3/version/{version_id}", dict(request.headers), None))
        version = trackers.jira_versions.get(version_id)
        if version is None:
            return JSONResponse({"errorMessages": [f"Could not find version for id '{version_id}'"]}, status_code=404)
        return JSONResponse(version)

    return app


@contextmanager
def tracker_server() -> Iterator[Trackers]:
    """The fake Linear and Jira on a free local port."""
    trackers = Trackers()
    with serving(_app(trackers)) as url:
        trackers.url = url
        yield trackers
