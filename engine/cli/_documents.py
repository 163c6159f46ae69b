"""Documents at the command line: ``render`` one as the data stand, list the stored
``documents``, ``export`` the final ones for the legal department."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import click
from coopflow._vocabulary import KINDS, Kind

from ._app import actor_options, cli, identify, json_option, open_coopflow
from ._output import print_json, table


@cli.command()
@click.argument("reference")
@click.option("--kind", type=click.Choice(KINDS), default="protocole", show_default=True)
@click.option("--subject", default="", help="The programme's label, or the avenant's number.")
@actor_options
@json_option
@click.pass_context
def render(
    ctx: click.Context,
    reference: str,
    kind: str,
    subject: str,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Render a document of REFERENCE as it stands.

    A new version is stored only if its data changed; prints its version and SHA-256."""
    info = open_coopflow(ctx).render(
        reference, cast(Kind, kind), subject=subject, actor=identify(ctx, actor, role)
    )
    if as_json:
        print_json(info)
        return
    label = f"{info.kind} {info.subject}".rstrip()
    click.echo(f"{reference}: {label} version {info.version} ({info.status})")
    click.echo(f"sha256 {info.sha256}")


@cli.command()
@click.argument("reference")
@json_option
@click.pass_context
def documents(ctx: click.Context, reference: str, as_json: bool) -> None:
    """List the documents stored for partnership REFERENCE."""
    docs = open_coopflow(ctx).documents_of(reference)
    if as_json:
        print_json(docs)
        return
    table(
        ["Kind", "Subject", "Version", "Status", "SHA-256", "Size", "Created"],
        [(d.kind, d.subject, d.version, d.status, d.sha256, d.size, d.created_at) for d in docs],
    )


@cli.command()
@click.argument("reference")
@click.option(
    "--to",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write into (created if needed).",
)
@actor_options
@json_option
@click.pass_context
def export(
    ctx: click.Context,
    reference: str,
    folder: Path,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Export REFERENCE's evidence bundle for the legal department.

    Writes every stored PDF (the approved one as ...-approved.pdf), the journal, the latest
    checkpoint covering it with its proof, and a JSON manifest into the folder; nothing there
    is overwritten or followed.  `coopflow verify-bundle FOLDER` checks it offline."""
    manifest = open_coopflow(ctx).export(reference, folder, actor=identify(ctx, actor, role))
    content = json.loads(manifest.read_text("utf-8"))
    if as_json:
        click.echo(json.dumps({"manifest": str(manifest), **content}, indent=2, ensure_ascii=False))
        return
    for doc in content["documents"]:
        click.echo(str(folder / doc["file"]))
    click.echo(str(manifest))
