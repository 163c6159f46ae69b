"""The lifecycle with no holes: thematic dialogues, a reviewed and withdrawable avenant, the
notice of a termination, foreign authorities' own decisions, a marker of ended protocols.

- ``coopflow_dialogue`` (a theme among several territories), its participants (each a party,
  with the partnership it belongs to), its exchanges (logged once for all) and the stakes it
  identified per territory; ``coopflow_partnership.dialogue_id``: the dialogue a partnership
  came from;
- ``coopflow_amendment``: the avenant document the legal department approved and the content
  hash then; when and why an avenant was withdrawn;
- ``coopflow_protocol.notice_months`` (3, the notice of a unilateral termination) and
  ``ended`` (the partnership has ended: filled from the built-in workflows' final states and
  ``expire``; a partial index serves the protocols still running);
- ``coopflow_deliberation.foreign_decision``: the decision of a foreign authority's own body
  (filled for the parties of nature ``ETRANGER``), which no prefecture receives: the pending
  délibérations' partial index leaves it out.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from coopflow._domain import db_roles

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The states in which the built-in cooperation workflow has ended, as of this revision.
_ENDED_0009 = ("renouvele", "resilie", "abandonne", "expire")
_PENDING_0004 = sa.text("published IS NULL OR sent_to_prefecture IS NULL")
_TABLES = (
    "coopflow_dialogue",
    "coopflow_dialogue_participant",
    "coopflow_dialogue_exchange",
    "coopflow_dialogue_stake",
)


def _fk(
    table: str, column: str, referred: str, *, cascade: bool = False
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{referred}.id"],
        name=op.f(f"fk_{table}_{column}_{referred}"),
        ondelete="CASCADE" if cascade else None,
    )


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "coopflow_dialogue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("theme", sa.String(100), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("home_party_id", sa.Integer(), nullable=False),
        sa.Column("responsible", sa.String(200), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("conclusion", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("coopflow_dialogue", "home_party_id", "coopflow_party"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_dialogue")),
        sa.UniqueConstraint("key", name=op.f("uq_coopflow_dialogue_key")),
    )
    op.create_index(op.f("ix_coopflow_dialogue_theme"), "coopflow_dialogue", ["theme"])
    op.create_table(
        "coopflow_dialogue_participant",
        sa.Column("dialogue_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        _fk("coopflow_dialogue_participant", "dialogue_id", "coopflow_dialogue", cascade=True),
        _fk("coopflow_dialogue_participant", "party_id", "coopflow_party"),
        _fk("coopflow_dialogue_participant", "partnership_id", "coopflow_partnership"),
        sa.PrimaryKeyConstraint(
            "dialogue_id", "party_id", name=op.f("pk_coopflow_dialogue_participant")
        ),
    )
    op.create_index(
        op.f("ix_coopflow_dialogue_participant_partnership_id"),
        "coopflow_dialogue_participant",
        ["partnership_id"],
    )
    op.create_table(
        "coopflow_dialogue_exchange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dialogue_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("participants", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("coopflow_dialogue_exchange", "dialogue_id", "coopflow_dialogue", cascade=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_dialogue_exchange")),
    )
    op.create_index(
        op.f("ix_coopflow_dialogue_exchange_dialogue_id"),
        "coopflow_dialogue_exchange",
        ["dialogue_id"],
    )
    op.create_table(
        "coopflow_dialogue_stake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dialogue_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        _fk("coopflow_dialogue_stake", "dialogue_id", "coopflow_dialogue", cascade=True),
        _fk("coopflow_dialogue_stake", "party_id", "coopflow_party"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_dialogue_stake")),
        sa.UniqueConstraint(
            "dialogue_id",
            "party_id",
            "title",
            name=op.f("uq_coopflow_dialogue_stake_dialogue_id_party_id_title"),
        ),
    )
    with op.batch_alter_table("coopflow_partnership") as batch:
        batch.add_column(sa.Column("dialogue_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_coopflow_partnership_dialogue_id_coopflow_dialogue"),
            "coopflow_dialogue",
            ["dialogue_id"],
            ["id"],
        )
        batch.create_index(op.f("ix_coopflow_partnership_dialogue_id"), ["dialogue_id"])

    with op.batch_alter_table("coopflow_amendment") as batch:
        batch.add_column(sa.Column("approved_document_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("approved_content_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("withdrawn_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("coopflow_protocol") as batch:
        batch.add_column(
            sa.Column("notice_months", sa.Integer(), nullable=False, server_default="3")
        )
        batch.add_column(
            sa.Column("ended", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    partnership = sa.table(
        "coopflow_partnership", sa.column("id", sa.Integer), sa.column("state", sa.String)
    )
    protocol = sa.table(
        "coopflow_protocol",
        sa.column("partnership_id", sa.Integer),
        sa.column("ended", sa.Boolean),
    )
    bind.execute(
        protocol.update()
        .where(
            protocol.c.partnership_id.in_(
                sa.select(partnership.c.id).where(partnership.c.state.in_(_ENDED_0009))
            )
        )
        .values(ended=True)
    )
    running = sa.text("NOT ended") if bind.dialect.name == "postgresql" else sa.text("ended = 0")
    op.create_index(
        "ix_coopflow_protocol_running_end",
        "coopflow_protocol",
        ["period_end"],
        sqlite_where=running,
        postgresql_where=running,
    )

    with op.batch_alter_table("coopflow_deliberation") as batch:
        batch.add_column(
            sa.Column("foreign_decision", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    deliberation = sa.table(
        "coopflow_deliberation",
        sa.column("party_id", sa.Integer),
        sa.column("foreign_decision", sa.Boolean),
    )
    party = sa.table("coopflow_party", sa.column("id", sa.Integer), sa.column("nature", sa.String))
    bind.execute(
        deliberation.update()
        .where(
            deliberation.c.party_id.in_(sa.select(party.c.id).where(party.c.nature == "ETRANGER"))
        )
        .values(foreign_decision=True)
    )
    op.drop_index("ix_coopflow_deliberation_pending", table_name="coopflow_deliberation")
    pending = sa.text(
        "foreign_decision IS false AND (published IS NULL OR sent_to_prefecture IS NULL)"
        if bind.dialect.name == "postgresql"
        else "foreign_decision IS 0 AND (published IS NULL OR sent_to_prefecture IS NULL)"
    )
    op.create_index(
        "ix_coopflow_deliberation_pending",
        "coopflow_deliberation",
        ["sitting_date"],
        sqlite_where=pending,
        postgresql_where=pending,
    )
    # The group roles coopflow db-roles installed, if any, write them as they write the others.
    for table in _TABLES:
        db_roles.grant_new_table(bind, table)


def downgrade() -> None:
    """Back to revision 0008.  Lossy: the thematic dialogues, the avenants' approvals and
    withdrawals, the notice, the ended marker and the foreign-decision flag are dropped (a
    withdrawn avenant then looks in progress)."""
    op.drop_index("ix_coopflow_deliberation_pending", table_name="coopflow_deliberation")
    with op.batch_alter_table("coopflow_deliberation") as batch:
        batch.drop_column("foreign_decision")
    op.create_index(
        "ix_coopflow_deliberation_pending",
        "coopflow_deliberation",
        ["sitting_date"],
        sqlite_where=_PENDING_0004,
        postgresql_where=_PENDING_0004,
    )
    op.drop_index("ix_coopflow_protocol_running_end", table_name="coopflow_protocol")
    with op.batch_alter_table("coopflow_protocol") as batch:
        batch.drop_column("ended")
        batch.drop_column("notice_months")
    with op.batch_alter_table("coopflow_amendment") as batch:
        for name in (
            "withdrawal_reason",
            "withdrawn_on",
            "approved_content_sha256",
            "approved_document_sha256",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("coopflow_partnership") as batch:
        batch.drop_index(op.f("ix_coopflow_partnership_dialogue_id"))
        batch.drop_constraint(
            op.f("fk_coopflow_partnership_dialogue_id_coopflow_dialogue"), type_="foreignkey"
        )
        batch.drop_column("dialogue_id")
    for table in reversed(_TABLES):
        op.drop_table(table)
