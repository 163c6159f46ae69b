"""``coopflow apply``: a TOML script applied in one transaction, all or nothing (or reported
with ``--dry-run``)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from coopflow._i18n import N_, _, ngettext
from coopflow.errors import GuardFailed

from ._app import cli, identify, json_option, open_coopflow
from ._output import document_label, jsonable, print_json, report_outcome, table

if TYPE_CHECKING:
    from coopflow import ApplyReport
    from coopflow._script import Outcome, Status

#: What each status of an item is called in a table (the JSON says the status itself).
STATUS_LABELS: dict[str, str] = {
    "done": N_("done"),
    "unchanged": N_("unchanged"),
    "skipped": N_("skipped"),
    "refused": N_("refused"),
    "not run": N_("not run"),
}


def _counted(status: Status, n: int) -> str:
    """``3 skipped``: how many items had ``status``."""
    if status == "done":
        text = ngettext("{n} done", "{n} done", n)
    elif status == "unchanged":
        text = ngettext("{n} unchanged", "{n} unchanged", n)
    elif status == "skipped":
        text = ngettext("{n} skipped", "{n} skipped", n)
    elif status == "refused":
        text = ngettext("{n} refused", "{n} refused", n)
    else:
        text = ngettext("{n} not run", "{n} not run", n)
    return text.format(n=n)


def _outcome_rows(outcomes: Iterable[Outcome]) -> Iterable[tuple[object, ...]]:
    for o in outcomes:
        detail = "\n".join([o.detail, *(document_label(d) for d in o.documents)])
        yield (o.line, o.subject, o.item, _(STATUS_LABELS[o.status]), detail)


def _print_report(report: ApplyReport) -> None:
    table(
        [_("Line"), _("Subject"), _("Item"), _("Status"), _("Detail")],
        _outcome_rows(report.outcomes),
    )
    statuses: tuple[Status, ...] = ("done", "unchanged", "skipped", "refused", "not run")
    counts = ", ".join(_counted(s, report.count(s)) for s in statuses if report.count(s))
    if report.dry_run:
        line = _("dry run of {source}: {counts}; nothing was written")
    else:
        line = _("applied {source}: {counts}")
    click.echo(line.format(source=report.source, counts=counts))


def _as_json(report: ApplyReport) -> Any:
    """The report as JSON; a dry run that would be refused says so as every refusal does
    (``error``: the first refused item, its code, message and reasons), besides the report."""
    result = jsonable(report)
    first = next((o for o in report.refusals if o.error is not None), None)
    if first is not None and first.error is not None:
        reasons = first.error.reasons if isinstance(first.error, GuardFailed) else ()
        result = {
            "error": {
                "code": first.error.code,
                "message": f"{first.location(report.source)}: {first.detail}",
                "reasons": [r.as_dict() for r in reasons],
            },
            **result,
        }
    return result


@contextlib.contextmanager
def _progress(file: Path) -> Iterator[Callable[[Outcome], object] | None]:
    """A status line on stderr naming the item being applied, when stderr is a terminal
    (None otherwise: nothing is drawn)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console

    start = _("applying {file}…").format(file=file.name)
    with Console(stderr=True).status(start) as status:
        seen = [0]

        def update(outcome: Outcome) -> None:
            seen[0] += 1
            status.update(
                _("applying {file}: item {n}, {subject} {item}").format(
                    file=file.name, n=seen[0], subject=outcome.subject, item=outcome.item
                )
            )

        yield update


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
    cf = open_coopflow(ctx)
    with _progress(file) as progress:
        report = apply_script(cf, file, dry_run=dry_run, identity=identity, progress=progress)
    if as_json:
        print_json(_as_json(report))
    else:
        _print_report(report)
        for refused in report.refusals:
            report_outcome(report, refused)
    ctx.exit(report.exit_code)
