"""Each service's AsyncAPI document, drawn from its handlers' declarations; kept in docs/asyncapi/.

`prodops schemas asyncapi` writes them; a test fails when one in docs/ is stale. Each service also serves
its own at /asyncapi.json.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from libs.runtime.routing import EventRouter, asyncapi_document
from libs.runtime.settings import SERVICES

FOLDER = Path("docs/asyncapi")


def router_of(service: str) -> EventRouter[object]:
    router: EventRouter[object] = importlib.import_module(f"services.{service}.handlers").router
    return router


def documents() -> dict[str, str]:
    """Service name -> its AsyncAPI document (JSON), as the service serves it."""
    return {service: asyncapi_document([router_of(service)], title=f"ProdOps {service}") for service in SERVICES}


def write(folder: Path = FOLDER) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for service, document in documents().items():
        path = folder / f"{service}.json"
        path.write_text(document)
        written.append(path)
    return written
