"""degraded verdicts, to be triaged again by the primary engine

Revision ID: triage_0003
Revises: triage_0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "triage_0003"
down_revision: str | Sequence[str] | None = "triage_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("triage_verdicts", schema=op.get_context().version_table_schema) as table:
        table.add_column(sa.Column("degraded", sa.Boolean(), nullable=False, server_default=sa.false()))
        table.create_index("ix_triage_verdicts_degraded", ["degraded"])


def downgrade() -> None:
    with op.batch_alter_table("triage_verdicts", schema=op.get_context().version_table_schema) as table:
        table.drop_index("ix_triage_verdicts_degraded")
        table.drop_column("degraded")
