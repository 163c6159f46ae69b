"""``coopflow demo``: a thin shell over :func:`coopflow.demo.run_demo`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from coopflow._i18n import _

from ._app import bad_url, cli, json_option, settings_of
from ._output import print_json, table

if TYPE_CHECKING:
    from coopflow.demo import DemoResult


@cli.command()
@click.option(
    "--out",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("coopflow-demo"),
    show_default=True,
    help="The folder for the demo's database and exported documents.",
)
@json_option
@click.pass_context
def demo(ctx: click.Context, folder: Path, as_json: bool) -> None:
    """Run the demo: partnerships of Bordeaux Métropole.

    Creates a fresh SQLite database in the folder (the demo's database there is recreated on
    every run), applies the demo script shipped with coopflow, renders the protocols and
    programmes, exports the final documents for the legal department, and prints a summary.
    With --db given on the command line, runs on that database instead, migrating it first; the
    demo can be run again on it and duplicates nothing.  COOPFLOW_DATABASE_URL is not used: the
    demo writes into your own database only when you name it with --db."""
    from coopflow.demo import run_demo
    from sqlalchemy import create_engine

    settings = settings_of(ctx)
    db = schema = None
    if settings.db_on_command_line:
        db, schema = settings.db, settings.schema
        with bad_url(db):  # an unknown dialect or a driver not installed: a usage error
            create_engine(db).dispose()
    result: DemoResult
    if sys.stderr.isatty():  # progress on stderr: stdout keeps the summary (or the JSON)
        from rich.console import Console

        with Console(stderr=True).status(_("Running the demo…")) as status:
            result = run_demo(
                folder,
                db=db,
                schema=schema,
                workflows_dir=settings.workflows,
                progress=lambda step: status.update(
                    _("Running the demo: {step}…").format(step=step)
                ),
            )
    else:
        result = run_demo(folder, db=db, schema=schema, workflows_dir=settings.workflows)
    if as_json:
        print_json(result)
        return
    table(
        [_("Reference"), _("Title"), _("Scale"), _("State"), _("Documents")],
        [
            (p.reference, p.title, p.scale, p.state, "\n".join(result.documents[p.reference]))
            for p in result.partnerships
        ],
        title=_("coopflow demo"),
    )
    click.echo(_("database: {database}").format(database=result.database))
    for file in result.files:
        click.echo(_("wrote {file}").format(file=file))
