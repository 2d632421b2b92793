"""The launches service: launch commands -> launch.changed and launch.shipped; checklists and risk."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml
from fastapi import FastAPI

from libs.runtime.service import ServiceRuntime, service_app
from services.launches import adapters, domain, handlers, jobs, storage
from services.launches.settings import LaunchesSettings

NAME = "launches"


def create_app(settings: LaunchesSettings | None = None) -> FastAPI:
    settings = settings or LaunchesSettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    rules = domain.RiskRules(days_before_target=settings.at_risk_days, min_readiness=settings.at_risk_min_readiness)
    handlers.register(runtime, rules, settings.creates_in)

    async def load_templates() -> None:
        templates = domain.Templates.model_validate(yaml.safe_load(settings.checklist_templates_file.read_text()))
        async with runtime.sessions() as session, session.begin():
            await storage.replace_templates(session, templates)

    client = httpx.AsyncClient(timeout=30.0)
    found_in = adapters.trackers(settings, client)

    async def review_risks() -> None:
        await jobs.periodically("risk review", settings.risk_review_seconds, lambda: jobs.review_risks(runtime, rules))

    async def sync_trackers() -> None:
        mapping = settings.tracker_mapping
        await jobs.periodically(
            "tracker sync", settings.tracker_sync_seconds, lambda: jobs.sync_trackers(runtime, found_in, mapping)
        )

    async def link_trackers() -> None:
        policy = domain.RetryPolicy(
            attempts=settings.tracker_link_attempts, backoff_seconds=settings.tracker_link_backoff_seconds
        )
        await jobs.periodically(
            "tracker link", settings.tracker_link_seconds, lambda: jobs.link_trackers(runtime, found_in, policy)
        )

    background = [review_risks]
    if found_in:
        background.append(sync_trackers)
    if settings.creates_in:
        background.append(link_trackers)
    return service_app(
        runtime, title="ProdOps launches", on_start=[load_templates], on_stop=[client.aclose], background=background
    )
