"""duplicates and themes in the read model: dedupe's links, the chain's root, the item's theme, themes_view

Revision ID: gateway_0003_themes
Revises: gateway_0002_launches
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gateway_0003_themes"
down_revision: str | Sequence[str] | None = "gateway_0002_launches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The service's own schema on PostgreSQL (None on SQLite): ALTER is not schema-translated.
    schema = op.get_context().version_table_schema
    with op.batch_alter_table("feedback_view", schema=schema) as batch:
        batch.add_column(sa.Column("duplicate_state", sa.String(), nullable=True))
        batch.add_column(sa.Column("duplicate_root", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("duplicate_link", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("theme_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("theme_score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("customer_history", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("themed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_feedback_view_duplicate_of", ["duplicate_of"])
        batch.create_index("ix_feedback_view_duplicate_root", ["duplicate_root"])
        batch.create_index("ix_feedback_view_theme_id", ["theme_id"])
    op.create_table(
        "themes_view",
        sa.Column("theme_id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_source", sa.String(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(), nullable=False),
        sa.Column("changed_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    op.drop_table("themes_view")
    with op.batch_alter_table("feedback_view", schema=schema) as batch:
        batch.drop_index("ix_feedback_view_theme_id")
        batch.drop_index("ix_feedback_view_duplicate_root")
        batch.drop_index("ix_feedback_view_duplicate_of")
        for name in (
            "themed_at",
            "linked_at",
            "customer_history",
            "theme_score",
            "theme_id",
            "duplicate_link",
            "duplicate_root",
            "duplicate_state",
        ):
            batch.drop_column(name)
