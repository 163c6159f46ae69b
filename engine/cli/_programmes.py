"""The annual work programmes, entered at the command line: ``programme``, ``action``,
``milestone``, ``budget`` and ``indicator``."""

from __future__ import annotations

from typing import Any

import click
from coopflow._i18n import _
from coopflow._vocabulary import PROGRESS

from ._app import actor_options, cli, identify, json_option, open_coopflow
from ._output import fields, print_json, table
from ._partnerships import DATE, DATE_HELP, Forgiving, echo_done


@cli.group()
def programme() -> None:
    """Annual work programmes: open and show them."""


@programme.command("add")
@click.argument("reference")
@click.argument("label")
@click.option("--start", required=True, type=DATE, help=DATE_HELP)
@click.option("--end", required=True, type=DATE, help=DATE_HELP)
@actor_options
@json_option
@click.pass_context
def programme_add(
    ctx: click.Context,
    reference: str,
    label: str,
    start: str,
    end: str,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Open (or re-date) programme LABEL (2027) of partnership REFERENCE."""
    open_coopflow(ctx).add_programme(
        reference, label, start=start, end=end, actor=identify(ctx, actor, role)
    )
    echo_done(
        as_json,
        _("{reference}: programme {label} ({start} → {end})").format(
            reference=reference, label=label, start=start, end=end
        ),
        reference=reference,
        programme=label,
        start=start,
        end=end,
    )


@programme.command("show")
@click.argument("reference")
@click.argument("label")
@json_option
@click.pass_context
def programme_show(ctx: click.Context, reference: str, label: str, as_json: bool) -> None:
    """Show programme LABEL of partnership REFERENCE in full: its actions (pilots, partners,
    milestones, budget lines, indicators target and actual) and its budget by funder."""
    prog = open_coopflow(ctx).programme(reference, label)
    if as_json:
        print_json(prog)
        return
    fields(
        [
            (_("state"), prog.state),
            (_("period"), f"{prog.period_start} → {prog.period_end}"),
            (_("COPIL"), prog.copil_date),
            (_("actions"), len(prog.actions)),
        ],
        title=_("{reference}: programme {label}").format(
            reference=prog.reference, label=prog.label
        ),
    )
    table(
        [
            _("N°"),
            _("Axis"),
            _("Title"),
            _("Lead"),
            _("Pilot"),
            _("Partners"),
            _("Progress"),
            _("Budget (€)"),
        ],
        [
            (
                a.number,
                a.axis,
                a.title,
                a.lead,
                ", ".join(x for x in (a.contact, a.pilot_name, a.pilot_function) if x) or None,
                a.partners,
                a.progress,
                a.budget_total,
            )
            for a in prog.actions
        ],
        title=_("Actions"),
        section=True,
    )
    milestones = [(a.number, m.date, m.label, m.done) for a in prog.actions for m in a.milestones]
    if milestones:
        table(
            [_("Action"), _("Date"), _("Milestone"), _("Done")],
            milestones,
            title=_("Milestones"),
            section=True,
        )
    lines = [(a.number, b.funder, b.amount) for a in prog.actions for b in a.budget_lines]
    if lines:
        table(
            [_("Action"), _("Funder"), _("Amount (€)")],
            lines,
            title=_("Budget lines"),
            section=True,
        )
        table(
            [_("Funder"), _("Total (€)")],
            [*prog.budget_by_funder.items(), (_("total"), prog.budget_total)],
            title=_("Budget by funder"),
            section=True,
        )
    indicators = [
        (a.number, i.name, i.unit, i.target, i.actual) for a in prog.actions for i in a.indicators
    ]
    if indicators:
        table(
            [_("Action"), _("Indicator"), _("Unit"), _("Target"), _("Actual")],
            indicators,
            title=_("Indicators"),
            section=True,
        )


@cli.group()
def action() -> None:
    """Actions (fiches action) of a programme."""


@action.command("add")
@click.argument("reference")
@click.argument("programme_label", metavar="PROGRAMME")
@click.option("--axis", "axis_number", type=int, required=True)
@click.option("--title", required=True)
@click.option("--objectives", default="")
@click.option("--lead", help="The lead party's key.")
@click.option("--contact", help="The pilot service (Direction des mobilités).")
@click.option("--pilot-name", help="The person who leads the action (Marie Dupont).")
@click.option("--pilot-function", help="Their function (cheffe de projet mobilités).")
@click.option("--pilot-email", help="Their e-mail address.")
@click.option("--partner", "partners", multiple=True, help="Another partner (repeat).")
@click.option("--number", type=int, help="Replace the action with this number.")
@actor_options
@json_option
@click.pass_context
def action_add(
    ctx: click.Context,
    /,
    reference: str,
    programme_label: str,
    axis_number: int,
    partners: tuple[str, ...],
    actor: str | None,
    role: str | None,
    as_json: bool,
    **fields: Any,
) -> None:
    """Add an action to PROGRAMME of partnership REFERENCE (or replace action --number)."""
    n = open_coopflow(ctx).add_action(
        reference,
        programme_label,
        axis=axis_number,
        partners=partners,
        actor=identify(ctx, actor, role),
        **fields,
    )
    echo_done(
        as_json,
        _("{reference}: programme {label}, action {action}").format(
            reference=reference, label=programme_label, action=n
        ),
        reference=reference,
        programme=programme_label,
        action=n,
    )


@action.command("progress")
@click.argument("reference")
@click.argument("programme_label", metavar="PROGRAMME")
@click.argument("action_number", metavar="ACTION", type=int)
@click.argument("progress", type=Forgiving(PROGRESS))
@actor_options
@json_option
@click.pass_context
def action_progress(
    ctx: click.Context,
    reference: str,
    programme_label: str,
    action_number: int,
    progress: str,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Record how far action ACTION of PROGRAMME has got."""
    open_coopflow(ctx).set_action_progress(
        reference, programme_label, action_number, progress, actor=identify(ctx, actor, role)
    )
    echo_done(
        as_json,
        _("{reference}: programme {label}, action {action}: {progress}").format(
            reference=reference, label=programme_label, action=action_number, progress=progress
        ),
        reference=reference,
        programme=programme_label,
        action=action_number,
        progress=progress,
    )


@cli.group()
def milestone() -> None:
    """Milestones of an action."""


@milestone.command("add")
@click.argument("reference")
@click.argument("programme_label", metavar="PROGRAMME")
@click.argument("action_number", metavar="ACTION", type=int)
@click.option("--date", required=True, type=DATE, help=DATE_HELP)
@click.option("--label", required=True)
@actor_options
@json_option
@click.pass_context
def milestone_add(
    ctx: click.Context,
    reference: str,
    programme_label: str,
    action_number: int,
    date: str,
    label: str,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Add a milestone to action ACTION of PROGRAMME."""
    open_coopflow(ctx).add_milestone(
        reference,
        programme_label,
        action_number,
        date=date,
        label=label,
        actor=identify(ctx, actor, role),
    )
    echo_done(
        as_json,
        _("{reference}: programme {label}, action {action}: milestone {date} {milestone}").format(
            reference=reference,
            label=programme_label,
            action=action_number,
            date=date,
            milestone=label,
        ),
        reference=reference,
        programme=programme_label,
        action=action_number,
        date=date,
        milestone=label,
    )


@milestone.command("done")
@click.argument("reference")
@click.argument("programme_label", metavar="PROGRAMME")
@click.argument("action_number", metavar="ACTION", type=int)
@click.option("--date", required=True, type=DATE, help=DATE_HELP)
@click.option("--label", required=True)
@click.option("--undo", is_flag=True, help="Mark it not done again.")
@actor_options
@json_option
@click.pass_context
def milestone_done(
    ctx: click.Context,
    reference: str,
    programme_label: str,
    action_number: int,
    date: str,
    label: str,
    undo: bool,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Mark a milestone of action ACTION of PROGRAMME done (it leaves `coopflow due`)."""
    open_coopflow(ctx).set_milestone_done(
        reference,
        programme_label,
        action_number,
        date=date,
        label=label,
        done=not undo,
        actor=identify(ctx, actor, role),
    )
    message = (
        _("{reference}: programme {label}, action {action}: {milestone} not done")
        if undo
        else _("{reference}: programme {label}, action {action}: {milestone} done")
    )
    echo_done(
        as_json,
        message.format(
            reference=reference, label=programme_label, action=action_number, milestone=label
        ),
        reference=reference,
        programme=programme_label,
        action=action_number,
        milestone=label,
        done=not undo,
    )


@cli.group()
def budget() -> None:
    """Planned budget lines of an action, by funder."""


@budget.command("add")
@click.argument("reference")
@click.argument("programme_label", metavar="PROGRAMME")
@click.argument("action_number", metavar="ACTION", type=int)
@click.option("--funder", required=True, help="A party key or a name.")
@click.option("--amount", required=True, help="Euros: 12500 or 12500.50.")
@actor_options
@json_option
@click.pass_context
def budget_add(
    ctx: click.Context,
    reference: str,
    programme_label: str,
    action_number: int,
    funder: str,
    amount: str,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Plan an amount of a funder for action ACTION of PROGRAMME (replaces its line)."""
    open_coopflow(ctx).add_budget_line(
        reference,
        programme_label,
        action_number,
        funder=funder,
        amount=amount,
        actor=identify(ctx, actor, role),
    )
    echo_done(
        as_json,
        _("{reference}: programme {label}, action {action}: budget line of {funder}").format(
            reference=reference, label=programme_label, action=action_number, funder=funder
        ),
        reference=reference,
        programme=programme_label,
        action=action_number,
        funder=funder,
        amount=amount,
    )


@cli.group()
def indicator() -> None:
    """Indicators of an action: target and measured value."""


@indicator.command("set")
@click.argument("reference")
@click.argument("programme_label", metavar="PROGRAMME")
@click.argument("action_number", metavar="ACTION", type=int)
@click.option("--name", required=True)
@click.option("--target", required=True)
@click.option("--unit", default="")
@click.option("--actual", help="The measured value.")
@actor_options
@json_option
@click.pass_context
def indicator_set(
    ctx: click.Context,
    reference: str,
    programme_label: str,
    action_number: int,
    name: str,
    target: str,
    unit: str,
    actual: str | None,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Add or update an indicator of action ACTION of PROGRAMME."""
    open_coopflow(ctx).add_indicator(
        reference,
        programme_label,
        action_number,
        name=name,
        target=target,
        unit=unit,
        actual=actual,
        actor=identify(ctx, actor, role),
    )
    echo_done(
        as_json,
        _("{reference}: programme {label}, action {action}: indicator {name}").format(
            reference=reference, label=programme_label, action=action_number, name=name
        ),
        reference=reference,
        programme=programme_label,
        action=action_number,
        indicator=name,
    )
