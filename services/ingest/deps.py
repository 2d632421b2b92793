"""What ingest's handlers, jobs and routes are given; built once, in app.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from libs.runtime.service import ServiceRuntime
from services.ingest.connectors import Connector
from services.ingest.settings import IngestSettings


@dataclass(frozen=True)
class Ingest:
    runtime: ServiceRuntime
    settings: IngestSettings
    # Every source's connector, by name: its webhooks, and its syncs when it has API credentials.
    connectors: Mapping[str, Connector]

    @classmethod
    def create(cls, runtime: ServiceRuntime, settings: IngestSettings, connectors: Mapping[str, Connector]) -> Ingest:
        return cls(runtime=runtime, settings=settings, connectors=connectors)
