"""Source connectors: every module here that defines a Connector subclass adds a source.

A new vendor is a new module with its class and its settings block; the registry finds it.
"""

from __future__ import annotations

import importlib
import pkgutil

from services.ingest.connectors.base import Connector, SourceSettings

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

REGISTRY: dict[str, type[Connector]] = {cls.name.value: cls for cls in Connector.__subclasses__()}


def load_connectors() -> dict[str, Connector]:
    """Every source's connector, each with its settings from PRODOPS_<SOURCE>_* variables."""
    return {name: cls() for name, cls in sorted(REGISTRY.items())}


__all__ = ["REGISTRY", "Connector", "SourceSettings", "load_connectors"]
