"""What follows legal review: délibérations, signatories, the changes of an avenant."""

from __future__ import annotations

from coopflow import _journal
from coopflow import _validate as v
from coopflow._canonical import iso_date
from coopflow._context import Acting
from coopflow._domain.editing import assign, require
from coopflow._domain.lookup import member
from coopflow._workflow import WorkflowSet
from coopflow.errors import NotFoundError, ValidationError
from coopflow.models import (
    Amendment,
    Deliberation,
    Document,
    Partnership,
    Protocol,
    RegisteredActor,
    Signatory,
    utcnow,
)
from sqlalchemy import select
from sqlalchemy.orm import Session


def _registered(session: Session, login: str) -> str:
    """The registered login a signatory is linked to (the elected official who signs)."""
    clean = v.login(login, "login")
    found = session.scalar(
        select(RegisteredActor.login).where(RegisteredActor.login_key == v.login_key(clean))
    )
    if found is None:
        raise NotFoundError("actor", clean)
    return found


def _approved_sha(session: Session, p: Partnership) -> str | None:
    return session.scalar(
        select(Protocol.approved_document_sha256).where(Protocol.partnership_id == p.id)
    )


def put_deliberation(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    *,
    party: str,
    number: str,
    sitting_date: object,
    sent_to_prefecture: object = None,
    published: object = None,
    amendment: int = 0,
    acting: Acting,
) -> Deliberation:
    """Record (or complete) a party's délibération on the protocol or on avenant n° amendment.

    A change is journaled (event ``deliberation``) with the document the council deliberated
    on: the protocol version the legal department approved, or the avenant's latest version."""
    who = member(session, p, party, "party")
    if amendment == 0:
        require(workflows, p, "deliberating", "recording a délibération")
        document = _approved_sha(session, p)
    else:
        require(workflows, p, "amendment_deliberating", "recording a délibération on an avenant")
        open_amendment = session.scalars(
            select(Amendment).where(
                Amendment.partnership_id == p.id,
                Amendment.number == amendment,
                Amendment.signed_on.is_(None),
            )
        ).one_or_none()
        if open_amendment is None:
            raise ValidationError(f"avenant n° {amendment} is not open", field="amendment")
        document = session.scalar(
            select(Document.sha256)
            .where(
                Document.partnership_id == p.id,
                Document.kind == "avenant",
                Document.subject == str(amendment),
            )
            .order_by(Document.version.desc())
            .limit(1)
        )
    sitting = v.date(sitting_date, "sitting_date")
    sent = v.optional_date(sent_to_prefecture, "sent_to_prefecture")
    pub = v.optional_date(published, "published")
    for field, value in (("sent_to_prefecture", sent), ("published", pub)):
        if value is not None and value < sitting:
            raise ValidationError(
                f"{value.isoformat()} is before the sitting of {sitting.isoformat()}", field=field
            )
    clean_number = v.text(number, "number", max_length=64)
    row = session.scalars(
        select(Deliberation).where(
            Deliberation.partnership_id == p.id,
            Deliberation.party_id == who.id,
            Deliberation.amendment == amendment,
        )
    ).one_or_none()
    if row is None:
        row = Deliberation(partnership_id=p.id, party_id=who.id, amendment=amendment)
        session.add(row)
    changed = assign(
        p,
        row,
        number=clean_number,
        sitting_date=sitting,
        sent_to_prefecture=sent,
        published=pub,
        document_sha256=document,
    )
    if changed:
        _journal.append(
            session,
            p,
            _journal.RecordContent.of(
                event="deliberation",
                source_state=p.state,
                target_state=p.state,
                acting=acting,
                at=utcnow(),
                comment=None,
                data={
                    "party": who.key,
                    "amendment": amendment,
                    "number": clean_number,
                    "sitting_date": sitting.isoformat(),
                    "sent_to_prefecture": iso_date(sent),
                    "published": iso_date(pub),
                    "executoire": sent is not None and pub is not None,
                },
                workflow_name=p.workflow_name,
                workflow_version=p.workflow_version,
                document_sha256=document,
            ),
        )
    session.flush()
    return row


def put_signatory(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    *,
    party: str,
    first_name: str,
    last_name: str,
    title: str,
    login: str | None = None,
) -> Signatory:
    require(workflows, p, "signatories_editable", "naming a signatory")
    who = member(session, p, party, "party")
    row = session.scalars(
        select(Signatory).where(Signatory.partnership_id == p.id, Signatory.party_id == who.id)
    ).one_or_none()
    values = {
        "first_name": v.text(first_name, "first_name", max_length=100),
        "last_name": v.text(last_name, "last_name", max_length=100),
        "title": v.text(title, "title", max_length=200),
        "login": _registered(session, login) if login is not None else None,
    }
    if row is None:
        row = Signatory(partnership_id=p.id, party_id=who.id)
        session.add(row)
    assign(p, row, **values)
    session.flush()
    return row


def add_amendment_change(
    session: Session, workflows: WorkflowSet, p: Partnership, *, text: str
) -> Amendment:
    require(workflows, p, "amendment_drafting", "changing an avenant")
    row = session.scalars(
        select(Amendment)
        .where(Amendment.partnership_id == p.id, Amendment.signed_on.is_(None))
        .order_by(Amendment.number.desc())
        .limit(1)
    ).one()
    clean = v.text(text, "text", max_length=5000, multiline=True)
    if clean not in row.changes:
        row.changes = [*row.changes, clean]
    session.flush()
    return row
