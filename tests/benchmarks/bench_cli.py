"""Start-up of the ``coopflow`` command: what a user waits for at every command.

Each command runs in a fresh process (the venv's ``coopflow`` console script, next to the
interpreter running the benchmark), timed on the wall clock from its start to its exit, with
``COOPFLOW_DATABASE_URL``, ``COOPFLOW_SCHEMA`` and ``COOPFLOW_WORKFLOWS`` unset (the database
is given by ``--db``).  Two baselines run in the same rotation, interleaved with the commands
(the order reversed every other turn), medians:

- ``python -c pass``: the interpreter's own start-up.  ``coopflow --version`` and ``coopflow
  --help`` open no database and should cost little more: at most :data:`BARE_TARGET` times.
- ``python -c "import sqlalchemy.orm, click"``: what any command using the database needs to
  import anyway.  ``coopflow partnership list --json``, ``events``, ``history`` and ``fire``
  (``suspendre`` with its motif, then ``reprendre``, in turn: the row is the median of both)
  on a migrated SQLite database with a few partnerships should cost at most
  :data:`DATABASE_TARGET` times that: coopflow's own imports, opening the database, checking
  its schema and the command itself.

Run through ``tests/benchmarks/run.py``.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from coopflow import Coopflow

from . import _workers
from ._lab import Lab
from ._report import Row, overhead

BARE_TARGET = 3.0
DATABASE_TARGET = 1.3
UNSET = ("COOPFLOW_DATABASE_URL", "COOPFLOW_SCHEMA", "COOPFLOW_WORKFLOWS")


def console_script() -> Path:
    """The ``coopflow`` console script of the interpreter running the benchmark."""
    script = Path(sys.executable).with_name("coopflow")
    if not script.exists():
        raise RuntimeError(f"no coopflow console script next to {sys.executable}")
    return script


def _runner(argv: Sequence[str], cwd: Path) -> Callable[[], None]:
    """Run ``argv`` in a new process; raise if it fails."""
    env = {name: value for name, value in os.environ.items() if name not in UNSET}

    def run() -> None:
        done = subprocess.run(
            list(argv), cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} exited with {done.returncode}: {done.stderr.strip()[-500:]}"
            )

    return run


def startup(lab: Lab, backend: str = "sqlite") -> list[Row]:
    """Each command against its baseline, all in one interleaved rotation."""
    from .bench_documents import Side, interleaved_sides  # loads WeasyPrint: only when needed

    sizes = lab.sizes
    built = lab.built(backend, "cli", sizes.cli_partnerships, all_accueil=True)
    reference = built.references()[0]
    python, cli = sys.executable, str(console_script())
    db = ["--db", built.url]
    who = ["--actor", _workers.STAFF.id, "--role", "staff"]
    cwd = lab.folder
    events = itertools.cycle(
        [["suspendre", *who, "--data", f"motif={_workers.MOTIF['motif']}"], ["reprendre", *who]]
    )
    fire_runs = 0

    def fire() -> None:
        nonlocal fire_runs
        fire_runs += 1
        _runner([cli, *db, "fire", reference, *next(events)], cwd)()

    commands: list[tuple[str, Callable[[], None]]] = [
        ("python -c pass", _runner([python, "-c", "pass"], cwd)),
        (
            "import sqlalchemy.orm, click",
            _runner([python, "-c", "import sqlalchemy.orm, click"], cwd),
        ),
        ("coopflow --version", _runner([cli, "--version"], cwd)),
        ("coopflow --help", _runner([cli, "--help"], cwd)),
        (
            "coopflow partnership list --json",
            _runner([cli, *db, "partnership", "list", "--json"], cwd),
        ),
        ("coopflow events REF", _runner([cli, *db, "events", reference, *who], cwd)),
        ("coopflow history REF", _runner([cli, *db, "history", reference], cwd)),
        ("coopflow fire REF suspendre / reprendre", fire),
    ]
    lab.log(
        f"CLI start-up: {len(commands)} commands, {sizes.cli_repeat} interleaved runs each, "
        f"database with {built.size} partnerships"
    )
    [medians] = interleaved_sides([Side(run) for _, run in commands], sizes.cli_repeat)
    with Coopflow(built.url) as cf:
        verified = cf.verify(reference).ok
        records = len(cf.history(reference))
    if not verified:
        raise AssertionError(f"CLI start-up: the journal of {reference} does not verify")
    lab.notes.append(
        f"CLI start-up, {backend}: REF is {reference}; {fire_runs} fires through the CLI: "
        f"journal {records} records, verify() ok; the command is {cli}, the baselines run "
        f"{python} -c ..."
    )
    bare, imports = medians[0], medians[1]
    rows = []
    for (name, _), seconds in zip(commands[2:], medians[2:], strict=True):
        database = not name.endswith(("--version", "--help"))
        baseline, limit = (imports, DATABASE_TARGET) if database else (bare, BARE_TARGET)
        against = commands[1][0] if database else commands[0][0]
        rows.append(
            overhead(
                f"CLI: {name} vs {against}" + (f", {backend}" if database else ""),
                seconds,
                baseline,
                limit,
            )
        )
    return rows
