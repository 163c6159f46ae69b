"""Benchmarks of the engine: ratios measured side by side, never absolute times.

Run through ``tests/benchmarks/run.py``, which prints them all in one table.

1. Fire latency: ``cf.fire`` against the raw-SQL floor (:mod:`._floor`) on the same database,
   batches of ``suspendre``/``reprendre`` pairs on partnerships in accueil, interleaved, medians;
   and against the naive baseline (:mod:`._naive`: the ORM and a ``transitions.Machine`` per
   fire, as a first implementation would be written), the same way: coopflow should be
   several times faster than the obvious code, not only close to the floor.
2. Scale: ``cf.fire`` with 100,000 partnerships in the database against 1,000 (same batches,
   interleaved); and the resident memory of a fresh process after 100,000 fires on 100,000
   different partnerships, against its memory at start.
3. Queries staff use: ``cf.due()`` at 100,000 partnerships against 1,000 (the same live
   contracts, so the same deadlines, at both sizes, among 99,850 or 850 partnerships in
   accueil, in dialogue or ended with what they left open: see :mod:`._data`); the first
   page of ``cf.partnerships(state=...)``, ``scale=`` and ``party=`` at both sizes
   (informative: the query plans are checked by ``tests/test_query_plans.py``); the resident
   memory of a fresh process while it iterates over every partnership.

Memory is measured in worker processes started with ``spawn``, so that nothing else the
benchmark did (building databases, other measures) is in the figures.
"""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from typing import Any

from coopflow import Coopflow

from . import _data, _workers
from ._floor import Floor
from ._lab import Lab
from ._naive import Naive
from ._report import Row, compare, mib, overhead, speedup

MEMORY_BUDGET = 50 * 1024 * 1024
FIRE_TARGETS = {"sqlite": 1.5, "postgresql": 1.3}
NAIVE_TARGET = 3.0  # the naive baseline's time over coopflow's: at least 3x
SCALE_TARGET = 1.2
DUE_TARGET = 1.5

FireFunction = Callable[[str, str, Mapping[str, object]], object]


def interleaved_medians(
    baseline: Callable[[], object], candidate: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """:func:`bench_documents.interleaved_medians`, imported when first needed: the module
    loads WeasyPrint, which the worker processes (spawned: they import ``run.py``) need not."""
    from .bench_documents import interleaved_medians as medians

    return medians(baseline, candidate, repeat)


class Ring:
    """References taken in turn, a few at a time, from a shuffled list (fixed seed)."""

    def __init__(self, references: list[str], seed: int = 7) -> None:
        if not references:
            raise ValueError("no partnership to fire on")
        self._references = list(references)
        random.Random(seed).shuffle(self._references)
        self._next = 0
        self.used: set[str] = set()

    def take(self, count: int) -> list[str]:
        taken = [self._references[(self._next + i) % len(self._references)] for i in range(count)]
        self._next += count
        self.used.update(taken)
        return taken


def coopflow_fire(cf: Coopflow) -> FireFunction:
    """``cf.fire`` with the floor's signature."""
    return lambda reference, event, data: cf.fire(
        reference, event, _workers.STAFF, data=dict(data) or None
    )


def pair_batch(fire: FireFunction, ring: Ring, count: int) -> Callable[[], None]:
    """A batch: ``suspendre`` on ``count`` partnerships in accueil, then ``reprendre`` on each
    (``2 * count`` fires; every partnership ends in accueil again)."""

    def batch() -> None:
        references = ring.take(count)
        for reference in references:
            fire(reference, "suspendre", _workers.MOTIF)
        for reference in references:
            fire(reference, "reprendre", {})

    return batch


def _verify_sample(cf: Coopflow, references: set[str], what: str, sample: int = 40) -> str:
    chosen = sorted(references)[:sample]
    broken = [ref for ref in chosen if not cf.verify(ref).ok]
    if broken:
        raise AssertionError(f"{what}: broken journal chains: {', '.join(broken[:5])}")
    return f"{what}: verify() ok on {len(chosen)} partnerships fired on"


# ----------------------------------------------------------------------------- fire latency


def fire_latency(lab: Lab, backend: str) -> list[Row]:
    """``cf.fire`` against the raw-SQL floor, on the same partnerships, interleaved."""
    built = lab.small(backend)
    sizes = lab.sizes
    ring = Ring(built.references())
    lab.log(f"fire latency on {backend}: {sizes.repeat} batches of {2 * sizes.batch} fires each")
    with Coopflow(built.url) as cf:
        floor = Floor(built.url, _workers.STAFF.id)
        try:
            base, cand = interleaved_medians(
                pair_batch(floor.fire, ring, sizes.batch),
                pair_batch(coopflow_fire(cf), ring, sizes.batch),
                sizes.repeat,
            )
        finally:
            floor.close()
        lab.notes.append(_verify_sample(cf, ring.used, f"fire latency, {backend}"))
    fires = 2 * sizes.batch
    return [
        overhead(
            f"fire latency, {backend} (per fire)",
            cand / fires,
            base / fires,
            FIRE_TARGETS[backend],
        )
    ]


def naive_baseline(lab: Lab, backend: str) -> list[Row]:
    """The naive ORM + ``transitions`` fire against ``cf.fire``, on the same partnerships of
    the same database, interleaved like the floor; the ratio is naive / coopflow.  The floor
    runs in the same rotation: naive / floor is the most that ratio can be (coopflow cannot
    be faster than the floor), an informative row."""
    from .bench_documents import Side, interleaved_sides

    built = lab.small(backend)
    sizes = lab.sizes
    ring = Ring(built.references(), seed=13)
    lab.log(
        f"naive baseline on {backend}: {sizes.repeat} batches of {2 * sizes.batch} fires each "
        "(naive, coopflow, floor)"
    )
    with Coopflow(built.url) as cf:
        naive = Naive(built.url, _workers.STAFF.id)
        floor = Floor(built.url, _workers.STAFF.id)
        try:
            [[slow, cand, base]] = interleaved_sides(
                [
                    Side(pair_batch(naive.fire, ring, sizes.batch)),
                    Side(pair_batch(coopflow_fire(cf), ring, sizes.batch)),
                    Side(pair_batch(floor.fire, ring, sizes.batch)),
                ],
                sizes.repeat,
            )
        finally:
            naive.close()
            floor.close()
        lab.notes.append(_verify_sample(cf, ring.used, f"naive baseline, {backend}"))
    fires = 2 * sizes.batch
    return [
        speedup(
            f"fire vs naive ORM + transitions (naive / coopflow), {backend} (per fire)",
            f"{cand / fires * 1000:.3f} ms",
            f"{slow / fires * 1000:.3f} ms",
            slow / cand,
            NAIVE_TARGET,
        ),
        Row(
            f"naive ORM + transitions / raw-SQL floor (the most the row above can be), {backend}",
            f"naive {slow / fires * 1000:.3f} ms",
            f"floor {base / fires * 1000:.3f} ms",
            slow / base,
        ),
    ]


# ----------------------------------------------------------------------------- scale


def scale(lab: Lab, backend: str) -> list[Row]:
    """``cf.fire`` with ``big`` partnerships in the database against ``small``."""
    small, big = lab.small(backend), lab.big(backend)
    sizes = lab.sizes
    lab.log(f"fire latency at {big.size:,} vs {small.size:,} partnerships on {backend}")
    with Coopflow(small.url) as few, Coopflow(big.url) as many:
        base, cand = interleaved_medians(
            pair_batch(coopflow_fire(few), Ring(small.references()), sizes.batch),
            pair_batch(coopflow_fire(many), Ring(big.references(), seed=11), sizes.batch),
            sizes.repeat,
        )
    fires = 2 * sizes.batch
    return [
        overhead(
            f"fire latency, {big.size:,} vs {small.size:,} partnerships, {backend}",
            cand / fires,
            base / fires,
            SCALE_TARGET,
        )
    ]


def in_fresh_process(function: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``function(*args)`` in a new process (spawn) and return its result."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def memory(lab: Lab, backend: str) -> list[Row]:
    """Resident memory of a fresh process after ``memory_fires`` fires on as many different
    partnerships, minus its memory once coopflow is open (before the first fire)."""
    count = lab.sizes.memory_fires
    built = lab.built(backend, "memory", count, all_accueil=True)
    lab.log(f"memory: {count:,} fires on {count:,} partnerships on {backend}, in a new process")
    result = in_fresh_process(_workers.memory_after_fires, built.url, count)
    growth = result["end"] - result["start"]
    trend = ", ".join(mib(r - result["start"]).replace(" MB", "") for r in result["trace"])
    lab.notes.append(
        f"memory, {backend}: {count:,} fires in {result['seconds']:.0f} s; growth (MB) "
        f"after each tenth: {trend}"
    )
    return [
        Row(
            f"RSS growth after {count:,} fires on {count:,} partnerships, {backend}",
            f"+{mib(growth)}",
            f"at start {mib(result['start'])}",
            None,
            f"< {mib(MEMORY_BUDGET)}",
            growth < MEMORY_BUDGET,
        )
    ]


# ----------------------------------------------------------------------------- queries


def _first_page(cf: Coopflow, filters: Mapping[str, str], size: int = 50) -> Callable[[], int]:
    """The first ``size`` partnerships of a listing (what a screen of results shows)."""

    def page() -> int:
        listing = cf.partnerships(**filters)
        try:
            return len(list(islice(listing, size)))
        finally:
            listing.close()

    return page


def queries(lab: Lab, backend: str) -> list[Row]:
    """The deadlines query and the listings, at ``big`` against ``small`` partnerships."""
    small, big = lab.small(backend), lab.big(backend)
    sizes, rows = lab.sizes, []
    label = f"{big.size:,} vs {small.size:,} partnerships, {backend}"
    lab.log(f"queries at {label}")
    with Coopflow(small.url) as few, Coopflow(big.url) as many:

        def due(cf: Coopflow) -> Callable[[], int]:
            return lambda: len(cf.due(within_days=_data.WITHIN_DAYS, today=_data.TODAY))

        listed = [cf.due(within_days=_data.WITHIN_DAYS, today=_data.TODAY) for cf in (few, many)]
        if listed[0] != listed[1]:
            extra = [d for d in listed[1] if d not in listed[0]][:3]
            raise AssertionError(
                f"the same deadlines should be due at both sizes ({len(listed[0])} and "
                f"{len(listed[1])}); at {big.size:,}, for instance: {extra}"
            )
        found = (len(listed[0]), len(listed[1]))
        base, cand = interleaved_medians(due(few), due(many), sizes.query_repeat)
        rows.append(
            overhead(
                f"due(within_days={_data.WITHIN_DAYS}) [{found[0]} due], {label}",
                cand,
                base,
                DUE_TARGET,
            )
        )
        for filters in (
            {"state": "contractualisation"},
            {"scale": "france_europe"},
            {"party": _data.partner_key(3)},
        ):
            base, cand = interleaved_medians(
                _first_page(few, filters), _first_page(many, filters), sizes.query_repeat
            )
            ((name, value),) = filters.items()
            rows.append(compare(f"partnerships({name}={value!r}), first 50, {label}", cand, base))
    rows.append(_listing_memory(lab, backend, small, big))
    return rows


def _listing_memory(lab: Lab, backend: str, small: _data.Built, big: _data.Built) -> Row:
    """Iterating over every partnership streams: the resident memory stays flat."""
    lab.log(f"memory while listing every partnership on {backend}, in new processes")
    few = in_fresh_process(_workers.memory_while_listing, small.url)
    many = in_fresh_process(_workers.memory_while_listing, big.url)
    grew = many["peak"] - many["start"]
    lab.notes.append(
        f"listing, {backend}: {many['count']:,} partnerships in {many['seconds']:.1f} s "
        f"(peak +{mib(grew)}); {few['count']:,} in {few['seconds']:.2f} s "
        f"(peak +{mib(few['peak'] - few['start'])})"
    )
    return Row(
        f"RSS growth listing all {many['count']:,} partnerships, {backend}",
        f"+{mib(grew)}",
        f"+{mib(few['peak'] - few['start'])} for {few['count']:,}",
        None,
        f"< {mib(MEMORY_BUDGET)}",
        grew < MEMORY_BUDGET,
    )


SECTIONS: dict[str, Callable[[Lab, str], list[Row]]] = {
    "fire": fire_latency,
    "naive": naive_baseline,
    "scale": scale,
    "queries": queries,
    "memory": memory,
}
