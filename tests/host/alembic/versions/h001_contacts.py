"""The host's first revision: CRM contacts."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "h001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_contact",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("partnership_reference", sa.String(40), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("crm_contact")
