"""updates: edits at the source, announced as feedback.updated through an outbox of their own

Revision ID: ingest_0004
Revises: ingest_0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ingest_0004"
down_revision: str | Sequence[str] | None = "ingest_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_updates",
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("item_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True, index=True),
        sa.Column("trace_context", sa.JSON(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("feedback_updates")
