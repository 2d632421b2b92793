"""tracker_ref: the status of the tracker object a launch creates, queryable

Revision ID: launches_0003
Revises: launches_0002
Create Date: 2026-11-27

Launches stored before this revision created no tracker object: their status stays null.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "launches_0003"
down_revision: str | Sequence[str] | None = "launches_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The service's own schema on PostgreSQL (None on SQLite): ALTER is not schema-translated.
    schema = op.get_context().version_table_schema
    with op.batch_alter_table("launches", schema=schema) as batch:
        batch.add_column(sa.Column("tracker_ref_status", sa.String(10), nullable=True))
        batch.create_index("ix_launches_tracker_ref_status", ["tracker_ref_status"])


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    with op.batch_alter_table("launches", schema=schema) as batch:
        batch.drop_index("ix_launches_tracker_ref_status")
        batch.drop_column("tracker_ref_status")
