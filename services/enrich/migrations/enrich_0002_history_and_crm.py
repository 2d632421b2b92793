"""customers keep their previous tier; customer_items, item_sentiments (history, churn); sync_cursors (CRM sync)

Revision ID: enrich_0002
Revises: enrich_0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "enrich_0002"
down_revision: str | Sequence[str] | None = "enrich_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The service's own schema on PostgreSQL (None on SQLite): ALTER is not schema-translated.
    with op.batch_alter_table("customers", schema=op.get_context().version_table_schema) as batch:
        batch.add_column(sa.Column("previous_tier", sa.String(20), nullable=True))
        batch.add_column(sa.Column("tier_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "customer_items",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("customer_id", sa.String(100), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        # A customer's items in time order: the history is a range of one of these.
        sa.Index("ix_customer_items_customer_time", "customer_id", "created_at"),
        sa.Index("ix_customer_items_email_time", "email", "created_at"),
    )
    op.create_table(
        "item_sentiments",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("negative", sa.Boolean(), nullable=False),
        sa.Column("sentiment_score", sa.Float(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
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
    op.drop_table("item_sentiments")
    op.drop_table("customer_items")
    with op.batch_alter_table("customers", schema=op.get_context().version_table_schema) as batch:
        batch.drop_column("tier_changed_at")
        batch.drop_column("previous_tier")
