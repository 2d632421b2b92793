"""command outcomes in the read model: the commands their owning services refused, with the reason

Revision ID: gateway_0005_command_outcomes
Revises: gateway_0004_list_indexes
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gateway_0005_command_outcomes"
down_revision: str | Sequence[str] | None = "gateway_0004_list_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "command_outcomes_view",
        sa.Column("command_id", sa.Uuid(), primary_key=True),
        sa.Column("command_type", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("command_outcomes_view")
