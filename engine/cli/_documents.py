"""Documents at the command line: ``render`` one as the data stand, list the stored
``documents``, write one out (``document get``: the draft for the legal department),
``export`` the final ones for the legal department."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import click
from coopflow._i18n import _
from coopflow._vocabulary import KINDS, Kind

from ._app import actor_options, cli, identify, json_option, open_coopflow
from ._output import print_json, table, time_column
from ._partnerships import Forgiving


@contextlib.contextmanager
def progress(what: str) -> Iterator[None]:
    """A spinner saying ``what`` is under way, on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(what):
        yield


@cli.command()
@click.argument("reference")
@click.option("--kind", type=Forgiving(KINDS), default="protocole", show_default=True)
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
    cf, who = open_coopflow(ctx), identify(ctx, actor, role)
    label = f"{kind} {subject}".rstrip()
    with progress(
        _("rendering {document} of {reference}…").format(document=label, reference=reference)
    ):
        info = cf.render(reference, cast(Kind, kind), subject=subject, actor=who)
    if as_json:
        print_json(info)
        return
    label = f"{info.kind} {info.subject}".rstrip()
    click.echo(
        _("{reference}: {document} version {version} ({status})").format(
            reference=info.reference, document=label, version=info.version, status=info.status
        )
    )
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
        [
            _("Kind"),
            _("Subject"),
            _("Version"),
            _("Status"),
            "SHA-256",
            _("Size"),
            time_column(_("Created")),
        ],
        [(d.kind, d.subject, d.version, d.status, d.sha256, d.size, d.created_at) for d in docs],
    )


@cli.group()
def document() -> None:
    """A stored document: write any version of it to a file."""


@document.command("get")
@click.argument("reference")
@click.option("--kind", type=Forgiving(KINDS), default="protocole", show_default=True)
@click.option("--subject", default="", help="The programme's label, or the avenant's number.")
@click.option("--version", type=int, help="The version to write (default: the latest).")
@click.option(
    "--to",
    "target",
    type=click.Path(path_type=Path),
    help="The file to write, in a folder that exists, or a folder (default: the current "
    "folder, under the name export gives it). An existing file is never overwritten.",
)
@json_option
@click.pass_context
def document_get(
    ctx: click.Context,
    reference: str,
    kind: str,
    subject: str,
    version: int | None,
    target: Path | None,
    as_json: bool,
) -> None:
    """Write a stored document of REFERENCE (the draft the legal department approves, a
    signed PDF, any version) to a file; prints its path and SHA-256."""
    doc, path = open_coopflow(ctx).write_document(
        reference, cast(Kind, kind), subject=subject, version=version, to=target or Path.cwd()
    )
    if as_json:
        print_json({"path": path, "document": doc})
        return
    click.echo(str(path))
    click.echo(f"sha256 {doc.sha256}")


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
    cf, who = open_coopflow(ctx), identify(ctx, actor, role)
    with progress(_("exporting {reference}…").format(reference=reference)):
        manifest = cf.export(reference, folder, actor=who)
    content = json.loads(manifest.read_text("utf-8"))
    if as_json:
        click.echo(json.dumps({"manifest": str(manifest), **content}, indent=2, ensure_ascii=False))
        return
    for doc in content["documents"]:
        click.echo(str(folder / doc["file"]))
    click.echo(str(manifest))
