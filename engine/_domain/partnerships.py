"""Partnerships: opening one, renewing it, the exchanges logged with the partner territories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from coopflow import _journal
from coopflow import _validate as v
from coopflow._context import Acting, FireContext
from coopflow._domain import changes, dialogues
from coopflow._domain.lookup import find_party
from coopflow._domain.reading import info
from coopflow._i18n import _
from coopflow._views import NewPartnership, PartnershipInfo
from coopflow._vocabulary import DEFAULT_WORKFLOW, EXCHANGE_KINDS, SCALES
from coopflow._workflow import Workflow, WorkflowSet
from coopflow.errors import (
    AlreadyExistsError,
    CoopflowError,
    ValidationError,
)
from coopflow.models import (
    Axis,
    Commitment,
    Exchange,
    JournalRecord,
    Partnership,
    PartnershipParty,
    Party,
    Protocol,
    Stake,
    utcnow,
)
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session


def _next_reference(session: Session, year: int) -> str:
    """The year's next number: one more than the greatest numbered reference of the year
    (``COOP-2026-0042``), skipping the explicit references that are not numbers
    (``COOP-2026-ZZZZ``, ``COOP-2026-LA-CALI``); longer numbers are greater (10000 > 9999)."""
    prefix = f"COOP-{year}-"
    greatest_first = (
        select(Partnership.reference)
        .where(Partnership.reference.like(prefix + "%"))
        .order_by(func.length(Partnership.reference).desc(), Partnership.reference.desc())
        .limit(100)
    )
    offset = 0
    while page := list(session.scalars(greatest_first.offset(offset))):
        for ref in page:
            if ref[len(prefix) :].isdigit():
                return f"{prefix}{int(ref[len(prefix) :]) + 1:04d}"
        offset += len(page)
    return f"{prefix}0001"


@dataclass(frozen=True, slots=True)
class _Planned:
    """A partnership checked and ready to write: its row, its members, its first record."""

    row: dict[str, Any]
    party_ids: tuple[int, ...]
    content: _journal.RecordContent


def _plan(
    workflows: WorkflowSet,
    party: Callable[[str], Party],
    *,
    title: str,
    scale: str,
    parties: Sequence[str],
    home: str,
    responsible: str,
    acting: Acting,
    lead: str | None,
    reference: str,
    workflow: str,
    workflow_version: int | None,
    initial_state: str | None,
    record: Mapping[str, Any] | None,
    now: dt.datetime,
) -> _Planned:
    """Check a partnership to create (``party`` finds a party by key) and compute its row and
    its first journal record."""
    title = v.text(title, "title")
    scale = v.choice(scale, "scale", SCALES)
    responsible = v.text(responsible, "responsible", max_length=200)
    keys = [v.key(k, f"parties[{i}]") for i, k in enumerate(parties)]
    if len(keys) < 2:
        raise ValidationError(_("a partnership has at least two parties"), field="parties")
    if len(set(keys)) != len(keys):
        raise ValidationError(_("a party is named twice"), field="parties")
    if home not in keys:
        raise ValidationError(_("{key!r} is not one of the parties").format(key=home), field="home")
    if lead is not None and lead not in keys:
        raise ValidationError(_("{key!r} is not one of the parties").format(key=lead), field="lead")
    wf = workflows.get(workflow, workflow_version)
    if wf.subject != "partnership":
        raise ValidationError(
            _("workflow {workflow} is for {subject}s").format(workflow=wf.name, subject=wf.subject),
            field="workflow",
        )
    by_key = {k: party(k) for k in keys}
    state = initial_state or wf.leaf(wf.initial)
    content = _journal.RecordContent.of(
        event="creation",
        source_state=None,
        target_state=state,
        acting=acting,
        at=now,
        data={
            "title": title,
            "scale": scale,
            "parties": keys,
            **(record or {}),
            "sha256": dict.fromkeys(changes.OPENING_SCOPES, changes.EMPTY),
        },
        workflow_name=wf.name,
        workflow_version=wf.version,
    )
    row = {
        "reference": reference,
        "title": title,
        "scale": scale,
        "home_party_id": by_key[home].id,
        "lead_party_id": by_key[lead].id if lead else None,
        "responsible": responsible,
        "workflow_name": wf.name,
        "workflow_version": wf.version,
        "state": state,
        "created_at": now,
        "updated_at": now,
    }
    return _Planned(row, tuple(by_key[k].id for k in keys), content)


def create_partnership(
    session: Session,
    workflows: WorkflowSet,
    *,
    title: str,
    scale: str,
    parties: Sequence[str],
    home: str,
    responsible: str,
    acting: Acting,
    lead: str | None = None,
    reference: str | None = None,
    workflow: str = DEFAULT_WORKFLOW,
    workflow_version: int | None = None,
    initial_state: str | None = None,
    record: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Partnership:
    """Create a partnership in its workflow's initial state, with its first journal record."""
    now = now or utcnow()
    reference = _next_reference(session, now.year) if reference is None else v.reference(reference)
    planned = _plan(
        workflows,
        lambda key: find_party(session, key),
        title=title,
        scale=scale,
        parties=parties,
        home=home,
        responsible=responsible,
        acting=acting,
        lead=lead,
        reference=reference,
        workflow=workflow,
        workflow_version=workflow_version,
        initial_state=initial_state,
        record=record,
        now=now,
    )
    if session.scalars(select(Partnership.id).where(Partnership.reference == reference)).first():
        raise AlreadyExistsError("partnership", reference)
    p = Partnership(
        **planned.row,
        journal_seq=0,
        journal_head=_journal.GENESIS,
        members=[
            PartnershipParty(party_id=pid, position=i) for i, pid in enumerate(planned.party_ids)
        ],
    )
    session.add(p)
    _journal.append(session, p, planned.content)
    session.flush()
    return p


_PARTNERSHIPS = cast(Table, Partnership.__table__)
_CREATE = insert(_PARTNERSHIPS)
_MEMBERS = insert(cast(Table, PartnershipParty.__table__))
_RECORDS = insert(cast(Table, JournalRecord.__table__))
_BATCH = 500  # rows a statement at the most (parameters of an IN list, of a multi-row INSERT)


def create_many(
    session: Session, workflows: WorkflowSet, items: Sequence[NewPartnership], *, acting: Acting
) -> list[PartnershipInfo]:
    """Open many partnerships at once (an import), as :func:`create_partnership` opens one —
    same checks, same rows, same first journal record — in a few multi-row statements per
    batch instead of a unit of work per partnership.

    All or nothing: the first partnership refused raises, naming it."""
    now = utcnow()
    parties: dict[str, Party] = {}

    def party(key: str) -> Party:
        found = parties.get(key)
        if found is None:
            found = parties[key] = find_party(session, key)
        return found

    planned: list[_Planned] = []
    seen: set[str] = set()
    for item in items:
        reference = v.reference(item.reference)
        if reference in seen:
            raise ValidationError(
                _("{reference} is named twice in this batch").format(reference=reference),
                field="reference",
            )
        seen.add(reference)
        try:
            planned.append(
                _plan(
                    workflows,
                    party,
                    title=item.title,
                    scale=item.scale,
                    parties=item.parties,
                    home=item.home,
                    responsible=item.responsible,
                    acting=acting,
                    lead=item.lead,
                    reference=reference,
                    workflow=item.workflow,
                    workflow_version=item.workflow_version,
                    initial_state=None,
                    record=None,
                    now=now,
                )
            )
        except CoopflowError as exc:
            exc.add_note(_("partnership {reference}").format(reference=reference))
            raise
    references = [p.row["reference"] for p in planned]
    for start in range(0, len(references), _BATCH):
        chunk = references[start : start + _BATCH]
        taken = session.scalars(
            select(Partnership.reference).where(Partnership.reference.in_(chunk)).limit(1)
        ).first()
        if taken is not None:
            raise AlreadyExistsError("partnership", taken)
    connection = session.connection()
    for start in range(0, len(planned), _BATCH):
        batch = planned[start : start + _BATCH]
        rows = []
        for p in batch:
            digest = p.content.digest(p.row["reference"], 1, _journal.GENESIS)
            rows.append({**p.row, "version": 1, "journal_seq": 1, "journal_head": digest})
        connection.execute(_CREATE, rows)  # one multi-row INSERT (no RETURNING: SQLite would
        # then insert row by row); the new ids are read back by reference
        by_reference = dict(
            connection.execute(
                select(_PARTNERSHIPS.c.reference, _PARTNERSHIPS.c.id).where(
                    _PARTNERSHIPS.c.reference.in_([row["reference"] for row in rows])
                )
            ).all()
        )
        ids = [by_reference[row["reference"]] for row in rows]
        connection.execute(
            _MEMBERS,
            [
                {"partnership_id": pid, "party_id": party_id, "position": i}
                for pid, p in zip(ids, batch, strict=True)
                for i, party_id in enumerate(p.party_ids)
            ],
        )
        connection.execute(
            _RECORDS,
            [
                {"partnership_id": pid, **_journal.first_record(p.row["reference"], p.content)}
                for pid, p in zip(ids, batch, strict=True)
            ],
        )
    keys = {found.id: key for key, found in parties.items()}
    return [
        PartnershipInfo(
            reference=p.row["reference"],
            title=p.row["title"],
            scale=p.row["scale"],
            state=p.row["state"],
            version=1,
            workflow=p.row["workflow_name"],
            workflow_version=p.row["workflow_version"],
            responsible=p.row["responsible"],
            home=keys[p.row["home_party_id"]],
            lead=keys[p.row["lead_party_id"]] if p.row["lead_party_id"] else None,
            parties=tuple(keys[i] for i in p.party_ids),
            updated_at=now,
        )
        for p in planned
    ]


def open_partnership(
    session: Session, workflows: WorkflowSet, *, dialogue: str | None = None, **fields: Any
) -> PartnershipInfo:
    """:func:`create_partnership` as the facade's ``create_partnership`` returns it: a plain
    value (``fields`` are its keyword arguments).  A partnership that comes from the thematic
    dialogue ``dialogue`` says so in its first record and keeps the link."""
    if dialogue is None:
        return info(create_partnership(session, workflows, **fields))
    key = v.key(dialogue, "dialogue")
    dialogues.find_dialogue(session, key)
    p = create_partnership(session, workflows, record={"dialogue": key}, **fields)
    dialogues.lead_to(session, fields["acting"], key, p, [m.party_id for m in p.members])
    session.flush()
    return info(p)


def renew_partnership(ctx: FireContext, start: dt.date, end: dt.date) -> Partnership:
    """Open the successor of a partnership whose protocol is renewed (effect of renouveler)."""
    old = ctx.partnership
    wf = ctx.workflow
    acting = ctx.acting
    assert acting is not None, "an effect runs in a fire, whose actor was admitted"
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
        acting=acting,
        workflow=wf.name,
        workflow_version=wf.version,
        initial_state=wf.entered_with("drafting"),
        record={"renews": old.reference},
    )
    new.predecessor_id = old.id
    new.dialogue_id = old.dialogue_id  # the renewed protocol came from the same dialogue
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
            prevailing_language=proto.prevailing_language if proto else "français",
            notice_months=proto.notice_months if proto else 3,
        )
    )
    before: changes.Entities = {}  # the creation record states an empty protocol
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
    after = changes.entities(ctx.session, new, "protocol")
    changes.record(ctx.session, new, acting, "renewal", "protocol", before, after)
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
    acting: Acting,
    participants: str | None = None,
) -> Exchange:
    if p.state in workflows.get(p.workflow_name, p.workflow_version).final_states():
        raise ValidationError(
            _("{reference} is closed ({state})").format(reference=p.reference, state=p.state),
            field="state",
        )
    when = v.date(date, "date")
    row = Exchange(
        partnership_id=p.id,
        date=when,
        kind=v.choice(kind, "kind", EXCHANGE_KINDS),
        summary=v.text(summary, "summary", max_length=5000, multiline=True),
        participants=v.optional_text(participants, "participants", max_length=2000),
        created_by=acting.login,
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
    session.flush()
    return row
