"""Benchmark of documents: ratios measured side by side, never absolute times.

    python tests/benchmarks/bench_documents.py [--quick] [--postgres URL]

1. coopflow's full render of a 10-page protocol, as a user triggers it (``Coopflow.render`` on a
   partnership in drafting: snapshot built from the database, template, PDF/A-3a with tags and
   the attached snapshot, the document and its journal record stored, commit), against
   WeasyPrint alone writing the same HTML with the same fonts, stylesheet and URL fetcher, as
   the same PDF/A-3a (the target) and as a plain PDF (informative).  ``Renderer.render`` on the
   same snapshot (no database) runs in the same rotation, against the same PDF/A-3a.  The four
   are interleaved in one run, garbage collected between runs, and their medians compared (CPU
   time of this process, and wall clock, which also counts the database's own work).
   Target: at most 1.05 times WeasyPrint alone writing the same PDF/A-3a (CPU time): coopflow's
   own share of a render is the database, the snapshot and the template, a few percent; the
   PDF/A-3a work (tags, output intent, attachment) is WeasyPrint's, so comparing with a plain
   PDF charges coopflow for it.  The database is prepared once, outside the
   timing; before each ``Coopflow.render``, an untimed edit gives it new data to render.
   SQLite, and PostgreSQL too with ``--postgres``.
2. 50 annual programmes rendered by ``render_many(workers=2)`` against ``workers=1``.
   Target: at least 1.6 times faster on a 2-core machine.

``--quick`` uses tiny sizes, for a CI smoke run.  The script exits 0 whatever the ratios: it
reports, it does not judge a machine's speed.  :func:`ratio_table` and :func:`collect` are
meant to be imported by a wider benchmark.
"""

from __future__ import annotations

import argparse
import gc
import io
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(_ROOT))

import coopflow  # noqa: E402
import pypdf  # noqa: E402
import weasyprint  # noqa: E402
from coopflow import Actor, Coopflow  # noqa: E402
from coopflow.documents import ProtocolSnapshot, extract_snapshot, render_many  # noqa: E402
from coopflow.documents._assets import ASSET_BASE_URL  # noqa: E402
from coopflow.documents._render import PDF_VARIANT  # noqa: E402

from tests.benchmarks import _data  # noqa: E402
from tests.documents import samples  # noqa: E402


@dataclass(frozen=True, slots=True)
class Ratio:
    """One comparison: how much slower (or faster) the candidate is than the baseline."""

    name: str
    baseline: str  # what the baseline is
    candidate: str  # what the candidate is
    baseline_seconds: float
    candidate_seconds: float
    higher_is_better: bool  # True for a speed-up (baseline / candidate), False for an overhead
    target: float | None  # None: informative, no target

    @property
    def ratio(self) -> float:
        """candidate/baseline for an overhead, baseline/candidate for a speed-up."""
        if self.higher_is_better:
            return self.baseline_seconds / self.candidate_seconds
        return self.candidate_seconds / self.baseline_seconds

    @property
    def met(self) -> bool | None:
        """Whether the ratio reaches its target (None: no target)."""
        if self.target is None:
            return None
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target

    @property
    def target_text(self) -> str:
        """The target, as the tables print it ("" without one)."""
        if self.target is None:
            return ""
        return f"{'>=' if self.higher_is_better else '<='} {self.target:.2f}x"


def ratio_table(rows: Sequence[Ratio], title: str = "") -> str:
    """A plain-text table of ratios, one row per comparison."""
    header = ("measure", "baseline", "candidate", "ratio", "target", "")
    lines = [
        (
            row.name,
            f"{row.baseline}: {row.baseline_seconds:.3f} s",
            f"{row.candidate}: {row.candidate_seconds:.3f} s",
            f"{row.ratio:.2f}x",
            row.target_text or "-",
            {None: "-", True: "ok", False: "MISSED"}[row.met],
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    rule = "  ".join("-" * width for width in widths)
    out = [title] if title else []
    out += [
        "  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)).rstrip(),
        rule,
    ]
    out += [
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        for cells in lines
    ]
    return "\n".join(out)


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a comparison: what is timed, and what must happen, untimed, before each
    timed run (such as a change of the data, so that a render has something new to render)."""

    run: Callable[[], object]
    prepare: Callable[[], object] | None = None


def interleaved_sides(
    sides: Sequence[Side],
    repeat: int,
    clocks: Sequence[Callable[[], float]] = (time.perf_counter,),
) -> list[list[float]]:
    """Median seconds of each side by each clock (``result[clock][side]``), the sides run in
    turn ``repeat`` times each after one warm-up run of each; the order is reversed every
    other turn, so that drifts of the machine hit every side alike.  A side's ``prepare`` runs
    before its run, untimed, and the garbage left by one run is collected before the next
    starts, so that no side pays for another's."""
    for side in sides:
        if side.prepare is not None:
            side.prepare()
        side.run()
    times: list[list[list[float]]] = [[[] for _ in sides] for _ in clocks]
    for turn in range(repeat):
        order = list(enumerate(sides))
        if turn % 2:
            order.reverse()
        for slot, side in order:
            if side.prepare is not None:
                side.prepare()
            gc.collect()
            starts = [clock() for clock in clocks]
            side.run()
            ends = [clock() for clock in clocks]
            for k, (start, end) in enumerate(zip(starts, ends, strict=True)):
                times[k][slot].append(end - start)
    return [[statistics.median(runs) for runs in by_clock] for by_clock in times]


def interleaved_medians(
    baseline: Callable[[], object],
    candidate: Callable[[], object],
    repeat: int,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[float, float]:
    """Median seconds of ``baseline`` and ``candidate``, run alternately ``repeat`` times each
    after one warm-up run of each (see :func:`interleaved_sides`)."""
    [[base, cand]] = interleaved_sides([Side(baseline), Side(candidate)], repeat, (clock,))
    return base, cand


# ----------------------------------------------------------------------------- the protocol

STAFF = Actor("bench.documents", "staff")
RENDER_TARGET = 1.05  # Coopflow.render / WeasyPrint alone writing the same PDF/A-3a, CPU time
PARALLEL_TARGET = 1.6  # render_many(workers=2) against workers=1


def _enter_protocol(cf: Coopflow, snapshot: ProtocolSnapshot, reference: str) -> None:
    """Enter ``snapshot``'s content through coopflow's public API, as staff would (parties,
    partnership, an exchange, axes with their stakes and commitments, the protocol and its
    signatories), leaving the partnership in drafting with no document yet.  A commitment
    repeated word for word by the sample is numbered (coopflow records one of each)."""
    for party in snapshot["parties"]:
        cf.add_party(
            party["key"],
            party["official_name"],
            nature=party["nature"],
            deliberative_body=party["deliberative_body"],
            executive_title=party["executive_title"],
            usual_name=party["usual_name"],
            siren=party["siren"],
            seat=party["seat"],
            actor=STAFF,
        )
    keys = [party["key"] for party in snapshot["parties"]]
    cf.create_partnership(
        snapshot["title"],
        scale=snapshot["scale"],
        parties=keys,
        home=next(party["key"] for party in snapshot["parties"] if party["is_home"]),
        lead=next((party["key"] for party in snapshot["parties"] if party["is_lead"]), None),
        responsible=STAFF.id,
        actor=STAFF,
        reference=reference,
    )
    cf.log_exchange(
        reference, date="2026-09-15", kind="reunion", summary="Première rencontre", actor=STAFF
    )
    cf.fire(reference, "ouvrir_dialogue", STAFF)
    for axis in snapshot["axes"]:
        number = cf.add_axis(reference, axis["title"], objectives=axis["objectives"], actor=STAFF)
        for stake in axis["stakes"]:
            cf.add_stake(
                reference,
                axis=number,
                title=stake["title"],
                description=stake["description"],
                actor=STAFF,
            )
        seen: dict[tuple[str, str], int] = {}
        for commitment in axis["commitments"]:
            key = (commitment["party_key"], commitment["text"])
            seen[key] = seen.get(key, 0) + 1
            suffix = f" (n° {seen[key]})" if seen[key] > 1 else ""
            cf.add_commitment(
                reference,
                axis=number,
                party=commitment["party_key"],
                text=commitment["text"] + suffix,
                actor=STAFF,
            )
    cf.fire(reference, "engager_contractualisation", STAFF)
    cf.set_protocol(
        reference,
        start=snapshot["period"]["start"],
        end=snapshot["period"]["end"],
        preamble=snapshot["preamble"],
        copil=snapshot["governance"]["copil"],
        cotech=snapshot["governance"]["cotech"],
        meetings_per_year=snapshot["governance"]["meetings_per_year"],
        means=snapshot["means"],
        financial_commitments=snapshot["financial_note"],
        prevailing_language=snapshot["prevailing_language"],
        actor=STAFF,
    )
    for money in snapshot["financial_commitments"]:
        cf.set_financial_commitment(
            reference,
            party=money["party_key"],
            amount=money["amount"],
            detail=money["detail"],
            actor=STAFF,
        )
    for signatory in snapshot["signatories"]:
        cf.set_signatory(
            reference,
            party=signatory["party_key"],
            first_name=signatory["first_name"],
            last_name=signatory["last_name"],
            title=signatory["title"],
            civility=signatory["civility"] or "Monsieur",
            actor=STAFF,
        )


def _revised(means: str, revision: int) -> str:
    """The protocol's means with a revision number: every revision is as long as the others."""
    return f"{means} Révision {revision:04d}."


@dataclass(frozen=True, slots=True)
class Drafted:
    """A protocol in drafting in the database, rendered once by ``cf.render``."""

    reference: str
    pages: int
    snapshot: ProtocolSnapshot  # the snapshot of that render, read back from its PDF
    period: tuple[str, str]
    means: str  # as the sample has them, before any revision number


def _drafted_protocol(cf: Coopflow, pages: int) -> Drafted:
    """A protocol of at least ``pages`` pages entered in the database (the sample grown, one
    partnership per size tried, until its draft has them), rendered and stored once."""
    for size in range(pages, 3 * pages):
        sample = samples.large_protocol(pages=size)
        means = sample["means"]
        sample["means"] = _revised(means, 0)
        reference = f"BENCH-DOC-{size:04d}"
        _enter_protocol(cf, sample, reference)
        document = cf.render(reference, "protocole", actor=STAFF)
        pdf = cf.document_bytes(document.sha256)
        count = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
        if count >= pages:
            break
    period = (sample["period"]["start"], sample["period"]["end"])
    snapshot = cast(ProtocolSnapshot, extract_snapshot(pdf))
    return Drafted(reference, count, snapshot, period, means)


def _backend_database(databases: _data.Databases, backend: str) -> str:
    """A new, migrated database of ``backend`` for the document benchmark."""
    url = databases.new(backend, "documents")
    coopflow.migrate(url)
    with Coopflow(url) as cf:
        _data.register_people(cf)
    return url


def bench_render_overhead(
    *, pages: int, repeat: int, backend: str = "sqlite", postgres_url: str | None = None
) -> list[Ratio]:
    """coopflow's full render against WeasyPrint alone on the same HTML, interleaved in one
    run: writing the same PDF/A-3a (the target, CPU time) and writing a plain PDF.

    coopflow's side is what a user triggers, ``Coopflow.render``: lock the partnership, build
    the snapshot from the database, compare it with the latest stored version, validate, render
    the template, write the PDF/A-3a with its attached snapshot, store the document and its
    journal record, commit.  Regenerating from unchanged data gives the stored version back
    without rendering, so before each of its runs, *untimed*, the protocol's means get a new
    revision number through ``Coopflow.set_protocol``: that is data entry, which WeasyPrint's
    side has no counterpart of (every revision's text is as long as the one WeasyPrint writes).
    ``Renderer.render`` on the stored snapshot (no database) runs in the same rotation: the
    difference between it and ``Coopflow.render`` is the database's share.  Medians of this
    process's CPU time, and of wall-clock time too (informative): the database's work
    (SQLite's ``fsync``, PostgreSQL's server process) is not this process's CPU time.
    """
    with tempfile.TemporaryDirectory(prefix="coopflow-bench-documents-") as folder:
        databases = _data.Databases(Path(folder), postgres_url)
        try:
            cf = Coopflow(_backend_database(databases, backend))
            try:
                return _measure(cf, pages=pages, repeat=repeat, backend=backend)
            finally:
                cf.close()
        finally:
            databases.close()


def _measure(cf: Coopflow, *, pages: int, repeat: int, backend: str) -> list[Ratio]:
    drafted = _drafted_protocol(cf, pages)
    renderer = cf.documents.renderer()
    html = renderer.render_html(drafted.snapshot)
    revisions = itertools.count(1)

    def weasyprint_alone(**options: str) -> Callable[[], bytes]:
        def write() -> bytes:
            document = weasyprint.HTML(
                string=html, base_url=ASSET_BASE_URL, url_fetcher=renderer._fetcher
            )
            pdf: bytes = document.write_pdf(
                font_config=renderer._font_config, stylesheets=[renderer._css], **options
            )
            return pdf

        return write

    def edit() -> None:  # untimed: data entry, so that the render has something new
        start, end = drafted.period
        means = _revised(drafted.means, next(revisions))
        cf.set_protocol(drafted.reference, start=start, end=end, means=means, actor=STAFF)

    def coopflow_render() -> None:
        document = cf.render(drafted.reference, "protocole", actor=STAFF)
        assert document.version > 1, "the render gave back a stored version"

    def renderer_only() -> bytes:
        return renderer.render(drafted.snapshot).pdf

    # CPU time of this process first (both sides run here, one after the other, and other
    # processes on the machine then disturb the comparison less), and wall-clock time, which
    # also counts what the database does outside this process (fsync, PostgreSQL's server).
    cpu, wall = interleaved_sides(
        [
            Side(weasyprint_alone()),
            Side(weasyprint_alone(pdf_variant=PDF_VARIANT)),
            Side(renderer_only),
            Side(coopflow_render, prepare=edit),
        ],
        repeat,
        (time.process_time, time.perf_counter),
    )
    plain, pdfa, alone, full = cpu
    name = f"{drafted.pages}-page protocol, {backend}, {repeat} interleaved runs"
    full_path = "Coopflow.render (DB snapshot, template, PDF/A-3a, storage)"

    def overhead(
        clock: str,
        baseline: str,
        candidate: str,
        base: float,
        cand: float,
        target: float | None = None,
    ) -> Ratio:
        return Ratio(
            f"{name} ({clock})",
            baseline,
            candidate,
            base,
            cand,
            higher_is_better=False,
            target=target,
        )

    pdfa_alone = "WeasyPrint alone, PDF/A-3a"
    return [
        overhead("CPU time", pdfa_alone, full_path, pdfa, full, RENDER_TARGET),
        overhead("wall clock", pdfa_alone, full_path, wall[1], wall[3]),
        overhead("CPU time", "WeasyPrint alone, plain PDF", full_path, plain, full),
        overhead("wall clock", "WeasyPrint alone, plain PDF", full_path, wall[0], wall[3]),
        overhead("CPU time", pdfa_alone, "Renderer.render (no database)", pdfa, alone),
    ]


def bench_parallel(*, count: int, repeat: int) -> Ratio:
    """render_many with two worker processes against one process."""
    snapshots = samples.many_programmes(count)
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for slot, workers in ((0, 1), (1, 2)):
            start = time.perf_counter()
            render_many(snapshots, workers=workers)
            times[slot].append(time.perf_counter() - start)
    return Ratio(
        f"{count} annual programmes, {repeat} run(s)",
        "render_many(workers=1)",
        "render_many(workers=2)",
        statistics.median(times[0]),
        statistics.median(times[1]),
        higher_is_better=True,
        target=PARALLEL_TARGET,
    )


def collect(*, quick: bool = False, postgres: str | None = None) -> list[Ratio]:
    """Run every document benchmark and return its ratios (the render on SQLite, and on the
    PostgreSQL server at ``postgres`` too if given)."""
    pages, repeat = (3, 3) if quick else (10, 9)
    backends = [("sqlite", None)] + ([("postgresql", postgres)] if postgres else [])
    ratios = [
        ratio
        for backend, url in backends
        for ratio in bench_render_overhead(
            pages=pages, repeat=repeat, backend=backend, postgres_url=url
        )
    ]
    if quick:
        return [*ratios, bench_parallel(count=4, repeat=1)]
    return [*ratios, bench_parallel(count=50, repeat=2)]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the table of ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    parser.add_argument(
        "--postgres", metavar="URL", help="also measure the render on this PostgreSQL server"
    )
    arguments = parser.parse_args(argv)
    rows = collect(quick=arguments.quick, postgres=arguments.postgres)
    print(ratio_table(rows, title="coopflow documents (medians; ratios, not absolute times)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
