"""The state of one benchmark run: its sizes, its databases, its log and its notes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import _data


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big each measure is: the full run, or the quick smoke run."""

    small: int
    big: int
    memory_fires: int
    batch: int  # partnerships per timed batch (two fires each)
    repeat: int  # timed batches per side
    query_repeat: int
    workers: int  # concurrency: processes of the parallel run
    worker_partnerships: int
    worker_loops: int
    rounds: int
    attempts: int  # contention: attempts per worker
    imported: int  # import: partnerships in the script ``apply`` imports (SQLite)
    import_sample: int  # import: partnerships created one call at a time (the per-call side)
    imported_postgres: int  # import on PostgreSQL: both sides (its round trips make it slow)
    import_repeat: int  # import: runs per side
    cli_repeat: int  # CLI start-up: runs of each command
    cli_partnerships: int  # CLI start-up: partnerships in its database

    @classmethod
    def of(cls, quick: bool) -> Sizes:
        if quick:
            return cls(200, 2_000, 500, 5, 5, 3, 8, 5, 2, 1, 10, 200, 200, 200, 3, 3, 5)
        return cls(
            1_000, 100_000, 100_000, 10, 30, 15, 8, 25, 4, 3, 60, 100_000, 5_000, 5_000, 1, 15, 5
        )


class Lab:
    """The databases of one benchmark run: built on first use, named by purpose, removed by
    :meth:`close`.  Progress goes to ``log``; remarks for the report gather in ``notes``."""

    def __init__(
        self, folder: Path, postgres_url: str | None, sizes: Sizes, log: Callable[[str], None]
    ) -> None:
        self.folder = folder  # temporary: SQLite databases and other files of this run
        self.sizes = sizes
        self.log = log
        self.notes: list[str] = []
        self._databases = _data.Databases(folder, postgres_url)
        self._built: dict[tuple[str, str], _data.Built] = {}

    def built(
        self, backend: str, name: str, size: int, *, all_accueil: bool = False
    ) -> _data.Built:
        """The database ``name`` of ``backend`` with ``size`` partnerships (built once)."""
        key = (backend, name)
        if key not in self._built:
            self.log(f"building {backend} database {name!r}: {size:,} partnerships")
            built = _data.populate(
                self._databases.new(backend, name), size, all_accueil=all_accueil
            )
            self.log(f"  {built.rows:,} rows in {built.seconds:.1f} s")
            self._built[key] = built
        return self._built[key]

    def small(self, backend: str) -> _data.Built:
        return self.built(backend, "small", self.sizes.small)

    def big(self, backend: str) -> _data.Built:
        return self.built(backend, "big", self.sizes.big)

    def new_database(self, backend: str, name: str) -> str:
        """The URL of a new, empty (not migrated) database of ``backend``, removed by
        :meth:`close` (``name`` must be new for this run)."""
        return self._databases.new(backend, name)

    def close(self) -> None:
        self._databases.close()
