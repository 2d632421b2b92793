"""links and themes: duplicate links with their history, rejected pairs, themes, placements, terms

Revision ID: dedupe_0002
Revises: dedupe_0001
Create Date: 2026-11-27

Items decided before this revision have no link row: a person's command on one starts from
standalone, and its theme comes when it is processed again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dedupe_0002"
down_revision: str | Sequence[str] | None = "dedupe_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dedupe_links",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("duplicate_of", sa.Uuid(), nullable=True, index=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
    )
    op.create_table(
        "dedupe_link_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("duplicate_of", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cause", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=True),
    )
    op.create_table(
        "dedupe_rejected_pairs",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("other_id", sa.Uuid(), primary_key=True, index=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "dedupe_themes",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_source", sa.String(20), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("centroid", sa.JSON(), nullable=False),
        sa.Column("centroid_count", sa.Integer(), nullable=False),
        sa.Column("centroid_model", sa.String(200), nullable=False),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "dedupe_theme_items",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("home_theme_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("theme_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "dedupe_terms",
        sa.Column("term", sa.String(100), primary_key=True),
        sa.Column("items", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "dedupe_terms",
        "dedupe_theme_items",
        "dedupe_themes",
        "dedupe_rejected_pairs",
        "dedupe_link_history",
        "dedupe_links",
    ):
        op.drop_table(table)
