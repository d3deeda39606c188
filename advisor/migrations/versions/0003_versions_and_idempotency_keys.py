"""A version on every stored assessment, response and collaboration; idempotency keys.

The version counts the stored changes: it is the ETag, and every UPDATE is a compare-and-swap on
it, so a read-merge-write never overwrites a change it did not see (SQLite ignores FOR UPDATE).
Existing rows start at version 1.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = ("assessments", "collaborations", "collaboration_respondents")


def upgrade() -> None:
    for table in VERSIONED:
        # A plain ADD COLUMN (SQLite takes it with a constant default): no table copy, and the
        # SQL can be printed without a connection (``db upgrade --sql``).
        op.add_column(table, sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False))

    op.create_table(
        "idempotency_keys",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("resource_kind", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))
    op.drop_table("idempotency_keys")
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
