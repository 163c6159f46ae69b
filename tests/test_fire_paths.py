"""A fire without guards or effects takes the Core path (no ORM Session), with every guarantee
of the ORM path: the same checks in the same order, the same journal record, the same
refusals, the same callbacks; on PostgreSQL in as many statements as the hand-written floor,
the actor check included."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import coopflow
import pytest
from coopflow import (
    ConcurrentModificationError,
    Coopflow,
    FireResult,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
)
from coopflow._db import create_owned_engine
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from tests import scenario
from tests.scenario import LEGAL, STAFF


def _comparable(entry: coopflow.JournalEntry) -> tuple[object, ...]:
    return (
        entry.seq,
        entry.event,
        entry.source_state,
        entry.target_state,
        entry.actor,
        entry.role,
        entry.comment,
        entry.data,
        entry.workflow,
        entry.workflow_version,
    )


def test_the_core_path_writes_what_the_orm_path_writes(migrated_url: str) -> None:
    engine = create_owned_engine(migrated_url)
    try:
        with Coopflow(migrated_url) as own:
            fast = scenario.in_accueil(own, "la-cali")
            slow = scenario.in_accueil(own, "ville-de-saintes")
            assert own.workflows.unguarded("suspendre") and own.workflows.unguarded("reprendre")
            assert not own.workflows.unguarded("ouvrir_dialogue")
            a = own.fire(fast, "suspendre", STAFF, comment="élections", data={"motif": "x"})
            b = own.fire(fast, "reprendre", STAFF)
        with Session(engine) as session:  # a host's Session: the ORM path
            host = Coopflow(session)
            c = host.fire(slow, "suspendre", STAFF, comment="élections", data={"motif": "x"})
            d = host.fire(slow, "reprendre", STAFF)
            session.commit()
        assert [_comparable(r.record) for r in (a, b)] == [_comparable(r.record) for r in (c, d)]
        assert (a.version, b.version) == (c.version, d.version)
        assert (b.source_state, b.target_state) == ("suspendu", "accueil")
        with Coopflow(migrated_url) as cf:
            assert [_comparable(e) for e in cf.history(fast)[1:]] == [
                _comparable(e) for e in cf.history(slow)[1:]
            ]
            assert cf.history(fast)[-1].hash == b.record.hash
            assert cf.verify().ok
    finally:
        engine.dispose()


def test_the_core_path_refuses_like_the_orm_path(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)
    version = cf.partnership(ref).version
    refused: list[str] = []
    cf.on_refused(lambda r: refused.append(type(r.error).__name__))
    with pytest.raises(PermissionDenied):
        cf.fire(ref, "suspendre", LEGAL, data={"motif": "x"})
    with pytest.raises(TransitionNotAllowed):
        cf.fire(ref, "reprendre", STAFF)
    with pytest.raises(ValidationError, match=r"data\.motif"):
        cf.fire(ref, "suspendre", STAFF)
    with pytest.raises(ConcurrentModificationError):
        cf.fire(ref, "suspendre", STAFF, data={"motif": "x"}, expected_version=version + 1)
    with pytest.raises(coopflow.NotFoundError):
        cf.fire("COOP-2026-9999", "suspendre", STAFF, data={"motif": "x"})
    assert refused == [
        "PermissionDenied",
        "TransitionNotAllowed",
        "ValidationError",
        "ConcurrentModificationError",
        "NotFoundError",
    ]
    assert cf.partnership(ref).version == version
    assert len(cf.history(ref)) == 1
    fired: list[FireResult] = []
    cf.on_fired(fired.append)
    result = cf.fire(ref, "suspendre", STAFF, data={"motif": "x"}, expected_version=version)
    assert fired == [result] and result.version == version + 1


@pytest.fixture
def statements(cf: Coopflow) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        seen.append(sql.split(None, 1)[0].upper())

    engine: Engine = cf.engine
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


@pytest.mark.postgres
def test_a_fire_on_postgresql_needs_no_more_statements_than_the_floor(
    backend: str, cf: Coopflow, statements: list[str]
) -> None:
    if backend != "postgres":
        pytest.skip("round trips are PostgreSQL's")
    ref = scenario.in_accueil(cf)
    statements.clear()
    cf.fire(ref, "suspendre", STAFF, data={"motif": "x"})
    # The row read with its lock, the actor checked against the registry, then the state
    # change and its record in one statement: as many as the hand-written floor (SELECT ...
    # FOR UPDATE, UPDATE, INSERT), which checks no actor.
    assert statements == ["SELECT", "SELECT", "WITH"]
    statements.clear()
    cf.fire(ref, "reprendre", STAFF)  # @previous is read with the locked row
    assert statements == ["SELECT", "SELECT", "WITH"]


def test_only_events_with_guards_or_effects_open_an_orm_session(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)
    cf.log_exchange(ref, date="2026-09-15", kind="reunion", summary="Rencontre", actor=STAFF)
    sessions: list[object] = []

    def began(session: Session, *_args: object) -> None:
        sessions.append(session)

    event.listen(Session, "after_begin", began)
    try:
        cf.fire(ref, "suspendre", STAFF, data={"motif": "x"})
        cf.fire(ref, "reprendre", STAFF)
        assert sessions == []
        cf.fire(ref, "ouvrir_dialogue", STAFF)  # guarded: has_exchange reads through the ORM
        assert len(sessions) == 1
    finally:
        event.remove(Session, "after_begin", began)


def test_a_render_while_suspended_does_not_hide_where_to_resume(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)
    cf.fire(ref, "suspendre", STAFF, data={"motif": "élections"})
    cf.render(ref, "protocole", actor=STAFF)  # a record from suspendu to suspendu
    assert cf.history(ref)[-1].source_state == cf.history(ref)[-1].target_state == "suspendu"
    resumed = cf.fire(ref, "reprendre", STAFF)
    assert resumed.target_state == "contractualisation.redaction"


@pytest.mark.postgres
@pytest.mark.parametrize("path", ["core", "orm"])
def test_resuming_after_waiting_for_the_lock_reads_where_the_holder_left_it(
    backend: str, migrated_url: str, path: str
) -> None:
    """A ``reprendre`` that waited for another writer's ``suspendre`` (dialogue → suspendu),
    with the version that writer produced as ``expected_version``, goes back to dialogue: the
    state it came from is read after the wait, not in the snapshot taken before it."""
    if backend != "postgres":
        pytest.skip("READ COMMITTED row-lock waits are PostgreSQL's")
    engine = create_owned_engine(migrated_url)
    cf = Coopflow(engine)
    try:
        ref = scenario.in_accueil(cf)
        cf.fire(ref, "suspendre", STAFF, data={"motif": "a"})
        cf.fire(ref, "reprendre", STAFF)  # an older suspension, from accueil
        cf.log_exchange(ref, date="2026-09-15", kind="reunion", summary="x", actor=STAFF)
        cf.fire(ref, "ouvrir_dialogue", STAFF)
        outcome: dict[str, object] = {}
        with Session(engine) as holder:
            held = Coopflow(holder).fire(ref, "suspendre", STAFF, data={"motif": "b"})

            def resume() -> None:
                try:
                    if path == "core":
                        result = cf.fire(ref, "reprendre", STAFF, expected_version=held.version)
                    else:
                        with Session(engine) as other:
                            result = Coopflow(other).fire(
                                ref, "reprendre", STAFF, expected_version=held.version
                            )
                            other.commit()
                    outcome["moved"] = (result.source_state, result.target_state)
                except Exception as exc:  # reported by the assertion below
                    outcome["moved"] = repr(exc)

            waiting = threading.Thread(target=resume)
            waiting.start()
            _wait_for_a_lock_wait(engine)
            holder.commit()
            waiting.join(timeout=30)
        assert outcome["moved"] == ("suspendu", "dialogue")
        assert cf.partnership(ref).state == "dialogue"
        assert cf.verify(ref).ok
    finally:
        cf.close()
        engine.dispose()


def _wait_for_a_lock_wait(engine: Engine, timeout: float = 10.0) -> None:
    """Until a session of this database waits for a lock (the other fire is queued)."""
    deadline = time.monotonic() + timeout
    with engine.connect() as probe:
        while time.monotonic() < deadline:
            waiting = probe.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            ).scalar()
            probe.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second fire never waited for the lock")
