"""outbox set aside: an event the broker refuses for good leaves the relay's way, kept with its reason

Revision ID: ingest_0005
Revises: ingest_0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ingest_0005"
down_revision: str | Sequence[str] | None = "ingest_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTBOXES = ("feedback_items", "feedback_updates")


def upgrade() -> None:
    for outbox in OUTBOXES:
        with op.batch_alter_table(outbox, schema=op.get_context().version_table_schema) as table:
            table.add_column(sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=True))
            table.add_column(sa.Column("set_aside_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    for outbox in OUTBOXES:
        with op.batch_alter_table(outbox, schema=op.get_context().version_table_schema) as table:
            table.drop_column("set_aside_reason")
            table.drop_column("set_aside_at")
