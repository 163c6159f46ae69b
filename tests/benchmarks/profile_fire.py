"""Where a fire's time goes: coopflow's phases, timed exclusively, against the raw-SQL floor.

    python tests/benchmarks/profile_fire.py [--postgres URL] [--fires N] [--folder DIR]
                                            [--pyinstrument]

Builds a database of 1,000 partnerships (see ``_data.py``), fires ``suspendre``/``reprendre``
pairs with coopflow and with the floor, and prints per fire: the floor's time, coopflow's time,
and coopflow's time split into phases.  Each phase is timed *exclusively* (time spent in a
nested phase counts for the nested one), so the phases add up to the total; ``database:
statements`` and ``database: commit`` are the time spent inside the driver, every other phase
is Python.  The phases are found by wrapping coopflow's and SQLAlchemy's functions for the
duration of the measure (nothing is changed in the engine).

``--folder /dev/shm`` puts the SQLite file in memory, which takes the disk's fsync out of the
figures and shows the CPU cost alone.  ``--pyinstrument`` also prints pyinstrument's call tree.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(_ROOT))

from coopflow import Coopflow, _journal  # noqa: E402
from coopflow._domain import firing  # noqa: E402
from coopflow._workflow import Workflow  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.orm import (  # noqa: E402
    Session,
    SessionTransaction,
    strategies,
)

from tests.benchmarks import _data  # noqa: E402
from tests.benchmarks._floor import Floor  # noqa: E402
from tests.benchmarks.bench_engine import Ring, coopflow_fire, pair_batch  # noqa: E402

PARTNERSHIPS = 1_000


class Phases:
    """Exclusive time per phase: entering a phase pauses the one it is nested in."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self._stack: list[list[Any]] = []  # [label, started, time in nested phases]

    def enter(self, label: str) -> None:
        self._stack.append([label, time.perf_counter(), 0.0])

    def leave(self) -> None:
        label, started, nested = self._stack.pop()
        elapsed = time.perf_counter() - started
        self.totals[label] += elapsed - nested
        if self._stack:
            self._stack[-1][2] += elapsed

    def timed(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.enter(label)
            try:
                return function(*args, **kwargs)
            finally:
                self.leave()

        return wrapper


# (object, attribute, phase): what is wrapped while coopflow is measured.
WRAPPED: tuple[tuple[Any, str, str], ...] = (
    # The facade, with the Core path's unit of work (pool checkout, BEGIN, COMMIT's
    # bookkeeping) for events without guards or effects such as suspendre/reprendre:
    (Coopflow, "fire", "facade and Core unit of work, FireResult"),
    (firing, "_lock_head", "Core path: the row read with its lock (and @previous)"),
    (_journal, "advance_on", "journal: record values, UPDATE + INSERT (one on PostgreSQL)"),
    # The ORM path (events with guards or effects):
    (SessionTransaction, "_connection_for_bind", "ORM path: connection checkout + BEGIN"),
    (firing, "lock_for_fire", "ORM path: ORM load of the locked partnership"),
    (strategies._SelectInLoader, "_load_for_path", "selectin load of members + parties"),
    (firing, "make_context", "context: workflow, event, FireContext"),
    (firing, "_parse_inputs", "inputs: parse and validate"),
    (firing, "_guard_reasons", "guards"),
    (firing, "_previous_state", "@previous: journal lookup"),
    (Workflow, "run", "transitions: trigger on the shared machine"),
    (_journal, "record_hash", "journal: canonical JSON + SHA-256"),
    (Session, "flush", "flush: unit of work (what effects changed)"),
    (SessionTransaction, "commit", "commit: SQLAlchemy bookkeeping"),
    (Session, "close", "session close, connection back to the pool"),
)


@contextlib.contextmanager
def instrumented(cf: Coopflow, phases: Phases) -> Iterator[None]:
    """Wrap the functions of :data:`WRAPPED` and time the driver's calls, then undo it."""
    saved = [(owner, name, owner.__dict__[name]) for owner, name, _ in WRAPPED]
    for owner, name, label in WRAPPED:
        setattr(owner, name, phases.timed(label, owner.__dict__[name]))
    dialect = cf.engine.dialect
    dialect.do_commit = phases.timed("database: commit", dialect.do_commit)  # type: ignore[method-assign]

    def before(*_: Any) -> None:
        phases.enter("database: statements")

    def after(*_: Any) -> None:
        phases.leave()

    event.listen(cf.engine, "before_cursor_execute", before)
    event.listen(cf.engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(cf.engine, "before_cursor_execute", before)
        event.remove(cf.engine, "after_cursor_execute", after)
        del dialect.do_commit
        for owner, name, original in saved:
            setattr(owner, name, original)


def _seconds(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def measure(url: str, fires: int, pyinstrument: bool) -> tuple[float, float, dict[str, float]]:
    """(floor seconds per fire, coopflow seconds per fire, coopflow's phases per fire), the
    floor's batches and coopflow's taking turns."""
    batch = 10
    ring = Ring(
        [_data.reference_of(i) for i in range(PARTNERSHIPS) if _data.state_of(i) == "accueil"]
    )
    turns = max(1, fires // (2 * batch))
    phases = Phases()
    with Coopflow(url) as cf:
        floor = Floor(url, "marie.dupont")
        raw, ours = pair_batch(floor.fire, ring, batch), pair_batch(coopflow_fire(cf), ring, batch)
        with instrumented(cf, phases):
            raw(), ours()  # warm up with the wrappers in place: SQLAlchemy caches loaders
            phases.totals.clear()
            floor_time = coopflow_time = 0.0
            for _ in range(turns):
                floor_time += _seconds(raw)
                coopflow_time += _seconds(ours)
        floor.close()
        if pyinstrument:
            _pyinstrument(ours, turns)
    fired = turns * 2 * batch
    per_fire = {label: seconds / fired for label, seconds in phases.totals.items()}
    return floor_time / fired, coopflow_time / fired, per_fire


def _pyinstrument(batch: Callable[[], None], turns: int) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0002)
    with profiler:
        for _ in range(turns):
            batch()
    print(profiler.output_text(unicode=False, color=False))


def report(floor: float, total: float, phases: dict[str, float]) -> str:
    """The phases, largest first, in ms per fire and as a share of coopflow's time."""
    lines = [
        f"floor (raw SQL)      {floor * 1000:8.3f} ms/fire",
        f"coopflow             {total * 1000:8.3f} ms/fire  ({total / floor:.2f}x the floor)",
        "",
        f"{'phase (exclusive)':<52} {'ms/fire':>8} {'share':>6}",
    ]
    accounted = sum(phases.values())
    for label, seconds in sorted(phases.items(), key=lambda item: -item[1]):
        lines.append(f"{label:<52} {seconds * 1000:8.3f} {seconds / total:6.1%}")
    rest = total - accounted
    lines.append(f"{'(benchmark loop, outside fire)':<52} {rest * 1000:8.3f} {rest / total:6.1%}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", help="profile on PostgreSQL, not SQLite")
    parser.add_argument("--fires", type=int, default=2000)
    parser.add_argument("--folder", help="where the SQLite file goes (e.g. /dev/shm)")
    parser.add_argument("--pyinstrument", action="store_true", help="print the call tree too")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=arguments.folder) as folder:
        databases = _data.Databases(Path(folder), arguments.postgres)
        try:
            backend = "postgresql" if arguments.postgres else "sqlite"
            built = _data.populate(databases.new(backend, "profile"), PARTNERSHIPS)
            print(f"{backend}, {PARTNERSHIPS:,} partnerships, {arguments.fires:,} fires")
            print(report(*measure(built.url, arguments.fires, arguments.pyinstrument)))
        finally:
            databases.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
