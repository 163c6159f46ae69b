"""What the checkpointer process of the checkpoint benchmark runs (multiprocessing ``spawn``).

:func:`checkpoint_rounds` runs in one process through every round of the run: in the rounds
it is active, it takes checkpoints back to back (no pause, ``if_needed=False``: each one reads
every chain's head, signs, stores a row) while the throughput workers fire; in the others it
waits idle.  It reports how many it took and how much CPU it used: its own, and that of the
PostgreSQL backends serving it (found by their ``application_name`` in ``pg_stat_activity``,
read from ``/proc`` when the server runs on this machine), so that the report can count the
checkpointer fairly on a machine with fewer cores than processes.  In every round it also looks,
every few hundredths of a second, at what the workers' backends are waiting for: a wait for a
lock would mean fires serialised behind something.

Kept apart from the other benchmark modules, like ``_workers``: it imports coopflow only.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from coopflow import Actor, CheckpointSettings, Coopflow
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

#: Registered as staff by ``_data.register_people``; staff may take checkpoints.
CHECKPOINTER = Actor("bench.loader", "staff")
APPLICATION = "coopflow-bench-checkpointer"
WORKERS = "coopflow-bench-worker"  # the application_name of the workers' connections
EVERY = 0.02  # seconds between two looks at what the workers' backends wait for


def named_url(url: str, application: str = APPLICATION) -> str:
    """``url`` with an ``application_name``, so that its backends can be told apart."""
    named = make_url(url).update_query_dict({"application_name": application})
    return named.render_as_string(hide_password=False)


def _process_ticks(pid: int) -> int | None:
    """utime + stime of process ``pid`` in clock ticks (None: not on this machine)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)


class Backends:
    """CPU ticks of the PostgreSQL backends whose ``application_name`` is ``application``,
    sampled through a connection of another name (so not counted)."""

    def __init__(self, url: str, application: str = APPLICATION) -> None:
        self.application = application
        self.engine = create_engine(named_url(url, f"{application}-probe"))

    def sample(self) -> dict[int, int | None]:
        with self.engine.connect() as connection:
            pids = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                {"name": self.application},
            ).scalars()
            return {int(pid): _process_ticks(int(pid)) for pid in pids}

    def wal(self) -> int:
        """Where the server's write-ahead log is: bytes written since it began."""
        with self.engine.connect() as connection:
            position = connection.execute(
                text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")
            ).scalar_one()
            return int(position)

    def waits(self, counts: dict[str, int]) -> None:
        """Add to ``counts`` what the workers' backends are doing now, one count each:
        ``lock`` (waiting for a lock held by another transaction: serialised), ``wal``
        (waiting for the write-ahead log: flushing a commit), ``running``, ``other``."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE application_name = :name AND state = 'active'"
                ),
                {"name": WORKERS},
            )
            for kind, event in rows:
                if kind is None:
                    what = "running"
                elif kind == "Lock":
                    what = "lock"
                elif str(event).startswith("WAL"):
                    what = "wal"
                else:
                    what = "other"
                counts[what] = counts.get(what, 0) + 1

    def close(self) -> None:
        self.engine.dispose()


def backend_seconds(first: dict[int, int | None], last: dict[int, int | None]) -> float | None:
    """CPU seconds the backends used between two samples (a backend started in between counts
    from zero); None if a backend's process could not be read (a server elsewhere)."""
    if not last or any(ticks is None for ticks in last.values()):
        return None
    used = sum((ticks or 0) - (first.get(pid) or 0) for pid, ticks in last.items())
    return used / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _take_until(
    cf: Coopflow,
    backends: Backends,
    finished: Any,
    number: int,
    waits: dict[str, int],
    pause: float,
) -> dict[str, Any]:
    """Take checkpoints, ``pause`` seconds apart (0: back to back), until round ``number`` is
    finished (looking at what the workers' backends wait for between two, at most every
    :data:`EVERY` seconds)."""
    start, own_start, backends_start = time.monotonic(), _own_seconds(), backends.sample()
    ends: list[float] = []
    failed: list[str] = []
    looked = start
    while finished.value <= number:
        try:
            cf.checkpoint(actor=CHECKPOINTER)
        except Exception as exc:  # counted and reported: the loop goes on
            failed.append(f"{type(exc).__name__}: {exc}")
            continue
        ends.append(time.monotonic())
        if ends[-1] - looked >= EVERY:
            backends.waits(waits)
            looked = time.monotonic()
        while pause and finished.value <= number and time.monotonic() - ends[-1] < pause:
            time.sleep(min(EVERY, pause))
    backends_end = backends.sample()
    end, own_end = time.monotonic(), _own_seconds()
    return {
        "ends": ends,
        "failed": len(failed),
        "first_failure": failed[0] if failed else None,
        "start": start,
        "end": end,
        "own": own_end - own_start,
        "backends": backend_seconds(backends_start, backends_end),
    }


def checkpoint_rounds(
    url: str,
    key: str,
    pause: float,
    active: list[bool],
    barrier: Any,
    finished: Any,
    results: Any,
) -> None:
    """One process through every round of the run: each starts at ``barrier``; in an
    ``active`` round, take checkpoints back to back until the parent counts the round as
    ``finished`` (a shared integer: rounds done), otherwise wait idle.  In every round, look
    at what the workers' backends wait for (:meth:`Backends.waits`), every :data:`EVERY`
    seconds or so.  Report each round: its number, ``active``, ``waits``, the bytes of
    write-ahead log the server wrote meanwhile (``wal``, by every process), and when active,
    the end time of each checkpoint (monotonic clock), the failures, and the CPU seconds used
    by this process and by its backends meanwhile."""
    cf = Coopflow(named_url(url), checkpoints=CheckpointSettings(key=Path(key)))
    backends = Backends(url)
    try:
        cf.checkpoint(actor=CHECKPOINTER)  # connect and warm up before the first round
        backends.sample()
        for number, checkpointing in enumerate(active):
            barrier.wait()
            wal = backends.wal()
            waits: dict[str, int] = {}
            if checkpointing:
                report = _take_until(cf, backends, finished, number, waits, pause)
            else:
                report = {}
                while finished.value <= number:
                    time.sleep(EVERY)
                    backends.waits(waits)
            report.update(active=checkpointing, waits=waits, wal=backends.wal() - wal)
            results.put((number, report))
    except BaseException as exc:
        barrier.abort()  # the workers waiting for this process must not wait forever
        results.put(exc)
        raise
    finally:
        backends.close()
        cf.close()
