"""Reading partnerships back: as listed, in detail, their journal, and its verification."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from coopflow import _journal, _protections, _registry
from coopflow import _validate as v
from coopflow._canonical import iso_date
from coopflow._checkpoint import CheckpointFile
from coopflow._documents import DocumentStore
from coopflow._domain import changes, checkpoints
from coopflow._domain.lookup import find_partnership
from coopflow._views import JournalEntry, PartnershipInfo, as_jsonable
from coopflow._vocabulary import SCALES
from coopflow._workflow import WorkflowSet
from coopflow.errors import ValidationError
from coopflow.models import (
    Amendment,
    Dialogue,
    DialogueParticipant,
    JournalRecord,
    Partnership,
    PartnershipParty,
    Party,
    Programme,
    Protocol,
    Setting,
    aware,
)
from sqlalchemy import select
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


def states_within(workflows: WorkflowSet, state: str) -> list[str]:
    """The partnership states equal to ``state`` or nested in it, in any known workflow."""
    found = sorted(
        {
            path
            for wf in workflows
            if wf.subject == "partnership"
            for path in wf.states
            if path == state or path.startswith(state + ".")
        }
    )
    if not found:
        raise ValidationError(f"no workflow has a state {state!r}", field="state")
    return found


def partnerships(
    session: Session,
    workflows: WorkflowSet,
    *,
    state: str | None = None,
    scale: str | None = None,
    party: str | None = None,
    batch: int = 500,
) -> Iterator[PartnershipInfo]:
    """Partnerships by reference, streamed in batches of ``batch`` rows (flat memory)."""
    stmt = select(Partnership).options(selectinload(Partnership.members))
    if state is not None:
        stmt = stmt.where(Partnership.state.in_(states_within(workflows, state)))
    if scale is not None:
        stmt = stmt.where(Partnership.scale == v.choice(scale, "scale", SCALES))
    if party is not None:
        member = (
            select(PartnershipParty.partnership_id)
            .join(Party, Party.id == PartnershipParty.party_id)
            .where(Party.key == party)
        )
        stmt = stmt.where(Partnership.id.in_(member))
    stmt = stmt.order_by(Partnership.reference).execution_options(yield_per=batch)
    for p in session.scalars(stmt):
        yield info(p)


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
            f"unknown registry {registry!r} (registries: {', '.join(_registry.CHAINS)})",
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
