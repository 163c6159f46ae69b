"""Serve the deadlines query on overdue milestones with a partial index on open milestones.

The full index on ``coopflow_milestone.date`` held done milestones too, so the query's cost
grew with the history of every programme; the partial index holds open milestones only.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 23:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _open() -> sa.TextClause:
    # As SQLAlchemy renders the query's ``done.is_(False)`` on each database: SQLite uses a
    # partial index only for a query whose WHERE holds the index's own term.
    return sa.text("done IS 0" if op.get_context().dialect.name == "sqlite" else "done IS false")


def upgrade() -> None:
    op.drop_index("ix_coopflow_milestone_date", table_name="coopflow_milestone")
    op.create_index(
        "ix_coopflow_milestone_open",
        "coopflow_milestone",
        ["date"],
        sqlite_where=_open(),
        postgresql_where=_open(),
    )


def downgrade() -> None:
    op.drop_index("ix_coopflow_milestone_open", table_name="coopflow_milestone")
    op.create_index("ix_coopflow_milestone_date", "coopflow_milestone", ["date"])
