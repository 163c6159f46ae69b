"""Events: checking what an actor may fire now, and firing one (lock, role, state, inputs,
guards, effects, journal), all in the caller's unit of work."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, cast

from coopflow import _journal
from coopflow import _validate as v
from coopflow._context import Acting, Actor, FireContext
from coopflow._db import SEEN_VERSION
from coopflow._documents import DocumentStore
from coopflow._domain import changes
from coopflow._domain.actors import authorise, held_roles
from coopflow._domain.locking import lock_for_fire
from coopflow._domain.lookup import find_partnership, find_programme
from coopflow._views import EventInputInfo, EventStatus, JournalEntry
from coopflow._vocabulary import RECORD_KINDS
from coopflow._workflow import PREVIOUS, EventDef, Registry, Workflow, WorkflowSet
from coopflow.errors import (
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
from coopflow.models import (
    JournalRecord,
    Partnership,
    Party,
    Programme,
    Signatory,
    utcnow,
)
from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

# Built once: the statements of the hot path, cached compiled.
_JOURNAL = cast(Table, JournalRecord.__table__)
_PARTNERSHIP = cast(Table, Partnership.__table__)
_VERSION_OF = select(_PARTNERSHIP.c.version).where(
    _PARTNERSHIP.c.reference == bindparam("reference")
)
# A record that *entered* its target state: records that leave the state as it is (a render,
# a délibération) entered nothing, and tell nothing of where an @previous event returns.
_ENTERED = (
    _JOURNAL.c.source_state.is_not(None),
    _JOURNAL.c.source_state != _JOURNAL.c.target_state,
)
# The state a partnership (or programme) came from when it last entered ``state``.
_CAME_FROM = (
    select(_JOURNAL.c.source_state)
    .where(
        _JOURNAL.c.partnership_id == bindparam("partnership_id"),
        _JOURNAL.c.target_state == bindparam("state"),
        *_ENTERED,
    )
    .order_by(_JOURNAL.c.seq.desc())
    .limit(1)
)
_CAME_FROM_PARTNERSHIP = _CAME_FROM.where(_JOURNAL.c.programme_id.is_(None))
_CAME_FROM_PROGRAMME = _CAME_FROM.where(_JOURNAL.c.programme_id == bindparam("programme_id"))


def has_ended(wf: Workflow, state: str) -> bool:
    """Whether a partnership in ``state`` has ended: the state is final, or declares (itself or
    by inheritance) the ``ended`` capability.  What the protocol's ``ended`` marker says."""
    found = wf.states.get(state)
    return found is not None and (found.final or "ended" in found.capabilities)


def ended_marker(wf: Workflow, source: str, target: str) -> bool | None:
    """The protocol's ``ended`` marker a move from ``source`` to ``target`` sets: whether
    ``target`` has ended, when either state has (None for an ordinary move: nothing to write)."""
    if has_ended(wf, target) or has_ended(wf, source):
        return has_ended(wf, target)
    return None


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
    own = workflows.get(p.workflow_name, p.workflow_version)
    wf = workflows.get(prog.workflow_name, prog.workflow_version) if prog is not None else own
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
        partnership_workflow=own,
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


def _check_version(
    reference: str, version: int, state: str, expected: int | None, seen: int | None
) -> None:
    """Refuse a fire on a version its actor has not seen: ``expected`` (the caller's), or the
    version ``seen`` when the fire arrived, if it then had to wait for another writer."""
    if expected is not None and version != expected:
        raise ConcurrentModificationError(
            reference, f"it is at version {version}, you expected {expected}"
        )
    if expected is None and seen is not None and version != seen:
        # Another actor's change committed while this fire waited for the lock: firing now
        # would act on a state the caller has not seen.
        raise ConcurrentModificationError(
            reference,
            f"another change was committed while this fire waited for it (version {seen} "
            f"became {version}; it is now in {state})",
        )


def _admit(wf: Workflow, ev: EventDef, source: str) -> None:
    """The event leaves ``source``."""
    if not any(wf.is_within(source, s) for s in ev.sources):
        raise TransitionNotAllowed(ev.name, source, [e.name for e in wf.events_from(source)])


_OWN_RECORDS = (
    select(_JOURNAL.c.seq, _JOURNAL.c.event, _JOURNAL.c.actor, _JOURNAL.c.data)
    .where(
        _JOURNAL.c.partnership_id == bindparam("partnership_id"),
        _JOURNAL.c.programme_id.is_(None),
    )
    .order_by(_JOURNAL.c.seq.desc())
)


def _separate(session: Session, p: Partnership, ev: EventDef, acting: Acting) -> None:
    """Separation of duties as the event declares it (``not_by``): refuse the submitter of
    the current state, or whoever changed the protocol's content since the event last fired."""
    if not ev.not_by:
        return
    submitter: tuple[int, str] | None = None
    editors: dict[str, int] = {}  # of the protocol's content
    amenders: dict[str, int] = {}  # of the avenants' (scope "amendments")
    for seq, event, actor, data in session.connection().execute(
        _OWN_RECORDS, {"partnership_id": p.id}
    ):
        if event == ev.name:
            break  # the last time it fired: what came before was judged then
        if submitter is None and event not in RECORD_KINDS:
            submitter = (seq, actor)
        if event == "change":
            scopes = json.loads(data)["sha256"]
            if "protocol" in scopes:
                editors.setdefault(actor, seq)
            if "amendments" in scopes:
                amenders.setdefault(actor, seq)
    if "submitter" in ev.not_by and submitter is not None and submitter[1] == acting.login:
        raise PermissionDenied(
            ev.name,
            acting.role,
            ev.roles,
            actor=acting.login,
            reason=f"{acting.login} submitted this version (record {submitter[0]}): "
            "someone else must do it (separation of duties)",
        )
    if "content_editors" in ev.not_by and acting.login in editors:
        raise PermissionDenied(
            ev.name,
            acting.role,
            ev.roles,
            actor=acting.login,
            reason=f"{acting.login} changed the protocol's content since it was last "
            f"approved (record {editors[acting.login]}): someone else must do it "
            "(separation of duties)",
        )
    if "amendment_editors" in ev.not_by and acting.login in amenders:
        raise PermissionDenied(
            ev.name,
            acting.role,
            ev.roles,
            actor=acting.login,
            reason=f"{acting.login} wrote changes of the avenant since it was last approved "
            f"(record {amenders[acting.login]}): someone else must do it (separation of duties)",
        )


def _own_signature(
    session: Session, p: Partnership, ev: EventDef, acting: Acting
) -> dict[str, Any]:
    """For an event fired in one of its ``own_signature`` roles: the signatory registered as
    the actor, whose signature alone the record states."""
    if acting.role not in ev.own_signature:
        return {}
    found = session.execute(
        select(Party.key, Signatory.first_name, Signatory.last_name)
        .join(Party, Party.id == Signatory.party_id)
        .where(Signatory.partnership_id == p.id, Signatory.login == acting.login)
    ).first()
    if found is None:
        raise PermissionDenied(
            ev.name,
            acting.role,
            ev.roles,
            actor=acting.login,
            reason=f"{acting.login} is not a signatory of {p.reference}: an elected official "
            "signs as the signatory registered as them (coopflow signatory set ... --login "
            f"{acting.login})",
        )
    return {"signed_for": {"party": found.key, "name": f"{found.first_name} {found.last_name}"}}


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
    db_login: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[Partnership, FireContext, JournalEntry, str]:
    """Check and fire one event: lock, role, state, inputs, guards, effects, journal.

    Returns the partnership, the context, the new journal record and the source state."""
    clean_comment = v.optional_text(comment, "comment", max_length=5000, multiline=True)
    key = _key(idempotency_key)
    p, seen = lock_for_fire(session, reference, sqlite_write=sqlite_write)
    _check_version(reference, p.version, p.state, expected_version, seen)
    _unused(session.connection(), p.id, reference, key)
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
    source = prog.state if prog is not None else p.state
    acting = authorise(session, actor, ev.roles, ev.name, db_login=db_login)
    ctx.actor, ctx.acting, ctx.now = acting.actor, acting, now
    _admit(wf, ev, source)
    _separate(session, p, ev, acting)
    signed = _own_signature(session, p, ev, acting)
    ctx.data = _parse_inputs(ev, data)
    ctx.checking_only = False
    reasons = _guard_reasons(registry, ctx)
    if reasons:
        raise GuardFailed(event, reasons)
    previous = _previous_state(session, p, prog, source) if ev.target == PREVIOUS else None
    target = wf.run(source, event, previous)
    watched = changes.watch(session, p) if ev.effects else None
    for name in ev.effects:
        effect = registry.get_effect(name)
        assert effect is not None
        try:
            effect(ctx)
        except (CoopflowError, SQLAlchemyError):
            raise  # the unit of work translates database errors
        except Exception as exc:
            raise ExtensionError("effect", name, exc) from exc
    if watched is not None:
        ctx.record.update(changes.effects_changed(session, p, acting, event, watched))
    if prog is not None:
        prog.state = target
    session.flush()  # what the effects changed, and the programme's state
    record = _journal.advance(
        session,
        p,
        _journal.RecordContent.of(
            event=event,
            source_state=source,
            target_state=target,
            acting=acting,
            at=now,
            comment=clean_comment,
            data={**_jsonable(ctx.data), **ctx.record, **signed},
            workflow_name=wf.name,
            workflow_version=wf.version,
            document_sha256=ctx.document_sha256,
            programme=prog.label if prog is not None else None,
            idempotency_key=key,
        ),
        state=None if prog is not None else target,
        programme=prog,
        ended=None if prog is not None else ended_marker(wf, source, target),
    )
    return p, ctx, record, source


# The fast path's lock: the columns a fire without guards or effects needs, read with the lock.
_HEAD_COLUMNS = (
    _PARTNERSHIP.c.id,
    _PARTNERSHIP.c.reference,
    _PARTNERSHIP.c.version,
    _PARTNERSHIP.c.journal_seq,
    _PARTNERSHIP.c.journal_head,
    _PARTNERSHIP.c.state,
    _PARTNERSHIP.c.workflow_name,
    _PARTNERSHIP.c.workflow_version,
)
# For an ``@previous`` event, the state the partnership came from, read with the row itself.
_CAME_FROM_HERE = (
    select(_JOURNAL.c.source_state)
    .where(
        _JOURNAL.c.partnership_id == _PARTNERSHIP.c.id,
        _JOURNAL.c.target_state == _PARTNERSHIP.c.state,
        _JOURNAL.c.programme_id.is_(None),
        *_ENTERED,
    )
    .order_by(_JOURNAL.c.seq.desc())
    .limit(1)
    .scalar_subquery()
    .label("came_from")
)


def _head_statements(previous: bool) -> dict[str, Any]:
    columns = (*_HEAD_COLUMNS, _CAME_FROM_HERE) if previous else _HEAD_COLUMNS
    read = select(*columns).where(_PARTNERSHIP.c.reference == bindparam("reference"))
    return {
        "plain": read,
        "for_update": read.with_for_update(of=_PARTNERSHIP),
        "skip_locked": read.with_for_update(of=_PARTNERSHIP, skip_locked=True),
    }


_HEAD = {previous: _head_statements(previous) for previous in (False, True)}
_NO_OP_WRITE = (  # takes SQLite's write lock in a transaction that began deferred
    update(_PARTNERSHIP)
    .where(_PARTNERSHIP.c.reference == bindparam("locked_reference"))
    .values(journal_seq=_PARTNERSHIP.c.journal_seq)
)


def _lock_head(
    connection: Connection, reference: str, *, previous: bool, sqlite_write: bool
) -> tuple[Any, str | None, int | None]:
    """The partnership's row (its chain head, state and workflow), locked as
    :func:`coopflow._domain.locking.lock_for_fire` locks it; for an ``@previous`` event, the
    state it came from; and the version seen before waiting (None: it did not wait)."""
    statements = _HEAD[previous]
    if connection.dialect.name != "postgresql":
        if sqlite_write:
            connection.execute(_NO_OP_WRITE, {"locked_reference": reference})
        row = connection.execute(statements["plain"], {"reference": reference}).one_or_none()
        seen = connection.info.pop(SEEN_VERSION, None)
        if row is None:
            raise NotFoundError("partnership", reference)
        came_from = row.came_from if previous else None
        return row, came_from, seen if isinstance(seen, int) else None
    row = connection.execute(statements["skip_locked"], {"reference": reference}).one_or_none()
    if row is not None:
        return row, row.came_from if previous else None, None
    seen = connection.execute(_VERSION_OF, {"reference": reference}).scalar()
    if seen is None:
        raise NotFoundError("partnership", reference)
    # A statement that waited for the row lock sees the row as its holder committed it, but
    # its subqueries read the journal as it stood before the wait: the state the partnership
    # came from is read again, in a statement of its own, once the lock is held.
    row = connection.execute(_HEAD[False]["for_update"], {"reference": reference}).one()
    came_from = (
        connection.execute(
            _CAME_FROM_PARTNERSHIP, {"partnership_id": row.id, "state": row.state}
        ).scalar()
        if previous
        else None
    )
    return row, came_from, seen


def fire_unguarded(
    connection: Connection,
    workflows: WorkflowSet,
    reference: str,
    event: str,
    actor: Actor,
    *,
    comment: str | None = None,
    data: Mapping[str, object] | None = None,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    sqlite_write: bool = False,
    db_login: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[JournalEntry, str, int]:
    """:func:`fire` for an event without guards or effects (:meth:`WorkflowSet.unguarded`), in Core
    on ``connection``: the same checks in the same order (lock, version, role, state, inputs),
    the row read with its lock (and, for ``@previous``, the state it came from) in one
    statement, and the state change with its journal record in one more (on PostgreSQL).

    Returns the new journal record, the source state and the partnership's new version."""
    clean_comment = v.optional_text(comment, "comment", max_length=5000, multiline=True)
    key = _key(idempotency_key)
    row, came_from, seen = _lock_head(
        connection, reference, previous=workflows.returns(event), sqlite_write=sqlite_write
    )
    _check_version(reference, row.version, row.state, expected_version, seen)
    _unused(connection, row.id, reference, key)
    wf = workflows.get(row.workflow_name, row.workflow_version)
    ev = _event(wf, event)
    assert not ev.guards, "fire_unguarded: an event with guards"
    assert not ev.effects, "fire_unguarded: an event with effects"
    acting = authorise(connection, actor, ev.roles, ev.name, db_login=db_login)
    _admit(wf, ev, row.state)
    inputs = _parse_inputs(ev, data)
    if ev.target != PREVIOUS:
        came_from = None
    elif came_from is None:
        raise ValidationError(f"the journal does not say which state led to {row.state}")
    target = wf.run(row.state, event, came_from)
    now = now or utcnow()
    head = _journal.ChainHead(row.id, row.reference, row.version, row.journal_seq, row.journal_head)
    record, changes = _journal.advance_on(
        connection,
        head,
        _journal.RecordContent.of(
            event=event,
            source_state=row.state,
            target_state=target,
            acting=acting,
            at=now,
            comment=clean_comment,
            data=_jsonable(inputs),
            workflow_name=wf.name,
            workflow_version=wf.version,
            idempotency_key=key,
        ),
        state=target,
        ended=ended_marker(wf, row.state, target),
    )
    return record, row.state, int(changes["version"])


def _key(idempotency_key: str | None) -> str | None:
    return v.optional_text(idempotency_key, "idempotency_key", max_length=200)


_KEY_USED = (
    select(JournalRecord.seq)
    .where(
        JournalRecord.partnership_id == bindparam("pid"),
        JournalRecord.idempotency_key == bindparam("key"),
    )
    .limit(1)
)


def _unused(connection: Connection, pid: int, reference: str, key: str | None) -> None:
    """Refuse a fire whose idempotency key the partnership's journal already holds (checked
    under the partnership's lock; a unique index backs it)."""
    if key is None:
        return
    seq = connection.execute(_KEY_USED, {"pid": pid, "key": key}).scalar()
    if seq is not None:
        raise AlreadyExistsError(
            f"{reference}: a fire with idempotency key", f"{key!r} (record {seq})"
        )


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
) -> list[EventStatus]:
    """For each event leaving the current state: can this actor fire it now, and if not why."""
    login, held = held_roles(session, actor)
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
        if actor.role is not None and actor.role not in ev.roles:
            reasons.append(f"role {actor.role!r} may not fire it (allowed: {', '.join(ev.roles)})")
        elif actor.role is None and not set(held) & set(ev.roles):
            reasons.append(
                f"it needs one of the roles {', '.join(ev.roles)}; {login} holds "
                f"{', '.join(held) or 'none'}"
            )
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
