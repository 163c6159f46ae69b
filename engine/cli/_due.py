"""``coopflow due``: what falls due soon, and what is overdue."""

from __future__ import annotations

import datetime as dt

import click
from coopflow._i18n import _

from ._app import cli, json_option, open_coopflow
from ._output import print_json, table


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            _("{value!r} is not a date written YYYY-MM-DD").format(value=value)
        ) from None


@cli.command()
@click.option(
    "--within",
    "days",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="How many days ahead to look.",
)
@click.option("--today", callback=_date, help="YYYY-MM-DD (default: today).")
@json_option
@click.pass_context
def due(ctx: click.Context, days: int, today: dt.date | None, as_json: bool) -> None:
    """List what falls due within DAYS, and what is overdue, with how each date is computed.

    Protocols ending (protocol_end; protocol_end_renewing when a renewal is under way),
    protocol years short of their COPIL meetings (annual_copil), parties that have not
    deliberated (deliberation_missing, with the days waited), délibérations not yet exécutoire
    (deliberation), programmes still in preparation (programme_draft) or awaiting COPIL
    approval (copil_approval), milestones past their date (milestone).  Nothing of a
    partnership that has ended.  --json gives each deadline's data (party, programme,
    days_waited...)."""
    deadlines = open_coopflow(ctx).due(within_days=days, today=today)
    if as_json:
        print_json(deadlines)
        return
    now = today or dt.date.today()
    table(
        [_("Due"), "", _("Reference"), _("Kind"), _("What"), _("Basis")],
        [
            (d.due, _("overdue") if d.due < now else "", d.reference, d.kind, d.what, d.basis)
            for d in deadlines
        ],
    )
