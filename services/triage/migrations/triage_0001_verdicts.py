"""triage verdicts

Revision ID: triage_0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "triage_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("triage",)
depends_on: str | Sequence[str] | None = "runtime_0001"


def upgrade() -> None:
    op.create_table(
        "triage_verdicts",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("priority", sa.String(20), nullable=False),
        sa.Column("sentiment_score", sa.Float(), nullable=False),
        sa.Column("model_version", sa.String(100), nullable=False),
        sa.Column("triage", sa.Text(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("triage_verdicts")
