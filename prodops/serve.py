"""Run one service in this process: `python -m prodops.serve SERVICE` (what `prodops run` does).

Kept apart from the CLI so that a service process imports only its own code.
"""

from __future__ import annotations

import importlib
import sys

from libs.runtime.settings import SERVICES, ServiceSettings


def serve(service: str) -> None:
    """Serve `service`'s app with uvicorn on its port; settings from PRODOPS_* variables."""
    if service not in SERVICES:
        raise SystemExit(f"unknown service {service!r}; choose one of {', '.join(SERVICES)}")
    import uvicorn

    settings = ServiceSettings()
    module = importlib.import_module(f"services.{service}.app")
    uvicorn.run(
        module.create_app(),
        host=settings.host,
        port=settings.port_of(service),
        log_level="warning",
        access_log=False,
        # Open event streams (/api/v1/stream) never end by themselves; without this a stop waits for them forever.
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    serve(sys.argv[1] if len(sys.argv) > 1 else "")
