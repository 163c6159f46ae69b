"""Evidence that holds against the database's own users: checkpoints, script keys of their own,
and protections that cannot be switched off quietly.

- ``coopflow_checkpoint``: signed, timestamped commitments to every chain's head
  (``coopflow._checkpoint``), append-only;
- ``coopflow_journal.idempotency_key``: the script step that fired a record, unique per partnership
  (before, the key was read out of the record's free-text comment);
- ``coopflow_setting``: ``database_id``, the identifier every checkpoint of this database names,
  and ``comment_keys_until``, the last record written before this revision (only the comments
  of records up to it are read for script keys);
- the protections of ``coopflow._protections``: a document's status only becomes superseded,
  once a later final version exists; SQLite refuses an ``INSERT OR REPLACE`` that would delete a
  stored journal record, document or checkpoint; PostgreSQL's triggers are enabled ``ALWAYS``
  (a session in replica mode fires them too).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from coopflow import _protections

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Protections this revision adds (the others came with 0001, 0003 and 0006).
_NEW_SQLITE = (
    "coopflow_document_status",
    "coopflow_checkpoint_no_update",
    "coopflow_checkpoint_no_delete",
    *(f"{table}_no_replace" for table in _protections.UNIQUE_KEYS),
)
_NEW_PG = (
    ("coopflow_document_status", "coopflow_document"),
    ("coopflow_checkpoint_append_only", "coopflow_checkpoint"),
    ("coopflow_checkpoint_no_truncate", "coopflow_checkpoint"),
)


def upgrade() -> None:
    op.create_table(
        "coopflow_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tree_size", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=True),
        sa.Column("timestamp", sa.LargeBinary(), nullable=True),
        sa.Column("tsa_url", sa.String(length=500), nullable=True),
        sa.Column("leaves", sa.LargeBinary(), nullable=False),
        sa.Column("taken_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_checkpoint")),
        sa.UniqueConstraint("seq", name=op.f("uq_coopflow_checkpoint_seq")),
    )
    op.create_index(op.f("ix_coopflow_checkpoint_at"), "coopflow_checkpoint", ["at"])
    op.add_column("coopflow_journal", sa.Column("idempotency_key", sa.String(200), nullable=True))
    op.create_index(
        "ix_coopflow_journal_idempotency_key",
        "coopflow_journal",
        ["partnership_id", "idempotency_key"],
        unique=True,
    )
    bind = op.get_bind()
    last = bind.execute(sa.text("SELECT coalesce(max(id), 0) FROM coopflow_journal")).scalar()
    settings = sa.table("coopflow_setting", sa.column("key"), sa.column("value"))
    op.bulk_insert(
        settings,
        [
            {"key": "database_id", "value": str(uuid.uuid4())},
            {"key": "comment_keys_until", "value": str(last)},
        ],
    )
    _protections.install(bind)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for name, table in _NEW_PG:
            op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute("DROP FUNCTION coopflow_check_status()")
        for trigger in _protections.PG_TRIGGERS:
            if (trigger.name, trigger.table) not in _NEW_PG:
                op.execute(f"ALTER TABLE {trigger.table} ENABLE TRIGGER {trigger.name}")
    else:
        for name in _NEW_SQLITE:
            op.execute(f"DROP TRIGGER {name}")
    op.execute("DELETE FROM coopflow_setting WHERE key IN ('database_id', 'comment_keys_until')")
    op.drop_index("ix_coopflow_journal_idempotency_key", table_name="coopflow_journal")
    if op.get_context().dialect.name == "postgresql":
        op.drop_column("coopflow_journal", "idempotency_key")
    else:
        op.execute("ALTER TABLE coopflow_journal DROP COLUMN idempotency_key")
    op.drop_index(op.f("ix_coopflow_checkpoint_at"), table_name="coopflow_checkpoint")
    op.drop_table("coopflow_checkpoint")
