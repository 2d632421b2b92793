"""read model: feedback_view, launches_view, notifications_view

Revision ID: gateway_0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gateway_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("gateway",)
depends_on: str | Sequence[str] | None = "runtime_0001"


def _timestamp(name: str, *, nullable: bool = True, index: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, index=index)


def upgrade() -> None:
    op.create_table(
        "feedback_view",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("source", sa.String(), nullable=True, index=True),
        sa.Column("source_id", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("votes", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(), nullable=True, index=True),
        _timestamp("created_at", index=True),
        _timestamp("received_at"),
        sa.Column("submitted_category", sa.String(), nullable=True),
        sa.Column("submitted_priority", sa.String(), nullable=True),
        sa.Column("submitted_sentiment_score", sa.Float(), nullable=True),
        sa.Column("submitted_tags", sa.JSON(), nullable=True),
        sa.Column("submitted_product_area", sa.String(), nullable=True),
        sa.Column("customer_id", sa.String(), nullable=True, index=True),
        sa.Column("customer_email", sa.String(), nullable=True),
        sa.Column("customer_name", sa.String(), nullable=True),
        sa.Column("customer_company", sa.String(), nullable=True),
        sa.Column("customer_tier", sa.String(), nullable=True, index=True),
        sa.Column("customer_arr", sa.Float(), nullable=True),
        sa.Column("customer_health", sa.Float(), nullable=True),
        sa.Column("customer_at_risk", sa.Boolean(), nullable=True),
        sa.Column("customer_known", sa.Boolean(), nullable=True),
        sa.Column("triage", sa.JSON(), nullable=True),
        sa.Column("similar_items", sa.JSON(), nullable=True),
        sa.Column("suggested_duplicate_of", sa.Uuid(), nullable=True),
        sa.Column("duplicate_score", sa.Float(), nullable=True),
        sa.Column("overrides", sa.JSON(), nullable=True),
        sa.Column("category", sa.String(), nullable=True, index=True),
        sa.Column("priority", sa.String(), nullable=True, index=True),
        sa.Column("product_area", sa.String(), nullable=True, index=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column("sentiment_label", sa.String(), nullable=True, index=True),
        sa.Column("duplicate_of", sa.Uuid(), nullable=True),
        _timestamp("received_event_at"),
        _timestamp("enriched_at"),
        _timestamp("triaged_at"),
        _timestamp("deduped_at"),
        _timestamp("updated_at", nullable=False),
    )
    op.create_table(
        "launches_view",
        sa.Column("launch_id", sa.Uuid(), primary_key=True),
        sa.Column("launch", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False, index=True),
        sa.Column("team", sa.String(), nullable=False, index=True),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False, index=True),
        _timestamp("shipped_at"),
        _timestamp("changed_at", nullable=False),
        _timestamp("updated_at", nullable=False),
    )
    op.create_table(
        "notifications_view",
        sa.Column("notification_id", sa.Uuid(), primary_key=True),
        sa.Column("launch_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("launch_name", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("customer_email", sa.String(), nullable=True),
        sa.Column("customer_company", sa.String(), nullable=True),
        sa.Column("customer_tier", sa.String(), nullable=True),
        sa.Column("feedback_ids", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _timestamp("sent_at", nullable=False, index=True),
        _timestamp("updated_at", nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notifications_view")
    op.drop_table("launches_view")
    op.drop_table("feedback_view")
