"""checklists: declared status and checklist per launch, checklist templates

Revision ID: launches_0002
Revises: launches_0001
Create Date: 2026-11-27

A launch stored before this revision keeps its status as the declared one and starts with an
empty checklist; a change of its type generates one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "launches_0002"
down_revision: str | Sequence[str] | None = "launches_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The service's own schema on PostgreSQL (None on SQLite): ALTER and UPDATE are not schema-translated.
    schema = op.get_context().version_table_schema
    with op.batch_alter_table("launches", schema=schema) as batch:
        batch.add_column(sa.Column("declared_status", sa.String(20), nullable=False, server_default="in_dev"))
        batch.add_column(sa.Column("status_set_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("lines", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("ticks", sa.JSON(), nullable=False, server_default="{}"))
    launches = sa.table("launches", sa.column("declared_status"), sa.column("status"), schema=schema)
    op.execute(launches.update().values(declared_status=launches.c.status))
    op.create_table(
        "checklist_templates",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("team", sa.String(20), nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("min_complexity", sa.String(10), nullable=False),
        sa.Column("for_types", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_table(
        "launch_type_complexity",
        sa.Column("type", sa.String(40), primary_key=True),
        sa.Column("complexity", sa.String(10), nullable=False),
    )


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    op.drop_table("launch_type_complexity")
    op.drop_table("checklist_templates")
    with op.batch_alter_table("launches", schema=schema) as batch:
        batch.drop_column("ticks")
        batch.drop_column("lines")
        batch.drop_column("status_set_by")
        batch.drop_column("declared_status")
