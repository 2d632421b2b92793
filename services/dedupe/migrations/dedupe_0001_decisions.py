"""dedupe_decisions

Revision ID: dedupe_0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dedupe_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("dedupe",)
depends_on: str | Sequence[str] | None = "runtime_0001"


def upgrade() -> None:
    op.create_table(
        "dedupe_decisions",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("duplicate_of", sa.Uuid(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dedupe_decisions")
