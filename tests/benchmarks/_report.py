"""Rows of the benchmark table, the table itself, and a description of the machine."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table: coopflow against its floor or baseline, and the target."""

    measure: str
    coopflow: str
    baseline: str
    ratio: float | None = None  # None: the measure is not a ratio
    target: str = ""
    met: bool | None = None  # None: informative, no target

    @property
    def ratio_text(self) -> str:
        """The ratio as the table prints it (``-`` when the measure is not a ratio)."""
        return "-" if self.ratio is None else f"{self.ratio:.2f}x"

    @property
    def verdict(self) -> str:
        if self.met is None:
            return "-"
        return "yes" if self.met else "MISSED"


def overhead(
    measure: str, candidate: float, baseline: float, limit: float, unit: str = "ms"
) -> Row:
    """A row for ``candidate`` seconds against ``baseline`` seconds, lower is better."""
    ratio = candidate / baseline
    return Row(
        measure,
        _seconds(candidate, unit),
        _seconds(baseline, unit),
        ratio,
        f"<= {limit:.2f}x",
        ratio <= limit,
    )


def compare(measure: str, candidate: float, baseline: float, unit: str = "ms") -> Row:
    """An informative row: ``candidate`` seconds against ``baseline`` seconds, no target."""
    return Row(measure, _seconds(candidate, unit), _seconds(baseline, unit), candidate / baseline)


def speedup(measure: str, candidate: str, baseline: str, ratio: float, limit: float) -> Row:
    """A row for a speed-up (a higher ratio is better)."""
    return Row(measure, candidate, baseline, ratio, f">= {limit:.2f}x", ratio >= limit)


def _seconds(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value * 1000:.3f} ms"
    return f"{value:.3f} s"


def table(rows: Sequence[Row]) -> str:
    """The rows as a plain-text table (``measure | coopflow | floor/baseline | ratio | ...``)."""
    header = ("measure", "coopflow", "floor/baseline", "ratio", "target", "met?")
    cells = [
        (
            row.measure,
            row.coopflow,
            row.baseline,
            row.ratio_text,
            row.target or "-",
            row.verdict,
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]

    def line(values: Sequence[str]) -> str:
        return " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(c) for c in cells)])


# ----------------------------------------------------------------------------- machine


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine(postgres_version: str | None) -> list[tuple[str, str]]:
    """What the figures were measured on."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cores = f"{os.cpu_count()}" + (f" ({usable} usable)" if usable is not None else "")
    return [
        ("CPU", _cpu_model()),
        ("cores", cores),
        ("memory", _memory()),
        ("system", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("SQLAlchemy", sqlalchemy.__version__),
        ("PostgreSQL", postgres_version or "not measured"),
    ]


def rss_bytes() -> int:
    """This process's resident memory (VmRSS), in bytes."""
    with open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def machine_cpu() -> tuple[int, int]:
    """(busy, total) clock ticks of the whole machine since boot, every core (``/proc/stat``):
    two samples give the share of the machine's CPU used in between, by every process,
    the database server's included."""
    with open("/proc/stat", encoding="utf-8") as f:
        ticks = [int(value) for value in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return sum(ticks) - idle, sum(ticks)


def busy_share(first: tuple[int, int], last: tuple[int, int]) -> float | None:
    """The share of the machine's CPU (all cores) busy between two :func:`machine_cpu`, or
    None where the counters did not move (a sandboxed kernel may not keep them)."""
    total, busy = last[1] - first[1], last[0] - first[0]
    return busy / total if total > 0 and busy > 0 else None


def busy_median(shares: Iterable[float | None]) -> str:
    """The median of the busy shares measured, as a percentage, or "not measured"."""
    known = [share for share in shares if share is not None]
    return f"{statistics.median(known):.0%}" if known else "not measured"


def mib(value: float) -> str:
    return f"{value / 1024 / 1024:.1f} MB"
