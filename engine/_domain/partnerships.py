"""Partnerships: opening one, renewing it, the exchanges logged with the partner territories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from coopflow import _journal
from coopflow import _validate as v
from coopflow._context import Actor, FireContext
from coopflow._domain.editing import check_role, touch
from coopflow._domain.lookup import find_party
from coopflow._domain.reading import info
from coopflow._views import PartnershipInfo
from coopflow._vocabulary import EXCHANGE_KINDS, SCALES
from coopflow._workflow import DEFAULT_WORKFLOW, Workflow, WorkflowSet
from coopflow.errors import (
    AlreadyExistsError,
    ValidationError,
)
from coopflow.models import (
    Axis,
    Commitment,
    Exchange,
    Partnership,
    PartnershipParty,
    Protocol,
    Stake,
    utcnow,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session


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
    workflow: str = DEFAULT_WORKFLOW,
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
        _journal.RecordContent.of(
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
        ),
    )
    session.flush()
    return p


def open_partnership(
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
    workflow: str = DEFAULT_WORKFLOW,
    workflow_version: int | None = None,
) -> PartnershipInfo:
    """Open a partnership in its workflow's initial state (the facade's create_partnership)."""
    return info(
        create_partnership(
            session,
            workflows,
            title=title,
            scale=scale,
            parties=parties,
            home=home,
            responsible=responsible,
            actor=actor,
            lead=lead,
            reference=reference,
            workflow=workflow,
            workflow_version=workflow_version,
        )
    )


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
        initial_state=wf.entered_with("drafting"),
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
    touch(p)
    session.flush()
    return row
