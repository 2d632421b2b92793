"""themes: the theme each item is in, and the theme each theme was merged into

Revision ID: notify_0003
Revises: notify_0002
Create Date: 2026-11-27

Folded from feedback.themed and themes.changed; empty until those are read from their start.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notify_0003"
down_revision: str | Sequence[str] | None = "notify_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "theme_members",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("theme_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("themed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "themes",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("merged_into", sa.Uuid(), nullable=True, index=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("themes")
    op.drop_table("theme_members")
