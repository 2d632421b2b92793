"""connectors: webhook deliveries and rejections, raw source records, sync cursors

Revision ID: ingest_0002
Revises: ingest_0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ingest_0002"
down_revision: str | Sequence[str] | None = "ingest_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("source", sa.String(40), primary_key=True),
        sa.Column("delivery_id", sa.String(200), primary_key=True),
        sa.Column("event", sa.String(200), nullable=False),
        sa.Column("item_ids", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "webhook_rejections",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("source", sa.String(40), nullable=False, index=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "source_records",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("source_id", sa.String(200), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sync_cursors",
        sa.Column("source", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sync_cursors")
    op.drop_table("source_records")
    op.drop_table("webhook_rejections")
    op.drop_table("webhook_deliveries")
