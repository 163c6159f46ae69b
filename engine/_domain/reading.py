"""Reading partnerships back: as listed, in detail, their journal, and its verification."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from coopflow import _journal, _protections, _registry
from coopflow import _validate as v
from coopflow._canonical import iso_date
from coopflow._checkpoint import CheckpointFile
from coopflow._documents import DocumentStore
from coopflow._domain import changes, checkpoints, dialogues
from coopflow._domain.lookup import (
    closest,
    find_partnership,
    find_party,
    find_programme,
    fold,
)
from coopflow._i18n import _
from coopflow._views import JournalEntry, PartnershipInfo, as_jsonable
from coopflow._vocabulary import SCALES
from coopflow._workflow import WorkflowSet
from coopflow.errors import ValidationError
from coopflow.models import (
    Action,
    Amendment,
    Axis,
    Deliberation,
    Dialogue,
    DialogueExchange,
    DialogueParticipant,
    Exchange,
    JournalRecord,
    Partnership,
    PartnershipParty,
    Party,
    Programme,
    Protocol,
    Setting,
    aware,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload


def info(p: Partnership) -> PartnershipInfo:
    """The partnership as the API shows it."""
    keys = {m.party_id: m.party.key for m in p.members}
    return PartnershipInfo(
        reference=p.reference,
        title=p.title,
        scale=p.scale,
        state=p.state,
        version=p.version,
        workflow=p.workflow_name,
        workflow_version=p.workflow_version,
        responsible=p.responsible,
        home=keys[p.home_party_id],
        lead=keys.get(p.lead_party_id) if p.lead_party_id else None,
        parties=tuple(m.party.key for m in p.members),
        updated_at=aware(p.updated_at),
    )


def partnership(session: Session, reference: str) -> PartnershipInfo:
    return info(find_partnership(session, reference))


def _partnership_states(workflows: WorkflowSet) -> set[str]:
    return {path for wf in workflows if wf.subject == "partnership" for path in wf.states}


def resolve_state(workflows: WorkflowSet, state: str) -> str:
    """A partnership state as given: its whole path (``contractualisation.deliberations``),
    or, accents and case aside, its last parts when they name one state, the shallowest of
    those whose path ends with them (``deliberations``: ``contractualisation.deliberations``,
    ``avenant.deliberations``: ``contractualisation.avenant.deliberations``).  Else a
    ValidationError naming the closest states."""
    known = _partnership_states(workflows)
    if state in known:
        return state
    wanted = fold(state).replace(" ", "_")
    ending = sorted(
        (path for path in known if path == wanted or path.endswith("." + wanted)),
        key=lambda path: (path.count("."), path),
    )
    if ending and (len(ending) == 1 or ending[0].count(".") < ending[1].count(".")):
        return ending[0]
    choices = ending or closest(state, sorted(known | {path.rsplit(".", 1)[-1] for path in known}))
    message = (
        _("no workflow has a state {state!r}; did you mean {choices}?").format(
            state=state, choices=", ".join(choices)
        )
        if choices
        else _("no workflow has a state {state!r}").format(state=state)
    )
    error = ValidationError(message, field="state")
    error.suggestions = tuple(choices)
    raise error


def states_within(workflows: WorkflowSet, state: str) -> list[str]:
    """The partnership states equal to ``state`` or nested in it, in any known workflow
    (``state`` as :func:`resolve_state` takes it)."""
    path = resolve_state(workflows, state)
    return sorted(
        p for p in _partnership_states(workflows) if p == path or p.startswith(path + ".")
    )


def partnerships(
    session: Session,
    workflows: WorkflowSet,
    *,
    state: str | None = None,
    scale: str | None = None,
    party: str | None = None,
    search: str | None = None,
    responsible: str | None = None,
    batch: int = 500,
) -> Iterator[PartnershipInfo]:
    """Partnerships by reference, streamed in batches of ``batch`` rows (flat memory).

    ``party``: a party's key or name (:func:`~coopflow._domain.lookup.find_party`);
    ``search``: a text found, accents and case aside, in the reference, the title, or the
    official or usual name (or key) of one of the parties; ``responsible``: who follows it
    (case aside).

    The search compares folded texts (:func:`~coopflow._domain.lookup.fold`) in Python, the
    same on SQLite and PostgreSQL (neither folds accents without an extension): once the
    other criteria have narrowed the partnerships in SQL, only their id, reference and title
    are read for it, and the parties' names once; the partnerships found are then read in
    batches, by reference."""
    criteria: list[Any] = []
    if state is not None:
        criteria.append(Partnership.state.in_(states_within(workflows, state)))
    if scale is not None:
        criteria.append(Partnership.scale == v.choice(scale, "scale", SCALES))
    if party is not None:
        found = find_party(session, party)
        member = (  # the form tests/test_query_plans.py checks (a seek on the party's key)
            select(PartnershipParty.partnership_id)
            .join(Party, Party.id == PartnershipParty.party_id)
            .where(Party.key == found.key)
        )
        criteria.append(Partnership.id.in_(member))
    if responsible is not None:
        criteria.append(func.lower(Partnership.responsible) == responsible.strip().lower())
    stmt = select(Partnership).options(selectinload(Partnership.members)).where(*criteria)
    wanted = fold(search) if search is not None else ""
    if not wanted:
        stmt = stmt.order_by(Partnership.reference).execution_options(yield_per=batch)
        for p in session.scalars(stmt):
            yield info(p)
        return
    named = {
        r.id
        for r in session.execute(_PARTY_NAMES)
        if any(wanted in fold(n) for n in (r.key, r.official_name, r.usual_name) if n)
    }
    with_named: set[int] = (
        set(
            session.scalars(
                select(PartnershipParty.partnership_id).where(PartnershipParty.party_id.in_(named))
            )
        )
        if named
        else set()
    )
    light = (
        select(Partnership.id, Partnership.reference, Partnership.title)
        .where(*criteria)
        .order_by(Partnership.reference)
    )
    ids = [
        row.id
        for row in session.execute(light)
        if row.id in with_named or wanted in fold(row.reference) or wanted in fold(row.title)
    ]
    for start in range(0, len(ids), batch):
        chunk = stmt.where(Partnership.id.in_(ids[start : start + batch]))
        for p in session.scalars(chunk.order_by(Partnership.reference)):
            yield info(p)


_PARTY_NAMES = select(Party.id, Party.key, Party.official_name, Party.usual_name)


def by_references(session: Session, references: Sequence[str]) -> dict[str, PartnershipInfo]:
    """The partnerships among ``references`` that exist, by reference (500 a query)."""
    found: dict[str, PartnershipInfo] = {}
    unique = sorted(set(references))
    for start in range(0, len(unique), 500):
        stmt = (
            select(Partnership)
            .options(selectinload(Partnership.members))
            .where(Partnership.reference.in_(unique[start : start + 500]))
        )
        found.update((p.reference, info(p)) for p in session.scalars(stmt))
    return found


def detail(session: Session, documents: DocumentStore, reference: str) -> dict[str, Any]:
    """Everything about a partnership, as JSON-compatible data (the CLI's ``show``)."""
    p = find_partnership(session, reference)
    proto = session.scalars(select(Protocol).where(Protocol.partnership_id == p.id)).first()
    snap: dict[str, Any] | None = None
    if proto is not None:
        snap = dict(documents.protocol_snapshot(session, p, final=False))
        # The protocol's snapshot carries no avenant (the consolidated one does): list them.
        snap["amendments"] = documents.signed_amendments(session, p)
    programmes = [
        {
            "label": g.label,
            "state": g.state,
            "period": [g.period_start.isoformat(), g.period_end.isoformat()],
            "copil_date": g.copil_date.isoformat() if g.copil_date else None,
        }
        for g in session.scalars(
            select(Programme).where(Programme.partnership_id == p.id).order_by(Programme.label)
        )
    ]
    result: dict[str, Any] = as_jsonable(info(p))
    result["protocol"] = snap
    result["approved_document_sha256"] = proto.approved_document_sha256 if proto else None
    result["signed_document_sha256"] = proto.signed_document_sha256 if proto else None
    result["programmes"] = programmes
    result["avenants"] = avenants(session, p)
    # The thematic dialogue it came from, and those it takes part in (revision 0009).
    result["dialogue"] = (
        session.scalar(select(Dialogue.key).where(Dialogue.id == p.dialogue_id))
        if p.dialogue_id is not None
        else None
    )
    result["dialogues"] = sorted(
        session.scalars(
            select(Dialogue.key)
            .join(DialogueParticipant, DialogueParticipant.dialogue_id == Dialogue.id)
            .where(DialogueParticipant.partnership_id == p.id)
        )
    )
    result["signatories"] = [  # with the registered login of each (who signs as them)
        {**e["key"], **e["values"]}
        for _, e in sorted(changes.entities(session, p, "signatories").items())
    ]
    return result


#: An avenant's status, as ``detail`` shows it.
AVENANT_STATUSES = ("en cours", "approuvé", "signé", "retiré")


def avenants(session: Session, p: Partnership) -> list[dict[str, Any]]:
    """Every avenant of ``p`` with its status: ``en cours`` (drafted, or before the legal
    department), ``approuvé`` (its document approved, before the councils), ``signé`` or
    ``retiré`` (withdrawn: when and why)."""
    rows = session.scalars(
        select(Amendment).where(Amendment.partnership_id == p.id).order_by(Amendment.number)
    )
    return [
        {
            "number": a.number,
            "subject": a.subject,
            "status": "retiré"
            if a.withdrawn_on is not None
            else "signé"
            if a.signed_on is not None
            else "approuvé"
            if a.approved_document_sha256 is not None
            else "en cours",
            "approved_document_sha256": a.approved_document_sha256,
            "signed_on": iso_date(a.signed_on),
            "signed_document_sha256": a.signed_document_sha256,
            "withdrawn_on": iso_date(a.withdrawn_on),
            "withdrawal_reason": a.withdrawal_reason,
        }
        for a in rows
    ]


def history(session: Session, reference: str) -> list[JournalEntry]:
    """The partnership's journal, oldest first."""
    p = find_partnership(session, reference)
    labels = dict(
        session.execute(
            select(Programme.id, Programme.label).where(Programme.partnership_id == p.id)
        ).all()
    )
    return [
        JournalEntry.of(r, reference, labels.get(r.programme_id) if r.programme_id else None)
        for r in session.scalars(
            select(JournalRecord)
            .where(JournalRecord.partnership_id == p.id)
            .order_by(JournalRecord.seq)
        )
    ]


#: How coopflow apply keyed a step before revision 0007: in the record's comment.
_COMMENT_KEY = re.compile(r"\[(?P<key>script:[^#\]\s]+#[^\]\s]+)\]")


def idempotency_keys(session: Session, reference: str) -> set[str]:
    """The idempotency keys of the partnership's journal: the column of each record, and, for
    the records written before revision 0007 only, the ``[script:...]`` keys their comments end
    with (a comment written since is free text, whatever it holds)."""
    p = find_partnership(session, reference)
    keys = set(
        session.scalars(
            select(JournalRecord.idempotency_key).where(
                JournalRecord.partnership_id == p.id, JournalRecord.idempotency_key.is_not(None)
            )
        )
    )
    until = session.scalar(select(Setting.value).where(Setting.key == "comment_keys_until"))
    if until is not None:
        for comment in session.scalars(
            select(JournalRecord.comment).where(
                JournalRecord.partnership_id == p.id,
                JournalRecord.id <= int(until),
                JournalRecord.comment.like("%[script:%"),
            )
        ):
            keys.update(m["key"] for m in _COMMENT_KEY.finditer(comment or ""))
    return {key for key in keys if key is not None}


def verify(
    session: Session,
    reference: str | None = None,
    *,
    against: CheckpointFile | None = None,
    trusted_keys: Sequence[str] = (),
    tsa_roots: Sequence[bytes] = (),
    max_age: dt.timedelta = dt.timedelta(days=1),
) -> _journal.VerifyReport:
    """Recompute the hash chains and document hashes of one partnership, or of all (then also
    naming journal records whose partnership is gone, and checking the registries); check the
    database's protections; and compare today's chains with a checkpoint: ``against``, or the
    latest stored one."""
    targets: Iterable[Partnership]
    if reference is not None:
        targets = [find_partnership(session, reference)]
    else:
        targets = session.scalars(
            select(Partnership).order_by(Partnership.id).execution_options(yield_per=200)
        )
    report = _journal.verify(session, targets, changes.verify)
    problems = list(report.problems)
    problems.extend(
        _journal.Problem("database", None, f"protection off: {found}")
        for found in _protections.problems(session.connection())
    )
    records = report.records
    if reference is None:
        problems.extend(_journal.orphans(session))
        registry_records, registry_problems = _registry.verify(session)
        records += registry_records
        problems.extend(registry_problems)
    anchoring = checkpoints.verify(
        session,
        reference,
        against=against,
        trusted_keys=trusted_keys,
        tsa_roots=tsa_roots,
        max_age=max_age,
    )
    problems.extend(anchoring.problems)
    return dataclasses.replace(
        report,
        records=records,
        problems=tuple(problems),
        warnings=anchoring.warnings,
        checkpoint=anchoring.checkpoint if not anchoring.problems else None,
    )


def registry_history(session: Session, registry: str) -> list[dict[str, Any]]:
    """A registry's journal (``actors`` or ``parties``), oldest first, as plain data."""
    if registry not in _registry.CHAINS:
        raise ValidationError(
            _("unknown registry {registry!r} (registries: {registries})").format(
                registry=registry, registries=", ".join(_registry.CHAINS)
            ),
            field="registry",
        )
    return [
        {
            "seq": r.seq,
            "action": r.action,
            "subject": r.subject,
            "actor": r.actor,
            "role": r.role,
            "identified_by": r.identified_by,
            "db_login": r.db_login,
            "at": aware(r.at).isoformat(),
            **json.loads(r.data),
            "hash": r.hash,
        }
        for r in _registry.records(session, registry)
    ]


# ---------------------------------------------------------------------- reading back entries


@dataclasses.dataclass(frozen=True, slots=True)
class ExchangeInfo:
    """An exchange of a partnership: its own (``dialogue`` None), or one of a thematic
    dialogue it takes part in (logged once for all its participants)."""

    reference: str
    #: The thematic dialogue's key, for an exchange of a dialogue.
    dialogue: str | None
    #: Its number: from 1 in the partnership's own exchanges, or in its dialogue's.
    number: int
    date: dt.date
    kind: str
    summary: str
    participants: str | None
    logged_by: str
    logged_at: dt.datetime


def exchanges(session: Session, reference: str) -> list[ExchangeInfo]:
    """The exchanges of a partnership and of the thematic dialogues it takes part in (or came
    from), by date."""
    p = find_partnership(session, reference)
    own = [
        ExchangeInfo(
            reference=p.reference,
            dialogue=None,
            number=i,
            date=e.date,
            kind=e.kind,
            summary=e.summary,
            participants=e.participants,
            logged_by=e.created_by,
            logged_at=aware(e.created_at),
        )
        for i, e in enumerate(
            session.scalars(
                select(Exchange).where(Exchange.partnership_id == p.id).order_by(Exchange.id)
            ),
            start=1,
        )
    ]
    shared_list = dialogues.exchanges_of(session, p)
    logged: dict[tuple[str, int], dt.datetime] = {}
    counted: dict[str, int] = {}
    for key, when in session.execute(
        select(Dialogue.key, DialogueExchange.created_at)
        .join(Dialogue, Dialogue.id == DialogueExchange.dialogue_id)
        .where(Dialogue.key.in_({x.dialogue for x in shared_list}))
        .order_by(DialogueExchange.dialogue_id, DialogueExchange.id)
    ):
        counted[key] = counted.get(key, 0) + 1
        logged[key, counted[key]] = aware(when)
    shared = [
        ExchangeInfo(
            reference=p.reference,
            dialogue=x.dialogue,
            number=x.number,
            date=x.date,
            kind=x.kind,
            summary=x.summary,
            participants=x.participants,
            logged_by=x.logged_by,
            logged_at=logged[x.dialogue, x.number],
        )
        for x in shared_list
    ]
    return sorted([*own, *shared], key=lambda x: (x.date, x.dialogue or "", x.number))


@dataclasses.dataclass(frozen=True, slots=True)
class MilestoneInfo:
    date: dt.date
    label: str
    done: bool


@dataclasses.dataclass(frozen=True, slots=True)
class BudgetLineInfo:
    funder: str
    amount: Decimal


@dataclasses.dataclass(frozen=True, slots=True)
class IndicatorInfo:
    name: str
    unit: str
    target: Decimal
    actual: Decimal | None


@dataclasses.dataclass(frozen=True, slots=True)
class ActionInfo:
    """An action (fiche action) of an annual programme, in full."""

    number: int
    axis: int
    axis_title: str
    title: str
    objectives: str
    #: The lead party's key, the pilot service and the person who leads it.
    lead: str | None
    contact: str | None
    pilot_name: str | None
    pilot_function: str | None
    pilot_email: str | None
    partners: tuple[str, ...]
    progress: str
    milestones: tuple[MilestoneInfo, ...]
    budget_lines: tuple[BudgetLineInfo, ...]
    indicators: tuple[IndicatorInfo, ...]
    #: The sum of its budget lines.
    budget_total: Decimal


@dataclasses.dataclass(frozen=True, slots=True)
class ProgrammeInfo:
    """An annual work programme in full: its actions, and its budget by funder."""

    reference: str
    label: str
    state: str
    period_start: dt.date
    period_end: dt.date
    copil_date: dt.date | None
    actions: tuple[ActionInfo, ...]
    #: Every funder's planned total over the actions, by funder.
    budget_by_funder: dict[str, Decimal]
    budget_total: Decimal


def programme(session: Session, reference: str, label: str) -> ProgrammeInfo:
    """Programme ``label`` of partnership ``reference``, in full."""
    p = find_partnership(session, reference)
    prog = find_programme(session, p, label)
    axes = {a.id: a for a in session.scalars(select(Axis).where(Axis.partnership_id == p.id))}
    keys = dict(session.execute(select(Party.id, Party.key)).all())
    actions = []
    by_funder: dict[str, Decimal] = {}
    for a in session.scalars(
        select(Action).where(Action.programme_id == prog.id).order_by(Action.number)
    ):
        lines = tuple(BudgetLineInfo(b.funder, b.amount) for b in a.budget_lines)
        for line in lines:
            by_funder[line.funder] = by_funder.get(line.funder, Decimal("0.00")) + line.amount
        axis = axes.get(a.axis_id)
        actions.append(
            ActionInfo(
                number=a.number,
                axis=axis.number if axis else 0,
                axis_title=axis.title if axis else "",
                title=a.title,
                objectives=a.objectives,
                lead=keys.get(a.lead_party_id) if a.lead_party_id else None,
                contact=a.contact,
                pilot_name=a.pilot_name,
                pilot_function=a.pilot_function,
                pilot_email=a.pilot_email,
                partners=tuple(a.partners),
                progress=a.progress,
                milestones=tuple(MilestoneInfo(m.date, m.label, m.done) for m in a.milestones),
                budget_lines=lines,
                indicators=tuple(
                    IndicatorInfo(i.name, i.unit, i.target, i.actual) for i in a.indicators
                ),
                budget_total=sum((b.amount for b in lines), Decimal("0.00")),
            )
        )
    return ProgrammeInfo(
        reference=p.reference,
        label=prog.label,
        state=prog.state,
        period_start=prog.period_start,
        period_end=prog.period_end,
        copil_date=prog.copil_date,
        actions=tuple(actions),
        budget_by_funder=dict(sorted(by_funder.items())),
        budget_total=sum(by_funder.values(), Decimal("0.00")),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class DeliberationInfo:
    """A party's délibération on the protocol (``amendment`` 0) or on an avenant; or, with
    ``number`` None, the party has not deliberated on it yet."""

    party: str
    amendment: int
    number: str | None
    sitting_date: dt.date | None
    sent_to_prefecture: dt.date | None
    published: dt.date | None
    executoire: bool
    foreign_decision: bool
    #: The SHA-256 of the document deliberated on.
    document_sha256: str | None
    #: The councils are asked to deliberate on it now and this party has not.
    awaited: bool


def deliberations(
    session: Session, workflows: WorkflowSet, reference: str
) -> list[DeliberationInfo]:
    """Every party's délibération on the protocol and on each avenant (withdrawn ones aside),
    and a line for each party that has not deliberated yet (``awaited`` when the councils
    deliberate on it now)."""
    p = find_partnership(session, reference)
    wf = workflows.get(p.workflow_name, p.workflow_version)
    members = [(m.party_id, m.party.key) for m in p.members]
    recorded = {
        (d.party_id, d.amendment): d
        for d in session.scalars(select(Deliberation).where(Deliberation.partnership_id == p.id))
    }
    rounds: list[int] = []
    if session.scalar(select(Protocol.id).where(Protocol.partnership_id == p.id)) is not None:
        rounds.append(0)
    amendments = list(
        session.scalars(
            select(Amendment)
            .where(Amendment.partnership_id == p.id, Amendment.withdrawn_on.is_(None))
            .order_by(Amendment.number)
        )
    )
    rounds.extend(a.number for a in amendments)
    asked: set[int] = set()
    if wf.allows(p.state, "deliberating"):
        asked.add(0)
    if wf.allows(p.state, "amendment_deliberating") and amendments:
        asked.add(max(a.number for a in amendments))
    found = []
    for number in rounds:
        for party_id, key in members:
            d = recorded.get((party_id, number))
            found.append(
                DeliberationInfo(
                    party=key,
                    amendment=number,
                    number=d.number if d else None,
                    sitting_date=d.sitting_date if d else None,
                    sent_to_prefecture=d.sent_to_prefecture if d else None,
                    published=d.published if d else None,
                    executoire=d.executoire if d else False,
                    foreign_decision=d.foreign_decision if d else False,
                    document_sha256=d.document_sha256 if d else None,
                    awaited=d is None and number in asked,
                )
            )
    return found


def successor(session: Session, reference: str) -> str | None:
    """The reference of the partnership that renewed ``reference``, if any."""
    p = find_partnership(session, reference)
    return session.scalar(
        select(Partnership.reference)
        .where(Partnership.predecessor_id == p.id)
        .order_by(Partnership.id.desc())
        .limit(1)
    )
