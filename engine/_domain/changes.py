"""Every data change journaled with its author: what changed (the entity and its natural
key), its values before and after, and the hash of the content after the change.

A partnership's data is seen in *scopes*, each a map from an entity's natural key to its
values: ``protocol`` (axes, stakes, commitments, the protocol's period and text),
``programme:<label>`` (a programme, its actions, milestones, budget lines and indicators),
``signatories``, ``exchanges`` and ``amendments`` (the avenants' subjects and changes, their
approval by the legal department and their withdrawal).
:func:`journaled` reads the scope an operation may change before and after it, and writes one
``change`` record naming every entity that differs and the scope's hash after (under
``sha256``).  :func:`verify` compares each scope as it stands with the hash the journal last
recorded for it, so that a row changed in SQL is named.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from coopflow import _journal, _registry
from coopflow._articles import FREE
from coopflow._canonical import canonical_json, iso_date, sha256_hex
from coopflow._context import Acting
from coopflow._i18n import N_, _
from coopflow._journal import Problem
from coopflow.models import (
    Action,
    Amendment,
    Axis,
    BudgetLine,
    Commitment,
    Exchange,
    FinancialCommitment,
    Indicator,
    JournalRecord,
    Milestone,
    Partnership,
    Party,
    Programme,
    Protocol,
    Signatory,
    Stake,
    utcnow,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

T = TypeVar("T")
Entity = dict[str, Any]  # {"entity": kind, "key": {...}, "values": {...}}
Entities = dict[str, Entity]

#: The scopes every new partnership's creation record states (all empty then).
OPENING_SCOPES: Final = ("protocol", "signatories", "exchanges")
#: What the hash of an empty scope is.
EMPTY: Final = sha256_hex(canonical_json({}))


def _put(found: Entities, entity: str, key: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    found[canonical_json([entity, dict(key)])] = {
        "entity": entity,
        "key": dict(key),
        "values": dict(values),
    }


def _amount(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def _keys(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    return dict(session.execute(select(Party.id, Party.key).where(Party.id.in_(wanted))).all())


def _protocol(session: Session, p: Partnership) -> Entities:
    found: Entities = {}
    axes = session.execute(
        select(Axis.id, Axis.number, Axis.title, Axis.objectives).where(Axis.partnership_id == p.id)
    ).all()
    numbers = {a.id: a.number for a in axes}
    for a in axes:
        _put(found, "axis", {"number": a.number}, {"title": a.title, "objectives": a.objectives})
    if numbers:
        for s in session.execute(
            select(Stake.axis_id, Stake.title, Stake.description).where(Stake.axis_id.in_(numbers))
        ):
            _put(
                found,
                "stake",
                {"axis": numbers[s.axis_id], "title": s.title},
                {"description": s.description},
            )
        commitments = session.execute(
            select(Commitment.axis_id, Commitment.party_id, Commitment.text).where(
                Commitment.axis_id.in_(numbers)
            )
        ).all()
        keys = _keys(session, (c.party_id for c in commitments))
        for c in commitments:
            _put(
                found,
                "commitment",
                {"axis": numbers[c.axis_id], "party": keys[c.party_id], "text": c.text},
                {},
            )
    proto = session.scalars(select(Protocol).where(Protocol.partnership_id == p.id)).one_or_none()
    if proto is not None:
        _put(
            found,
            "protocol",
            {},
            {
                "start": proto.period_start.isoformat(),
                "end": proto.period_end.isoformat(),
                "preamble": list(proto.preamble),
                "copil": proto.governance_copil,
                "cotech": proto.governance_cotech,
                "meetings_per_year": proto.meetings_per_year,
                "means": proto.means,
                "financial_commitments": proto.financial_commitments,
                # Revision 0008's fields, stated only when they say something: the scope of a
                # protocol written before it keeps the hash its journal recorded.
                **_given(
                    prevailing_language=(proto.prevailing_language, "français"),
                    notice_months=(proto.notice_months, 3),  # revision 0009
                ),
            },
        )
    money = session.execute(
        select(
            FinancialCommitment.party_id, FinancialCommitment.amount, FinancialCommitment.detail
        ).where(FinancialCommitment.partnership_id == p.id)
    ).all()
    keys = _keys(session, (m.party_id for m in money))
    for m in money:
        _put(
            found,
            "financial commitment",
            {"party": keys[m.party_id]},
            {"amount": _amount(m.amount), "detail": m.detail},
        )
    return found


def _given(**values: tuple[Any, Any]) -> dict[str, Any]:
    """The values that differ from their default (``name=(value, default)``)."""
    return {name: value for name, (value, default) in values.items() if value != default}


def _programme(session: Session, p: Partnership, label: str) -> Entities:
    found: Entities = {}
    prog = session.scalars(
        select(Programme).where(Programme.partnership_id == p.id, Programme.label == label)
    ).one_or_none()
    if prog is None:
        return found
    _put(
        found,
        "programme",
        {"label": label},
        {"start": prog.period_start.isoformat(), "end": prog.period_end.isoformat()},
    )
    actions = session.execute(
        select(
            Action.id,
            Action.number,
            Action.axis_id,
            Action.title,
            Action.objectives,
            Action.lead_party_id,
            Action.contact,
            Action.partners,
            Action.progress,
            Action.pilot_name,
            Action.pilot_function,
            Action.pilot_email,
        ).where(Action.programme_id == prog.id)
    ).all()
    numbers = {a.id: a.number for a in actions}
    axes = dict(
        session.execute(select(Axis.id, Axis.number).where(Axis.partnership_id == p.id)).all()
    )
    keys = _keys(session, (a.lead_party_id for a in actions if a.lead_party_id is not None))
    for a in actions:
        _put(
            found,
            "action",
            {"programme": label, "number": a.number},
            {
                "axis": axes.get(a.axis_id),
                "title": a.title,
                "objectives": a.objectives,
                "lead": keys.get(a.lead_party_id) if a.lead_party_id is not None else None,
                "contact": a.contact,
                "partners": list(a.partners),
                "progress": a.progress,
                **_given(
                    pilot_name=(a.pilot_name, None),
                    pilot_function=(a.pilot_function, None),
                    pilot_email=(a.pilot_email, None),
                ),
            },
        )
    if not numbers:
        return found
    for m in session.execute(
        select(Milestone.action_id, Milestone.date, Milestone.label, Milestone.done).where(
            Milestone.action_id.in_(numbers)
        )
    ):
        _put(
            found,
            "milestone",
            {
                "programme": label,
                "action": numbers[m.action_id],
                "date": m.date.isoformat(),
                "label": m.label,
            },
            {"done": m.done},
        )
    for b in session.execute(
        select(BudgetLine.action_id, BudgetLine.funder, BudgetLine.amount).where(
            BudgetLine.action_id.in_(numbers)
        )
    ):
        _put(
            found,
            "budget line",
            {"programme": label, "action": numbers[b.action_id], "funder": b.funder},
            {"amount": _amount(b.amount)},
        )
    for i in session.execute(
        select(
            Indicator.action_id, Indicator.name, Indicator.unit, Indicator.target, Indicator.actual
        ).where(Indicator.action_id.in_(numbers))
    ):
        _put(
            found,
            "indicator",
            {"programme": label, "action": numbers[i.action_id], "name": i.name},
            {"unit": i.unit, "target": _amount(i.target), "actual": _amount(i.actual)},
        )
    return found


def _signatories(session: Session, p: Partnership) -> Entities:
    found: Entities = {}
    rows = session.execute(
        select(
            Signatory.party_id,
            Signatory.first_name,
            Signatory.last_name,
            Signatory.title,
            Signatory.login,
            Signatory.civility,
            Signatory.delegation_number,
            Signatory.delegation_date,
        ).where(Signatory.partnership_id == p.id)
    ).all()
    keys = _keys(session, (r.party_id for r in rows))
    for r in rows:
        _put(
            found,
            "signatory",
            {"party": keys[r.party_id]},
            {
                "first_name": r.first_name,
                "last_name": r.last_name,
                "title": r.title,
                "login": r.login,
                **_given(
                    civility=(r.civility, None),
                    delegation_number=(r.delegation_number, None),
                    delegation_date=(iso_date(r.delegation_date), None),
                ),
            },
        )
    return found


def _exchanges(session: Session, p: Partnership) -> Entities:
    found: Entities = {}
    for e in session.execute(
        select(
            Exchange.id, Exchange.date, Exchange.kind, Exchange.summary, Exchange.participants
        ).where(Exchange.partnership_id == p.id)
    ):
        _put(
            found,
            "exchange",
            {"id": e.id},
            {
                "date": iso_date(e.date),
                "kind": e.kind,
                "summary": e.summary,
                "participants": e.participants,
            },
        )
    return found


def _amendments(session: Session, p: Partnership) -> Entities:
    found: Entities = {}
    for a in session.execute(
        select(
            Amendment.number,
            Amendment.subject,
            Amendment.changes,
            Amendment.motives,
            Amendment.approved_document_sha256,
            Amendment.approved_content_sha256,
            Amendment.withdrawn_on,
            Amendment.withdrawal_reason,
        ).where(Amendment.partnership_id == p.id)
    ):
        # A free paragraph (before revision 0008) as it was recorded then: its plain text.
        changes = [_as_recorded(c) for c in a.changes]
        _put(
            found,
            "avenant",
            {"number": a.number},
            {
                "subject": a.subject,
                "changes": changes,
                # Stated only when set (revisions 0008 and 0009): the scope of avenants
                # written before them keeps the hash its journal recorded.
                **_given(
                    motives=(a.motives, ""),
                    approved_document_sha256=(a.approved_document_sha256, None),
                    approved_content_sha256=(a.approved_content_sha256, None),
                    withdrawn_on=(iso_date(a.withdrawn_on), None),
                    withdrawal_reason=(a.withdrawal_reason, None),
                ),
            },
        )
    return found


def _as_recorded(change: dict[str, Any]) -> Any:
    """A change as the journal recorded it: a free paragraph migrated by revision 0008 (and
    only such: its text a string, nothing else set) as the string it was."""
    free = {"operation": FREE, "article": None, "new_article": None, "title": None}
    text = change.get("text")
    if isinstance(text, str) and {k: change.get(k) for k in free} == free and len(change) == 5:
        return text
    return change


def entities(session: Session, p: Partnership, scope: str) -> Entities:
    """The entities of one scope of ``p``'s data, by natural key, as they stand."""
    if scope.startswith("programme:"):
        return _programme(session, p, scope.removeprefix("programme:"))
    readers: dict[str, Callable[[Session, Partnership], Entities]] = {
        "protocol": _protocol,
        "signatories": _signatories,
        "exchanges": _exchanges,
        "amendments": _amendments,
    }
    return readers[scope](session, p)


def scopes(session: Session, p: Partnership) -> list[str]:
    """Every scope of ``p``'s data (one per programme)."""
    labels = session.scalars(select(Programme.label).where(Programme.partnership_id == p.id))
    return [*OPENING_SCOPES, "amendments", *(f"programme:{label}" for label in labels)]


def party_entries(p: Partnership) -> dict[str, dict[str, Any]]:
    return {m.party.key: _registry.party_entry(m.party) for m in p.members}


@dataclass
class Watch:
    """Everything a fire's effects may change, read before they run (:func:`watch`)."""

    scopes: dict[str, Entities]
    parties: dict[str, dict[str, Any]]


def watch(session: Session, p: Partnership) -> Watch:
    return Watch({s: entities(session, p, s) for s in scopes(session, p)}, party_entries(p))


def effects_changed(
    session: Session, p: Partnership, acting: Acting, event: str, seen: Watch
) -> dict[str, Any]:
    """What a fire's effects changed since ``seen``: the ``changes`` and ``sha256`` its record
    states (empty if nothing); a party they changed is journaled in the parties' chain."""
    session.flush()
    listed: list[dict[str, Any]] = []
    hashes: dict[str, str] = {}
    for scope in scopes(session, p):
        before, after = seen.scopes.get(scope, {}), entities(session, p, scope)
        found = _differences(before, after)
        if found:
            listed.extend(found)
            hashes[scope] = digest(after)
    for key, after_party in party_entries(p).items():
        before_party = seen.parties.get(key)
        if before_party != after_party:
            _registry.append(
                session,
                "parties",
                acting,
                action=f"effect of {event}",
                subject=key,
                before=before_party,
                after=after_party,
            )
    return {"changes": listed, "sha256": hashes} if listed else {}


def digest(found: Entities) -> str:
    """The hash of a scope: of every entity's key and values."""
    return sha256_hex(
        canonical_json({k: [e["key"], e["values"]] for k, e in sorted(found.items())})
    )


def _differences(before: Entities, after: Entities) -> list[dict[str, Any]]:
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old is not None and new is not None and old["values"] == new["values"]:
            continue
        entity = (new or old or {})["entity"]
        changes.append(
            {
                "entity": entity,
                "key": (new or old or {})["key"],
                "before": old["values"] if old is not None else None,
                "after": new["values"] if new is not None else None,
            }
        )
    return changes


def record(
    session: Session,
    p: Partnership,
    acting: Acting,
    operation: str,
    scope: str,
    before: Entities,
    after: Entities,
) -> None:
    """Journal the change of ``scope`` from ``before`` to ``after`` (nothing if none)."""
    changes = _differences(before, after)
    if not changes:
        return
    programme = None
    if scope.startswith("programme:"):
        programme = session.scalars(
            select(Programme).where(
                Programme.partnership_id == p.id,
                Programme.label == scope.removeprefix("programme:"),
            )
        ).one()
    # The record counts the change in the partnership's version: one per data entry.
    _journal.advance(
        session,
        p,
        _journal.RecordContent.of(
            event="change",
            source_state=programme.state if programme is not None else p.state,
            target_state=programme.state if programme is not None else p.state,
            acting=acting,
            at=utcnow(),
            data={"operation": operation, "changes": changes, "sha256": {scope: digest(after)}},
            workflow_name=programme.workflow_name if programme is not None else p.workflow_name,
            workflow_version=(
                programme.workflow_version if programme is not None else p.workflow_version
            ),
            programme=programme.label if programme is not None else None,
        ),
        state=None,
        programme=programme,
    )


def journaled(
    session: Session,
    p: Partnership,
    acting: Acting,
    operation: str,
    scope: str,
    run: Callable[[], T],
) -> T:
    """Run one data entry and journal what it changed in ``scope``."""
    before = entities(session, p, scope)
    result = run()
    session.flush()
    record(session, p, acting, operation, scope, before, entities(session, p, scope))
    return result


# ---------------------------------------------------------------------- verification


def _recorded(records: Iterable[JournalRecord]) -> dict[str, tuple[int, str]]:
    """The hash each scope was last recorded with, and the record that says so."""
    last: dict[str, tuple[int, str]] = {}
    for rec in records:
        if '"sha256"' not in rec.data:
            continue
        hashes = json.loads(rec.data).get("sha256")
        if isinstance(hashes, dict):
            for scope, value in hashes.items():
                last[scope] = (rec.seq, value)
    return last


#: What a scope changed outside coopflow is: one whole sentence each.
_CHANGED: Final = {
    "protocol": N_(
        "the protocol's content (axes, stakes, commitments, period, text): not what the journal "
        "last recorded (record {seq}), changed outside coopflow"
    ),
    "signatories": N_(
        "the signatories: not what the journal last recorded (record {seq}), changed outside "
        "coopflow"
    ),
    "exchanges": N_(
        "the exchanges: not what the journal last recorded (record {seq}), changed outside coopflow"
    ),
    "amendments": N_(
        "the avenants: not what the journal last recorded (record {seq}), changed outside coopflow"
    ),
}
_PROGRAMME_CHANGED: Final = N_(
    "programme {label}: not what the journal last recorded (record {seq}), changed outside coopflow"
)


def verify(session: Session, p: Partnership, records: list[JournalRecord]) -> Iterator[Problem]:
    """Each scope the journal recorded a hash for is as it last recorded it; once the journal
    states the partnership's content from its opening, every programme is journaled too."""
    last = _recorded(records)
    if not last:
        return  # a partnership opened before coopflow journaled data changes
    for scope, (seq, recorded) in sorted(last.items()):
        if digest(entities(session, p, scope)) != recorded:
            label = scope.removeprefix("programme:")
            yield Problem(
                p.reference,
                None,
                _(_CHANGED.get(scope, _PROGRAMME_CHANGED)).format(seq=seq, label=label),
                "content_changed",
                scope,
            )
    if "protocol" in last and records and '"sha256"' in records[0].data:
        for (label,) in session.execute(
            select(Programme.label).where(Programme.partnership_id == p.id)
        ):
            if f"programme:{label}" not in last:
                yield Problem(
                    p.reference,
                    None,
                    _("programme {label} has no journal record (added outside coopflow)").format(
                        label=label
                    ),
                    "programme_unjournaled",
                    f"programme:{label}",
                )
