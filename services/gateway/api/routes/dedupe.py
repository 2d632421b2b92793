"""People curate duplicates and themes: merges, unmerges and theme edits go to the dedupe service as commands.

Dedupe owns the links and the themes. The gateway checks what it can against its read model (the
items and themes exist, a merge makes no cycle), answers 202 once the command is in the broker
(with `wait`, once dedupe had that long to refuse it: a refusal is a 409 with dedupe's reason),
and shows the outcome when dedupe's duplicates.changed, feedback.themed and themes.changed are folded.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, Request, status
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from libs.runtime.auth import Editor
from libs.schemas.commands import DedupeCommandPayload, MergeItems, MergeThemes, RenameTheme, SplitTheme, UnmergeItem
from libs.schemas.events import DedupeCommand
from services.gateway import queries
from services.gateway.api.deps import BROKER_AWAY, REFUSED, SessionDep, Wait, publish_command
from services.gateway.api.models import (
    CommandAccepted,
    MergeCreate,
    SplitAccepted,
    ThemeMerge,
    ThemeRename,
    ThemeSplit,
    UnmergeCreate,
)
from services.gateway.read_model import FeedbackView

router = APIRouter(prefix="/api/v1", tags=["duplicates and themes"])

NOT_FOUND_OR_AWAY: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such item or theme (yet)."},
    **REFUSED,
    **BROKER_AWAY,
}


# --- items --------------------------------------------------------------------------------------


@router.post("/feedback/{item_id}/merge", status_code=status.HTTP_202_ACCEPTED, responses=NOT_FOUND_OR_AWAY)
async def merge_item(
    item_id: UUID, body: MergeCreate, request: Request, session: SessionDep, editor: Editor, wait: Wait = 0.0
) -> CommandAccepted:
    """Merge an item into the one it duplicates; its votes then count there, once."""
    if body.into_id == item_id:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "an item cannot be merged into itself")
    await _item(session, item_id)
    into = await _item(session, body.into_id)
    # The parent's chain ends at its root; merging an item under its own descendant would make a loop.
    if item_id in (into.duplicate_of, into.duplicate_root):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"{body.into_id} is merged into {item_id}: merging {item_id} into it would make a loop",
        )
    payload = MergeItems(item_id=item_id, into_id=body.into_id, actor=editor.subject, reason=body.reason)
    return await _send(request, session, payload, wait)


@router.post("/feedback/{item_id}/unmerge", status_code=status.HTTP_202_ACCEPTED, responses=NOT_FOUND_OR_AWAY)
async def unmerge_item(
    item_id: UUID,
    request: Request,
    session: SessionDep,
    editor: Editor,
    body: UnmergeCreate | None = None,
    wait: Wait = 0.0,
) -> CommandAccepted:
    """Undo a merge (a person's or the model's): the item stands alone again, with its own votes."""
    item = await _item(session, item_id)
    if item.duplicate_of is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"feedback item {item_id} is not merged into another")
    payload = UnmergeItem(item_id=item_id, actor=editor.subject, reason=body.reason if body else None)
    return await _send(request, session, payload, wait)


# --- themes -------------------------------------------------------------------------------------


@router.post("/themes/{theme_id}/rename", status_code=status.HTTP_202_ACCEPTED, responses=NOT_FOUND_OR_AWAY)
async def rename_theme(
    theme_id: UUID, body: ThemeRename, request: Request, session: SessionDep, editor: Editor, wait: Wait = 0.0
) -> CommandAccepted:
    """Give a theme a person's name; the model will not rename it after that."""
    await _theme(session, theme_id)
    payload = RenameTheme(theme_id=theme_id, name=body.name, actor=editor.subject, reason=body.reason)
    return await _send(request, session, payload, wait)


@router.post("/themes/{theme_id}/merge", status_code=status.HTTP_202_ACCEPTED, responses=NOT_FOUND_OR_AWAY)
async def merge_themes(
    theme_id: UUID, body: ThemeMerge, request: Request, session: SessionDep, editor: Editor, wait: Wait = 0.0
) -> CommandAccepted:
    """Fold a theme into another: its items move there; it stays as a redirect."""
    if body.into_id == theme_id:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "a theme cannot be merged into itself")
    await _theme(session, theme_id)
    await _theme(session, body.into_id)
    payload = MergeThemes(theme_id=theme_id, into_id=body.into_id, actor=editor.subject, reason=body.reason)
    return await _send(request, session, payload, wait)


@router.post("/themes/{theme_id}/split", status_code=status.HTTP_202_ACCEPTED, responses=NOT_FOUND_OR_AWAY)
async def split_theme(
    theme_id: UUID, body: ThemeSplit, request: Request, session: SessionDep, editor: Editor, wait: Wait = 0.0
) -> SplitAccepted:
    """Move some of a theme's items into a new theme; the answer names the new theme's id."""
    await _theme(session, theme_id)
    items = await queries.get_feedback_many(session, body.item_ids)
    strays = [str(i) for i in body.item_ids if (item := items.get(i)) is None or item.theme_id != theme_id]
    if strays:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"not items of theme {theme_id}: {', '.join(strays)}"
        )
    payload = SplitTheme(
        theme_id=theme_id,
        item_ids=body.item_ids,
        new_theme_id=uuid4(),
        name=body.name,
        actor=editor.subject,
        reason=body.reason,
    )
    accepted = await _send(request, session, payload, wait)
    return SplitAccepted(command_id=accepted.command_id, theme_id=payload.new_theme_id)


# --- helpers ------------------------------------------------------------------------------------


async def _item(session: AsyncSession, item_id: UUID) -> FeedbackView:
    row = await queries.get_feedback(session, item_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"feedback item {item_id} not found")
    return row


async def _theme(session: AsyncSession, theme_id: UUID) -> None:
    """A theme is known once dedupe named it or put an item in it."""
    if theme_id in await queries.get_themes(session, [theme_id]):
        return
    if await queries.count_feedback(session, col(FeedbackView.theme_id) == theme_id):
        return
    raise HTTPException(status.HTTP_404_NOT_FOUND, f"theme {theme_id} not found")


async def _send(request: Request, session: AsyncSession, payload: DedupeCommandPayload, wait: float) -> CommandAccepted:
    command = DedupeCommand(producer="gateway", payload=payload)
    await publish_command(request, command, wait, session)
    return CommandAccepted(command_id=command.event_id)
