"""The shape every service shares: libs/ imports no service and not the `prodops` command; handlers are
module-level functions; periodic work runs on the runtime's one scheduler."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from libs.runtime.settings import SERVICES

ROOT = Path(__file__).resolve().parents[1]
ABOVE_LIBS = {"services", "prodops"}


def imported_packages(path: Path) -> set[str]:
    """The top-level packages a module imports by absolute name."""
    packages = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            packages |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            packages.add(node.module.split(".")[0])
    return packages


def test_libs_imports_no_service_and_not_the_command() -> None:
    found = {
        str(path.relative_to(ROOT)): imported_packages(path) & ABOVE_LIBS for path in (ROOT / "libs").rglob("*.py")
    }
    offenders = {module: sorted(packages) for module, packages in sorted(found.items()) if packages}
    assert not offenders, f"libs/ imports what is built on it: {offenders}"


def test_every_handler_is_a_module_level_function() -> None:
    nested = [
        f"{service}: {route.handler.__qualname__}"
        for service in SERVICES
        for route in importlib.import_module(f"services.{service}.handlers").router.routes
        if "<locals>" in route.handler.__qualname__
    ]
    assert not nested, f"handlers defined inside a function: {nested}"


def test_only_the_runtime_makes_a_scheduler() -> None:
    """Periodic work is declared in a service's jobs.py on libs.runtime.jobs.Scheduler, started and stopped with it."""
    makers = [
        str(path.relative_to(ROOT))
        for folder in ("libs", "services", "prodops")
        for path in (ROOT / folder).rglob("*.py")
        if "apscheduler" in imported_packages(path) and path != ROOT / "libs" / "runtime" / "jobs.py"
    ]
    assert not makers, f"schedulers of their own: {makers}"
