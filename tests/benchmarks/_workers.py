"""What runs in fresh worker processes (multiprocessing ``spawn``): memory and concurrency.

Kept apart from the other benchmark modules, so that a worker imports coopflow and nothing
else (no WeasyPrint) and its resident memory starts small and clean.
"""

from __future__ import annotations

import time
from typing import Any

from coopflow import Actor, ConcurrentModificationError, Coopflow, CoopflowError

from ._data import reference_of
from ._report import machine_cpu, rss_bytes

STAFF = Actor("marie.dupont", "staff")
MOTIF = {"motif": "attente de la délibération du partenaire"}


def fire_pair(cf: Coopflow, reference: str, actor: Actor = STAFF) -> None:
    """Suspend then resume a partnership in accueil (it ends where it began)."""
    cf.fire(reference, "suspendre", actor, data=MOTIF)
    cf.fire(reference, "reprendre", actor)


def memory_after_fires(url: str, count: int, samples: int = 10) -> dict[str, Any]:
    """Resident memory before and after ``count`` fires on ``count`` different partnerships
    (``suspendre`` on partnerships 0..count-1, all in accueil), sampled along the way."""
    cf = Coopflow(url)
    start = rss_bytes()
    step = max(1, count // samples)
    trace: list[int] = []
    began = time.perf_counter()
    for i in range(count):
        cf.fire(reference_of(i), "suspendre", STAFF, data=MOTIF)
        if (i + 1) % step == 0:
            trace.append(rss_bytes())
    seconds = time.perf_counter() - began
    end = rss_bytes()
    cf.close()
    return {"start": start, "end": end, "trace": trace, "seconds": seconds, "count": count}


def memory_while_listing(url: str) -> dict[str, Any]:
    """Resident memory before and at its peak while iterating ``cf.partnerships()``."""
    cf = Coopflow(url)
    start = peak = rss_bytes()
    count = 0
    began = time.perf_counter()
    for _info in cf.partnerships():
        count += 1
        if count % 1000 == 0:
            peak = max(peak, rss_bytes())
    seconds = time.perf_counter() - began
    peak = max(peak, rss_bytes())
    cf.close()
    return {"start": start, "peak": peak, "count": count, "seconds": seconds}


def throughput_worker(
    url: str, references: list[str], loops: int, barrier: Any, results: Any
) -> None:
    """Fire suspendre/reprendre pairs on this worker's own partnerships, ``loops`` times, once
    every worker is ready; report (fires, start, end) on the monotonic clock, and the
    machine's CPU ticks (:func:`machine_cpu`) at start and end."""
    cf = Coopflow(url)
    try:
        fire_pair(cf, references[0])  # connect and warm up before the clock starts
        barrier.wait()
        start, cpu_start = time.monotonic(), machine_cpu()
        for _ in range(loops):
            for reference in references:
                fire_pair(cf, reference)
        end, cpu_end = time.monotonic(), machine_cpu()
        results.put((2 * loops * len(references), start, end, cpu_start, cpu_end))
    except BaseException as exc:
        results.put(exc)
        raise
    finally:
        cf.close()


def throughput_rounds(
    url: str, references: list[str], loops: int, rounds: int, barrier: Any, results: Any
) -> None:
    """:func:`throughput_worker` ``rounds`` times in one process: each round starts when every
    process of the run has passed ``barrier``, and reports (round, fires, start, end, CPU
    ticks at start, at end)."""
    cf = Coopflow(url)
    try:
        fire_pair(cf, references[0])  # connect and warm up before the first round
        for number in range(rounds):
            barrier.wait()
            start, cpu_start = time.monotonic(), machine_cpu()
            for _ in range(loops):
                for reference in references:
                    fire_pair(cf, reference)
            end, cpu_end = time.monotonic(), machine_cpu()
            results.put((number, 2 * loops * len(references), start, end, cpu_start, cpu_end))
    except BaseException as exc:
        barrier.abort()  # the others must not wait for this process
        results.put(exc)
        raise
    finally:
        cf.close()


def contention_worker(
    url: str, reference: str, attempts: int, index: int, barrier: Any, results: Any
) -> None:
    """Fire on the one partnership every worker fires on, each time with the version just
    read (``expected_version``); report the counts of successes, conflicts and other errors."""
    cf = Coopflow(url)
    actor = Actor(f"agent-{index}", "staff")
    counts = {"ok": 0, "conflict": 0, "other": 0}
    try:
        barrier.wait()
        for _ in range(attempts):
            seen = cf.partnership(reference)
            suspended = seen.state == "suspendu"
            try:
                cf.fire(
                    reference,
                    "reprendre" if suspended else "suspendre",
                    actor,
                    data=None if suspended else MOTIF,
                    expected_version=seen.version,
                )
                counts["ok"] += 1
            except ConcurrentModificationError:
                counts["conflict"] += 1
            except CoopflowError:
                counts["other"] += 1
        results.put(counts)
    except BaseException as exc:
        results.put(exc)
        raise
    finally:
        cf.close()
