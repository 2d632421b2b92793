"""Triage's periodic work: use newly trained models, and offer degraded verdicts to Mistral again."""

from __future__ import annotations

import structlog

from libs.runtime.jobs import Scheduler
from libs.schemas.events import RetriageFeedback, RetriageRequest
from services.triage import storage
from services.triage.deps import Triage

log = structlog.get_logger()


def schedule(scheduler: Scheduler, deps: Triage) -> None:
    settings = deps.settings
    scheduler.every("use-new-model", settings.model_check_seconds, lambda: use_new_model(deps), at_start=False)
    scheduler.every(
        "retriage-degraded", settings.retriage_degraded_seconds, lambda: retriage_degraded(deps), at_start=False
    )


async def use_new_model(deps: Triage) -> None:
    """Swap in a newly trained model version, then triage every stored item again with it."""
    if (version := await deps.models.refresh()) is None:
        return
    log.info("new triage model in use; re-triaging", version=version)
    request = RetriageRequest(everything=True, requested_by=deps.runtime.name, reason=f"model {version}")
    await deps.runtime.publish(RetriageFeedback(producer=deps.runtime.name, payload=request))


async def retriage_degraded(deps: Triage) -> None:
    """While degraded verdicts wait, ask (through the re-triage command) for Mistral to read them again."""
    async with deps.runtime.sessions() as session:
        count = await storage.degraded_count(session)
    deps.metrics.degraded_items.set(count)
    if count and deps.models.primary is not None:
        request = RetriageRequest(degraded=True, requested_by=deps.runtime.name, reason=f"{count} degraded verdicts")
        await deps.runtime.publish(RetriageFeedback(producer=deps.runtime.name, payload=request))
