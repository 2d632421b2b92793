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
    # The next this many requests are answered 503, as a tracker that is down would.
    unavailable: int = 0
    # A unique part of each Jira version id this server makes.
    next_version: int = 10_100

    def created(self, path: str) -> list[dict[str, Any]]:
        """The bodies of the creations asked on `path` ('projectCreate' for Linear, '/jira/rest/api/3/version')."""
        return [
            body
            for asked, _, body in self.requests
            if body is not None and (asked == path or path in str(body.get("query", "")))
        ]


def _app(trackers: Trackers) -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def down(request: Request, call_next: Any) -> Any:
        if trackers.unavailable > 0:
            trackers.unavailable -= 1
            trackers.requests.append((request.url.path, dict(request.headers), None))
            return JSONResponse({"message": "Service Unavailable"}, status_code=503)
        return await call_next(request)

    @app.post("/linear/graphql")
    async def linear(request: Request) -> JSONResponse:
        body = await request.json()
        trackers.requests.append(("/linear/graphql", dict(request.headers), body))
        query, variables = body["query"], body["variables"]
        if "projectCreate" in query:
            return JSONResponse(_create_project(trackers, variables["input"]))
        if "projects(" in query:
            found = trackers.linear_projects.get(variables["id"])
            return JSONResponse({"data": {"projects": {"nodes": [found] if found else []}}})
        project = trackers.linear_projects.get(variables["id"])
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

    @app.get("/jira/rest/api/3/project/{project_id}/version")
    async def jira_versions(project_id: str, request: Request) -> JSONResponse:
        # Paginated, and the query matches any part of the name or description, case-insensitive, as Jira's does.
        params = request.query_params
        trackers.requests.append((request.url.path, dict(request.headers), dict(params)))
        query = params.get("query", "").lower()
        matching = [
            version
            for version in trackers.jira_versions.values()
            if str(version.get("projectId")) == project_id
            and (query in version["name"].lower() or query in str(version.get("description", "")).lower())
        ]
        start, size = int(params.get("startAt", 0)), int(params.get("maxResults", 50))
        page = matching[start : start + size]
        last = start + size >= len(matching)
        return JSONResponse(
            {"startAt": start, "maxResults": size, "total": len(matching), "isLast": last, "values": page}
        )

    @app.post("/jira/rest/api/3/version")
    async def jira_create(request: Request) -> JSONResponse:
        body = await request.json()
        trackers.requests.append(("/jira/rest/api/3/version", dict(request.headers), body))
        taken = any(
            v["name"] == body["name"] and v.get("projectId") == body["projectId"]
            for v in trackers.jira_versions.values()
        )
        if taken:
            message = "A version with this name already exists in this project."
            return JSONResponse({"errorMessages": [], "errors": {"name": message}}, status_code=400)
        version_id = str(trackers.next_version)
        trackers.next_version += 1
        version = {
            "self": f"{trackers.url}/jira/rest/api/3/version/{version_id}",
            "id": version_id,
            "archived": False,
            "released": False,
            "overdue": False,
            **body,
        }
        trackers.jira_versions[version_id] = version
        return JSONResponse(version, status_code=201)

    return app


def _create_project(trackers: Trackers, given: dict[str, Any]) -> dict[str, Any]:
    if not given.get("teamIds"):
        error = {"message": "Argument Validation Error", "extensions": {"type": "invalid input"}}
        return {"data": None, "errors": [error]}
    if given["id"] in trackers.linear_projects:
        error = {"message": "Project with this id already exists", "extensions": {"type": "invalid input"}}
        return {"data": None, "errors": [error]}
    project = {
        "id": given["id"],
        "name": given["name"],
        "url": f"https://linear.app/acme/project/{given['id'][:8]}",
        "health": None,
        "startDate": given.get("startDate"),
        "targetDate": given.get("targetDate"),
        "status": {"name": "Backlog", "type": "backlog"},
        "labels": {"nodes": []},
    }
    trackers.linear_projects[given["id"]] = project
    return {"data": {"projectCreate": {"success": True, "lastSyncId": 1.0, "project": project}}}


@contextmanager
def tracker_server() -> Iterator[Trackers]:
    """The fake Linear and Jira on a free local port."""
    trackers = Trackers()
    with serving(_app(trackers)) as url:
        trackers.url = url
        yield trackers
