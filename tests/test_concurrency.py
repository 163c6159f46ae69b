"""Real threads firing at once: exactly one wins, nothing is lost or duplicated."""

from __future__ import annotations

import threading
import time
from collections import Counter

import coopflow
import pytest
from coopflow import Actor, ConcurrentModificationError, Coopflow
from coopflow._db import normalise_url
from sqlalchemy import create_engine, text

from . import scenario

WORKERS = 8
#: The workers' actors, registered by each test that uses them.
AGENTS = [Actor(f"agent-{i}", "staff") for i in range(WORKERS)]


def _race(target: object, count: int) -> list[str]:
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            target(i)  # type: ignore[operator]
            outcome = "ok"
        except ConcurrentModificationError:
            outcome = "conflict"
        except Exception as exc:
            outcome = f"unexpected {type(exc).__name__}: {exc}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_same_partnership_exactly_one_wins(cf: Coopflow) -> None:
    scenario.register(cf, *AGENTS)
    ref = scenario.in_accueil(cf)
    seen = cf.partnership(ref).version

    def fire(i: int) -> None:
        cf.fire(
            ref,
            "suspendre",
            Actor(f"agent-{i}", "staff"),
            data={"motif": f"motif {i}"},
            expected_version=seen,
        )

    outcomes = Counter(_race(fire, WORKERS))
    assert outcomes == {"ok": 1, "conflict": WORKERS - 1}
    history = cf.history(ref)
    assert [r.event for r in history] == ["creation", "suspendre"]
    assert cf.partnership(ref).state == "suspendu"
    assert cf.verify().ok


def test_same_partnership_without_expected_version_serialises(cf: Coopflow) -> None:
    """Without a version, fires wait for the lock and apply one after the other."""
    scenario.register(cf, *AGENTS)
    ref = scenario.in_accueil(cf)

    def fire(i: int) -> None:
        cf.log_exchange(
            ref,
            date="2027-01-05",
            kind="reunion",
            summary=f"Réunion {i}",
            actor=Actor(f"agent-{i}", "staff"),
        )

    outcomes = Counter(_race(fire, WORKERS))
    assert outcomes == {"ok": WORKERS}
    assert cf.partnership(ref).version == 1 + WORKERS  # created at version 1
    # each exchange journaled once, by whoever logged it
    changes = [r for r in cf.history(ref) if r.event == "change"]
    assert sorted(r.actor for r in changes) == sorted(a.id for a in AGENTS)
    assert cf.verify().ok


def test_different_partnerships_all_succeed(cf: Coopflow) -> None:
    scenario.register(cf, *AGENTS)
    scenario.add_parties(cf, "bordeaux-metropole", "la-cali")
    refs = [
        cf.create_partnership(
            f"Coopération {i}",
            scale="aire_metropolitaine",
            parties=["bordeaux-metropole", "la-cali"],
            home="bordeaux-metropole",
            responsible="x",
            actor=scenario.STAFF,
        ).reference
        for i in range(WORKERS)
    ]

    def fire(i: int) -> None:
        actor = Actor(f"agent-{i}", "staff")
        for _ in range(3):
            cf.fire(refs[i], "suspendre", actor, data={"motif": "pause"})
            cf.fire(refs[i], "reprendre", actor)

    outcomes = Counter(_race(fire, WORKERS))
    assert outcomes == {"ok": WORKERS}
    report = cf.verify()
    assert report.ok
    registries = len(cf.registry_history("actors")) + len(cf.registry_history("parties"))
    assert report.records == WORKERS * 7 + registries
    for ref in refs:
        assert cf.partnership(ref).state == "accueil"


def _wait_until_blocked(cf: Coopflow, worker: threading.Thread) -> None:
    """Return once ``worker`` waits for the partnership's lock (PostgreSQL shows it; SQLite
    gives no such view, so there the worker is given ample time to reach its BEGIN)."""
    if cf.engine.dialect.name != "postgresql":
        worker.join(timeout=1.0)
        return
    for _ in range(500):
        with cf.engine.connect() as conn:
            waiting = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            ).scalar_one()
        if waiting:
            return
        worker.join(timeout=0.01)
    raise AssertionError("the second fire never waited for the lock")


def test_a_fire_that_waited_for_anothers_change_is_a_concurrent_modification(
    cf: Coopflow,
) -> None:
    """Without expected_version, the fire that had to wait for the winner's transaction gets a
    ConcurrentModificationError (not a refusal about a state its actor never saw)."""
    scenario.register(cf, *AGENTS[1:3])
    ref = scenario.in_accueil(cf)
    outcome: list[BaseException | str] = []

    def second() -> None:
        try:
            cf.fire(ref, "suspendre", Actor("agent-2", "staff"), data={"motif": "second"})
            outcome.append("ok")
        except BaseException as exc:
            outcome.append(exc)

    with cf.transaction() as tx:
        tx.fire(ref, "suspendre", Actor("agent-1", "staff"), data={"motif": "first"})
        worker = threading.Thread(target=second)
        worker.start()
        _wait_until_blocked(cf, worker)
        assert outcome == [], "the second fire must wait for the first's transaction"
    worker.join(timeout=60)
    [error] = outcome
    assert isinstance(error, ConcurrentModificationError), error
    assert "while this fire waited" in str(error)
    assert "now in suspendu" in str(error)
    assert [r.event for r in cf.history(ref)] == ["creation", "suspendre"]
    assert cf.history(ref)[-1].data["motif"] == "first"
    # once the actor has seen the new state, what they fire is judged on it
    cf.fire(ref, "reprendre", Actor("agent-2", "staff"))
    assert cf.verify().ok


@pytest.mark.postgres
@pytest.mark.parametrize("operation", ["fire", "core-fire", "edit"])
def test_a_write_behind_a_held_row_lock_gives_up_after_the_lock_timeout(
    backend: str, migrated_url: str, operation: str
) -> None:
    """On PostgreSQL a write waits for a partnership another transaction holds only as long as
    ``lock_timeout`` says, then it is a ConcurrentModificationError and nothing is written."""
    if backend != "postgres":
        pytest.skip("SQLite's write lock waits its busy timeout")
    with pytest.raises(coopflow.ValidationError) as bad:
        Coopflow(migrated_url, lock_timeout=0)
    assert bad.value.field == "lock_timeout"
    with Coopflow(migrated_url, lock_timeout=0.3) as cf:
        ref = scenario.in_accueil(cf)
        cf.log_exchange(ref, date="2026-09-15", kind="reunion", summary="x", actor=scenario.STAFF)
        before = cf.history(ref)
        holder = create_engine(normalise_url(migrated_url))
        try:
            with holder.connect() as held:
                held.execute(
                    text("SELECT id FROM coopflow_partnership WHERE reference = :r FOR UPDATE"),
                    {"r": ref},
                )
                write = {
                    "fire": lambda: cf.fire(ref, "ouvrir_dialogue", scenario.STAFF),
                    "core-fire": lambda: cf.fire(
                        ref, "suspendre", scenario.STAFF, data={"motif": "x"}
                    ),
                    "edit": lambda: cf.add_axis(ref, "Mobilités", actor=scenario.STAFF),
                }[operation]
                started = time.monotonic()
                with pytest.raises(ConcurrentModificationError):
                    write()
                assert time.monotonic() - started < 10
                held.rollback()
        finally:
            holder.dispose()
        assert cf.history(ref) == before
