"""Real threads firing at once: exactly one wins, nothing is lost or duplicated."""

from __future__ import annotations

import threading
from collections import Counter

from coopflow import Actor, ConcurrentModificationError, Coopflow

from . import scenario

WORKERS = 8


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


def test_different_partnerships_all_succeed(cf: Coopflow) -> None:
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
    assert report.records == WORKERS * 7
    for ref in refs:
        assert cf.partnership(ref).state == "accueil"
