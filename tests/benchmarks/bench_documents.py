"""Benchmark of the document renderer: ratios measured side by side, never absolute times.

    python tests/benchmarks/bench_documents.py [--quick]

1. coopflow's full render of a 10-page protocol (``Renderer.render``: validation, template,
   snapshot JSON, PDF/A-3a with tags, attachment) against WeasyPrint alone writing the same HTML
   with the same fonts, stylesheet and URL fetcher, as a plain PDF (the target) and as the same
   PDF/A-3a; each pair is interleaved and the medians of their CPU times over several runs
   compared.  Target: at most 1.15 times WeasyPrint alone.
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
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(_ROOT))

import pypdf  # noqa: E402
import weasyprint  # noqa: E402
from coopflow.documents import ProtocolSnapshot, Renderer, render_many  # noqa: E402
from coopflow.documents._assets import ASSET_BASE_URL  # noqa: E402
from coopflow.documents._render import PDF_VARIANT  # noqa: E402

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
    target: float

    @property
    def ratio(self) -> float:
        """candidate/baseline for an overhead, baseline/candidate for a speed-up."""
        if self.higher_is_better:
            return self.baseline_seconds / self.candidate_seconds
        return self.candidate_seconds / self.baseline_seconds

    @property
    def met(self) -> bool:
        """Whether the ratio reaches its target."""
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target


def ratio_table(rows: Sequence[Ratio], title: str = "") -> str:
    """A plain-text table of ratios, one row per comparison."""
    header = ("measure", "baseline", "candidate", "ratio", "target", "")
    lines = [
        (
            row.name,
            f"{row.baseline}: {row.baseline_seconds:.3f} s",
            f"{row.candidate}: {row.candidate_seconds:.3f} s",
            f"{row.ratio:.2f}x",
            f"{'>=' if row.higher_is_better else '<='} {row.target:.2f}x",
            "ok" if row.met else "MISSED",
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


def interleaved_medians(
    baseline: Callable[[], object],
    candidate: Callable[[], object],
    repeat: int,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[float, float]:
    """Median seconds of ``baseline`` and ``candidate``, run alternately ``repeat`` times each
    after one warm-up run of each (so that drifts of the machine hit both alike).  The garbage
    left by one run is collected before the next starts, so that neither pays for the other's."""
    baseline()
    candidate()
    times: tuple[list[float], list[float]] = ([], [])
    for turn in range(repeat):
        order = (
            ((0, baseline), (1, candidate)) if turn % 2 == 0 else ((1, candidate), (0, baseline))
        )
        for slot, function in order:
            gc.collect()
            start = clock()
            function()
            times[slot].append(clock() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def _protocol_of(renderer: Renderer, pages: int) -> tuple[ProtocolSnapshot, int]:
    """A sample protocol of at least ``pages`` pages (grown until it has them), and its count."""
    for size in range(pages, 3 * pages):
        snapshot = samples.large_protocol(pages=size)
        count = len(pypdf.PdfReader(io.BytesIO(renderer.render(snapshot).pdf)).pages)
        if count >= pages:
            break
    return snapshot, count


def bench_render_overhead(*, pages: int, repeat: int) -> list[Ratio]:
    """coopflow's full render against WeasyPrint alone on the same HTML: writing a plain PDF
    (the target), and writing the same PDF/A-3a (what coopflow adds to WeasyPrint's own
    work: validation, template, snapshot JSON, metadata, attachment, finishing)."""
    renderer = Renderer()
    snapshot, count = _protocol_of(renderer, pages)
    html = renderer.render_html(snapshot)

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

    def coopflow() -> bytes:
        return renderer.render(snapshot).pdf

    ratios = []
    for baseline, options in (
        ("WeasyPrint alone", {}),
        ("WeasyPrint alone, PDF/A-3a", {"pdf_variant": PDF_VARIANT}),
    ):
        # CPU time of this process: both sides run here, one after the other, and other
        # processes on the machine then disturb the comparison less than wall-clock time.
        plain, full = interleaved_medians(
            weasyprint_alone(**options), coopflow, repeat, time.process_time
        )
        ratios.append(
            Ratio(
                f"protocol of {count} pages, {repeat} interleaved runs (CPU time)",
                baseline,
                "Renderer.render",
                plain,
                full,
                higher_is_better=False,
                target=1.15,
            )
        )
    return ratios


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
        target=1.6,
    )


def collect(*, quick: bool = False) -> list[Ratio]:
    """Run every document benchmark and return its ratios."""
    if quick:
        return [
            *bench_render_overhead(pages=3, repeat=3),
            bench_parallel(count=4, repeat=1),
        ]
    return [
        *bench_render_overhead(pages=10, repeat=9),
        bench_parallel(count=50, repeat=2),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the table of ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    arguments = parser.parse_args(argv)
    rows = collect(quick=arguments.quick)
    print(ratio_table(rows, title="coopflow documents (medians; ratios, not absolute times)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
