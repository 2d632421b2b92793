"""launches

Revision ID: launches_0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "launches_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("launches",)
depends_on: str | Sequence[str] | None = "runtime_0001"


def upgrade() -> None:
    op.create_table(
        "launches",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("team", sa.String(20), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("launch", sa.Text(), nullable=False),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("launches")
