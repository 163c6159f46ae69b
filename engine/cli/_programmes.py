"""The annual work programmes, entered at the command line: ``programme``, ``action``,
``milestone``, ``budget`` and ``indicator``."""

from __future__ import annotations

from typing import Any

import click
from coopflow._vocabulary import PROGRESS

from ._app import actor_options, cli, identify, open_coopflow


@cli.group()
def programme() -> None:
    """Annual work programmes."""


@programme.command("add")
@click.argument("reference")
@click.argument("label")
@click.option("--start", required=True, help="YYYY-MM-DD")
@click.option("--end", required=True, help="YYYY-MM-DD")
@actor_options
@click.pass_context
def programme_add(
    ctx: click.Context,
    reference: str,
    label: str,
    start: str,
    end: str,
    actor: str | None,
    role: str | None,
) -> None:
    """Open (or re-date) programme LABEL (2027) of partnership REFERENCE."""
    open_coopflow(ctx).add_programme(
        reference, label, start=start, end=end, actor=identify(ctx, actor, role)
    )
    click.echo(f"{reference}: programme {label} ({start} → {end})")


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
    click.echo(f"{reference}: programme {programme_label}, action {n}")


@action.command("progress")
@click.argument("reference")
@click.argument("programme_label", metavar="PROGRAMME")
@click.argument("action_number", metavar="ACTION", type=int)
@click.argument("progress", type=click.Choice(PROGRESS))
@actor_options
@click.pass_context
def action_progress(
    ctx: click.Context,
    reference: str,
    programme_label: str,
    action_number: int,
    progress: str,
    actor: str | None,
    role: str | None,
) -> None:
    """Record how far action ACTION of PROGRAMME has got."""
    open_coopflow(ctx).set_action_progress(
        reference, programme_label, action_number, progress, actor=identify(ctx, actor, role)
    )
    click.echo(f"{reference}: programme {programme_label}, action {action_number}: {progress}")


@cli.group()
def milestone() -> None:
    """Milestones of an action."""


@milestone.command("add")
@click.argument("reference")
@click.argument("programme_label", metavar="PROGRAMME")
@click.argument("action_number", metavar="ACTION", type=int)
@click.option("--date", required=True, help="YYYY-MM-DD")
@click.option("--label", required=True)
@actor_options
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
    click.echo(f"{reference}: programme {programme_label}, action {action_number}: {date} {label}")


@milestone.command("done")
@click.argument("reference")
@click.argument("programme_label", metavar="PROGRAMME")
@click.argument("action_number", metavar="ACTION", type=int)
@click.option("--date", required=True, help="YYYY-MM-DD")
@click.option("--label", required=True)
@click.option("--undo", is_flag=True, help="Mark it not done again.")
@actor_options
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
    state = "not done" if undo else "done"
    click.echo(f"{reference}: programme {programme_label}, action {action_number}: {label} {state}")


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
    click.echo(f"{reference}: programme {programme_label}, action {action_number}: {funder}")


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
    click.echo(f"{reference}: programme {programme_label}, action {action_number}: {name}")
