"""Domain operations, as plain functions over a SQLAlchemy Session.

The :class:`coopflow.Coopflow` facade opens the unit of work (its own transaction, or a
savepoint inside a host's), calls one of these, and commits or rolls back.  Nothing here
commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import _journal
from . import _validate as v
from ._context import Actor, FireContext
from ._db import SEEN_VERSION
from ._documents import NATURES, SCALES, DocumentStore, iso_date
from ._views import JournalEntry
from ._workflow import PREVIOUS, ROLES, EventDef, Registry, Workflow, WorkflowSet
from .errors import (
    AlreadyExistsError,
    ConcurrentModificationError,
    CoopflowError,
    ExtensionError,
    GuardFailed,
    NotFoundError,
    PermissionDenied,
    TransitionNotAllowed,
    UnknownEventError,
    ValidationError,
)
from .models import (
    Action,
    Amendment,
    Axis,
    BudgetLine,
    Commitment,
    Deliberation,
    Exchange,
    Indicator,
    JournalRecord,
    Milestone,
    Partnership,
    PartnershipParty,
    Party,
    Programme,
    Protocol,
    Signatory,
    Stake,
    utcnow,
)

EXCHANGE_KINDS = ("reunion", "courrier", "visite", "atelier", "seminaire", "visio", "autre")
PROGRESS = ("à lancer", "en cours", "réalisée", "reportée", "abandonnée")
# States (and their substates) in which the agreed content of the protocol may be edited.
CONTENT_EDITABLE = (
    "accueil",
    "dialogue",
    "contractualisation.redaction",
    "contractualisation.revue_juridique",
    "contractualisation.deliberations",
)
PROGRAMME_EDITABLE = ("brouillon", "revu_cotech")


def _within(state: str, prefixes: Sequence[str]) -> bool:
    return any(state == p or state.startswith(p + ".") for p in prefixes)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"unknown role {role!r} (roles: {', '.join(ROLES)})", field="role")
    return role


# ----------------------------------------------------------------------------- lookups


# The statements of the hot path, built once: SQLAlchemy caches their compiled form under a
# cache key computed once per statement object, and the values travel as parameters.
_BY_REFERENCE = select(Partnership).where(Partnership.reference == bindparam("reference"))
_BY_REFERENCE_FOR_UPDATE = _BY_REFERENCE.with_for_update()
_BY_REFERENCE_SKIP_LOCKED = _BY_REFERENCE.with_for_update(skip_locked=True)
_VERSION_BY_REFERENCE = select(Partnership.version).where(
    Partnership.reference == bindparam("reference")
)
_JOURNAL = cast(Table, JournalRecord.__table__)
_CAME_FROM = (
    select(_JOURNAL.c.source_state)
    .where(
        _JOURNAL.c.partnership_id == bindparam("partnership_id"),
        _JOURNAL.c.target_state == bindparam("state"),
    )
    .order_by(_JOURNAL.c.seq.desc())
    .limit(1)
)
_CAME_FROM_PARTNERSHIP = _CAME_FROM.where(_JOURNAL.c.programme_id.is_(None))
_CAME_FROM_PROGRAMME = _CAME_FROM.where(_JOURNAL.c.programme_id == bindparam("programme_id"))


def find_partnership(session: Session, reference: str, *, lock: bool = False) -> Partnership:
    """The partnership with this reference; ``lock`` takes its row lock on PostgreSQL."""
    for_update = lock and session.get_bind().dialect.name == "postgresql"
    stmt = _BY_REFERENCE_FOR_UPDATE if for_update else _BY_REFERENCE
    found = session.scalars(stmt, {"reference": reference}).one_or_none()
    if found is None:
        raise NotFoundError("partnership", reference)
    return found


def lock_partnership(session: Session, reference: str, *, sqlite_write: bool) -> Partnership:
    """The partnership, locked for writing: its row lock on PostgreSQL; on SQLite, the database
    write lock, taken by a no-op write when the transaction did not begin IMMEDIATE."""
    if sqlite_write:
        session.execute(
            update(Partnership)
            .where(Partnership.reference == reference)
            .values(journal_seq=Partnership.journal_seq)
            .execution_options(synchronize_session=False)
        )
    return find_partnership(session, reference, lock=True)


def lock_for_fire(
    session: Session, reference: str, *, sqlite_write: bool
) -> tuple[Partnership, int | None]:
    """The partnership locked for a fire, and, when the fire had to wait for another writer,
    the version it had when the fire arrived (``None`` when it did not wait).

    On PostgreSQL, a ``SKIP LOCKED`` read takes the row lock when it is free, at no extra cost;
    when it is held, the version is read (MVCC reads do not wait) before waiting for the lock.
    On SQLite, coopflow's own writing transaction notes it at ``BEGIN`` (see ``_db``)."""
    if session.get_bind().dialect.name != "postgresql":
        p = lock_partnership(session, reference, sqlite_write=sqlite_write)
        seen = session.connection().info.pop(SEEN_VERSION, None)
        return p, seen if isinstance(seen, int) else None
    found = session.scalars(_BY_REFERENCE_SKIP_LOCKED, {"reference": reference}).one_or_none()
    if found is not None:
        return found, None
    seen = session.scalar(_VERSION_BY_REFERENCE, {"reference": reference})
    if seen is None:
        raise NotFoundError("partnership", reference)
    return find_partnership(session, reference, lock=True), seen


def find_party(session: Session, key: str) -> Party:
    found = session.scalars(select(Party).where(Party.key == key)).one_or_none()
    if found is None:
        raise NotFoundError("party", key)
    return found


def _member(session: Session, p: Partnership, key: str, field: str) -> Party:
    party = find_party(session, key)
    if all(m.party_id != party.id for m in p.members):
        raise ValidationError(f"{key} is not a party to {p.reference}", field=field)
    return party


def find_programme(session: Session, p: Partnership, label: str) -> Programme:
    found = session.scalars(
        select(Programme).where(Programme.partnership_id == p.id, Programme.label == label)
    ).one_or_none()
    if found is None:
        raise NotFoundError("programme", f"{label} of {p.reference}")
    return found


def find_axis(session: Session, p: Partnership, number: int) -> Axis:
    found = session.scalars(
        select(Axis).where(Axis.partnership_id == p.id, Axis.number == number)
    ).one_or_none()
    if found is None:
        raise NotFoundError("axis", f"{number} of {p.reference}")
    return found


def find_action(session: Session, prog: Programme, number: int) -> Action:
    found = session.scalars(
        select(Action).where(Action.programme_id == prog.id, Action.number == number)
    ).one_or_none()
    if found is None:
        raise NotFoundError("action", f"{number} of programme {prog.label}")
    return found


def _require_state(p: Partnership, allowed: Sequence[str], what: str) -> None:
    if not _within(p.state, allowed):
        raise ValidationError(
            f"{what} is not possible while {p.reference} is in state {p.state} "
            f"(possible in: {', '.join(allowed)})",
            field="state",
        )


def _touch(p: Partnership) -> None:
    """Count a data change in the partnership's version (optimistic lock)."""
    p.updated_at = utcnow()


def _assign(p: Partnership, row: object, **values: object) -> bool:
    """Set the attributes of ``row`` that differ; count the change in the partnership's version
    only if there was one (an upsert that changes nothing leaves the version alone)."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        _touch(p)
    return changed


# ----------------------------------------------------------------------------- parties


def put_party(
    session: Session,
    *,
    key: str,
    official_name: str,
    nature: str,
    deliberative_body: str,
    executive_title: str,
    usual_name: str | None = None,
    siren: str | None = None,
    seat: str | None = None,
    replace: bool = False,
) -> tuple[Party, bool]:
    """Create a party, or (``replace``) update the one with the same key.  Returns (party,
    created)."""
    fields = {
        "key": v.key(key, "key"),
        "official_name": v.text(official_name, "official_name"),
        "usual_name": v.optional_text(usual_name, "usual_name", max_length=200),
        "nature": v.choice(nature, "nature", NATURES),
        "siren": v.siren(siren),
        "seat": v.optional_text(seat, "seat", max_length=200),
        "deliberative_body": v.text(deliberative_body, "deliberative_body", max_length=200),
        "executive_title": v.text(executive_title, "executive_title", max_length=200),
    }
    if fields["nature"] == "ETRANGER" and fields["siren"] is not None:
        raise ValidationError("a foreign authority has no SIREN", field="siren")
    if fields["siren"] is not None:
        other = session.scalars(
            select(Party).where(Party.siren == fields["siren"], Party.key != key)
        ).first()
        if other is not None:
            raise AlreadyExistsError("party with SIREN", f"{fields['siren']} ({other.key})")
    existing = session.scalars(select(Party).where(Party.key == key)).one_or_none()
    if existing is not None:
        if not replace:
            unchanged = all(getattr(existing, k) == val for k, val in fields.items())
            if unchanged:
                return existing, False
            raise AlreadyExistsError("party", key)
        for k, val in fields.items():
            setattr(existing, k, val)
        return existing, False
    party = Party(**fields, created_at=utcnow())
    session.add(party)
    session.flush()
    return party, True


# ----------------------------------------------------------------------------- partnerships


def _next_reference(session: Session, year: int) -> str:
    prefix = f"COOP-{year}-"
    last = session.scalar(
        select(func.max(Partnership.reference)).where(Partnership.reference.like(prefix + "%"))
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def create_partnership(
    session: Session,
    workflows: WorkflowSet,
    *,
    title: str,
    scale: str,
    parties: Sequence[str],
    home: str,
    responsible: str,
    actor: Actor,
    lead: str | None = None,
    reference: str | None = None,
    workflow: str = "cooperation",
    workflow_version: int | None = None,
    initial_state: str | None = None,
    record: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Partnership:
    """Create a partnership in its workflow's initial state, with its first journal record."""
    check_role(actor.role)
    now = now or utcnow()
    title = v.text(title, "title")
    scale = v.choice(scale, "scale", SCALES)
    responsible = v.text(responsible, "responsible", max_length=200)
    keys = [v.key(k, f"parties[{i}]") for i, k in enumerate(parties)]
    if len(keys) < 2:
        raise ValidationError("a partnership has at least two parties", field="parties")
    if len(set(keys)) != len(keys):
        raise ValidationError("a party is named twice", field="parties")
    if home not in keys:
        raise ValidationError(f"{home!r} is not one of the parties", field="home")
    if lead is not None and lead not in keys:
        raise ValidationError(f"{lead!r} is not one of the parties", field="lead")
    wf = workflows.get(workflow, workflow_version)
    if wf.subject != "partnership":
        raise ValidationError(f"workflow {wf.name} is for {wf.subject}s", field="workflow")
    rows = [find_party(session, k) for k in keys]
    reference = _next_reference(session, now.year) if reference is None else v.reference(reference)
    if session.scalars(select(Partnership.id).where(Partnership.reference == reference)).first():
        raise AlreadyExistsError("partnership", reference)
    by_key = {r.key: r for r in rows}
    state = initial_state or wf.leaf(wf.initial)
    p = Partnership(
        reference=reference,
        title=title,
        scale=scale,
        home_party_id=by_key[home].id,
        lead_party_id=by_key[lead].id if lead else None,
        responsible=responsible,
        workflow_name=wf.name,
        workflow_version=wf.version,
        state=state,
        journal_seq=0,
        journal_head=_journal.GENESIS,
        created_at=now,
        updated_at=now,
        members=[PartnershipParty(party_id=r.id, position=i) for i, r in enumerate(rows)],
    )
    session.add(p)
    _journal.append(
        session,
        p,
        event="creation",
        source_state=None,
        target_state=state,
        actor=actor.id,
        role=actor.role,
        at=now,
        comment=None,
        data={"title": title, "scale": scale, "parties": keys, **(record or {})},
        workflow_name=wf.name,
        workflow_version=wf.version,
    )
    session.flush()
    return p


def renew_partnership(ctx: FireContext, start: dt.date, end: dt.date) -> Partnership:
    """Open the successor of a partnership whose protocol is renewed (effect of renouveler)."""
    old = ctx.partnership
    wf = ctx.workflow
    keys = [m.party.key for m in old.members]
    home = next(m.party.key for m in old.members if m.party_id == old.home_party_id)
    lead = next((m.party.key for m in old.members if m.party_id == old.lead_party_id), None)
    new = create_partnership(
        ctx.session,
        _single(wf),
        title=old.title,
        scale=old.scale,
        parties=keys,
        home=home,
        lead=lead,
        responsible=old.responsible,
        actor=ctx.actor,
        workflow=wf.name,
        workflow_version=wf.version,
        initial_state=wf.leaf("contractualisation"),
        record={"renews": old.reference},
    )
    new.predecessor_id = old.id
    proto = ctx.protocol()
    ctx.session.add(
        Protocol(
            partnership_id=new.id,
            period_start=start,
            period_end=end,
            preamble=list(proto.preamble) if proto else [],
            governance_copil=proto.governance_copil if proto else "",
            governance_cotech=proto.governance_cotech if proto else "",
            meetings_per_year=proto.meetings_per_year if proto else 1,
            means=proto.means if proto else "",
            financial_commitments=proto.financial_commitments if proto else None,
        )
    )
    for axis in ctx.session.scalars(
        select(Axis).where(Axis.partnership_id == old.id).order_by(Axis.number)
    ):
        copy = Axis(
            partnership_id=new.id,
            number=axis.number,
            title=axis.title,
            objectives=list(axis.objectives),
        )
        ctx.session.add(copy)
        ctx.session.flush()
        for s in axis.stakes:
            ctx.session.add(Stake(axis_id=copy.id, title=s.title, description=s.description))
        for c in axis.commitments:
            ctx.session.add(Commitment(axis_id=copy.id, party_id=c.party_id, text=c.text))
    ctx.session.flush()
    return new


def _single(wf: Workflow) -> WorkflowSet:
    return WorkflowSet([wf])


def log_exchange(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    *,
    date: object,
    kind: str,
    summary: str,
    actor: Actor,
    participants: str | None = None,
) -> Exchange:
    if p.state in workflows.get(p.workflow_name, p.workflow_version).final_states():
        raise ValidationError(f"{p.reference} is closed ({p.state})", field="state")
    when = v.date(date, "date")
    row = Exchange(
        partnership_id=p.id,
        date=when,
        kind=v.choice(kind, "kind", EXCHANGE_KINDS),
        summary=v.text(summary, "summary", max_length=5000, multiline=True),
        participants=v.optional_text(participants, "participants", max_length=2000),
        created_by=v.text(actor.id, "actor", max_length=200),
        created_at=utcnow(),
    )
    existing = session.scalars(
        select(Exchange).where(
            Exchange.partnership_id == p.id,
            Exchange.date == row.date,
            Exchange.kind == row.kind,
            Exchange.summary == row.summary,
        )
    ).first()
    if existing is not None:
        return existing
    session.add(row)
    _touch(p)
    session.flush()
    return row


# ----------------------------------------------------------------------------- protocol content


def _editable(p: Partnership, what: str) -> None:
    _require_state(p, CONTENT_EDITABLE, what)


def put_axis(
    session: Session,
    p: Partnership,
    *,
    title: str,
    objectives: Sequence[str] = (),
    number: int | None = None,
) -> Axis:
    """Add an axis (next number) or, with ``number``, replace that axis' title and objectives."""
    _editable(p, "changing the cooperation axes")
    clean_title = v.text(title, "title")
    clean = [
        v.text(o, f"objectives[{i}]", max_length=2000, multiline=True)
        for i, o in enumerate(objectives)
    ]
    if number is not None:
        number = v.positive_int(number, "number", maximum=20)
        existing = session.scalars(
            select(Axis).where(Axis.partnership_id == p.id, Axis.number == number)
        ).one_or_none()
        if existing is not None:
            _assign(p, existing, title=clean_title, objectives=clean)
            return existing
    else:
        last = session.scalar(select(func.max(Axis.number)).where(Axis.partnership_id == p.id))
        number = (last or 0) + 1
    axis = Axis(partnership_id=p.id, number=number, title=clean_title, objectives=clean)
    session.add(axis)
    _touch(p)
    session.flush()
    return axis


def add_stake(
    session: Session, p: Partnership, *, axis: int, title: str, description: str = ""
) -> Stake:
    _editable(p, "identifying stakes")
    row = find_axis(session, p, axis)
    clean_title = v.text(title, "title")
    clean_desc = (
        v.text(description, "description", max_length=5000, multiline=True) if description else ""
    )
    for s in row.stakes:
        if s.title == clean_title:
            _assign(p, s, description=clean_desc)
            return s
    stake = Stake(axis_id=row.id, title=clean_title, description=clean_desc)
    session.add(stake)
    _touch(p)
    session.flush()
    return stake


def add_commitment(
    session: Session, p: Partnership, *, axis: int, party: str, text: str
) -> Commitment:
    _editable(p, "recording commitments")
    row = find_axis(session, p, axis)
    who = _member(session, p, party, "party")
    clean = v.text(text, "text", max_length=5000, multiline=True)
    for c in row.commitments:
        if c.party_id == who.id and c.text == clean:
            return c
    commitment = Commitment(axis_id=row.id, party_id=who.id, text=clean)
    session.add(commitment)
    _touch(p)
    session.flush()
    return commitment


def put_protocol(
    session: Session,
    p: Partnership,
    *,
    start: object,
    end: object,
    preamble: Sequence[str] | None = None,
    copil: str | None = None,
    cotech: str | None = None,
    meetings_per_year: int | None = None,
    means: str | None = None,
    financial_commitments: str | None = None,
) -> Protocol:
    """Create or update the protocol's period, preamble, governance and means."""
    _editable(p, "changing the protocol")
    first, last = v.period(start, end, "period", max_years=10)
    proto = session.scalars(select(Protocol).where(Protocol.partnership_id == p.id)).one_or_none()
    if proto is None:
        proto = Protocol(partnership_id=p.id, period_start=first, period_end=last)
        session.add(proto)
        _touch(p)
    values: dict[str, object] = {"period_start": first, "period_end": last}
    if preamble is not None:
        values["preamble"] = [
            v.text(par, f"preamble[{i}]", max_length=5000, multiline=True)
            for i, par in enumerate(preamble)
        ]
    if copil is not None:
        values["governance_copil"] = v.text(copil, "copil", max_length=5000, multiline=True)
    if cotech is not None:
        values["governance_cotech"] = v.text(cotech, "cotech", max_length=5000, multiline=True)
    if meetings_per_year is not None:
        values["meetings_per_year"] = v.positive_int(
            meetings_per_year, "meetings_per_year", maximum=52
        )
    if means is not None:
        values["means"] = v.text(means, "means", max_length=5000, multiline=True)
    if financial_commitments is not None:
        values["financial_commitments"] = v.optional_text(
            financial_commitments, "financial_commitments", max_length=5000, multiline=True
        )
    _assign(p, proto, **values)
    session.flush()
    return proto


def _approved_sha(session: Session, p: Partnership) -> str | None:
    return session.scalar(
        select(Protocol.approved_document_sha256).where(Protocol.partnership_id == p.id)
    )


def put_deliberation(
    session: Session,
    p: Partnership,
    *,
    party: str,
    number: str,
    sitting_date: object,
    sent_to_prefecture: object = None,
    published: object = None,
    amendment: int = 0,
    actor: Actor,
) -> Deliberation:
    """Record (or complete) a party's délibération on the protocol or on avenant n° amendment.

    A change is journaled (event ``deliberation``) with the document the council deliberated
    on: the protocol version the legal department approved, or the avenant's latest version."""
    check_role(actor.role)
    actor_id = v.text(actor.id, "actor", max_length=200)
    who = _member(session, p, party, "party")
    if amendment == 0:
        _require_state(p, ("contractualisation.deliberations",), "recording a délibération")
        document = _approved_sha(session, p)
    else:
        _require_state(p, ("contractualisation.avenant.deliberations",), "recording a délibération")
        open_amendment = session.scalars(
            select(Amendment).where(
                Amendment.partnership_id == p.id,
                Amendment.number == amendment,
                Amendment.signed_on.is_(None),
            )
        ).one_or_none()
        if open_amendment is None:
            raise ValidationError(f"avenant n° {amendment} is not open", field="amendment")
        from .models import Document

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
    changed = _assign(
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
            event="deliberation",
            source_state=p.state,
            target_state=p.state,
            actor=actor_id,
            role=actor.role,
            at=p.updated_at,
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
        )
    session.flush()
    return row


def put_signatory(
    session: Session,
    p: Partnership,
    *,
    party: str,
    first_name: str,
    last_name: str,
    title: str,
) -> Signatory:
    _require_state(
        p,
        (*CONTENT_EDITABLE, "contractualisation.avenant"),
        "naming a signatory",
    )
    who = _member(session, p, party, "party")
    row = session.scalars(
        select(Signatory).where(Signatory.partnership_id == p.id, Signatory.party_id == who.id)
    ).one_or_none()
    values = {
        "first_name": v.text(first_name, "first_name", max_length=100),
        "last_name": v.text(last_name, "last_name", max_length=100),
        "title": v.text(title, "title", max_length=200),
    }
    if row is None:
        row = Signatory(partnership_id=p.id, party_id=who.id)
        session.add(row)
    _assign(p, row, **values)
    session.flush()
    return row


def add_amendment_change(session: Session, p: Partnership, *, text: str) -> Amendment:
    _require_state(p, ("contractualisation.avenant.redaction",), "changing an avenant")
    row = session.scalars(
        select(Amendment)
        .where(Amendment.partnership_id == p.id, Amendment.signed_on.is_(None))
        .order_by(Amendment.number.desc())
        .limit(1)
    ).one()
    clean = v.text(text, "text", max_length=5000, multiline=True)
    if clean not in row.changes:
        row.changes = [*row.changes, clean]
        _touch(p)
    session.flush()
    return row


# ----------------------------------------------------------------------------- programmes


def put_programme(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    *,
    label: str,
    start: object,
    end: object,
    workflow: str = "programme",
) -> Programme:
    _require_state(p, ("contractualisation",), "adding an annual programme")
    clean_label = v.text(label, "label", max_length=32)
    first, last = v.period(start, end, "period", max_years=2)
    proto = session.scalars(select(Protocol).where(Protocol.partnership_id == p.id)).one_or_none()
    if proto is not None and not (proto.period_start <= first and last <= proto.period_end):
        raise ValidationError(
            f"{first.isoformat()} – {last.isoformat()} is not inside the protocol's period "
            f"{proto.period_start.isoformat()} – {proto.period_end.isoformat()}",
            field="period",
        )
    wf = workflows.get(workflow)
    if wf.subject != "programme":
        raise ValidationError(f"workflow {wf.name} is for {wf.subject}s", field="workflow")
    row = session.scalars(
        select(Programme).where(Programme.partnership_id == p.id, Programme.label == clean_label)
    ).one_or_none()
    if row is not None:
        if row.state not in PROGRAMME_EDITABLE:
            raise ValidationError(
                f"programme {clean_label} is {row.state}: it can no longer change", field="label"
            )
        _assign(p, row, period_start=first, period_end=last)
    else:
        row = Programme(
            partnership_id=p.id,
            label=clean_label,
            period_start=first,
            period_end=last,
            workflow_name=wf.name,
            workflow_version=wf.version,
            state=wf.leaf(wf.initial),
            created_at=utcnow(),
        )
        session.add(row)
        _touch(p)
    session.flush()
    return row


def _programme_editable(prog: Programme) -> None:
    if prog.state not in PROGRAMME_EDITABLE:
        raise ValidationError(
            f"programme {prog.label} is {prog.state}: its actions can no longer change",
            field="programme",
        )


def put_action(
    session: Session,
    p: Partnership,
    prog: Programme,
    *,
    axis: int,
    title: str,
    objectives: str = "",
    lead: str | None = None,
    contact: str | None = None,
    partners: Sequence[str] = (),
    number: int | None = None,
) -> Action:
    _programme_editable(prog)
    axis_row = find_axis(session, p, axis)
    lead_id = _member(session, p, lead, "lead").id if lead else None
    fields: dict[str, Any] = {
        "axis_id": axis_row.id,
        "title": v.text(title, "title"),
        "objectives": v.text(objectives, "objectives", max_length=5000, multiline=True)
        if objectives
        else "",
        "lead_party_id": lead_id,
        "contact": v.optional_text(contact, "contact"),
        "partners": [v.text(x, f"partners[{i}]") for i, x in enumerate(partners)],
    }
    row = None
    if number is not None:
        number = v.positive_int(number, "number", maximum=999)
        row = session.scalars(
            select(Action).where(Action.programme_id == prog.id, Action.number == number)
        ).one_or_none()
    else:
        last = session.scalar(select(func.max(Action.number)).where(Action.programme_id == prog.id))
        number = (last or 0) + 1
    if row is None:
        row = Action(programme_id=prog.id, number=number, **fields)
        session.add(row)
        _touch(p)
    else:
        _assign(p, row, **fields)
    session.flush()
    return row


def add_milestone(
    session: Session, p: Partnership, action: Action, *, date: object, label: str
) -> Milestone:
    when = v.date(date, "date")
    clean = v.text(label, "label")
    for m in action.milestones:
        if m.date == when and m.label == clean:
            return m
    row = Milestone(action_id=action.id, date=when, label=clean)
    session.add(row)
    _touch(p)
    session.flush()
    return row


def set_milestone_done(
    session: Session, p: Partnership, action: Action, *, date: object, label: str, done: bool
) -> Milestone:
    """Mark a milestone of an action done (or not done again)."""
    when = v.date(date, "date")
    for m in action.milestones:
        if m.date == when and m.label == label:
            _assign(p, m, done=done)
            return m
    raise NotFoundError("milestone", f"{label!r} of {when.isoformat()}")


def set_action_progress(session: Session, p: Partnership, action: Action, progress: str) -> Action:
    """Record how far an action has got (à lancer, en cours, réalisée, reportée, abandonnée)."""
    _assign(p, action, progress=v.choice(progress, "progress", PROGRESS))
    return action


def put_budget_line(
    session: Session, p: Partnership, action: Action, *, funder: str, amount: object
) -> BudgetLine:
    clean = v.text(funder, "funder", max_length=200)
    value = v.amount(amount, "amount")
    for b in action.budget_lines:
        if b.funder == clean:
            _assign(p, b, amount=value)
            return b
    row = BudgetLine(action_id=action.id, funder=clean, amount=value)
    session.add(row)
    _touch(p)
    session.flush()
    return row


def put_indicator(
    session: Session,
    p: Partnership,
    action: Action,
    *,
    name: str,
    target: object,
    unit: str = "",
    actual: object = None,
) -> Indicator:
    clean = v.text(name, "name")
    tgt = v.amount(target, "target")
    act = v.amount(actual, "actual") if actual is not None else None
    clean_unit = v.optional_text(unit, "unit", max_length=50) or ""
    for i in action.indicators:
        if i.name == clean:
            _assign(
                p, i, target=tgt, unit=clean_unit, **({"actual": act} if act is not None else {})
            )
            return i
    row = Indicator(action_id=action.id, name=clean, unit=clean_unit, target=tgt, actual=act)
    session.add(row)
    _touch(p)
    session.flush()
    return row


# ----------------------------------------------------------------------------- events


def _event(wf: Workflow, name: str) -> EventDef:
    ev = wf.events.get(name)
    if ev is None:
        raise UnknownEventError(name, f"{wf.name} v{wf.version}", list(wf.events))
    return ev


def _parse_inputs(ev: EventDef, data: Mapping[str, object] | None) -> dict[str, Any]:
    data = dict(data or {})
    known = {i.name: i for i in ev.inputs}
    for name in data:
        if name not in known:
            expected = ", ".join(known) or "none"
            raise ValidationError(
                f"{ev.name} takes no input {name!r} (inputs: {expected})", field=f"data.{name}"
            )
    parsed: dict[str, Any] = {}
    for spec in ev.inputs:
        if spec.name not in data or data[spec.name] in (None, ""):
            if spec.required:
                raise ValidationError(
                    f"{ev.name} needs {spec.name} ({spec.label})", field=f"data.{spec.name}"
                )
            continue
        value = spec.parse(data[spec.name])
        if isinstance(value, dt.date):
            value = v.date(value, f"data.{spec.name}")
        elif isinstance(value, str) and spec.type == "text":
            value = v.text(value, f"data.{spec.name}", max_length=5000, multiline=True)
        parsed[spec.name] = value
    return parsed


def _jsonable(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (x.isoformat() if isinstance(x, dt.date) else x) for k, x in data.items()}


def _previous_state(session: Session, p: Partnership, prog: Programme | None, state: str) -> str:
    """The state the partnership (or programme) was in when it last entered ``state``."""
    stmt, params = (
        (_CAME_FROM_PROGRAMME, {"programme_id": prog.id})
        if prog is not None
        else (_CAME_FROM_PARTNERSHIP, {})
    )
    found: str | None = (
        session.connection()
        .execute(stmt, {"partnership_id": p.id, "state": state, **params})
        .scalar()
    )
    if found is None:
        raise ValidationError(f"the journal does not say which state led to {state}")
    return found


def make_context(
    session: Session,
    workflows: WorkflowSet,
    registry: Registry,
    documents: DocumentStore,
    p: Partnership,
    event: str,
    actor: Actor,
    *,
    programme: str | None,
    data: Mapping[str, object] | None,
    comment: str | None,
    today: dt.date,
    checking_only: bool = False,
) -> FireContext:
    prog = find_programme(session, p, programme) if programme is not None else None
    wf = (
        workflows.get(prog.workflow_name, prog.workflow_version)
        if prog is not None
        else workflows.get(p.workflow_name, p.workflow_version)
    )
    ev = _event(wf, event)
    return FireContext(
        session=session,
        partnership=p,
        workflow=wf,
        event=ev,
        actor=actor,
        data={} if checking_only else _parse_inputs(ev, data),
        comment=comment,
        today=today,
        documents=documents,
        programme=prog,
        checking_only=checking_only,
    )


def _guard_reasons(registry: Registry, ctx: FireContext) -> list[str]:
    reasons: list[str] = []
    for name in ctx.event.guards:
        guard = registry.get_guard(name)
        assert guard is not None  # definitions are validated against the registry
        try:
            reasons.extend(guard(ctx))
        except CoopflowError:
            raise
        except Exception as exc:
            raise ExtensionError("guard", name, exc) from exc
    return reasons


def fire(
    session: Session,
    workflows: WorkflowSet,
    registry: Registry,
    documents: DocumentStore,
    reference: str,
    event: str,
    actor: Actor,
    *,
    comment: str | None = None,
    data: Mapping[str, object] | None = None,
    programme: str | None = None,
    expected_version: int | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    sqlite_write: bool = False,
) -> tuple[Partnership, FireContext, JournalEntry, str]:
    """Check and fire one event: lock, role, state, inputs, guards, effects, journal.

    Returns the partnership, the context, the new journal record and the source state."""
    check_role(actor.role)
    clean_comment = v.optional_text(comment, "comment", max_length=5000, multiline=True)
    p, seen = lock_for_fire(session, reference, sqlite_write=sqlite_write)
    if expected_version is not None and p.version != expected_version:
        raise ConcurrentModificationError(
            reference, f"it is at version {p.version}, you expected {expected_version}"
        )
    if expected_version is None and seen is not None and p.version != seen:
        # Another actor's change committed while this fire waited for the lock: firing now
        # would act on a state the caller has not seen.
        raise ConcurrentModificationError(
            reference,
            f"another change was committed while this fire waited for it (version {seen} "
            f"became {p.version}; it is now in {p.state})",
        )
    now = now or utcnow()
    today = today or now.date()
    ctx = make_context(
        session,
        workflows,
        registry,
        documents,
        p,
        event,
        actor,
        programme=programme,
        data=None,
        comment=clean_comment,
        today=today,
        checking_only=True,
    )
    wf, ev, prog = ctx.workflow, ctx.event, ctx.programme
    if actor.role not in ev.roles:
        raise PermissionDenied(event, actor.role, ev.roles)
    source = prog.state if prog is not None else p.state
    if not any(wf.is_within(source, s) for s in ev.sources):
        raise TransitionNotAllowed(event, source, [e.name for e in wf.events_from(source)])
    ctx.data = _parse_inputs(ev, data)
    ctx.checking_only = False
    reasons = _guard_reasons(registry, ctx)
    if reasons:
        raise GuardFailed(event, reasons)
    previous = _previous_state(session, p, prog, source) if ev.target == PREVIOUS else None
    target = wf.run(source, event, previous)
    for name in ev.effects:
        effect = registry.get_effect(name)
        assert effect is not None
        try:
            effect(ctx)
        except (CoopflowError, SQLAlchemyError):
            raise  # the unit of work translates database errors
        except Exception as exc:
            raise ExtensionError("effect", name, exc) from exc
    if prog is not None:
        prog.state = target
    session.flush()  # what the effects changed, and the programme's state
    record = _journal.advance(
        session,
        p,
        state=None if prog is not None else target,
        event=event,
        source_state=source,
        target_state=target,
        actor=v.text(actor.id, "actor", max_length=200),
        role=actor.role,
        at=now,
        comment=clean_comment,
        data={**_jsonable(ctx.data), **ctx.record},
        workflow_name=wf.name,
        workflow_version=wf.version,
        document_sha256=ctx.document_sha256,
        programme=prog,
    )
    return p, ctx, record, source


def event_statuses(
    session: Session,
    workflows: WorkflowSet,
    registry: Registry,
    documents: DocumentStore,
    reference: str,
    actor: Actor,
    *,
    programme: str | None = None,
    today: dt.date | None = None,
) -> list[Any]:
    """For each event leaving the current state: can this actor fire it now, and if not why."""
    from ._views import EventInputInfo, EventStatus

    check_role(actor.role)
    p = find_partnership(session, reference)
    prog = find_programme(session, p, programme) if programme is not None else None
    wf = (
        workflows.get(prog.workflow_name, prog.workflow_version)
        if prog is not None
        else workflows.get(p.workflow_name, p.workflow_version)
    )
    state = prog.state if prog is not None else p.state
    today = today or dt.date.today()
    result = []
    for ev in wf.events_from(state):
        ctx = make_context(
            session,
            workflows,
            registry,
            documents,
            p,
            ev.name,
            actor,
            programme=programme,
            data=None,
            comment=None,
            today=today,
            checking_only=True,
        )
        reasons: list[str] = []
        if actor.role not in ev.roles:
            reasons.append(f"role {actor.role!r} may not fire it (allowed: {', '.join(ev.roles)})")
        reasons.extend(_guard_reasons(registry, ctx))
        result.append(
            EventStatus(
                event=ev.name,
                label=ev.label,
                target=ev.target,
                roles=ev.roles,
                inputs=tuple(
                    EventInputInfo(i.name, i.type, i.required, i.label) for i in ev.inputs
                ),
                available=not reasons,
                reasons=tuple(reasons),
            )
        )
    return result


def migrate_workflow(  # noqa: PLR0912 - partnerships and programmes, each checked
    session: Session,
    workflows: WorkflowSet,
    *,
    name: str,
    from_version: int,
    to_version: int,
    mapping: Mapping[str, str],
    actor: Actor,
    references: Sequence[str] | None = None,
    sqlite_write: bool = False,
) -> list[str]:
    """Move in-flight partnerships (or programmes) from one version of a workflow to another.

    ``mapping`` names, for old states, the new state; a state it does not name keeps its name
    and must exist in the new version.  Each move is journaled (event ``migration``).  Returns
    the references moved."""
    check_role(actor.role)
    old = workflows.get(name, from_version)
    new = workflows.get(name, to_version)
    for source, target in mapping.items():
        if source not in old.states:
            raise ValidationError(
                f"{name} v{from_version} has no state {source!r}", field="mapping"
            )
        if target not in new.states or new.states[target].children:
            raise ValidationError(
                f"{name} v{to_version} has no leaf state {target!r}", field="mapping"
            )
    unmapped = [
        s
        for s in old.leaves()
        if s not in mapping and (s not in new.states or new.states[s].children)
    ]
    now = utcnow()
    moved: list[str] = []
    if old.subject == "partnership":
        stmt = select(Partnership.reference).where(
            Partnership.workflow_name == name, Partnership.workflow_version == from_version
        )
        if references is not None:
            stmt = stmt.where(Partnership.reference.in_(references))
        for reference in list(session.scalars(stmt.order_by(Partnership.reference))):
            p = lock_partnership(session, reference, sqlite_write=sqlite_write)
            if p.state in old.final_states():
                continue
            target = mapping.get(p.state, p.state)
            if p.state in unmapped:
                raise ValidationError(
                    f"{reference} is in {p.state!r}, which {name} v{to_version} lacks: map it",
                    field="mapping",
                )
            _journal.append(
                session,
                p,
                event="migration",
                source_state=p.state,
                target_state=target,
                actor=actor.id,
                role=actor.role,
                at=now,
                comment=None,
                data={"from_version": from_version, "to_version": to_version},
                workflow_name=name,
                workflow_version=to_version,
            )
            p.state, p.workflow_version, p.updated_at = target, to_version, now
            moved.append(reference)
    else:
        rows = session.execute(
            select(Partnership.reference, Programme.label)
            .join(Programme, Programme.partnership_id == Partnership.id)
            .where(Programme.workflow_name == name, Programme.workflow_version == from_version)
            .order_by(Partnership.reference, Programme.label)
        ).all()
        for reference, label in rows:
            if references is not None and reference not in references:
                continue
            p = lock_partnership(session, reference, sqlite_write=sqlite_write)
            prog = find_programme(session, p, label)
            if prog.state in old.final_states():
                continue
            if prog.state in unmapped:
                raise ValidationError(
                    f"programme {label} of {reference} is in {prog.state!r}, which {name} "
                    f"v{to_version} lacks: map it",
                    field="mapping",
                )
            target = mapping.get(prog.state, prog.state)
            _journal.append(
                session,
                p,
                event="migration",
                source_state=prog.state,
                target_state=target,
                actor=actor.id,
                role=actor.role,
                at=now,
                comment=None,
                data={"from_version": from_version, "to_version": to_version},
                workflow_name=name,
                workflow_version=to_version,
                programme=prog,
            )
            prog.state, prog.workflow_version = target, to_version
            p.updated_at = now
            moved.append(f"{reference}/{label}")
    session.flush()
    return moved
