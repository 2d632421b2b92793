"""items kept for re-triage, and human overrides

Revision ID: triage_0002
Revises: triage_0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "triage_0002"
down_revision: str | Sequence[str] | None = "triage_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "triage_items",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("enriched", sa.Text(), nullable=False),
    )
    op.create_table(
        "triage_overrides",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("item_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("priority", sa.String(20), nullable=True),
        sa.Column("override", sa.Text(), nullable=False),
        sa.Column("ai_category", sa.String(40), nullable=True),
        sa.Column("ai_priority", sa.String(20), nullable=True),
        sa.Column("overridden_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("triage_overrides")
    op.drop_table("triage_items")
