"""Dedupe's admin routes: where the vector index stands, and asking for its refresh."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status

from libs.runtime.auth import Role, require
from services.dedupe import jobs
from services.dedupe.deps import Dedupe
from services.dedupe.refresh import RefreshRunning, RefreshStatus


def router(deps: Dedupe) -> APIRouter:
    admin = APIRouter(prefix="/admin/vectors", tags=["admin"], dependencies=[Depends(require(Role.ADMIN))])

    @admin.get("")
    async def vectors_status() -> RefreshStatus:
        """The live generation of the index, and where the last refresh stands."""
        return deps.vectors.status

    @admin.post("/refresh", status_code=status.HTTP_202_ACCEPTED)
    async def refresh_vectors() -> RefreshStatus:
        """Re-embed every item by the configured model into a new generation, then switch to it."""
        try:
            asked = deps.vectors.request_refresh(deps.settings.embedding_model)
        except RefreshRunning as error:
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from None
        deps.runtime.scheduler.run_soon(jobs.REFRESH_VECTORS)
        return asked

    return admin
