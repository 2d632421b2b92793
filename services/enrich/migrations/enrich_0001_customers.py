"""customers

Revision ID: enrich_0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "enrich_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("enrich",)
depends_on: str | Sequence[str] | None = "runtime_0001"


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("company", sa.String(200), nullable=False),
        sa.Column("company_key", sa.String(200), nullable=False, index=True),
        sa.Column("domain", sa.String(200), nullable=True, index=True),
        sa.Column("contact_email", sa.String(320), nullable=True, index=True),
        sa.Column("tier", sa.String(20), nullable=False),
        sa.Column("arr", sa.Float(), nullable=False),
        sa.Column("health_score", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("customers")
