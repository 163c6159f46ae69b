"""Counter and axis checks; composite indexes for listing by state and programme deadlines.

On SQLite, adding a CHECK constraint rebuilds the table (batch mode): coopflow runs migrations
with foreign keys off, so that dropping the old table does not cascade to its children, and
checks the foreign keys afterwards.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("coopflow_partnership") as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_coopflow_partnership_counters"), "version >= 1 AND journal_seq >= 0"
        )
        batch_op.create_index(
            "ix_coopflow_partnership_state_reference", ["state", "reference"], unique=False
        )
    with op.batch_alter_table("coopflow_axis") as batch_op:
        batch_op.create_check_constraint(op.f("ck_coopflow_axis_number"), "number >= 1")
    with op.batch_alter_table("coopflow_programme") as batch_op:
        batch_op.drop_index(batch_op.f("ix_coopflow_programme_state"))
        batch_op.create_index(
            "ix_coopflow_programme_state_start", ["state", "period_start"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("coopflow_programme") as batch_op:
        batch_op.drop_index("ix_coopflow_programme_state_start")
        batch_op.create_index(batch_op.f("ix_coopflow_programme_state"), ["state"], unique=False)
    with op.batch_alter_table("coopflow_axis") as batch_op:
        batch_op.drop_constraint(op.f("ck_coopflow_axis_number"), type_="check")
    with op.batch_alter_table("coopflow_partnership") as batch_op:
        batch_op.drop_index("ix_coopflow_partnership_state_reference")
        batch_op.drop_constraint(op.f("ck_coopflow_partnership_counters"), type_="check")
