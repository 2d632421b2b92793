"""theme summary in the read model: the one line dedupe writes beside a theme's name and keywords

Revision ID: gateway_0006_theme_summary
Revises: gateway_0005_command_outcomes
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gateway_0006_theme_summary"
down_revision: str | Sequence[str] | None = "gateway_0005_command_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The service's own schema on PostgreSQL (None on SQLite): ALTER is not schema-translated.
    with op.batch_alter_table("themes_view", schema=op.get_context().version_table_schema) as batch:
        batch.add_column(sa.Column("summary", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("themes_view", schema=op.get_context().version_table_schema) as batch:
        batch.drop_column("summary")
