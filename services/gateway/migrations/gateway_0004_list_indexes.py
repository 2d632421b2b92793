"""indexes for the feedback list and the overview: each sort's first page, each filter with its count, text search

Revision ID: gateway_0004_list_indexes
Revises: gateway_0003_themes
Create Date: 2026-11-27

Every query of the list carries `title IS NOT NULL` (items not received yet are hidden), so the indexes
are partial on it: a count then reads the index alone (PostgreSQL's index-only scan, SQLite's covering
index). The sort keys match queries._ordering; the priority rank is the same CASE as queries.PRIORITY_RANK
(tests/test_list_indexes.py checks that the planner takes each index). On PostgreSQL, pg_trgm's GIN
indexes serve the text search (ILIKE '%q%'), when the extension can be created (else the search scans).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "gateway_0004_list_indexes"
down_revision: str | Sequence[str] | None = "gateway_0003_themes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHOWN = "title IS NOT NULL"
PRIORITY_RANK = "CASE priority WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 END"
# Filters of the list: each with the list's default order, for the first page and the count alike.
FILTERED = ("source", "category", "priority", "product_area", "customer_tier", "status", "sentiment_label")
TEXT = ("title", "description")
# Carried at the end of a filter's index so that an overview count reads the index alone: open critical and high
# items (priority, status), the sentiment average (label, score).
COVERED = {"priority": ["status"], "sentiment_label": ["sentiment_score"]}


def _indexes(postgres: bool) -> dict[str, list[str]]:
    # PostgreSQL sorts NULLs first when descending; SQLite last (its NULLs are the smallest values).
    nulls_last = " NULLS LAST" if postgres else ""
    newest = [f"created_at DESC{nulls_last}", "item_id"]
    return {
        "ix_feedback_view_shown_newest": newest,
        "ix_feedback_view_shown_by_priority": [f"({PRIORITY_RANK}) DESC{nulls_last}", "created_at DESC", "item_id"],
        "ix_feedback_view_shown_by_arr": [f"customer_arr DESC{nulls_last}", "created_at DESC", "item_id"],
        **{f"ix_feedback_view_shown_{column}": [column, *newest, *COVERED.get(column, [])] for column in FILTERED},
        # The overview's customers asking: each customer's largest ARR, from the index alone.
        "ix_feedback_view_shown_customer": ["customer_id", "customer_arr"],
    }


def upgrade() -> None:
    context = op.get_context()
    schema = context.version_table_schema
    postgres = context.dialect.name == "postgresql"
    where: dict[str, Any] = {"postgresql_where": sa.text(SHOWN), "sqlite_where": sa.text(SHOWN)}  # dialect kwargs
    if postgres:  # for this transaction only: builds the indexes of a large table in memory, several times faster
        op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for name, columns in _indexes(postgres).items():
        op.create_index(name, "feedback_view", [sa.text(column) for column in columns], schema=schema, **where)
    # The overview's "last updated" is the newest updated_at.
    op.create_index("ix_feedback_view_updated_at", "feedback_view", ["updated_at"], schema=schema)
    if postgres and _trigrams_available():
        for column in TEXT:
            op.create_index(
                f"ix_feedback_view_{column}_trigrams",
                "feedback_view",
                [sa.text(f"{column} gin_trgm_ops")],
                schema=schema,
                postgresql_using="gin",
            )


def _trigrams_available() -> bool:
    """Create pg_trgm if it is missing and the role may (it is a trusted extension); False if it may not."""
    connection = op.get_bind()
    if connection.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first():
        return True
    try:
        with connection.begin_nested():
            connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return False
    return True


def downgrade() -> None:
    context = op.get_context()
    schema = context.version_table_schema
    prefix = f'"{schema}".' if schema else ""
    for column in TEXT:
        op.execute(f"DROP INDEX IF EXISTS {prefix}ix_feedback_view_{column}_trigrams")
    op.drop_index("ix_feedback_view_updated_at", "feedback_view", schema=schema)
    for name in _indexes(context.dialect.name == "postgresql"):
        op.drop_index(name, "feedback_view", schema=schema)
