"""What enrich's handlers and jobs are given; built once, in app.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from libs.runtime.service import ServiceRuntime
from services.enrich.crm import CrmAdapter
from services.enrich.domain import ChurnRules
from services.enrich.settings import EnrichSettings


@dataclass(frozen=True)
class Enrich:
    runtime: ServiceRuntime
    settings: EnrichSettings
    churn_rules: ChurnRules
    # The CRMs whose accounts this process syncs (none when another replica does: crm_sync off).
    crms: Sequence[CrmAdapter]

    @classmethod
    def create(cls, runtime: ServiceRuntime, settings: EnrichSettings, crms: Sequence[CrmAdapter]) -> Enrich:
        return cls(
            runtime=runtime,
            settings=settings,
            churn_rules=settings.churn_rules(),
            crms=crms if settings.crm_sync else (),
        )
