"""``coopflow apply``: a TOML script applied in one transaction, all or nothing (or reported
with ``--dry-run``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ._app import cli, identify, json_option, open_coopflow
from ._output import document_label, print_json, report_outcome, table

if TYPE_CHECKING:
    from coopflow import ApplyReport
    from coopflow._script import Outcome


def _outcome_rows(outcomes: Iterable[Outcome]) -> Iterable[tuple[object, ...]]:
    for o in outcomes:
        detail = "\n".join([o.detail, *(document_label(d) for d in o.documents)])
        yield (o.line, o.subject, o.item, o.status, detail)


def _print_report(report: ApplyReport) -> None:
    table(["Line", "Subject", "Item", "Status", "Detail"], _outcome_rows(report.outcomes))
    counts = ", ".join(
        f"{report.count(s)} {s}"
        for s in ("done", "unchanged", "skipped", "refused", "not run")
        if report.count(s)
    )
    if report.dry_run:
        click.echo(f"dry run of {report.source}: {counts}; nothing was written")
    else:
        click.echo(f"applied {report.source}: {counts}")


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would happen; write nothing.")
@json_option
@click.pass_context
def apply(ctx: click.Context, file: Path, dry_run: bool, as_json: bool) -> None:
    """Apply the script FILE, all or nothing.

    FILE declares parties, partnerships and their ordered steps (see the README).  A script
    applied again duplicates nothing: the steps already recorded in a partnership's journal are
    skipped.  With --dry-run, the report says what each step would do and why one would be
    refused (naming its line); the exit code is the one the real run would have."""
    from coopflow import apply_script

    # Who applies it (on PostgreSQL the script may then name no one else; an unregistered
    # database login is refused here).
    identity = identify(ctx, None, None)
    report = apply_script(open_coopflow(ctx), file, dry_run=dry_run, identity=identity)
    if as_json:
        print_json(report)
    else:
        _print_report(report)
    for refused in report.refusals:
        report_outcome(report, refused)
    ctx.exit(report.exit_code)
