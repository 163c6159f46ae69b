"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 17:19:25.945973

The journal is append-only and a stored document's content cannot change: triggers make the
database itself refuse such UPDATEs and DELETEs, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coopflow_party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("official_name", sa.String(length=300), nullable=False),
        sa.Column("usual_name", sa.String(length=200), nullable=True),
        sa.Column("nature", sa.String(length=16), nullable=False),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.Column("seat", sa.String(length=200), nullable=True),
        sa.Column("deliberative_body", sa.String(length=200), nullable=False),
        sa.Column("executive_title", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_party")),
        sa.UniqueConstraint("key", name=op.f("uq_coopflow_party_key")),
        sa.UniqueConstraint("siren", name=op.f("uq_coopflow_party_siren")),
    )
    op.create_table(
        "coopflow_partnership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("scale", sa.String(length=32), nullable=False),
        sa.Column("home_party_id", sa.Integer(), nullable=False),
        sa.Column("lead_party_id", sa.Integer(), nullable=True),
        sa.Column("responsible", sa.String(length=200), nullable=False),
        sa.Column("workflow_name", sa.String(length=64), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
        sa.Column("journal_head", sa.String(length=64), nullable=False),
        sa.Column("predecessor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["home_party_id"],
            ["coopflow_party.id"],
            name=op.f("fk_coopflow_partnership_home_party_id_coopflow_party"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_party_id"],
            ["coopflow_party.id"],
            name=op.f("fk_coopflow_partnership_lead_party_id_coopflow_party"),
        ),
        sa.ForeignKeyConstraint(
            ["predecessor_id"],
            ["coopflow_partnership.id"],
            name=op.f("fk_coopflow_partnership_predecessor_id_coopflow_partnership"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_partnership")),
        sa.UniqueConstraint("reference", name=op.f("uq_coopflow_partnership_reference")),
    )
    with op.batch_alter_table("coopflow_partnership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coopflow_partnership_scale"), ["scale"], unique=False)
        batch_op.create_index(batch_op.f("ix_coopflow_partnership_state"), ["state"], unique=False)

    op.create_table(
        "coopflow_amendment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("signed_document_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["coopflow_partnership.id"],
            name=op.f("fk_coopflow_amendment_partnership_id_coopflow_partnership"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_amendment")),
        sa.UniqueConstraint(
            "partnership_id", "number", name=op.f("uq_coopflow_amendment_partnership_id_number")
        ),
    )
    op.create_table(
        "coopflow_axis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("objectives", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["coopflow_partnership.id"],
            name=op.f("fk_coopflow_axis_partnership_id_coopflow_partnership"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_axis")),
        sa.UniqueConstraint(
            "partnership_id", "number", name=op.f("uq_coopflow_axis_partnership_id_number")
        ),
    )
    op.create_table(
        "coopflow_deliberation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("amendment", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("sitting_date", sa.Date(), nullable=False),
        sa.Column("sent_to_prefecture", sa.Date(), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["coopflow_partnership.id"],
            name=op.f("fk_coopflow_deliberation_partnership_id_coopflow_partnership"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["coopflow_party.id"],
            name=op.f("fk_coopflow_deliberation_party_id_coopflow_party"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_deliberation")),
        sa.UniqueConstraint(
            "partnership_id",
            "party_id",
            "amendment",
            name=op.f("uq_coopflow_deliberation_partnership_id_party_id_amendment"),
        ),
    )
    with op.batch_alter_table("coopflow_deliberation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coopflow_deliberation_pending", ["published", "sent_to_prefecture"], unique=False
        )

    op.create_table(
        "coopflow_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("template_name", sa.String(length=200), nullable=False),
        sa.Column("template_sha256", sa.String(length=64), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("snapshot_sha256", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["coopflow_partnership.id"],
            name=op.f("fk_coopflow_document_partnership_id_coopflow_partnership"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_document")),
        sa.UniqueConstraint(
            "partnership_id",
            "kind",
            "subject",
            "version",
            name=op.f("uq_coopflow_document_partnership_id_kind_subject_version"),
        ),
    )
    with op.batch_alter_table("coopflow_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coopflow_document_sha256"), ["sha256"], unique=False)

    op.create_table(
        "coopflow_exchange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("participants", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["coopflow_partnership.id"],
            name=op.f("fk_coopflow_exchange_partnership_id_coopflow_partnership"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_exchange")),
    )
    with op.batch_alter_table("coopflow_exchange", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coopflow_exchange_partnership_id"), ["partnership_id"], unique=False
        )

    op.create_table(
        "coopflow_partnership_party",
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["coopflow_partnership.id"],
            name=op.f("fk_coopflow_partnership_party_partnership_id_coopflow_partnership"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["coopflow_party.id"],
            name=op.f("fk_coopflow_partnership_party_party_id_coopflow_party"),
        ),
        sa.PrimaryKeyConstraint(
            "partnership_id", "party_id", name=op.f("pk_coopflow_partnership_party")
        ),
    )
    with op.batch_alter_table("coopflow_partnership_party", schema=None) as batch_op:
        batch_op.create_index("ix_coopflow_partnership_party_party", ["party_id"], unique=False)

    op.create_table(
        "coopflow_programme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("workflow_name", sa.String(length=64), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=120), nullable=False),
        sa.Column("copil_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("period_end > period_start", name=op.f("ck_coopflow_programme_period")),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["coopflow_partnership.id"],
            name=op.f("fk_coopflow_programme_partnership_id_coopflow_partnership"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_programme")),
        sa.UniqueConstraint(
            "partnership_id", "label", name=op.f("uq_coopflow_programme_partnership_id_label")
        ),
    )
    with op.batch_alter_table("coopflow_programme", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coopflow_programme_state"), ["state"], unique=False)

    op.create_table(
        "coopflow_protocol",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("preamble", sa.JSON(), nullable=False),
        sa.Column("governance_copil", sa.Text(), nullable=False),
        sa.Column("governance_cotech", sa.Text(), nullable=False),
        sa.Column("meetings_per_year", sa.Integer(), nullable=False),
        sa.Column("means", sa.Text(), nullable=False),
        sa.Column("financial_commitments", sa.Text(), nullable=True),
        sa.Column("signature_place", sa.String(length=200), nullable=True),
        sa.Column("signature_date", sa.Date(), nullable=True),
        sa.Column("approved_document_sha256", sa.String(length=64), nullable=True),
        sa.Column("approved_content_sha256", sa.String(length=64), nullable=True),
        sa.Column("signed_document_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint("period_end > period_start", name=op.f("ck_coopflow_protocol_period")),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["coopflow_partnership.id"],
            name=op.f("fk_coopflow_protocol_partnership_id_coopflow_partnership"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_protocol")),
        sa.UniqueConstraint("partnership_id", name=op.f("uq_coopflow_protocol_partnership_id")),
    )
    with op.batch_alter_table("coopflow_protocol", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coopflow_protocol_period_end"), ["period_end"], unique=False
        )

    op.create_table(
        "coopflow_signatory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["coopflow_partnership.id"],
            name=op.f("fk_coopflow_signatory_partnership_id_coopflow_partnership"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["coopflow_party.id"],
            name=op.f("fk_coopflow_signatory_party_id_coopflow_party"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_signatory")),
        sa.UniqueConstraint(
            "partnership_id", "party_id", name=op.f("uq_coopflow_signatory_partnership_id_party_id")
        ),
    )
    op.create_table(
        "coopflow_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("axis_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("objectives", sa.Text(), nullable=False),
        sa.Column("lead_party_id", sa.Integer(), nullable=True),
        sa.Column("contact", sa.String(length=300), nullable=True),
        sa.Column("partners", sa.JSON(), nullable=False),
        sa.Column("progress", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["axis_id"], ["coopflow_axis.id"], name=op.f("fk_coopflow_action_axis_id_coopflow_axis")
        ),
        sa.ForeignKeyConstraint(
            ["lead_party_id"],
            ["coopflow_party.id"],
            name=op.f("fk_coopflow_action_lead_party_id_coopflow_party"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["coopflow_programme.id"],
            name=op.f("fk_coopflow_action_programme_id_coopflow_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_action")),
        sa.UniqueConstraint(
            "programme_id", "number", name=op.f("uq_coopflow_action_programme_id_number")
        ),
    )
    op.create_table(
        "coopflow_commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("axis_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["axis_id"],
            ["coopflow_axis.id"],
            name=op.f("fk_coopflow_commitment_axis_id_coopflow_axis"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["coopflow_party.id"],
            name=op.f("fk_coopflow_commitment_party_id_coopflow_party"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_commitment")),
    )
    with op.batch_alter_table("coopflow_commitment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coopflow_commitment_axis_id"), ["axis_id"], unique=False
        )

    op.create_table(
        "coopflow_journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("source_state", sa.String(length=120), nullable=True),
        sa.Column("target_state", sa.String(length=120), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("workflow_name", sa.String(length=64), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["coopflow_partnership.id"],
            name=op.f("fk_coopflow_journal_partnership_id_coopflow_partnership"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["coopflow_programme.id"],
            name=op.f("fk_coopflow_journal_programme_id_coopflow_programme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_journal")),
        sa.UniqueConstraint(
            "partnership_id", "prev_hash", name=op.f("uq_coopflow_journal_partnership_id_prev_hash")
        ),
        sa.UniqueConstraint(
            "partnership_id", "seq", name=op.f("uq_coopflow_journal_partnership_id_seq")
        ),
    )
    op.create_table(
        "coopflow_stake",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("axis_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["axis_id"],
            ["coopflow_axis.id"],
            name=op.f("fk_coopflow_stake_axis_id_coopflow_axis"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_stake")),
    )
    with op.batch_alter_table("coopflow_stake", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coopflow_stake_axis_id"), ["axis_id"], unique=False)

    op.create_table(
        "coopflow_budget_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("funder", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["coopflow_action.id"],
            name=op.f("fk_coopflow_budget_line_action_id_coopflow_action"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_budget_line")),
    )
    with op.batch_alter_table("coopflow_budget_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coopflow_budget_line_action_id"), ["action_id"], unique=False
        )

    op.create_table(
        "coopflow_indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("target", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("actual", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["coopflow_action.id"],
            name=op.f("fk_coopflow_indicator_action_id_coopflow_action"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_indicator")),
    )
    with op.batch_alter_table("coopflow_indicator", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coopflow_indicator_action_id"), ["action_id"], unique=False
        )

    op.create_table(
        "coopflow_milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["coopflow_action.id"],
            name=op.f("fk_coopflow_milestone_action_id_coopflow_action"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_milestone")),
    )
    with op.batch_alter_table("coopflow_milestone", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coopflow_milestone_action_id"), ["action_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_coopflow_milestone_date"), ["date"], unique=False)
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table("coopflow_milestone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coopflow_milestone_date"))
        batch_op.drop_index(batch_op.f("ix_coopflow_milestone_action_id"))

    op.drop_table("coopflow_milestone")
    with op.batch_alter_table("coopflow_indicator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coopflow_indicator_action_id"))

    op.drop_table("coopflow_indicator")
    with op.batch_alter_table("coopflow_budget_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coopflow_budget_line_action_id"))

    op.drop_table("coopflow_budget_line")
    with op.batch_alter_table("coopflow_stake", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coopflow_stake_axis_id"))

    op.drop_table("coopflow_stake")
    op.drop_table("coopflow_journal")
    with op.batch_alter_table("coopflow_commitment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coopflow_commitment_axis_id"))

    op.drop_table("coopflow_commitment")
    op.drop_table("coopflow_action")
    op.drop_table("coopflow_signatory")
    with op.batch_alter_table("coopflow_protocol", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coopflow_protocol_period_end"))

    op.drop_table("coopflow_protocol")
    with op.batch_alter_table("coopflow_programme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coopflow_programme_state"))

    op.drop_table("coopflow_programme")
    with op.batch_alter_table("coopflow_partnership_party", schema=None) as batch_op:
        batch_op.drop_index("ix_coopflow_partnership_party_party")

    op.drop_table("coopflow_partnership_party")
    with op.batch_alter_table("coopflow_exchange", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coopflow_exchange_partnership_id"))

    op.drop_table("coopflow_exchange")
    with op.batch_alter_table("coopflow_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coopflow_document_sha256"))

    op.drop_table("coopflow_document")
    with op.batch_alter_table("coopflow_deliberation", schema=None) as batch_op:
        batch_op.drop_index("ix_coopflow_deliberation_pending")

    op.drop_table("coopflow_deliberation")
    op.drop_table("coopflow_axis")
    op.drop_table("coopflow_amendment")
    with op.batch_alter_table("coopflow_partnership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coopflow_partnership_state"))
        batch_op.drop_index(batch_op.f("ix_coopflow_partnership_scale"))

    op.drop_table("coopflow_partnership")
    op.drop_table("coopflow_party")


_DOCUMENT_CONTENT = (
    "partnership_id, kind, subject, version, template_name, template_sha256, snapshot, "
    "snapshot_sha256, content_sha256, sha256, size, content, created_by, created_at"
)


def _create_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION coopflow_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER coopflow_journal_append_only BEFORE UPDATE OR DELETE ON "
            "coopflow_journal FOR EACH ROW EXECUTE FUNCTION coopflow_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER coopflow_document_immutable BEFORE UPDATE OF {_DOCUMENT_CONTENT} "
            "OR DELETE ON coopflow_document FOR EACH ROW EXECUTE FUNCTION coopflow_refuse_change()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER coopflow_journal_no_{action.lower()} BEFORE {action} ON "
            "coopflow_journal BEGIN SELECT RAISE(ABORT, 'coopflow_journal is append-only: "
            f"{action} refused'); END"
        )
    op.execute(
        f"CREATE TRIGGER coopflow_document_no_update BEFORE UPDATE OF {_DOCUMENT_CONTENT} ON "
        "coopflow_document BEGIN SELECT RAISE(ABORT, 'coopflow_document is append-only: "
        "UPDATE refused'); END"
    )
    op.execute(
        "CREATE TRIGGER coopflow_document_no_delete BEFORE DELETE ON coopflow_document "
        "BEGIN SELECT RAISE(ABORT, 'coopflow_document is append-only: DELETE refused'); END"
    )


def _drop_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER coopflow_document_immutable ON coopflow_document")
        op.execute("DROP TRIGGER coopflow_journal_append_only ON coopflow_journal")
        op.execute("DROP FUNCTION coopflow_refuse_change()")
        return
    for name in (
        "journal_no_update",
        "journal_no_delete",
        "document_no_update",
        "document_no_delete",
    ):
        op.execute(f"DROP TRIGGER coopflow_{name}")
