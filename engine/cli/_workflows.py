"""The workflow definitions at the command line: ``diagram`` (one as a Mermaid state
diagram), ``workflow list`` (every definition known, built-in and ``--workflows``) and
``workflow migrate`` (move in-flight partnerships or programmes to another version)."""

from __future__ import annotations

import click
from coopflow._i18n import _, ngettext

from ._app import (
    actor_options,
    cli,
    definitions,
    identify,
    json_option,
    open_coopflow,
    parse_pairs,
)
from ._output import print_json, table


@cli.command()
@click.option("--workflow", default="cooperation", show_default=True, help="Workflow name.")
@json_option
@click.pass_context
def diagram(ctx: click.Context, workflow: str, as_json: bool) -> None:
    """Print a workflow as a Mermaid state diagram.

    Paste the text into any Mermaid viewer (or a Markdown file) to see it drawn."""
    with definitions(ctx) as cf:
        wf = cf.workflows.get(workflow)
    if as_json:
        print_json({"workflow": wf.name, "version": wf.version, "mermaid": wf.mermaid()})
        return
    click.echo(wf.mermaid(), nl=False)


@cli.group()
def workflow() -> None:
    """Workflow definitions: list them, move partnerships to another version."""


@workflow.command("list")
@json_option
@click.pass_context
def workflow_list(ctx: click.Context, as_json: bool) -> None:
    """List every workflow definition known: the built-in ones and those of --workflows."""
    with definitions(ctx) as cf:
        rows = [(wf.name, wf.version, wf.subject, wf.title, wf.source) for wf in cf.workflows]
    if as_json:
        keys = ("name", "version", "subject", "title", "source")
        print_json([dict(zip(keys, row, strict=True)) for row in rows])
        return
    table([_("Name"), _("Version"), _("Subject"), _("Title"), _("Source")], rows)


@workflow.command("migrate")
@click.argument("name")
@click.option("--from", "from_version", type=int, required=True, help="The version to leave.")
@click.option("--to", "to_version", type=int, required=True, help="The version to move to.")
@click.option(
    "--map",
    "map_items",
    multiple=True,
    metavar="OLD=NEW",
    help="The new state of an old one (repeat); unnamed states keep their name.",
)
@click.option("--reference", "references", multiple=True, help="Only this partnership (repeat).")
@actor_options
@json_option
@click.pass_context
def workflow_migrate(
    ctx: click.Context,
    name: str,
    from_version: int,
    to_version: int,
    map_items: tuple[str, ...],
    references: tuple[str, ...],
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Move in-flight partnerships (or programmes) on workflow NAME to another version.

    All or nothing; each move is a journal record (event migration).  Partnerships in a final
    state stay where they are."""
    mapping = parse_pairs(map_items, "--map", form="OLD=NEW")
    moved = open_coopflow(ctx).migrate_workflow(
        name,
        from_version=from_version,
        to_version=to_version,
        mapping=mapping,
        references=list(references) or None,
        actor=identify(ctx, actor, role),
    )
    if as_json:
        print_json(
            {
                "workflow": name,
                "from_version": from_version,
                "to_version": to_version,
                "moved": moved,
            }
        )
        return
    click.echo(
        ngettext(
            "{name} v{old} → v{new}: {n} moved", "{name} v{old} → v{new}: {n} moved", len(moved)
        ).format(name=name, old=from_version, new=to_version, n=len(moved))
    )
    for reference in moved:
        click.echo(f"  {reference}")
