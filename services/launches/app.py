"""The launches service: launch commands -> launch.changed and launch.shipped; checklists and risk."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import yaml
from fastapi import FastAPI

from libs.runtime.service import ServiceRuntime, service_app
from services.launches import domain, jobs, storage
from services.launches.deps import Launches
from services.launches.handlers import router
from services.launches.settings import LaunchesSettings

NAME = "launches"


def create_app(settings: LaunchesSettings | None = None) -> FastAPI:
    settings = settings or LaunchesSettings()
    runtime = ServiceRuntime.create(NAME, settings, Path(__file__).parent / "migrations")
    deps = Launches.create(runtime, settings)
    router.bind(runtime, deps)
    jobs.schedule(runtime.scheduler, deps)
    return service_app(
        runtime, title="ProdOps launches", on_start=[partial(load_templates, deps)], on_stop=[deps.client.aclose]
    )


async def load_templates(deps: Launches) -> None:
    """Make the checklist templates in effect those of the templates file a team edits."""
    text = deps.settings.checklist_templates_file.read_text()
    templates = domain.Templates.model_validate(yaml.safe_load(text))
    async with deps.runtime.sessions() as session, session.begin():
        await storage.replace_templates(session, templates)
