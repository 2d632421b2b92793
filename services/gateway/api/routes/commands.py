"""Where a command sent through the API stands, under /api/v1: pending, or rejected by its owning service."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.gateway import queries
from services.gateway.api.deps import SessionDep, Viewer, command_outcome
from services.gateway.api.models import CommandOutcomePublic

router = APIRouter(prefix="/api/v1", tags=["commands"])


@router.get("/commands/{command_id}")
async def get_command(command_id: UUID, session: SessionDep, viewer: Viewer) -> CommandOutcomePublic:
    """A command's outcome: rejected with its owner's reason, or pending (its effect shows once folded)."""
    return command_outcome(command_id, await queries.get_command_outcome(session, command_id))
