"""``coopflow calendar``: the staff's calendar as an iCalendar file (COPIL and COTECH
meetings, council sittings, protocol ends, every deadline ``due`` knows)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from coopflow._i18n import _, ngettext

from ._app import cli, json_option, open_coopflow
from ._output import print_json
from ._report import parse_day, progress


@cli.command("calendar")
@click.option(
    "--ics",
    "ics_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The iCalendar file to write (.ics); an existing file is never overwritten.",
)
@click.option(
    "--today",
    callback=parse_day,
    help="YYYY-MM-DD: the day deadlines are computed from (default: today).",
)
@json_option
@click.pass_context
def calendar(ctx: click.Context, ics_path: Path, today: dt.date | None, as_json: bool) -> None:
    """Write the staff's calendar as an iCalendar file: COPIL and COTECH meetings, council
    sittings, protocol ends and every deadline 'coopflow due' knows, each a whole-day event.

    Each event keeps its UID from one export to the next, so importing the file again
    updates the events rather than duplicating them.\f"""
    from coopflow import _calendar
    from coopflow._report import check_new, write_new

    check_new(ics_path)
    cf = open_coopflow(ctx)
    with progress(2) as step:
        step(_("reading the calendar"))
        events = cf.calendar(today=today)
        step(_("writing the calendar"))
        path = write_new(ics_path, _calendar.calendar_bytes(events))
    if as_json:
        print_json({"written": [str(path)], **_calendar.counts(events)})
        return
    n = len(events)
    click.echo(
        ngettext("wrote {file} ({n} event)", "wrote {file} ({n} events)", n).format(file=path, n=n)
    )
