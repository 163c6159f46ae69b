"""Several processes, each with several threads, firing at once on one shared partnership and
on partnerships of their own, through the API and through the command line.

Every fire names the version its actor saw (``expected_version``), so a fire that loses a race
must be refused with ConcurrentModificationError, and with nothing else: not a crash, not a
"database is locked" leaking out.  Afterwards the journals must tell exactly the story of the
fires reported successful: no record lost, none duplicated, no chain forked."""

from __future__ import annotations

import json
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import coopflow
import pytest
from coopflow import Actor, ConcurrentModificationError, Coopflow

from tests import scenario

from .support import (
    check_evidence,
    child_env,
    coopflow_command,
    register_people_and_the_cli,
    start_child,
)

PROCESSES = 4
THREADS = 2
ITERATIONS = 10  # per thread: 4 processes x 2 threads x 10 = 80 operations


def _partnerships(cf: Coopflow, count: int) -> list[str]:
    scenario.add_parties(cf, "bordeaux-metropole", "la-cali")
    return [
        cf.create_partnership(
            f"Coopération {i}",
            scale="aire_metropolitaine",
            parties=["bordeaux-metropole", "la-cali"],
            home="bordeaux-metropole",
            responsible="x",
            actor=scenario.STAFF,
        ).reference
        for i in range(count)
    ]


def _run_workers(url: str, shared: str, own: list[str]) -> list[dict[str, Any]]:
    children = [
        start_child(
            "stress",
            {
                "url": url,
                "shared": shared,
                "own": own[w * THREADS : (w + 1) * THREADS],
                "worker": w,
                "threads": THREADS,
                "iterations": ITERATIONS,
                "seed": 2027,
            },
        )
        for w in range(PROCESSES)
    ]
    try:
        for child in children:  # every process is connected before any fires
            assert child.stdout is not None
            line = child.stdout.readline()
            assert line == "ready\n", line + (child.stderr.read() if child.stderr else "")
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        outcomes: list[dict[str, Any]] = []
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            outcomes += json.loads(out)
        return outcomes
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def test_processes_and_threads_lose_nothing_and_refuse_cleanly(
    cf: Coopflow, migrated_url: str
) -> None:
    """4 processes x 2 threads x 10 operations: toggling fires with the version each actor saw,
    on the shared partnership and on each thread's own, and exchanges on the shared one."""
    # the workers' actors (child.py: agent-<worker>-<thread>)
    scenario.register(
        cf, *(Actor(f"agent-{w}-{t}", "staff") for w in range(PROCESSES) for t in range(THREADS))
    )
    shared, *own = _partnerships(cf, PROCESSES * THREADS + 1)
    versions_before = {ref: cf.partnership(ref).version for ref in (shared, *own)}

    outcomes = _run_workers(migrated_url, shared, own)

    assert len(outcomes) == PROCESSES * THREADS * ITERATIONS
    kinds = Counter(o["outcome"] for o in outcomes)
    assert set(kinds) <= {"ok", "conflict"}, [o for o in outcomes if o["outcome"] != "ok"]
    for o in outcomes:
        if o["outcome"] == "conflict":
            # refused because the version moved on, never because the database was busy
            assert "modified concurrently" in o["message"], o
            assert "you expected" in o["message"], o
            assert "locked" not in o["message"] and "busy" not in o["message"], o
    # exchanges name no version: they wait for the lock and always apply
    exchanges = [o for o in outcomes if o["op"] == "exchange"]
    assert exchanges and all(o["outcome"] == "ok" for o in exchanges)
    # a partnership no other thread touches never conflicts
    assert all(o["outcome"] == "ok" for o in outcomes if o["ref"] != shared)

    fired = [o for o in outcomes if o["op"] != "exchange" and o["outcome"] == "ok"]
    for ref in (shared, *own):
        history = cf.history(ref)
        won = sorted((o["seq"], o["hash"]) for o in fired if o["ref"] == ref)
        fires = [r for r in history[1:] if r.event != "change"]
        # the journal holds the creation record, exactly the fires reported successful...
        assert [(r.seq, r.hash) for r in fires] == won, ref
        assert history[0].event == "creation"
        # ...and one "change" record per exchange logged
        entries = sum(1 for o in exchanges if o["ref"] == ref)
        changes = [r for r in history if r.event == "change"]
        assert [r.data["operation"] for r in changes] == ["exchange.log"] * entries, ref
        # suspendre and reprendre alternate: no fire acted on a state its actor had not seen
        events = [r.event for r in fires]
        assert events == ["suspendre", "reprendre"] * (len(events) // 2) + (
            ["suspendre"] if len(events) % 2 else []
        )
        info = cf.partnership(ref)
        assert info.state == history[-1].target_state
        assert info.version == versions_before[ref] + len(won) + entries
    registries = len(cf.registry_history("actors")) + len(cf.registry_history("parties"))
    assert cf.verify().records == PROCESSES * THREADS + 1 + len(fired) + len(exchanges) + registries
    check_evidence(cf)


def _race_one_round(cf: Coopflow, ref: str, workers: int) -> Counter[str]:
    """``workers`` threads fire the next toggling event on the version they all read."""
    info = cf.partnership(ref)
    event = "reprendre" if info.state == "suspendu" else "suspendre"
    data = None if event == "reprendre" else {"motif": "pause"}
    barrier = threading.Barrier(workers)
    results: list[str] = []

    def fire() -> None:
        barrier.wait()
        try:
            cf.fire(ref, event, scenario.STAFF, data=data, expected_version=info.version)
            results.append("ok")
        except ConcurrentModificationError:
            results.append("conflict")
        except Exception as exc:  # reported, so that the assertion shows it
            results.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=fire) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return Counter(results)


def test_threads_racing_on_one_version_exactly_one_wins_per_round(cf: Coopflow) -> None:
    """Round after round, 6 threads fire on the version they all read: one wins each round."""
    (ref,) = _partnerships(cf, 1)
    for _ in range(5):
        assert _race_one_round(cf, ref, 6) == {"ok": 1, "conflict": 5}
    assert [r.event for r in cf.history(ref)][1:] == ["suspendre", "reprendre"] * 2 + ["suspendre"]
    check_evidence(cf)


def test_concurrent_renders_of_the_same_data_store_one_version(cf: Coopflow) -> None:
    """Renders racing on one partnership are serialised by its lock: one document version, one
    journal record, and every caller gets that same document."""
    ref = scenario.in_drafting(cf)
    workers = 4
    barrier = threading.Barrier(workers)
    results: list[Any] = []

    def render() -> None:
        barrier.wait()
        try:
            results.append(cf.render(ref, actor=scenario.STAFF).sha256)
        except Exception as exc:
            results.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=render) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    docs = cf.documents_of(ref)
    assert [(d.kind, d.version) for d in docs] == [("protocole", 1)]
    assert results == [docs[0].sha256] * workers
    assert [r.event for r in cf.history(ref)].count("document") == 1
    check_evidence(cf)


@pytest.fixture
def cli_url(db_url: str) -> str:
    """A migrated database whose STAFF is, on PostgreSQL, the database login's actor (whom the
    command line acts as there)."""
    coopflow.migrate(db_url)
    with Coopflow(db_url) as cf:
        register_people_and_the_cli(cf)
    return db_url


@pytest.fixture
def cli_cf(cli_url: str) -> Iterator[Coopflow]:
    with Coopflow(cli_url) as cf:
        yield cf
        assert cf.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_cli_processes_and_api_threads_race_on_one_version(cli_cf: Coopflow, cli_url: str) -> None:
    """``coopflow fire --expect-version`` in 5 processes and ``fire(expected_version=...)`` in
    3 threads, all on the version they saw: exactly one of the 8 wins; each losing command
    exits 1 with the concurrent-modification message alone.  Meanwhile 3 more commands fire
    on partnerships of their own and all succeed."""
    cf = cli_cf
    shared, *own = _partnerships(cf, 4)
    seen = cf.partnership(shared).version

    def command(ref: str, i: int) -> list[str]:
        return coopflow_command(
            cli_url,
            "fire",
            ref,
            "suspendre",
            "--actor",
            scenario.STAFF.id,  # on PostgreSQL, the database login's actor
            "--role",
            "staff",
            "--data",
            f"motif=pause {i}",
            "--expect-version",
            str(seen if ref == shared else cf.partnership(ref).version),
            "--json",
        )

    commands = [(shared, command(shared, i)) for i in range(5)]
    commands += [(ref, command(ref, 10 + i)) for i, ref in enumerate(own)]
    processes = [
        (
            ref,
            subprocess.Popen(
                argv, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            ),
        )
        for ref, argv in commands
    ]
    barrier = threading.Barrier(3)
    threads_won: list[int] = []
    thread_errors: list[str] = []

    def fire(i: int) -> None:
        barrier.wait()
        try:
            result = cf.fire(
                shared, "suspendre", scenario.STAFF, data={"motif": "api"}, expected_version=seen
            )
            threads_won.append(result.record.seq)
        except ConcurrentModificationError:
            pass
        except Exception as exc:
            thread_errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    outcomes = []
    for ref, process in processes:
        out, err = process.communicate(timeout=120)
        outcomes.append((ref, process.returncode, out, err))

    assert thread_errors == []
    for ref, code, out, err in outcomes:
        if code == 0:
            assert json.loads(out)["record"]["hash"] in {r.hash for r in cf.history(ref)}
        else:
            assert ref == shared, err
            assert code == 1, err
            assert err == "", err  # with --json, the refusal is JSON on stdout
            refusal = json.loads(out)["error"]
            assert (refusal["code"], refusal["reference"]) == ("concurrent_modification", ref)
            message = refusal["message"]
            assert message.startswith("partnership "), message
            assert "modified concurrently" in message and "you expected" in message, message
            assert "locked" not in message and "busy" not in message, message
    cli_won = sum(1 for ref, code, *_ in outcomes if ref == shared and code == 0)
    assert cli_won + len(threads_won) == 1
    for ref in own:
        assert cf.partnership(ref).state == "suspendu"
    assert [r.event for r in cf.history(shared)] == ["creation", "suspendre"]
    check_evidence(cf)
