"""Bulk import: ``coopflow apply`` on a script of N partnerships against N calls, one by one.

What staff do to bring an existing portfolio into coopflow: a generated TOML script with N
``[[partnerships]]`` tables (each with two parties: the home metropolis and one of
:data:`PARTNERS` partner territories, in accueil, no step), applied by
:func:`coopflow.apply_script` (what ``coopflow apply`` runs: parsing and validating the
script, then, in one transaction, each partnership looked up by its reference, created with its
creation record, and its journal read for the script's steps), against the same partnerships
created by N calls of ``cf.create_partnership``, each in its own transaction (what a loop over
the public API does).  Both sides start from a new, migrated database with the parties already
registered (untimed), and are timed from the call to the last commit; the ratio is per
partnership: (per-call seconds / partnership) / (apply seconds / partnership), at least
:data:`IMPORT_TARGET`.

One commit per partnership is what the per-call side pays (an ``fsync`` on SQLite, a round
trip and a WAL flush on PostgreSQL); the script pays one.  The per-call side runs on a sample
of ``import_sample`` partnerships when the script has more (100,000 in the full run: creating
them one by one would take several minutes): its cost per partnership does not depend on how
many came before (each is one short transaction on indexed tables).  On PostgreSQL, where
every statement is a round trip, both sides import ``imported_postgres`` partnerships (5,000 in
the full run).  Runs of the two sides alternate, each on a fresh database; medians.

Run through ``tests/benchmarks/run.py``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import coopflow
from coopflow import Coopflow

from . import _data, _workers
from ._lab import Lab
from ._report import Row, speedup

IMPORT_TARGET = 5.0
PARTNERS = 50
SCRIPT_NAME = "bench-import"


def _reference(i: int) -> str:
    return f"IMPORT-{i + 1:06d}"


def _partner(i: int) -> str:
    return _data.partner_key(i % PARTNERS)


def _title(i: int) -> str:
    return f"Coopération Bordeaux Métropole – {_partner(i)} n° {i + 1}"


def _scale(i: int) -> str:
    return ("aire_metropolitaine", "espace_regional", "france_europe")[i % 3]


def script_text(count: int) -> str:
    """A script declaring ``count`` partnerships (the parties are registered beforehand)."""
    lines = [
        "[script]",
        f'name = "{SCRIPT_NAME}"',
        f'actor = "{_workers.STAFF.id}"',
        'role = "staff"',
        "",
    ]
    for i in range(count):
        lines += [
            "[[partnerships]]",
            f'reference = "{_reference(i)}"',
            f'title = "{_title(i)}"',
            f'scale = "{_scale(i)}"',
            f'parties = ["{_data.HOME}", "{_partner(i)}"]',
            "",
        ]
    return "\n".join(lines)


def _register_parties(cf: Coopflow) -> None:
    cf.add_party(
        _data.HOME,
        "Bordeaux Métropole",
        nature="METRO",
        deliberative_body="conseil métropolitain",
        executive_title="Présidente",
        actor=_workers.STAFF,
    )
    for k in range(PARTNERS):
        cf.add_party(
            _data.partner_key(k),
            f"Communauté de communes n° {k}",
            nature="CC",
            deliberative_body="conseil communautaire",
            executive_title="Président",
            actor=_workers.STAFF,
        )


def _one_by_one(cf: Coopflow, count: int) -> None:
    for i in range(count):
        cf.create_partnership(
            _title(i),
            scale=_scale(i),
            parties=[_data.HOME, _partner(i)],
            home=_data.HOME,
            responsible=_workers.STAFF.id,
            actor=_workers.STAFF,
            reference=_reference(i),
        )


def _timed_run(
    lab: Lab, backend: str, name: str, count: int, work: Callable[[Coopflow], object]
) -> float:
    """Seconds of ``work`` on a new, migrated database with the parties registered; checks
    that it created ``count`` partnerships whose journals verify."""
    url = lab.new_database(backend, name)
    coopflow.migrate(url)
    with Coopflow(url) as cf:
        _data.register_people(cf)
        _register_parties(cf)
        started = time.perf_counter()
        work(cf)
        seconds = time.perf_counter() - started
        created = sum(1 for _ in cf.partnerships())
        if created != count:
            raise AssertionError(f"{name}: {created} partnerships created, not {count}")
        for i in (0, count // 2, count - 1):
            if not cf.verify(_reference(i)).ok:
                raise AssertionError(f"{name}: the journal of {_reference(i)} does not verify")
    return seconds


def import_speed(lab: Lab, backend: str) -> list[Row]:
    """``apply_script`` on ``imported`` partnerships against ``import_sample`` calls of
    ``create_partnership``, per partnership, runs alternating, medians."""
    sizes = lab.sizes
    count = sizes.imported if backend == "sqlite" else sizes.imported_postgres
    sample = min(sizes.import_sample, count)
    script = lab.folder / f"import-{backend}.toml"
    script.write_text(script_text(count), encoding="utf-8")
    lab.log(
        f"import on {backend}: apply of {count:,} partnerships vs {sample:,} "
        f"create_partnership calls, {sizes.import_repeat} run(s) each"
    )

    def apply(cf: Coopflow) -> None:
        coopflow.apply_script(cf, script)

    def calls(cf: Coopflow) -> None:
        _one_by_one(cf, sample)

    per_apply: list[float] = []
    per_call: list[float] = []
    for turn in range(sizes.import_repeat):
        sides = [("calls", sample, calls, per_call), ("apply", count, apply, per_apply)]
        for side, size, work, times in sides[:: -1 if turn % 2 else 1]:
            seconds = _timed_run(lab, backend, f"import-{side}-{turn}", size, work)
            times.append(seconds / size)
            lab.log(f"  {side}: {size:,} partnerships in {seconds:.1f} s")
    apply_each, call_each = statistics.median(per_apply), statistics.median(per_call)
    script.unlink()
    if sample < count:
        lab.notes.append(
            f"import, {backend}: create_partnership timed on {sample:,} partnerships, apply on "
            f"{count:,}; the ratio is per partnership"
        )
    return [
        speedup(
            f"import {count:,} partnerships: apply vs {sample:,} create_partnership calls, "
            f"{backend} (per partnership)",
            f"{apply_each * 1000:.3f} ms",
            f"{call_each * 1000:.3f} ms",
            call_each / apply_each,
            IMPORT_TARGET,
        )
    ]
