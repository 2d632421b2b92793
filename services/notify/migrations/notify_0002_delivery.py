"""delivery: requesters' own words, duplicates, opt-outs, and notifications stored before they are sent

Revision ID: notify_0002
Revises: notify_0001
Create Date: 2026-11-27

Notifications stored before this revision were in-app ones, sent and announced.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notify_0002"
down_revision: str | Sequence[str] | None = "notify_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The service's own schema on PostgreSQL (None on SQLite): ALTER is not schema-translated.
    schema = op.get_context().version_table_schema
    with op.batch_alter_table("requesters", schema=schema) as batch:
        batch.add_column(sa.Column("customer_id", sa.String(200), nullable=True))
        batch.add_column(sa.Column("name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("title", sa.String(500), nullable=False, server_default=""))
        batch.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("notifications", schema=schema) as batch:
        batch.alter_column("sent_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        batch.add_column(sa.Column("customer_key", sa.String(400), nullable=False, server_default=""))
        batch.add_column(sa.Column("address", sa.String(400), nullable=False, server_default=""))
        batch.add_column(sa.Column("subject", sa.String(400), nullable=False, server_default=""))
        batch.add_column(sa.Column("status", sa.String(10), nullable=False, server_default="sent"))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("announced", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.create_index("ix_notifications_status", ["status"])
        batch.create_index("ix_notifications_announced", ["announced"])
    op.create_table(
        "duplicates",
        sa.Column("item_id", sa.Uuid(), primary_key=True),
        sa.Column("duplicate_of", sa.Uuid(), nullable=True, index=True),
        sa.Column("deduped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("not_duplicate", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("overridden_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "opt_outs",
        sa.Column("customer", sa.String(320), primary_key=True),
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    op.drop_table("opt_outs")
    op.drop_table("duplicates")
    with op.batch_alter_table("notifications", schema=schema) as batch:
        batch.drop_index("ix_notifications_announced")
        batch.drop_index("ix_notifications_status")
        for column in ("announced", "claimed_at", "reason", "attempts", "status", "subject", "address", "customer_key"):
            batch.drop_column(column)
        batch.alter_column("sent_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    with op.batch_alter_table("requesters", schema=schema) as batch:
        for column in ("description", "title", "name", "customer_id"):
            batch.drop_column(column)
