"""replays and refusals: each delivery's body digest (unique per source), the vendor's updated-at of each record held,
and the refusal tables indexed by time for their pruning

Revision ID: ingest_0006
Revises: ingest_0005
Create Date: 2026-12-07

The deliveries already held get their digest here, so that a body received before this revision is a replay when it
comes again under another delivery id. The records held get no updated-at (reading it is the connector's work): the
next version of each record brings it.
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ingest_0006"
down_revision: str | Sequence[str] | None = "ingest_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500


def upgrade() -> None:
    schema = op.get_context().version_table_schema
    with op.batch_alter_table("webhook_deliveries", schema=schema) as table:
        table.add_column(sa.Column("digest", sa.String(64), nullable=True))
    _digest_held_deliveries(schema)
    op.create_index(
        "ix_webhook_deliveries_source_digest", "webhook_deliveries", ["source", "digest"], unique=True, schema=schema
    )
    with op.batch_alter_table("source_records", schema=schema) as table:
        table.add_column(sa.Column("vendor_updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_webhook_rejections_rejected_at", "webhook_rejections", ["rejected_at"], schema=schema)
    op.create_index("ix_rejected_payloads_rejected_at", "rejected_payloads", ["rejected_at"], schema=schema)


def _digest_held_deliveries(schema: str | None) -> None:
    """Each delivery held gets its body's digest, in batches; a body held twice (a replay under another id) keeps it
    on its first delivery only, as the digest is unique per source."""
    deliveries = sa.table(
        "webhook_deliveries",
        sa.column("source"),
        sa.column("delivery_id"),
        sa.column("received_at"),
        sa.column("body"),
        sa.column("digest"),
        schema=schema,
    )
    key = (deliveries.c.received_at, deliveries.c.source, deliveries.c.delivery_id)
    fill = (
        deliveries.update()
        .where(deliveries.c.source == sa.bindparam("held_source"), deliveries.c.delivery_id == sa.bindparam("held_id"))
        .values(digest=sa.bindparam("held_digest"))
    )
    connection = op.get_bind()
    seen: set[tuple[str, str]] = set()
    after: tuple[object, ...] | None = None
    while True:
        page = sa.select(*key, deliveries.c.body).order_by(*key).limit(BATCH)
        if after is not None:
            page = page.where(sa.tuple_(*key) > sa.tuple_(*after))
        rows = connection.execute(page).all()
        if not rows:
            return
        digests = []
        for _, source, delivery_id, body in rows:
            digest = hashlib.sha256(body.encode()).hexdigest()
            if (source, digest) not in seen:
                seen.add((source, digest))
                digests.append({"held_source": source, "held_id": delivery_id, "held_digest": digest})
        if digests:
            connection.execute(fill, digests)
        after = tuple(rows[-1][:3])


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    op.drop_index("ix_rejected_payloads_rejected_at", "rejected_payloads", schema=schema)
    op.drop_index("ix_webhook_rejections_rejected_at", "webhook_rejections", schema=schema)
    with op.batch_alter_table("source_records", schema=schema) as table:
        table.drop_column("vendor_updated_at")
    op.drop_index("ix_webhook_deliveries_source_digest", "webhook_deliveries", schema=schema)
    with op.batch_alter_table("webhook_deliveries", schema=schema) as table:
        table.drop_column("digest")
