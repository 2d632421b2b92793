"""requesters and notifications

Revision ID: notify_0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notify_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("notify",)
depends_on: str | Sequence[str] | None = "runtime_0001"


def upgrade() -> None:
    op.create_table(
        "requesters",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("company", sa.String(200), nullable=True),
        sa.Column("tier", sa.String(20), nullable=True),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("launch_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("customer_email", sa.String(320), nullable=True),
        sa.Column("notification", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("requesters")
