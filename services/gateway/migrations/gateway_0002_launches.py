"""launch calendar, checklists and notification outcomes in the read model

Revision ID: gateway_0002_launches
Revises: gateway_0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gateway_0002_launches"
down_revision: str | Sequence[str] | None = "gateway_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The service's own schema on PostgreSQL (None on SQLite): ALTER is not schema-translated.
    schema = op.get_context().version_table_schema
    with op.batch_alter_table("launches_view", schema=schema) as batch:
        batch.add_column(sa.Column("start_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("checklist", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("readiness", sa.Float(), nullable=True))
    with op.batch_alter_table("notifications_view", schema=schema) as batch:
        batch.add_column(sa.Column("status", sa.String(), nullable=False, server_default="sent"))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("customer_id", sa.String(), nullable=True))
        batch.create_index("ix_notifications_view_channel", ["channel"])


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    with op.batch_alter_table("notifications_view", schema=schema) as batch:
        batch.drop_index("ix_notifications_view_channel")
        batch.drop_column("customer_id")
        batch.drop_column("attempts")
        batch.drop_column("reason")
        batch.drop_column("status")
    with op.batch_alter_table("launches_view", schema=schema) as batch:
        batch.drop_column("readiness")
        batch.drop_column("checklist")
        batch.drop_column("start_date")
