"""PostgreSQL: refuse TRUNCATE of the journal and of the stored documents.

Row triggers do not fire on TRUNCATE (nor on a TRUNCATE ... CASCADE reaching these tables): a
statement trigger refuses it, as UPDATE and DELETE are refused.  SQLite has no TRUNCATE.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("coopflow_journal", "coopflow_document")


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION coopflow_refuse_change()"
        )


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
