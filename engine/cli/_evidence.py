"""The evidence outside the database: ``checkpoint`` (take, list, show, new-key),
``verify-bundle`` (an exported folder, offline) and ``protections`` (check, repair).

A checkpoint's settings come from the environment (``coopflow._checkpoint.CheckpointSettings``:
``COOPFLOW_CHECKPOINT_KEY``, ``COOPFLOW_CHECKPOINT_CERT``, ``COOPFLOW_CHECKPOINT_KEY_PASSWORD``,
``COOPFLOW_TSA_URL``, ``COOPFLOW_TSA_ROOTS``, ``COOPFLOW_CHECKPOINT_DIR``); the options of
``checkpoint take`` override them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from ._app import actor_options, cli, identify, json_option, open_coopflow, read_pems
from ._output import error, fields, print_json, table

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@cli.group()
def checkpoint() -> None:
    """Signed, timestamped checkpoints of every chain, kept outside the database."""


@checkpoint.command("take")
@click.option(
    "--key", type=_FILE, help="The PEM private key to sign with [COOPFLOW_CHECKPOINT_KEY]."
)
@click.option(
    "--cert", type=_FILE, help="Its X.509 certificate, if any [COOPFLOW_CHECKPOINT_CERT]."
)
@click.option(
    "--tsa", "tsa_url", help="The RFC 3161 timestamping authority's URL [COOPFLOW_TSA_URL]."
)
@click.option(
    "--tsa-root",
    "tsa_roots",
    multiple=True,
    type=_FILE,
    help="A CA certificate (PEM) the TSA must chain to; repeatable [COOPFLOW_TSA_ROOTS].",
)
@click.option(
    "--out",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write the checkpoint file into, to publish or archive "
    "[COOPFLOW_CHECKPOINT_DIR].",
)
@click.option(
    "--if-needed", is_flag=True, help="Do nothing if no chain moved since the latest checkpoint."
)
@actor_options
@json_option
@click.pass_context
def take(
    ctx: click.Context,
    key: Path | None,
    cert: Path | None,
    tsa_url: str | None,
    tsa_roots: tuple[Path, ...],
    folder: Path | None,
    if_needed: bool,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Take a checkpoint: commit to every chain's head, sign, timestamp, store and publish.

    Run it from a daily job (cron), and after signatures (automatic when the key is
    configured).  Fires go on meanwhile: no lock is taken."""
    from coopflow import CheckpointSettings, EvidenceError

    cf = open_coopflow(ctx)
    settings = cf.checkpoint_settings
    if key is not None:
        settings = (
            dataclasses.replace(settings, key=key)
            if settings is not None
            else CheckpointSettings(key=key)
        )
    if settings is None:
        raise EvidenceError(
            "no checkpoint key: give --key or set COOPFLOW_CHECKPOINT_KEY (a PEM private key "
            "file the database never sees; `coopflow checkpoint new-key` makes one)"
        )
    changes: dict[str, object] = {}
    if cert is not None:
        changes["certificate"] = cert
    if tsa_url is not None:
        changes["tsa_url"] = tsa_url
    if tsa_roots:
        changes["tsa_roots"] = tsa_roots
    if folder is not None:
        changes["folder"] = folder
    cf.checkpoint_settings = dataclasses.replace(settings, **changes)  # type: ignore[arg-type]
    info = cf.checkpoint(actor=identify(ctx, actor, role), if_needed=if_needed)
    if info is None:
        click.echo("unchanged: no chain moved since the latest checkpoint")
        return
    if as_json:
        print_json(info)
        return
    written = cf.checkpoint_settings.folder
    click.echo(
        f"checkpoint {info.seq}: {info.tree_size} chains, root {info.root[:16]}…, signed by key "
        f"{info.key_id[:16]}…"
        + (", timestamped" if info.timestamped else ", NOT timestamped (no --tsa)")
    )
    if written is not None:
        click.echo(str(written / f"coopflow-checkpoint-{info.seq:06d}.json"))


@checkpoint.command("list")
@json_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """The stored checkpoints, oldest first."""
    found = open_coopflow(ctx).checkpoints()
    if as_json:
        print_json(found)
        return
    table(
        ["Seq", "At", "Chains", "Root", "Key", "Timestamped", "By"],
        [
            (c.seq, c.at, c.tree_size, c.root[:16], c.key_id[:16], c.timestamped, c.taken_by)
            for c in found
        ],
    )


@checkpoint.command("show")
@click.argument("seq", type=int, required=False)
@click.option(
    "--out",
    "path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the checkpoint file there (never over an existing file).",
)
@click.pass_context
def show(ctx: click.Context, seq: int | None, path: Path | None) -> None:
    """A stored checkpoint (the latest by default) as the file it was published as."""
    from coopflow._files import OutputFolder

    found = open_coopflow(ctx).checkpoint_file(seq)
    if path is None:
        click.echo(found.text())
        return
    with OutputFolder(path.parent) as folder:
        click.echo(str(folder.write_text(path.name, found.text() + "\n")))


@checkpoint.command("new-key")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def new_key(path: Path) -> None:
    """Write a new Ed25519 private key to PATH (mode 0600) and print its public key.

    Keep the private key with the legal department, outside the database; publish the public
    key (and its fingerprint) where anyone checking a bundle can find it."""
    from coopflow._checkpoint import new_key as make
    from coopflow._checkpoint import public_key_id

    public = make(path)
    click.echo(public, nl=False)
    click.echo(f"key id (SHA-256 of the public key): {public_key_id(public)}")


@cli.command("verify-bundle")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--key",
    "keys",
    multiple=True,
    type=_FILE,
    help="The legal department's public key or certificate (PEM); repeatable.",
)
@click.option(
    "--tsa-root",
    "tsa_roots",
    multiple=True,
    type=_FILE,
    help="A CA certificate (PEM) the timestamping authority must chain to; repeatable.",
)
@click.option(
    "--checkpoint",
    "published",
    type=_FILE,
    help="A later published checkpoint file: the bundle's journal must reach what it sealed.",
)
@json_option
@click.pass_context
def verify_bundle(
    ctx: click.Context,
    folder: Path,
    keys: tuple[Path, ...],
    tsa_roots: tuple[Path, ...],
    published: Path | None,
    as_json: bool,
) -> None:
    """Check an exported folder with no database: every file's hash, each PDF's attached
    snapshot, the journal's chain, the checkpoint's signature, timestamp and inclusion proof.

    Prints a report in French for the court clerk or archivist; exits 1 if anything does not
    verify, naming the file."""
    from coopflow import verify_bundle as check
    from coopflow._checkpoint import read_file

    report = check(
        folder,
        trusted_keys=[k.decode() for k in read_pems(keys)],
        tsa_roots=read_pems(tsa_roots),
        published=read_file(published) if published is not None else None,
    )
    if as_json:
        print_json(report.as_json())
    else:
        click.echo("\n".join(report.lines()))
    if not report.ok:
        ctx.exit(1)


@cli.group()
def protections() -> None:
    """The database's own protections of the evidence (triggers and their functions)."""


@protections.command("check")
@json_option
@click.pass_context
def check_protections(ctx: click.Context, as_json: bool) -> None:
    """Say whether every protection is in place; exits 1 if one is off."""
    found = open_coopflow(ctx).protections()
    if as_json:
        print_json({"ok": not found, "problems": found})
    elif not found:
        click.echo("ok: every protection of the evidence is in place")
    for problem in [] if as_json else found:
        error(f"off: {problem}")
    if found:
        ctx.exit(1)


@protections.command("repair")
@click.pass_context
def repair_protections(ctx: click.Context) -> None:
    """Restore every protection (the tables' owner only), then say what was off.

    Run `coopflow verify` afterwards: what was written while they were off is for the chains
    and the checkpoints to show."""
    before = open_coopflow(ctx).repair_protections()
    if not before:
        click.echo("ok: nothing was off; the protections were installed again")
        return
    for problem in before:
        click.echo(f"restored: {problem}")
    fields([("next", "coopflow verify (and --against the latest published checkpoint)")])
