"""trace context: the trace each stored item arrived in, carried on when the relay publishes it

Revision ID: ingest_0003
Revises: ingest_0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ingest_0003"
down_revision: str | Sequence[str] | None = "ingest_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feedback_items", schema=op.get_context().version_table_schema) as table:
        table.add_column(sa.Column("trace_context", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback_items", schema=op.get_context().version_table_schema) as table:
        table.drop_column("trace_context")
