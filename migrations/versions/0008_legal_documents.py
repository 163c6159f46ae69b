"""Documents a legal department signs without corrections: what naming parties and signatories
rightly needs, structured avenant changes, planned financial commitments, the pilot as a person.

- ``coopflow_party``: ``article`` and ``usual_article`` (the article each name takes in running
  text), ``executive_civility``, ``tribunal`` (the tribunal administratif its disputes go to),
  and for a foreign authority ``country``, ``language`` and its own-language ``original_name``,
  ``original_executive_title`` and ``original_deliberative_body``.  The articles and the
  civility are filled from the names and titles as coopflow guessed them until now
  (``_registry.party_defaults``: the same guess lets ``verify`` compare a party registered
  before this revision with its journal);
- ``coopflow_signatory``: ``civility`` (left empty for a signatory named before: the documents
  then read the gender from a gendered title, and signing asks for it) and the arrêté of a
  signature by delegation;
- ``coopflow_amendment``: ``motives`` (exposé des motifs); each change, a paragraph until now,
  becomes ``{"operation": "libre", "text": ...}`` (printed as it was, refused in an avenant still
  being drafted: its changes must aim at articles);
- ``coopflow_protocol.prevailing_language``; ``coopflow_financial_commitment``: each party's
  planned amount;
- ``coopflow_action``: the pilot's name, function and e-mail.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 19:00:00
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from coopflow._domain import db_roles
from coopflow._registry import party_defaults

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PARTY_COLUMNS = (
    ("executive_civility", 8),
    ("tribunal", 200),
    ("country", 100),
    ("language", 50),
    ("original_name", 300),
    ("original_executive_title", 200),
    ("original_deliberative_body", 200),
)


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("coopflow_party") as batch:
        batch.add_column(sa.Column("article", sa.String(4), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("usual_article", sa.String(4), nullable=False, server_default="")
        )
        for name, length in _PARTY_COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length), nullable=True))
    party = sa.table(
        "coopflow_party",
        sa.column("id", sa.Integer),
        sa.column("official_name", sa.String),
        sa.column("usual_name", sa.String),
        sa.column("executive_title", sa.String),
        sa.column("article", sa.String),
        sa.column("usual_article", sa.String),
        sa.column("executive_civility", sa.String),
    )
    for row in bind.execute(
        sa.select(party.c.id, party.c.official_name, party.c.usual_name, party.c.executive_title)
    ).all():
        defaults = party_defaults(
            {
                "official_name": row.official_name,
                "usual_name": row.usual_name,
                "executive_title": row.executive_title,
            }
        )
        bind.execute(
            party.update()
            .where(party.c.id == row.id)
            .values(
                article=defaults["article"],
                usual_article=defaults["usual_article"],
                executive_civility=defaults["executive_civility"],
            )
        )

    with op.batch_alter_table("coopflow_signatory") as batch:
        batch.add_column(sa.Column("civility", sa.String(8), nullable=True))
        batch.add_column(sa.Column("delegation_number", sa.String(64), nullable=True))
        batch.add_column(sa.Column("delegation_date", sa.Date(), nullable=True))

    with op.batch_alter_table("coopflow_amendment") as batch:
        batch.add_column(sa.Column("motives", sa.Text(), nullable=False, server_default=""))
    amendment = sa.table(
        "coopflow_amendment", sa.column("id", sa.Integer), sa.column("changes", sa.JSON)
    )
    for change_row in bind.execute(sa.select(amendment.c.id, amendment.c.changes)).all():
        changes = change_row.changes
        changes = json.loads(changes) if isinstance(changes, str) else changes
        structured = [
            c
            if isinstance(c, dict)
            else {
                "operation": "libre",
                "article": None,
                "new_article": None,
                "title": None,
                "text": c,
            }
            for c in changes or []
        ]
        bind.execute(
            amendment.update().where(amendment.c.id == change_row.id).values(changes=structured)
        )

    with op.batch_alter_table("coopflow_protocol") as batch:
        batch.add_column(
            sa.Column(
                "prevailing_language", sa.String(50), nullable=False, server_default="français"
            )
        )
    with op.batch_alter_table("coopflow_action") as batch:
        batch.add_column(sa.Column("pilot_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("pilot_function", sa.String(200), nullable=True))
        batch.add_column(sa.Column("pilot_email", sa.String(254), nullable=True))

    op.create_table(
        "coopflow_financial_commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_coopflow_financial_commitment_amount")),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["coopflow_partnership.id"],
            name=op.f("fk_coopflow_financial_commitment_partnership_id_coopflow_partnership"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["coopflow_party.id"],
            name=op.f("fk_coopflow_financial_commitment_party_id_coopflow_party"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coopflow_financial_commitment")),
        sa.UniqueConstraint(
            "partnership_id",
            "party_id",
            name=op.f("uq_coopflow_financial_commitment_partnership_id_party_id"),
        ),
    )
    # The group roles coopflow db-roles installed, if any, write it as they write the others.
    db_roles.grant_new_table(bind, "coopflow_financial_commitment")


def downgrade() -> None:
    op.drop_table("coopflow_financial_commitment")
    with op.batch_alter_table("coopflow_action") as batch:
        for name in ("pilot_email", "pilot_function", "pilot_name"):
            batch.drop_column(name)
    with op.batch_alter_table("coopflow_protocol") as batch:
        batch.drop_column("prevailing_language")
    bind = op.get_bind()
    amendment = sa.table(
        "coopflow_amendment", sa.column("id", sa.Integer), sa.column("changes", sa.JSON)
    )
    for row in bind.execute(sa.select(amendment.c.id, amendment.c.changes)).all():
        changes = row.changes if not isinstance(row.changes, str) else json.loads(row.changes)
        # Each change as the paragraph revision 0007 knew (the structured ones as worded).
        flat = [c if isinstance(c, str) else _flat(c) for c in changes or []]
        bind.execute(amendment.update().where(amendment.c.id == row.id).values(changes=flat))
    with op.batch_alter_table("coopflow_amendment") as batch:
        batch.drop_column("motives")
    with op.batch_alter_table("coopflow_signatory") as batch:
        for name in ("delegation_date", "delegation_number", "civility"):
            batch.drop_column(name)
    with op.batch_alter_table("coopflow_party") as batch:
        for name, _length in reversed(_PARTY_COLUMNS):
            batch.drop_column(name)
        batch.drop_column("usual_article")
        batch.drop_column("article")


def _flat(change: dict[str, object]) -> str:
    """A structured change as one paragraph, its words as the avenant printed them."""
    operation, article = change.get("operation"), change.get("article")
    text = str(change.get("text") or "")
    title = f"{change.get('title')} – " if change.get("title") else ""
    if operation == "abroger":
        return f"L'article {article} du protocole est abrogé."
    if operation == "inserer":
        return (
            f"Il est inséré, après l'article {article} du protocole, un article "
            f"{change.get('new_article')} ainsi rédigé : « {title}{text} »"
        )
    if operation == "rediger":
        return f"L'article {article} du protocole est ainsi rédigé : « {title}{text} »"
    if operation == "completer":
        return f"L'article {article} du protocole est complété par : « {text} »"
    return text
