"""Serve a service whose consumer group $CRASH_AFTER_WORK dies once, as a killed process would, after its work
is stored and its replies published but before its offset is committed: where at-least-once is tested hardest.

`python -m tests.crash_after_work SERVICE` stands in for `python -m prodops.serve SERVICE` in the crash test
(the hub's `launcher`), so that no fault hook sits on the production consume path.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from libs.runtime import consumer
from libs.runtime.service import ServiceRuntime
from libs.runtime.settings import ServiceSettings
from prodops.serve import serve

CRASH_AFTER_WORK = "CRASH_AFTER_WORK"


def crash_once_after_work(group: str, marker: Path) -> None:
    """Make `group`'s first delivery end in an exit before FastStream commits its offset; once: the process
    restarted after it finds `marker` and runs as it should."""
    if marker.exists():
        return
    marker.touch()
    deliver = consumer._deliver

    async def delivered_then_crashed(runtime: ServiceRuntime, name: str, *args: Any, **kwargs: Any) -> None:
        await deliver(runtime, name, *args, **kwargs)
        if name == group:
            os._exit(70)

    consumer._deliver = delivered_then_crashed


if __name__ == "__main__":
    service, group = sys.argv[1], os.environ[CRASH_AFTER_WORK]
    if group.startswith(f"{service}."):  # the hub runs every service through here; one of them crashes
        crash_once_after_work(group, ServiceSettings().data_dir / f"crashed-{group}")
    serve(service)
