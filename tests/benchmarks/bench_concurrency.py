"""Concurrency on PostgreSQL, with worker processes (multiprocessing ``spawn``).

1. Throughput: ``workers`` processes firing on partnerships of their own against one process
   doing the same work alone; rounds alternate one and many, medians.  The clock starts when
   every worker is connected and warmed up (a barrier), and stops when the last one is done.
2. Contention: ``workers`` processes firing on the same partnership, each time with the
   version it has just read (``expected_version``).  Reports the share of attempts refused
   with ConcurrentModificationError, and checks that nothing was lost: the journal holds one
   record per success (plus the creation record), the version counted each of them, and
   ``verify()`` passes.
3. Checkpoints (``--only checkpoint``): the throughput of ``workers`` processes on partnerships
   of their own, alone and while one more process takes checkpoints back to back (each reads
   every chain's head, signs a Merkle root and stores a row); rounds alternate the two, in
   turn first, and the ratio is the median of each round's.  The checkpointer's own CPU and
   its PostgreSQL backends' (read from ``/proc`` when the server is on this machine) give a
   second, fair ratio: the throughput against what the firing side had left of the machine.
   A look at ``pg_stat_activity`` every few hundredths of a second counts the workers'
   backends seen waiting for a lock (a fire serialised behind something), with and without.

Run through ``tests/benchmarks/run.py``.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from queue import Empty
from typing import Any

from coopflow import Coopflow
from coopflow._checkpoint import new_key

from . import _checkpointer, _workers
from ._lab import Lab
from ._report import Row, busy_median, busy_share, speedup

THROUGHPUT_TARGET = 2.0
CHECKPOINT_TARGET = 0.95  # throughput while checkpointing, against without
TIMEOUT = 600


def _run_workers(target: Callable[..., None], arguments: list[tuple[Any, ...]]) -> list[Any]:
    """Start one process per argument tuple (each also gets the barrier and the result
    queue), and return what each one reported; re-raise a worker's exception."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(arguments), timeout=TIMEOUT)
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(*args, barrier, results)) for args in arguments
    ]
    for process in processes:
        process.start()
    try:
        reported = [results.get(timeout=TIMEOUT) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=TIMEOUT)
    for outcome in reported:
        if isinstance(outcome, BaseException):
            raise RuntimeError("a benchmark worker failed") from outcome
    return reported


def _throughput(url: str, shares: list[list[str]], loops: int) -> tuple[float, float | None]:
    """(fires per second, share of the machine's CPU busy) of one process per share of
    partnerships, all at once."""
    reported = _run_workers(_workers.throughput_worker, [(url, share, loops) for share in shares])
    fires = sum(r[0] for r in reported)
    first, last = min(reported, key=lambda r: r[1]), max(reported, key=lambda r: r[2])
    return float(fires / (last[2] - first[1])), busy_share(first[3], last[4])


def throughput(lab: Lab, backend: str = "postgresql") -> list[Row]:
    """``workers`` processes on different partnerships against one process."""
    sizes = lab.sizes
    per, workers = sizes.worker_partnerships, sizes.workers
    built = lab.built(backend, "concurrency", per * workers + 1, all_accueil=True)
    references = built.references()
    shares = [references[i * per : (i + 1) * per] for i in range(workers)]
    lab.log(
        f"throughput on {backend}: 1 vs {workers} processes, {2 * per * sizes.worker_loops} "
        f"fires each, {sizes.rounds} round(s)"
    )
    alone, together = [], []
    for _ in range(sizes.rounds):
        alone.append(_throughput(built.url, shares[:1], sizes.worker_loops))
        together.append(_throughput(built.url, shares, sizes.worker_loops))
    one, many = (statistics.median(rate for rate, _ in runs) for runs in (alone, together))
    cores = os.cpu_count() or 1
    known_one = [busy for _, busy in alone if busy is not None]
    if known_one:
        busy_one = statistics.median(known_one)
        lab.notes.append(
            f"throughput, {backend}: the machine's {cores} cores were {busy_one:.0%} busy with "
            f"1 process (client and server), {busy_median(b for _, b in together)} with "
            f"{workers}: with the database on the same cores, the speed-up cannot exceed "
            f"about {1 / busy_one:.1f}x here"
        )
    else:
        lab.notes.append(
            f"throughput, {backend}: the machine's CPU counters (/proc/stat) did not move, so "
            f"how busy its {cores} cores were is not known"
        )
    return [
        speedup(
            f"throughput, {workers} processes vs 1, different partnerships, {backend}",
            f"{many:.0f} fires/s",
            f"{one:.0f} fires/s",
            many / one,
            THROUGHPUT_TARGET,
        )
    ]


def contention(lab: Lab, backend: str = "postgresql") -> list[Row]:
    """``workers`` processes firing on one partnership with ``expected_version``."""
    sizes = lab.sizes
    built = lab.built(
        backend,
        "concurrency",
        sizes.worker_partnerships * sizes.workers + 1,
        all_accueil=True,
    )
    reference = built.references()[-1]
    lab.log(f"contention on {backend}: {sizes.workers} processes on {reference}")
    with Coopflow(built.url) as cf:
        before = len(cf.history(reference))
        version = cf.partnership(reference).version
        reported = _run_workers(
            _workers.contention_worker,
            [(built.url, reference, sizes.attempts, i) for i in range(sizes.workers)],
        )
        ok, conflict, other = (sum(r[k] for r in reported) for k in ("ok", "conflict", "other"))
        records = len(cf.history(reference))
        final = cf.partnership(reference).version
        verified = cf.verify(reference).ok
    attempts = ok + conflict + other
    lost = (before + ok) - records
    counted = final - version == ok
    lab.notes.append(
        f"contention, {backend}: {attempts} attempts: {ok} fired, {conflict} "
        f"ConcurrentModificationError, {other} other errors; journal {before} + {ok} = "
        f"{records} records; version +{final - version}; verify() "
        f"{'ok' if verified else 'FAILED'}"
    )
    return [
        Row(
            f"same partnership, {sizes.workers} processes, expected_version, {backend}",
            f"{conflict / attempts:.0%} refused as concurrent ({ok} fired)",
            f"journal {records} = {before} + {ok}, verify {'ok' if verified else 'FAILED'}",
            None,
            "0 lost, 0 other errors",
            lost == 0 and other == 0 and counted and verified,
        )
    ]


@dataclass(frozen=True, slots=True)
class _Round:
    """One round of the checkpoint measure: what the workers did and what the checkpointer
    reported (``active``, ``wal``; when active also ``taken``: the checkpoints it completed
    while the workers' clock ran, ``own`` and ``backends``: its CPU seconds...)."""

    fires: int
    seconds: float
    busy: float | None  # share of the machine's CPU busy (None: not measured)
    checkpointer: dict[str, Any]

    @property
    def rate(self) -> float:
        return self.fires / self.seconds

    @property
    def active(self) -> bool:
        return bool(self.checkpointer["active"])


def _get(queue: Any, processes: list[Any]) -> Any:
    """The next report on ``queue``; raise if one of ``processes`` died without one (not
    to wait for it until the timeout)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            return queue.get(timeout=1)
        except Empty:
            dead = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(
                    f"a benchmark process died (exit codes {dead})" if dead else "timed out"
                ) from None


def _checkpoint_rounds(
    url: str, shares: list[list[str]], loops: int, key: str, pause: float, active: list[bool]
) -> list[_Round]:
    """One process per share of partnerships, and a checkpointer, all started once and kept
    for every round: in each, the workers fire as in :func:`_throughput` and the checkpointer
    takes checkpoints back to back if the round is ``active`` (otherwise it waits idle)."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(shares) + 1, timeout=TIMEOUT)
    results, checkpoints = context.Queue(), context.Queue()
    finished = context.Value("i", 0)  # rounds done: the checkpointer stops at the next one
    processes = [
        context.Process(
            target=_workers.throughput_rounds,
            args=(url, share, loops, len(active), barrier, results),
        )
        for share in shares
    ]
    processes.append(
        context.Process(
            target=_checkpointer.checkpoint_rounds,
            args=(url, key, pause, active, barrier, finished, checkpoints),
        )
    )
    for process in processes:
        process.start()
    rounds: list[_Round] = []
    failed = True
    try:
        for number in range(len(active)):
            reported = [_get(results, processes) for _ in shares]
            for outcome in reported:
                if isinstance(outcome, BaseException):
                    raise RuntimeError("a benchmark worker failed") from outcome
            finished.value = number + 1
            outcome = _get(checkpoints, processes)
            if isinstance(outcome, BaseException):
                raise RuntimeError("the benchmark's checkpointer failed") from outcome
            report = outcome[1]
            first, last = min(reported, key=lambda r: r[2]), max(reported, key=lambda r: r[3])
            begin, end = first[2], last[3]
            if report["active"]:
                report["taken"] = sum(begin <= t <= end for t in report["ends"])
            fires = sum(r[1] for r in reported)
            rounds.append(_Round(fires, end - begin, busy_share(first[4], last[5]), report))
        failed = False
    finally:
        finished.value = len(active) + 1
        for process in processes:
            process.join(timeout=10 if failed else TIMEOUT)
            if process.is_alive():  # only after a failure: one of ours, stuck at the barrier
                process.terminate()
                process.join()
    return rounds


def _checkpointer_share(report: dict[str, Any], cores: int) -> float | None:
    """The share of the machine's CPU (all cores) the checkpointer used, its backends
    included (None when they could not be measured)."""
    if report["backends"] is None:
        return None
    seconds = report["own"] + report["backends"]
    return float(seconds / (cores * (report["end"] - report["start"])))


def _wal_written(alone: _Round, together: _Round) -> tuple[float, float]:
    """The checkpointer's write-ahead log in ``together``: (its share of all that was
    written, bytes per checkpoint), counting the fires at ``alone``'s bytes per fire.  The log
    is the server's: other sessions writing meanwhile blur both figures."""
    per_fire = alone.checkpointer["wal"] / alone.fires
    written = together.checkpointer["wal"]
    own = max(0.0, written - per_fire * together.fires)
    return (own / written if written else 0.0), own / max(1, len(together.checkpointer["ends"]))


def _waits_row(alone: list[_Round], together: list[_Round], backend: str) -> tuple[Row, int]:
    """What the workers' backends were seen waiting for, with checkpoints and without; and
    how many times they were seen waiting for a lock with checkpoints."""

    def seen(rounds: list[_Round]) -> tuple[int, int, int]:
        counts: dict[str, int] = {}
        for one in rounds:
            for what, count in one.checkpointer["waits"].items():
                counts[what] = counts.get(what, 0) + count
        return counts.get("lock", 0), counts.get("wal", 0), sum(counts.values())

    (lock_b, wal_b, all_b), (lock_a, wal_a, all_a) = seen(together), seen(alone)
    row = Row(
        f"  same, workers' backends seen waiting for a lock (pg_stat_activity), {backend}",
        f"{lock_b} of {all_b} looks (WAL flush: {wal_b / max(all_b, 1):.0%})",
        f"{lock_a} of {all_a} looks (WAL flush: {wal_a / max(all_a, 1):.0%})",
    )
    return row, lock_b


def _listed(values: list[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


def checkpointing(lab: Lab, backend: str = "postgresql", pause: float = 0.0) -> list[Row]:
    """``workers`` processes on different partnerships, with and without one more process
    taking checkpoints ``pause`` seconds apart (0: back to back, a stress far beyond a daily
    job and one per signature; the target applies to one a second)."""
    sizes = lab.sizes
    per, workers = sizes.worker_partnerships, sizes.workers
    loops, pairs = max(sizes.worker_loops, 40 // per), 5 * sizes.rounds
    # More partnerships than the workers fire on: every checkpoint commits to all of them.
    size = max(sizes.small, per * workers + 1)
    built = lab.built(backend, "checkpoint", size, all_accueil=True)
    references = built.references()
    shares = [references[i * per : (i + 1) * per] for i in range(workers)]
    key = lab.folder / "checkpoint-key.pem"
    if not key.exists():
        new_key(key)
    # Pairs of rounds, without then with checkpoints, the other way round every other pair.
    active = [checkpointing for k in range(pairs) for checkpointing in (k % 2 == 1, k % 2 == 0)]
    lab.log(
        f"checkpoints on {backend}: {workers} processes, {2 * per * loops} fires each per "
        f"round, {pairs} pairs of rounds without and with a checkpointer ({size:,} chains "
        "per checkpoint)"
    )
    workers_url = _checkpointer.named_url(built.url, _checkpointer.WORKERS)
    rounds = _checkpoint_rounds(workers_url, shares, loops, str(key), pause, active)
    cores = os.cpu_count() or 1
    ratios, fair, used, wal, wal_each, taken = [], [], [], [], [], []
    paired: list[tuple[_Round, _Round]] = []
    for k in range(pairs):
        x, y = rounds[2 * k : 2 * k + 2]
        alone, together = (y, x) if x.active else (x, y)
        paired.append((alone, together))
        report = together.checkpointer
        ratios.append(together.rate / alone.rate)
        taken.append(report["taken"])
        wal_share, wal_bytes = _wal_written(alone, together)
        wal.append(wal_share)
        wal_each.append(wal_bytes)
        share = _checkpointer_share(report, cores)
        if share is not None:
            used.append(share)
            fair.append(ratios[-1] / (1 - share))
        lab.log(
            f"  pair {k + 1}: {alone.rate:.0f} fires/s without, {together.rate:.0f} with "
            f"{report['taken']} checkpoints in {together.seconds:.2f} s"
            + ("" if share is None else f" (checkpointer: {share:.0%} of the CPU)")
            + f", {wal[-1]:.0%} of the WAL"
        )
    rate_a = statistics.median(a.rate for a, _ in paired)
    rate_b = statistics.median(b.rate for _, b in paired)
    per_second = statistics.median(b.checkpointer["taken"] / b.seconds for _, b in paired)
    how = "back to back" if not pause else f"one every {pause:g} s"
    measure = (
        f"throughput, {workers} processes, different partnerships, checkpoints taken {how} "
        f"vs none, {backend}"
    )
    candidate = f"{rate_b:.0f} fires/s, {sum(taken)} checkpoints ({per_second:.1f}/s)"
    rows = [
        speedup(
            measure,
            candidate,
            f"{rate_a:.0f} fires/s",
            statistics.median(ratios),
            CHECKPOINT_TARGET,
        )
        if pause
        else Row(measure, candidate, f"{rate_a:.0f} fires/s", statistics.median(ratios))
    ]
    waits, locked = _waits_row([a for a, _ in paired], [b for _, b in paired], backend)
    looks = (
        "the looks at pg_stat_activity tell the same: no fire seen waiting for a lock"
        if locked == 0
        else f"yet fires were seen waiting for a lock {locked} times: look into it"
    )
    failures = [b.checkpointer for _, b in paired if b.checkpointer["failed"]]
    if failures:
        lab.notes.append(
            f"checkpoints, {backend}: {sum(f['failed'] for f in failures)} checkpoints "
            f"failed: {failures[0]['first_failure']}"
        )
    summary = (
        f"ratios per pair: {_listed(ratios)}; {', '.join(map(str, taken))} checkpoints of "
        f"{size:,} chains each, {statistics.median(wal):.0%} of the WAL written (median); "
        f"machine busy {busy_median(a.busy for a, _ in paired)} without, "
        f"{busy_median(b.busy for _, b in paired)} with"
    )
    if not used:
        lab.notes.append(
            f"checkpoints, {backend}: the server's backends could not be read from /proc (a "
            f"server on another machine?), so the checkpointer's CPU is not counted ({summary})"
        )
        return [*rows, waits]
    share = statistics.median(used)
    rows.append(
        Row(
            f"  same, counting the checkpointer's CPU ({share:.0%} of the machine), {backend}",
            f"{rate_b:.0f} fires/s on the {1 - share:.0%} of the CPU left",
            f"{rate_a:.0f} fires/s on 100 %",
            statistics.median(fair),
        )
    )
    lab.notes.append(
        f"checkpoints, {backend}: {workers} workers, 1 checkpointer and the database server "
        f"share {cores} cores and one write-ahead log.  The checkpointer (its process and its "
        f"backends) used {share:.0%} of the machine's CPU (median), CPU the workers would have "
        "fired with: on a saturated machine the first ratio stays below 1 whatever the "
        f"locking.  The second divides it by the share left to the workers (1 - {share:.0%}): "
        "near 1 when the fires are slowed by the CPU taken, not serialised behind the "
        f"checkpoints ({looks}).  What it does not count is the log: each checkpoint stores "
        f"its {size:,} chain heads, about {statistics.median(wal_each) / 1000:.0f} kB of "
        f"write-ahead log, {statistics.median(wal):.0%} of all that was written (medians, "
        "blurred by other sessions on the server), and the fires here mostly wait for the "
        "log's flushes; both costs grow with how often checkpoints are taken, here "
        f"{how} ({summary}; counted: {_listed(fair)})"
    )
    return [*rows, waits]
