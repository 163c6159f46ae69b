"""Concurrency on PostgreSQL, with worker processes (multiprocessing ``spawn``).

1. Throughput: ``workers`` processes firing on partnerships of their own against one process
   doing the same work alone; rounds alternate one and many, medians.  The clock starts when
   every worker is connected and warmed up (a barrier), and stops when the last one is done.
2. Contention: ``workers`` processes firing on the same partnership, each time with the
   version it has just read (``expected_version``).  Reports the share of attempts refused
   with ConcurrentModificationError, and checks that nothing was lost: the journal holds one
   record per success (plus the creation record), the version counted each of them, and
   ``verify()`` passes.

Run through ``tests/benchmarks/run.py``.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
from collections.abc import Callable
from typing import Any

from coopflow import Coopflow

from . import _workers
from ._lab import Lab
from ._report import Row, busy_share, speedup

THROUGHPUT_TARGET = 2.0
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


def _throughput(url: str, shares: list[list[str]], loops: int) -> tuple[float, float]:
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
    busy_one, busy_many = (
        statistics.median(busy for _, busy in runs) for runs in (alone, together)
    )
    cores = os.cpu_count() or 1
    lab.notes.append(
        f"throughput, {backend}: the machine's {cores} cores were {busy_one:.0%} busy with 1 "
        f"process (client and server), {busy_many:.0%} with {workers}: with the database on the "
        f"same cores, the speed-up cannot exceed about {1 / busy_one:.1f}x here"
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
