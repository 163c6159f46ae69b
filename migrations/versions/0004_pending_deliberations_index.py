"""Serve the deadlines query on délibérations not yet exécutoire with a partial index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("published IS NULL OR sent_to_prefecture IS NULL")


def upgrade() -> None:
    op.drop_index("ix_coopflow_deliberation_pending", table_name="coopflow_deliberation")
    op.create_index(
        "ix_coopflow_deliberation_pending",
        "coopflow_deliberation",
        ["sitting_date"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_coopflow_deliberation_pending", table_name="coopflow_deliberation")
    op.create_index(
        "ix_coopflow_deliberation_pending",
        "coopflow_deliberation",
        ["published", "sent_to_prefecture"],
    )
