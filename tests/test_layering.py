"""libs/ is shared code under every service: it imports no service and not the `prodops` command."""

from __future__ import annotations

import ast
from pathlib import Path

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
