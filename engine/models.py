"""coopflow's data model (SQLAlchemy 2, typed).

Every table is named ``coopflow_*`` and lives in :data:`metadata`, so a host application can
include it in its own Alembic ``target_metadata`` (see the README, "Embedding") or keep it in its
own PostgreSQL schema.  The home metropolis is data: it is the partnership's ``home_party``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    not_,
    or_,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime) -> dt.datetime:
    """A stored timestamp in UTC (SQLite gives them back without a timezone)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of coopflow's tables (never shared with a host's models)."""

    metadata = metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON}


class Party(Base):
    """A collectivité: a party to partnerships and protocols."""

    __tablename__ = "coopflow_party"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    official_name: Mapped[str] = mapped_column(String(300))
    usual_name: Mapped[str | None] = mapped_column(String(200))
    nature: Mapped[str] = mapped_column(String(16))
    siren: Mapped[str | None] = mapped_column(String(9), unique=True)
    seat: Mapped[str | None] = mapped_column(String(200))
    deliberative_body: Mapped[str] = mapped_column(String(200))
    executive_title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Revision 0008: what the documents need to name the party rightly.
    #: The article of the official name in running text ("la", "le", "l'", "les" or "").
    article: Mapped[str] = mapped_column(String(4), default="")
    #: The article of the usual name ("le" Sud Gironde; "" for La Cali).
    usual_article: Mapped[str] = mapped_column(String(4), default="")
    #: Madame or Monsieur: the executive's, so that "sa Maire ... autorisée" agree.
    executive_civility: Mapped[str | None] = mapped_column(String(8))
    #: The tribunal administratif its disputes go to (the home party's is named in protocols).
    tribunal: Mapped[str | None] = mapped_column(String(200))
    # A foreign authority: its country, language and own-language names.
    country: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(50))
    original_name: Mapped[str | None] = mapped_column(String(300))
    original_executive_title: Mapped[str | None] = mapped_column(String(200))
    original_deliberative_body: Mapped[str | None] = mapped_column(String(200))


class PartnershipParty(Base):
    """Membership of a party in a partnership, in the order the parties are named."""

    __tablename__ = "coopflow_partnership_party"

    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_partnership.id", ondelete="CASCADE"), primary_key=True
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("coopflow_party.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)

    party: Mapped[Party] = relationship(lazy="joined", innerjoin=True)


class Partnership(Base):
    """A cooperation between the home metropolis and one or more territories.

    ``state`` is the current state of its workflow (``workflow_name``/``workflow_version``);
    ``version`` counts committed changes and is checked on every write (optimistic lock);
    ``journal_seq``/``journal_head`` are the sequence number and hash of the last journal record,
    kept here so that a fire reads them with the row it locks.
    """

    __tablename__ = "coopflow_partnership"
    __table_args__ = (
        CheckConstraint("version >= 1 AND journal_seq >= 0", name="counters"),
        Index("ix_coopflow_partnership_state_reference", "state", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    scale: Mapped[str] = mapped_column(String(32), index=True)
    home_party_id: Mapped[int] = mapped_column(ForeignKey("coopflow_party.id"))
    lead_party_id: Mapped[int | None] = mapped_column(ForeignKey("coopflow_party.id"))
    responsible: Mapped[str] = mapped_column(String(200))
    workflow_name: Mapped[str] = mapped_column(String(64))
    workflow_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(120), index=True)
    version: Mapped[int] = mapped_column(Integer)
    journal_seq: Mapped[int] = mapped_column(Integer, default=0)
    journal_head: Mapped[str] = mapped_column(String(64))
    predecessor_id: Mapped[int | None] = mapped_column(ForeignKey("coopflow_partnership.id"))
    #: The thematic dialogue it came from, if any (revision 0009).
    dialogue_id: Mapped[int | None] = mapped_column(ForeignKey("coopflow_dialogue.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    members: Mapped[list[PartnershipParty]] = relationship(
        order_by=PartnershipParty.position, lazy="select", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declared form


class Exchange(Base):
    """An exchange logged during accueil or dialogue (meeting, letter, workshop...)."""

    __tablename__ = "coopflow_exchange"

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_partnership.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    participants: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Dialogue(Base):
    """A thematic dialogue: an exchange on one theme (alimentation, mobilités...) among several
    territories, each taking part as a party and, if it has one, through its partnership with
    the home metropolis (revision 0009).  Its changes are journaled in the ``dialogues``
    registry chain."""

    __tablename__ = "coopflow_dialogue"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    theme: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(String(300))
    home_party_id: Mapped[int] = mapped_column(ForeignKey("coopflow_party.id"))
    responsible: Mapped[str] = mapped_column(String(200))
    #: When it was closed, and what it concluded (None while it goes on).
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    conclusion: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DialogueParticipant(Base):
    """A territory taking part in a thematic dialogue, and the partnership it belongs to."""

    __tablename__ = "coopflow_dialogue_participant"

    dialogue_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_dialogue.id", ondelete="CASCADE"), primary_key=True
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("coopflow_party.id"), primary_key=True)
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("coopflow_partnership.id"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class DialogueExchange(Base):
    """An exchange of a thematic dialogue, logged once for all its participants."""

    __tablename__ = "coopflow_dialogue_exchange"

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_dialogue.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    participants: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DialogueStake(Base):
    """A stake a thematic dialogue identified for one of its territories."""

    __tablename__ = "coopflow_dialogue_stake"
    __table_args__ = (UniqueConstraint("dialogue_id", "party_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("coopflow_dialogue.id", ondelete="CASCADE"))
    party_id: Mapped[int] = mapped_column(ForeignKey("coopflow_party.id"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")


class Axis(Base):
    """A cooperation axis, numbered within its partnership."""

    __tablename__ = "coopflow_axis"
    __table_args__ = (
        UniqueConstraint("partnership_id", "number"),
        CheckConstraint("number >= 1", name="number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_partnership.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    objectives: Mapped[list[str]] = mapped_column(default=list)

    stakes: Mapped[list[Stake]] = relationship(order_by="Stake.id", lazy="selectin")
    commitments: Mapped[list[Commitment]] = relationship(order_by="Commitment.id", lazy="selectin")


class Stake(Base):
    """An enjeu de coopération identified during dialogue, under an axis."""

    __tablename__ = "coopflow_stake"

    id: Mapped[int] = mapped_column(primary_key=True)
    axis_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_axis.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")


class Commitment(Base):
    """What one party commits to under an axis."""

    __tablename__ = "coopflow_commitment"

    id: Mapped[int] = mapped_column(primary_key=True)
    axis_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_axis.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("coopflow_party.id"))
    text: Mapped[str] = mapped_column(Text)


class Protocol(Base):
    """The protocole pluriannuel of a partnership (one per partnership; renewal opens a new
    partnership).  ``approved_*`` name the exact document the legal department approved."""

    __tablename__ = "coopflow_protocol"
    __table_args__ = (CheckConstraint("period_end > period_start", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_partnership.id", ondelete="CASCADE"), unique=True
    )
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date, index=True)
    preamble: Mapped[list[str]] = mapped_column(default=list)
    governance_copil: Mapped[str] = mapped_column(Text, default="")
    governance_cotech: Mapped[str] = mapped_column(Text, default="")
    meetings_per_year: Mapped[int] = mapped_column(Integer, default=1)
    means: Mapped[str] = mapped_column(Text, default="")
    #: A paragraph on the planned financial commitments (the amounts are
    #: :class:`FinancialCommitment` rows).
    financial_commitments: Mapped[str | None] = mapped_column(Text)
    #: With a foreign authority: the language whose version prevails (revision 0008).
    prevailing_language: Mapped[str] = mapped_column(String(50), default="français")
    #: The notice a unilateral termination must give, in months (revision 0009).
    notice_months: Mapped[int] = mapped_column(Integer, default=3)
    #: The partnership has ended (a final state, or one declaring the ``ended`` capability):
    #: its protocol is no longer anyone's deadline (revision 0009; a partial index serves the
    #: protocols still running).
    ended: Mapped[bool] = mapped_column(Boolean, default=False)
    signature_place: Mapped[str | None] = mapped_column(String(200))
    signature_date: Mapped[dt.date | None] = mapped_column(Date)
    approved_document_sha256: Mapped[str | None] = mapped_column(String(64))
    approved_content_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_document_sha256: Mapped[str | None] = mapped_column(String(64))


class Amendment(Base):
    """An avenant to a signed protocol."""

    __tablename__ = "coopflow_amendment"
    __table_args__ = (UniqueConstraint("partnership_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_partnership.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(Text)
    #: Exposé des motifs (revision 0008).
    motives: Mapped[str] = mapped_column(Text, default="")
    #: The changes, each aimed at an article (``coopflow._articles``): dicts with
    #: ``operation``, ``article``, ``new_article``, ``title`` and ``text``.
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    signed_document_sha256: Mapped[str | None] = mapped_column(String(64))
    #: The exact avenant document the legal department approved, and the hash of the
    #: avenant's content then (revision 0009, workflow cooperation v2).
    approved_document_sha256: Mapped[str | None] = mapped_column(String(64))
    approved_content_sha256: Mapped[str | None] = mapped_column(String(64))
    #: An avenant withdrawn before its signature: when, and why (revision 0009).
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)


class FinancialCommitment(Base):
    """A party's planned financial commitment over the protocol's period (revision 0008;
    required of every party when one is a foreign authority, CGCT L.1115-1)."""

    __tablename__ = "coopflow_financial_commitment"
    __table_args__ = (
        UniqueConstraint("partnership_id", "party_id"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_partnership.id", ondelete="CASCADE")
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("coopflow_party.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    detail: Mapped[str] = mapped_column(Text, default="")


class Deliberation(Base):
    """A council's délibération approving the protocol (amendment 0) or avenant n° n.

    It is exécutoire once it has been sent to the prefecture and published."""

    __tablename__ = "coopflow_deliberation"
    __table_args__ = (UniqueConstraint("partnership_id", "party_id", "amendment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_partnership.id", ondelete="CASCADE")
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("coopflow_party.id"))
    amendment: Mapped[int] = mapped_column(Integer, default=0)
    number: Mapped[str] = mapped_column(String(64))
    sitting_date: Mapped[dt.date] = mapped_column(Date)
    sent_to_prefecture: Mapped[dt.date | None] = mapped_column(Date)
    published: Mapped[dt.date | None] = mapped_column(Date)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    #: The decision of a foreign authority's own body (revision 0009): no French prefecture
    #: transmission is asked of it; it takes effect on its own date.
    foreign_decision: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def executoire(self) -> bool:
        """Both the transmission to the prefecture and the publication happened (or it is a
        foreign authority's decision, in force as its own law says)."""
        return self.foreign_decision or (
            self.sent_to_prefecture is not None and self.published is not None
        )


class Signatory(Base):
    """The person who signs for a party (first name, last name and title are printed)."""

    __tablename__ = "coopflow_signatory"
    __table_args__ = (UniqueConstraint("partnership_id", "party_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_partnership.id", ondelete="CASCADE")
    )
    party_id: Mapped[int] = mapped_column(ForeignKey("coopflow_party.id"))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    #: The registered actor who is this signatory (an elected official signs as them only).
    login: Mapped[str | None] = mapped_column(String(100))
    #: Madame or Monsieur (revision 0008; None only for a signatory named before it).
    civility: Mapped[str | None] = mapped_column(String(8))
    #: The arrêté by which the executive delegated the signature, when the signatory is not
    #: the executive (revision 0008).
    delegation_number: Mapped[str | None] = mapped_column(String(64))
    delegation_date: Mapped[dt.date | None] = mapped_column(Date)


class Programme(Base):
    """A programme de travail annuel, with its own lifecycle and optimistic version."""

    __tablename__ = "coopflow_programme"
    __table_args__ = (
        UniqueConstraint("partnership_id", "label"),
        CheckConstraint("period_end > period_start", name="period"),
        Index("ix_coopflow_programme_state_start", "state", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_partnership.id", ondelete="CASCADE")
    )
    label: Mapped[str] = mapped_column(String(32))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    workflow_name: Mapped[str] = mapped_column(String(64))
    workflow_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(120))
    copil_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Action(Base):
    """A fiche action of an annual programme."""

    __tablename__ = "coopflow_action"
    __table_args__ = (UniqueConstraint("programme_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_programme.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    axis_id: Mapped[int] = mapped_column(ForeignKey("coopflow_axis.id"))
    title: Mapped[str] = mapped_column(String(300))
    objectives: Mapped[str] = mapped_column(Text, default="")
    lead_party_id: Mapped[int | None] = mapped_column(ForeignKey("coopflow_party.id"))
    contact: Mapped[str | None] = mapped_column(String(300))
    # The pilot, a person (revision 0008); ``contact`` is the pilot service.
    pilot_name: Mapped[str | None] = mapped_column(String(200))
    pilot_function: Mapped[str | None] = mapped_column(String(200))
    pilot_email: Mapped[str | None] = mapped_column(String(254))
    partners: Mapped[list[str]] = mapped_column(default=list)
    progress: Mapped[str] = mapped_column(String(32), default="à lancer")

    milestones: Mapped[list[Milestone]] = relationship(order_by="Milestone.date", lazy="selectin")
    budget_lines: Mapped[list[BudgetLine]] = relationship(order_by="BudgetLine.id", lazy="selectin")
    indicators: Mapped[list[Indicator]] = relationship(order_by="Indicator.id", lazy="selectin")


class Milestone(Base):
    """A dated step of an action."""

    __tablename__ = "coopflow_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_action.id", ondelete="CASCADE"), index=True
    )
    date: Mapped[dt.date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(300))
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class BudgetLine(Base):
    """A planned amount in euros, by funder."""

    __tablename__ = "coopflow_budget_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_action.id", ondelete="CASCADE"), index=True
    )
    funder: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))


class Indicator(Base):
    """An indicator of an action: a target and, once measured, the actual value."""

    __tablename__ = "coopflow_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("coopflow_action.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(50), default="")
    target: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    actual: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))


class Document(Base):
    """A generated document, stored whole with the snapshot it was rendered from.

    The database refuses changes to its content columns (see the migrations' triggers); only
    ``status`` moves (draft -> final -> superseded)."""

    __tablename__ = "coopflow_document"
    __table_args__ = (UniqueConstraint("partnership_id", "kind", "subject", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("coopflow_partnership.id"))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(Integer)
    template_name: Mapped[str] = mapped_column(String(200))
    template_sha256: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[str] = mapped_column(Text)
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="draft")


class JournalRecord(Base):
    """One fired event.  Append-only: the database refuses UPDATE and DELETE.

    ``hash`` covers the record's content and ``prev_hash`` (the previous record of the same
    partnership, or 64 zeros), forming one chain per partnership; ``(partnership_id,
    prev_hash)`` is unique, so a chain cannot fork."""

    __tablename__ = "coopflow_journal"
    __table_args__ = (
        UniqueConstraint("partnership_id", "seq"),
        UniqueConstraint("partnership_id", "prev_hash"),
        # A unique index (SQLite adds it without rebuilding the table).
        Index(
            "ix_coopflow_journal_idempotency_key", "partnership_id", "idempotency_key", unique=True
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("coopflow_partnership.id"))
    seq: Mapped[int] = mapped_column(Integer)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("coopflow_programme.id"))
    event: Mapped[str] = mapped_column(String(64))
    source_state: Mapped[str | None] = mapped_column(String(120))
    target_state: Mapped[str] = mapped_column(String(120))
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str | None] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text, default="{}")
    workflow_name: Mapped[str] = mapped_column(String(64))
    workflow_version: Mapped[int] = mapped_column(Integer)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    #: How the actor was identified (``_vocabulary.IDENTIFICATIONS``); None before revision 0006.
    identified_by: Mapped[str | None] = mapped_column(String(16))
    #: The database login that wrote the record (PostgreSQL; None on SQLite).
    db_login: Mapped[str | None] = mapped_column(String(63))
    #: The script step that fired it (``<script>#<step>``), once per partnership (revision
    #: 0007): what makes ``coopflow apply`` idempotent.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    # Lets a creation record be added with its (not yet flushed) partnership in one flush.
    partnership: Mapped[Partnership] = relationship(lazy="raise")


class RegisteredActor(Base):
    """A person who acts in coopflow: a login, a full name, the roles held, active or not, and
    on PostgreSQL the database login they connect as.  Changed only through the registry's
    journaled operations (chain ``actors`` of :class:`RegistryRecord`)."""

    __tablename__ = "coopflow_actor"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    #: The login case-folded: two logins differing only by case are one person.
    login_key: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(300))
    roles: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    db_login: Mapped[str | None] = mapped_column(String(63), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Chain(Base):
    """Where a registry chain stands (``actors``, ``parties``): its last record's number and
    hash, as a partnership row keeps its own chain's."""

    __tablename__ = "coopflow_chain"
    __table_args__ = (CheckConstraint("seq >= 0", name="seq"),)

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    head: Mapped[str] = mapped_column(String(64))


class RegistryRecord(Base):
    """One change to a registry shared by every partnership (the actors, the parties), in a
    hash chain of its own per registry.  Append-only, like the journal."""

    __tablename__ = "coopflow_registry_journal"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        UniqueConstraint("chain", "prev_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    identified_by: Mapped[str] = mapped_column(String(16))
    db_login: Mapped[str | None] = mapped_column(String(63))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Checkpoint(Base):
    """A signed, timestamped commitment to the head of every chain at one moment (revision
    0007; ``coopflow._checkpoint``).  Append-only: the database refuses UPDATE and DELETE.

    ``statement`` is the canonical JSON that was signed (it holds ``seq``, ``at``, the tree's
    size and root and the previous checkpoint's hash); ``leaves`` the gzipped canonical JSON of
    the chain heads the tree was built from."""

    __tablename__ = "coopflow_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    tree_size: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    statement: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))  # of the statement
    algorithm: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(Text)  # base64
    key_id: Mapped[str] = mapped_column(String(64))  # SHA-256 of the public key (DER)
    public_key: Mapped[str] = mapped_column(Text)  # PEM
    certificate: Mapped[str | None] = mapped_column(Text)  # PEM, for an X.509 key
    timestamp: Mapped[bytes | None] = mapped_column(LargeBinary)  # RFC 3161 TimeStampResp
    tsa_url: Mapped[str | None] = mapped_column(String(500))
    leaves: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    taken_by: Mapped[str] = mapped_column(String(200))


class Setting(Base):
    """A setting of this database (``role_prefix``: the PostgreSQL group roles' prefix, set
    when they are installed; ``database_id``: the identifier every checkpoint names;
    ``comment_keys_until``: the last journal record whose comment may hold a script key)."""

    __tablename__ = "coopflow_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


Index("ix_coopflow_partnership_party_party", PartnershipParty.party_id)
#: A délibération that is not exécutoire yet (the deadlines query, served by a partial index).
DELIBERATION_PENDING = and_(
    Deliberation.foreign_decision.is_(False),
    or_(Deliberation.published.is_(None), Deliberation.sent_to_prefecture.is_(None)),
)
Index(
    "ix_coopflow_deliberation_pending",
    Deliberation.sitting_date,
    sqlite_where=DELIBERATION_PENDING,
    postgresql_where=DELIBERATION_PENDING,
)
#: A protocol whose partnership has not ended (the deadlines query, served by a partial index).
PROTOCOL_RUNNING = not_(Protocol.ended)  # as revision 0009 wrote it: NOT ended / ended = 0
Index(
    "ix_coopflow_protocol_running_end",
    Protocol.period_end,
    sqlite_where=PROTOCOL_RUNNING,
    postgresql_where=PROTOCOL_RUNNING,
)
#: A milestone not done yet (the deadlines query, served by a partial index).
MILESTONE_OPEN = Milestone.done.is_(False)
Index(
    "ix_coopflow_milestone_open",
    Milestone.date,
    sqlite_where=MILESTONE_OPEN,
    postgresql_where=MILESTONE_OPEN,
)
