"""Events: checking what an actor may fire now, and firing one (lock, role, state, inputs,
guards, effects, journal), all in the caller's unit of work."""

from __future__ import annotations

import datetime as dt
import json
import shlex
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
from coopflow._domain.lookup import closest, find_partnership, find_programme, fold
from coopflow._i18n import _, ngettext
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
    ProgrammeRequired,
    Reason,
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


def _folded(name: str) -> str:
    """An event's name as it is written in a definition: ``SOUMETTRE_REVUE``, ``Approuver``
    and ``soumettre-revue`` name ``soumettre_revue``, ``réviser`` names ``reviser``."""
    return fold(name).replace("-", "_").replace(" ", "_")


def find_event(wf: Workflow, name: str) -> EventDef | None:
    """The event of ``wf`` that ``name`` names, in any case (None: it has none)."""
    found = wf.events.get(name)
    if found is None:
        wanted = _folded(name)
        found = next((ev for key, ev in wf.events.items() if _folded(key) == wanted), None)
    return found


def _unknown(name: str, wf: Workflow, message: str | None = None) -> CoopflowError:
    """The refusal of ``name``, unknown to ``wf``: saying ``message`` instead, or naming the
    closest known events ("did you mean", and its ``suggestions`` field)."""
    error = UnknownEventError(name, f"{wf.name} v{wf.version}", list(wf.events))
    if message is None:
        error.suggestions = tuple(closest(_folded(name), wf.events))
        if not error.suggestions:
            return error
        message = _("{message}; did you mean {choices}?").format(
            message=error.message, choices=", ".join(error.suggestions)
        )
    # The same error (its class, code and fields), saying what to do instead.
    CoopflowError.__init__(error, message)
    return error


def _event(wf: Workflow, name: str) -> EventDef:
    ev = find_event(wf, name)
    if ev is None:
        raise _unknown(name, wf)
    return ev


def _programme_workflow(workflows: WorkflowSet, own: Workflow) -> Workflow | None:
    try:
        return workflows.programmes_of(own)
    except ValidationError:  # the partnership's workflow declares no programme workflow
        return None


def _wrong_subject(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    own: Workflow,
    event: str,
    programme: str | None,
) -> CoopflowError | None:
    """The refusal of an event fired on the wrong subject, saying which is right: a programme's
    event fired without a programme names the partnership's programmes it could be fired on;
    a partnership's event fired on a programme, to fire it without one."""
    programmes = _programme_workflow(workflows, own)
    if programme is not None:
        ev = find_event(own, event)
        if ev is None or programmes is None:
            return None
        return _unknown(
            event,
            programmes,
            _(
                "{event} is an event of the partnership, not of its programmes: fire it "
                "without --programme (coopflow fire {reference} {event})"
            ).format(event=ev.name, reference=p.reference),
        )
    ev = find_event(programmes, event) if programmes is not None else None
    if ev is None:
        return None
    labels = list(
        session.scalars(
            select(Programme.label)
            .where(Programme.partnership_id == p.id)
            .order_by(Programme.period_start, Programme.label)
        )
    )
    if not labels:
        message = _(
            "{event} is an event of the programme workflow, and {reference} has no programme "
            "yet: open one (coopflow programme add {reference} LABEL --start YYYY-MM-DD --end "
            "YYYY-MM-DD), then give --programme"
        ).format(event=ev.name, reference=p.reference)
    else:
        message = ngettext(
            "{event} is an event of the programme workflow: give --programme {programmes} "
            "(coopflow fire {reference} {event} --programme {programmes})",
            "{event} is an event of the programme workflow: give --programme, one of "
            "{programmes} (coopflow fire {reference} {event} --programme PROGRAMME)",
            len(labels),
        ).format(event=ev.name, reference=p.reference, programmes=", ".join(labels))
    return ProgrammeRequired(
        event, f"{own.name} v{own.version}", list(own.events), programmes=labels, message=message
    )


def _parse_inputs(ev: EventDef, data: Mapping[str, object] | None) -> dict[str, Any]:
    data = dict(data or {})
    known = {i.name: i for i in ev.inputs}
    for name in data:
        if name not in known:
            if known:
                message = _("{event} takes no input {name!r} (inputs: {inputs})")
            else:
                message = _("{event} takes no input {name!r} (inputs: none)")
            raise ValidationError(
                message.format(event=ev.name, name=name, inputs=", ".join(known)),
                field=f"data.{name}",
            )
    parsed: dict[str, Any] = {}
    for spec in ev.inputs:
        if spec.name not in data or data[spec.name] in (None, ""):
            if spec.required:
                raise ValidationError(
                    _("{event} needs {input} ({label})").format(
                        event=ev.name, input=spec.name, label=spec.label
                    ),
                    field=f"data.{spec.name}",
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
        raise ValidationError(_no_previous(state))
    return found


def _no_previous(state: str) -> str:
    return _("the journal does not say which state led to {state}").format(state=state)


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
    ev = find_event(wf, event)
    if ev is None:
        raise _wrong_subject(session, workflows, p, own, event, programme) or _unknown(event, wf)
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
    """Every reason of every guard of the event: all of them run, none stops the others."""
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
            reference,
            _("it is at version {version}, you expected {expected}").format(
                version=version, expected=expected
            ),
        )
    if expected is None and seen is not None and version != seen:
        # Another actor's change committed while this fire waited for the lock: firing now
        # would act on a state the caller has not seen.
        raise ConcurrentModificationError(
            reference,
            _(
                "another change was committed while this fire waited for it (version {seen} "
                "became {version}; it is now in {state})"
            ).format(seen=seen, version=version, state=state),
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
            reason=_(
                "{login} submitted this version (record {seq}): someone else must do it "
                "(separation of duties)"
            ).format(login=acting.login, seq=submitter[0]),
        )
    if "content_editors" in ev.not_by and acting.login in editors:
        raise PermissionDenied(
            ev.name,
            acting.role,
            ev.roles,
            actor=acting.login,
            reason=_(
                "{login} changed the protocol's content since it was last approved (record "
                "{seq}): someone else must do it (separation of duties)"
            ).format(login=acting.login, seq=editors[acting.login]),
        )
    if "amendment_editors" in ev.not_by and acting.login in amenders:
        raise PermissionDenied(
            ev.name,
            acting.role,
            ev.roles,
            actor=acting.login,
            reason=_(
                "{login} wrote changes of the avenant since it was last approved (record "
                "{seq}): someone else must do it (separation of duties)"
            ).format(login=acting.login, seq=amenders[acting.login]),
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
            reason=_(
                "{login} is not a signatory of {reference}: an elected official signs as the "
                "signatory registered as them (coopflow signatory set ... --login {login})"
            ).format(login=acting.login, reference=p.reference),
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
    event = ev.name  # as the definition writes it (the caller's may differ in case)
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
    event = ev.name  # as the definition writes it
    assert not ev.guards, "fire_unguarded: an event with guards"
    assert not ev.effects, "fire_unguarded: an event with effects"
    acting = authorise(connection, actor, ev.roles, ev.name, db_login=db_login)
    _admit(wf, ev, row.state)
    inputs = _parse_inputs(ev, data)
    if ev.target != PREVIOUS:
        came_from = None
    elif came_from is None:
        raise ValidationError(_no_previous(row.state))
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
            "idempotency key",
            _("{key!r} (record {seq})").format(key=key, seq=seq),
            within=reference,
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
        role = _role_reason(p, ev, actor, login, held, programme)
        if role is not None:
            reasons.append(role)
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


def _role_reason(
    p: Partnership,
    ev: EventDef,
    actor: Actor,
    login: str,
    held: tuple[str, ...] | list[str],
    programme: str | None,
) -> Reason | None:
    """Why ``actor`` may not fire ``ev`` for its roles (None: it may), with what fixes it:
    acting in a role it holds that may, or (an admin's command) being given one."""
    allowed = ", ".join(ev.roles)
    usable = [r for r in ev.roles if r in held]
    grant = f"coopflow actor grant {login} {ev.roles[0]}" if ev.roles else None
    grant_call = f"Coopflow.grant_role({login!r}, {ev.roles[0]!r}, actor=...)" if ev.roles else None
    if actor.role is not None and actor.role not in ev.roles:
        if usable:
            on = f" --programme {shlex.quote(programme)}" if programme is not None else ""
            fix: str | None = f"coopflow fire {p.reference} {ev.name}{on} --role {usable[0]}"
            api: str | None = None
        else:
            fix, api = grant, grant_call
        return Reason(
            _("role {role!r} may not fire it (allowed: {allowed})").format(
                role=actor.role, allowed=allowed
            ),
            code="role_not_allowed",
            command=fix,
            call=api,
        )
    if actor.role is None and not usable:
        if held:
            message = _("it needs one of the roles {allowed}; {login} holds {held}")
        else:
            message = _("it needs one of the roles {allowed}; {login} holds none")
        return Reason(
            message.format(allowed=allowed, login=login, held=", ".join(held)),
            code="no_role_allowed",
            command=grant,
            call=grant_call,
        )
    return None
