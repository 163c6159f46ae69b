"""``coopflow report``: the annual seminar report (PDF/A), and its figures for the finance
department (Excel workbook, CSV files)."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
from coopflow._i18n import _

from ._app import cli, json_option, open_coopflow, render_timeout
from ._output import print_json


def parse_day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    """``--today YYYY-MM-DD``."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            _("{value!r} is not a date written YYYY-MM-DD").format(value=value)
        ) from None


@contextlib.contextmanager
def progress(total: int) -> Iterator[Callable[[str], None]]:
    """A step counter, ``step(description)``: a rich progress bar on stderr when stderr is a
    terminal, nothing otherwise."""
    if not sys.stderr.isatty():
        yield lambda _description: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("", total=total)
        started = [False]

        def step(description: str) -> None:
            if started[0]:
                bar.advance(task)
            started[0] = True
            bar.update(task, description=description)

        yield step
        bar.update(task, completed=total)


def csv_targets(path: Path) -> tuple[Path, Callable[[str], str]]:
    """Where ``--csv PATH`` writes the views: into the folder PATH (``partenariats.csv``...),
    or, for a PATH ending in ``.csv``, beside it (``PATH-stem-partenariats.csv``...)."""
    if path.suffix.lower() == ".csv":
        stem = path.stem
        return path.parent, lambda name: f"{stem}-{name}"
    return path, lambda name: name


@cli.command("report")
@click.option("--year", type=click.IntRange(1900, 9998), required=True, help="The year covered.")
@click.option(
    "--to",
    "pdf_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The PDF to write (default: coopflow-rapport-YEAR.pdf here, unless only --xlsx or "
    "--csv is given). An existing file is never overwritten.",
)
@click.option(
    "--xlsx",
    "xlsx_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the figures as an Excel workbook: one sheet per view, totals as =SUM() formulas.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path),
    help="Write one CSV file per view into this folder (or, for FILE.csv, FILE-view.csv "
    "beside it): UTF-8, ';' between fields, as French Excel expects.",
)
@click.option(
    "--today",
    callback=parse_day,
    help="YYYY-MM-DD: the day timelines run to and deadlines are computed from (default: today).",
)
@json_option
@click.pass_context
def report(
    ctx: click.Context,
    year: int,
    pdf_path: Path | None,
    xlsx_path: Path | None,
    csv_path: Path | None,
    today: dt.date | None,
    as_json: bool,
) -> None:
    """Write the annual seminar report of a year, in French: partnerships by scale and by
    state, each partnership's timeline (a Gantt), programme budgets by funder and by axis,
    indicators (target against actual), the year's délibérations and deadlines.

    The PDF is a PDF/A-3 with its figures attached (report.json); --xlsx and --csv write the
    same figures for the finance department.  Nothing is overwritten.\f"""
    from coopflow import _report

    cf = open_coopflow(ctx)
    if pdf_path is None and xlsx_path is None and csv_path is None:
        pdf_path = Path(f"coopflow-rapport-{year}.pdf")
    if pdf_path is not None:
        _report.check_new(pdf_path)
    if xlsx_path is not None:
        _report.check_new(xlsx_path)
    if csv_path is not None:
        folder, named = csv_targets(csv_path)
        _report.check_csv_folder(folder, [named(name) for name in _report.CSV_NAMES])
    steps = 1 + (3 if pdf_path else 0) + (1 if xlsx_path else 0) + (1 if csv_path else 0)
    written: list[Path] = []
    with progress(steps) as step:
        step(_("reading the figures of {year}").format(year=year))
        figures = cf.annual_report(year, today=today)
        if pdf_path is not None:
            labels = {
                "html": _("drawing the charts"),
                "layout": _("laying out the report"),
                "pdf": _("writing the PDF/A"),
            }
            pdf = _report.render_pdf(
                figures,
                max_seconds=render_timeout(),
                on_step=lambda name: step(labels[name]),
            )
            written.append(_report.write_new(pdf_path, pdf))
        if xlsx_path is not None:
            step(_("writing the workbook"))
            written.append(_report.write_new(xlsx_path, _report.workbook_bytes(figures)))
        if csv_path is not None:
            step(_("writing the CSV files"))
            folder, named = csv_targets(csv_path)
            files = {named(name): data for name, data in _report.csv_files(figures).items()}
            written.extend(_report.write_csv_folder(folder, files))
    if as_json:
        print_json(_report.summary(written, figures))
        return
    for path in written:
        click.echo(_("wrote {file}").format(file=path))
