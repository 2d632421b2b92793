"""Source connectors: every module here that defines a Connector subclass adds a source.

A new vendor is a new module with its class, its settings block in libs/connectors/settings.py and
that block's field in IngestSettings; the registry finds it.
"""

from __future__ import annotations

import importlib
import pkgutil

from libs.connectors.settings import SourceSettings
from services.ingest.connectors.base import Connector
from services.ingest.settings import IngestSettings

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

REGISTRY: dict[str, type[Connector]] = {cls.name.value: cls for cls in Connector.__subclasses__()}


def load_connectors(settings: IngestSettings) -> dict[str, Connector]:
    """Every source's connector, each with its block of the service's settings (PRODOPS_<SOURCE>_*)."""
    return {name: cls(getattr(settings, name)) for name, cls in sorted(REGISTRY.items())}


__all__ = ["REGISTRY", "Connector", "SourceSettings", "load_connectors"]
