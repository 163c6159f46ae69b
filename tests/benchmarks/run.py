"""coopflow's benchmark: one command, one table of ratios measured side by side in one run.

    python tests/benchmarks/run.py [--quick] [--check] [--postgres URL] [--only NAME ...]

Every figure is a ratio of two things measured in the same run, interleaved, as medians (the
machines are noisy: no absolute time is a target).  Measures (``--only`` names):

``fire``         ``cf.fire`` against the raw-SQL floor (same statements, same transaction shape,
                 same driver), on SQLite and PostgreSQL.  Targets: 1.5x and 1.3x.
``naive``        the same fires written naively with the ORM and a ``transitions.Machine`` per
                 fire (``_naive.py``) against ``cf.fire``, on SQLite and PostgreSQL.  Target:
                 coopflow at least 3x faster.
``scale``        ``cf.fire`` at 100,000 partnerships against 1,000.  Target: 1.2x.
``memory``       resident memory after 100,000 fires on 100,000 different partnerships, minus
                 at start, in a fresh process (SQLite; PostgreSQL too with ``--quick``).
                 Target: < 50 MB.
``queries``      ``cf.due()`` at 100,000 partnerships against 1,000 (target: 1.5x); first pages of
                 ``cf.partnerships(state=/scale=/party=)``; memory while listing them all.
``concurrency``  PostgreSQL: 8 processes against 1 on different partnerships (target: 2x); 8
                 processes on one partnership with ``expected_version``: share refused, nothing
                 lost.
``checkpoint``   PostgreSQL: the same 8 processes on different partnerships while one more
                 takes checkpoints back to back (a stress: no target), then one a second
                 (target: 0.95x), against without; the same
                 with the checkpointer's share of the CPU counted, and the workers' backends
                 seen waiting for a lock, with and without (informative).
``documents``    the document benchmark (``bench_documents.py``): full render of a ~10-page
                 protocol against WeasyPrint alone writing the same PDF/A-3a (1.05x; against a
                 plain PDF: informative), 50 programmes with 2 workers vs 1 (1.6x).
``import``       ``coopflow apply`` of a script of 100,000 partnerships against
                 ``create_partnership`` calls, one transaction each (timed on 5,000), per
                 partnership (``bench_import.py``), on SQLite; 5,000 against 5,000 on
                 PostgreSQL.  Target: apply at least 5x faster.
``cli``          start-up of the ``coopflow`` command, fresh processes (``bench_cli.py``):
                 ``--version`` and ``--help`` against ``python -c pass`` (3x); ``partnership
                 list``, ``events``, ``history`` and ``fire`` on SQLite against ``python -c
                 "import sqlalchemy.orm, click"`` (1.3x).

SQLite databases are temporary files with coopflow's own settings (WAL, ``synchronous=FULL``);
PostgreSQL ones are schemas created and dropped by the benchmark on the server given by
``--postgres`` or ``COOPFLOW_TEST_POSTGRES_URL`` (without either, PostgreSQL is skipped).
``--quick`` shrinks everything (200 vs 2,000 partnerships, 500 fires...) for CI's smoke run.
The exit status is 0 whatever the ratios (it is not 0 if something crashed), unless ``--check``
is given: then it is 1 when a row with a target missed it (the rows missed are listed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(_ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.benchmarks import bench_cli, bench_concurrency, bench_engine, bench_import  # noqa: E402
from tests.benchmarks._lab import Lab, Sizes  # noqa: E402
from tests.benchmarks._report import Row, machine, table  # noqa: E402

SECTIONS = (
    "fire",
    "naive",
    "scale",
    "memory",
    "queries",
    "concurrency",
    "checkpoint",
    "documents",
    "import",
    "cli",
)


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def postgres_version(url: str) -> str:
    """The server's version, which also checks that it can be reached."""
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


def document_rows(quick: bool, postgres: str | None) -> list[Row]:
    """The document benchmark's ratios, as rows of this table."""
    from tests.benchmarks import bench_documents  # loads WeasyPrint: only when needed

    return [
        Row(
            f"documents: {ratio.name}",
            f"{ratio.candidate}: {ratio.candidate_seconds:.3f} s",
            f"{ratio.baseline}: {ratio.baseline_seconds:.3f} s",
            ratio.ratio,
            ratio.target_text,
            ratio.met,
        )
        for ratio in bench_documents.collect(quick=quick, postgres=postgres)
    ]


def plan(
    lab: Lab, backends: Sequence[str], only: set[str], quick: bool, postgres: str | None = None
) -> list[tuple[str, Callable[[], list[Row]]]]:
    """The measures to take, in order: (section, function returning its rows)."""
    steps: list[tuple[str, Callable[[], list[Row]]]] = []

    def add(section: str, function: Callable[[Lab, str], list[Row]], backend: str) -> None:
        if section in only:
            steps.append((section, lambda: function(lab, backend)))

    for backend in backends:
        add("fire", bench_engine.fire_latency, backend)
    for backend in backends:
        add("naive", bench_engine.naive_baseline, backend)
    for backend in backends:
        add("scale", bench_engine.scale, backend)
    for backend in backends:
        add("queries", bench_engine.queries, backend)
    if "postgresql" in backends:
        add("concurrency", bench_concurrency.throughput, "postgresql")
        add("concurrency", bench_concurrency.contention, "postgresql")
        add("checkpoint", bench_concurrency.checkpointing, "postgresql")  # back to back
        if "checkpoint" in only:  # and one a second
            steps.append(
                ("checkpoint", lambda: bench_concurrency.checkpointing(lab, "postgresql", 1.0))
            )
    for backend in backends:
        if backend == "sqlite" or quick:
            add("memory", bench_engine.memory, backend)
    if "documents" in only:
        steps.append(("documents", lambda: document_rows(quick, postgres)))
    for backend in backends:
        add("import", bench_import.import_speed, backend)
    add("cli", bench_cli.startup, "sqlite")
    return steps


def missed(rows: Sequence[Row]) -> list[Row]:
    """The rows with a target that they missed (informative rows have none)."""
    return [row for row in rows if row.met is False]


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="coopflow's benchmark: a table of ratios measured side by side.",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke run)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 if any row misses its target (without it: 0 unless a crash)",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("COOPFLOW_TEST_POSTGRES_URL"),
        help="PostgreSQL server to measure on (default: $COOPFLOW_TEST_POSTGRES_URL)",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        metavar="NAME",
        help=f"run only this measure (repeatable): {', '.join(SECTIONS)}",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, then print the machine, the table and the notes."""
    arguments = parse(argv)
    started = time.perf_counter()
    pg_version = postgres_version(arguments.postgres) if arguments.postgres else None
    backends = ["sqlite"] + (["postgresql"] if arguments.postgres else [])
    sizes = Sizes.of(arguments.quick)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="coopflow-bench-") as folder:
        lab = Lab(Path(folder), arguments.postgres, sizes, _log)
        try:
            only = set(arguments.only or SECTIONS)
            for section, step in plan(lab, backends, only, arguments.quick, arguments.postgres):
                _log(f"- {section}")
                rows.extend(step())
        finally:
            lab.close()
    mode = "quick" if arguments.quick else "full"
    print(f"coopflow benchmark ({mode}): ratios of medians measured side by side in one run\n")
    for name, value in machine(pg_version):
        print(f"  {name:<11} {value}")
    print()
    print(table(rows))
    notes = lab.notes + ([] if arguments.postgres else ["PostgreSQL: not measured (--postgres)"])
    if notes:
        print("\nnotes:\n" + "\n".join(f"  - {note}" for note in notes))
    print(f"\n{mode} run: {time.perf_counter() - started:.0f} s")
    targeted, failed = [row for row in rows if row.met is not None], missed(rows)
    print(f"targets: {len(targeted) - len(failed)} of {len(targeted)} met")
    if arguments.check and failed:
        print("\n--check: targets missed:", file=sys.stderr)
        for row in failed:
            got = row.ratio_text if row.ratio is not None else row.coopflow
            print(f"  - {row.measure}: {got} (target {row.target})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
