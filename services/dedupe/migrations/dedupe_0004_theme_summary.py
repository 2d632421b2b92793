"""theme summary: a one-line summary beside each theme's name and keywords

Revision ID: dedupe_0004
Revises: dedupe_0003
Create Date: 2026-12-08

Themes named before this revision get their summary (and a name from their titles, unless a
person named them) the next time their members change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dedupe_0004"
down_revision: str | Sequence[str] | None = "dedupe_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The service's own schema on PostgreSQL (None on SQLite): ALTER is not schema-translated.
    with op.batch_alter_table("dedupe_themes", schema=op.get_context().version_table_schema) as batch:
        batch.add_column(sa.Column("summary", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dedupe_themes", schema=op.get_context().version_table_schema) as batch:
        batch.drop_column("summary")
