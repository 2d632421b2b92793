"""every item count: the terms table keeps how many items are placed, under the term ''

Revision ID: dedupe_0003
Revises: dedupe_0002
Create Date: 2026-11-27

Keyword naming weighs a word by its rarity across all items; counting every placement for each
new item grew with the table. The count now lives beside the words and grows with them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dedupe_0003"
down_revision: str | Sequence[str] | None = "dedupe_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tables() -> tuple[sa.TableClause, sa.TableClause]:
    # The service's own schema on PostgreSQL (None on SQLite): plain SQL is not schema-translated.
    schema = op.get_context().version_table_schema
    terms = sa.table("dedupe_terms", sa.column("term"), sa.column("items"), schema=schema)
    placements = sa.table("dedupe_theme_items", sa.column("item_id"), schema=schema)
    return terms, placements


def upgrade() -> None:
    terms, placements = _tables()
    every_item = sa.select(sa.literal(""), sa.func.count()).select_from(placements)
    op.execute(terms.insert().from_select(["term", "items"], every_item))


def downgrade() -> None:
    terms, _ = _tables()
    op.execute(terms.delete().where(terms.c.term == ""))
