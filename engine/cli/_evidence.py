"""The evidence outside the database: ``checkpoint`` (take, list, show, new-key),
``verify-bundle`` (an exported folder, offline) and ``protections`` (check, repair).

A checkpoint's settings come from the environment (``coopflow._checkpoint.CheckpointSettings``:
``COOPFLOW_CHECKPOINT_KEY``, ``COOPFLOW_CHECKPOINT_CERT``, ``COOPFLOW_CHECKPOINT_KEY_PASSWORD``,
``COOPFLOW_TSA_URL``, ``COOPFLOW_TSA_ROOTS``, ``COOPFLOW_CHECKPOINT_DIR``); the options of
``checkpoint take`` override them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from coopflow._i18n import _, ngettext
from coopflow.errors import Reason

from ._app import actor_options, cli, identify, json_option, open_coopflow, read_pems
from ._output import error, fields, print_json, table, time_column

if TYPE_CHECKING:
    from coopflow._views import CheckpointInfo

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _with_error(result: dict[str, Any], code: str, message: str, problems: list[str]) -> Any:
    """A result that says no (a bundle or protections that do not verify), as JSON: the
    result itself and, as every refusal of the command line, an ``error`` naming each
    problem."""
    reasons = [Reason(p, code=code).as_dict() for p in problems]
    return {"error": {"code": code, "message": message, "reasons": reasons}, **result}


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
    configured).  Fires go on meanwhile: no lock is taken.  With --json: the checkpoint
    taken, and the file written, or null when --if-needed found nothing to take."""
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
            _(
                "no checkpoint key: give --key or set COOPFLOW_CHECKPOINT_KEY (a PEM private "
                "key file the database never sees; `coopflow checkpoint new-key` makes one)"
            )
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
        if as_json:
            print_json(None)
        else:
            click.echo(_("unchanged: no chain moved since the latest checkpoint"))
        return
    written = cf.checkpoint_settings.folder
    file = written / f"coopflow-checkpoint-{info.seq:06d}.json" if written is not None else None
    _say_taken(info, file, as_json)


def _say_taken(info: CheckpointInfo, file: Path | None, as_json: bool) -> None:
    """The checkpoint taken, and the file it was published as."""
    if as_json:
        print_json({**dataclasses.asdict(info), "file": file})
        return
    names = {"seq": info.seq, "n": info.tree_size, "root": info.root[:16], "key": info.key_id[:16]}
    if info.timestamped:
        line = ngettext(
            "checkpoint {seq}: {n} chain, root {root}…, signed by key {key}…, timestamped",
            "checkpoint {seq}: {n} chains, root {root}…, signed by key {key}…, timestamped",
            info.tree_size,
        )
    else:
        line = ngettext(
            "checkpoint {seq}: {n} chain, root {root}…, signed by key {key}…, NOT timestamped "
            "(no --tsa)",
            "checkpoint {seq}: {n} chains, root {root}…, signed by key {key}…, NOT timestamped "
            "(no --tsa)",
            info.tree_size,
        )
    click.echo(line.format(**names))
    if file is not None:
        click.echo(str(file))


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
        [
            _("Seq"),
            time_column(_("Taken")),
            _("Chains"),
            _("Root"),
            _("Key"),
            _("Timestamped"),
            _("By"),
        ],
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
@json_option
@click.pass_context
def show(ctx: click.Context, seq: int | None, path: Path | None, as_json: bool) -> None:
    """A stored checkpoint (the latest by default) as the file it was published as.

    With --out and --json: the checkpoint's number and the file written."""
    from coopflow._files import OutputFolder

    found = open_coopflow(ctx).checkpoint_file(seq)
    if path is None:
        if as_json:
            print_json(found.as_json())
        else:
            click.echo(found.text())
        return
    with OutputFolder(path.parent) as folder:
        written = folder.write_text(path.name, found.text() + "\n")
    if as_json:
        print_json({"seq": found.seq, "file": written})
    else:
        click.echo(str(written))


@checkpoint.command("new-key")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def new_key(path: Path, as_json: bool) -> None:
    """Write a new Ed25519 private key to PATH (mode 0600) and print its public key.

    Keep the private key with the legal department, outside the database; publish the public
    key (and its fingerprint) where anyone checking a bundle can find it."""
    from coopflow._checkpoint import new_key as make
    from coopflow._checkpoint import public_key_id

    public = make(path)
    if as_json:
        print_json({"private_key": path, "public_key": public, "key_id": public_key_id(public)})
        return
    click.echo(public, nl=False)
    click.echo(
        _("key id (SHA-256 of the public key): {key_id}").format(key_id=public_key_id(public))
    )


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

    Prints a report for the court clerk or archivist (in French unless --lang en); exits 1
    if anything does not verify, naming the file."""
    from coopflow import verify_bundle as check
    from coopflow._checkpoint import read_file

    report = check(
        folder,
        trusted_keys=[k.decode() for k in read_pems(keys)],
        tsa_roots=read_pems(tsa_roots),
        published=read_file(published) if published is not None else None,
    )
    if as_json and report.ok:
        print_json(report.as_json())
    elif as_json:
        message = ngettext(
            "the bundle {folder} does not verify: {n} problem",
            "the bundle {folder} does not verify: {n} problems",
            len(report.problems),
        ).format(folder=folder, n=len(report.problems))
        print_json(_with_error(report.as_json(), "bundle_not_intact", message, report.problems))
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
        result = {"ok": not found, "problems": found}
        if found:
            message = ngettext(
                "{n} protection of the evidence is off: run `coopflow protections repair`",
                "{n} protections of the evidence are off: run `coopflow protections repair`",
                len(found),
            ).format(n=len(found))
            result = _with_error(result, "protections_off", message, found)
        print_json(result)
    elif not found:
        click.echo(_("ok: every protection of the evidence is in place"))
    else:
        for problem in found:
            error(_("off: {problem}").format(problem=problem), code="protections_off")
    if found:
        ctx.exit(1)


@protections.command("repair")
@json_option
@click.pass_context
def repair_protections(ctx: click.Context, as_json: bool) -> None:
    """Restore every protection (the tables' owner only), then say what was off.

    Run `coopflow verify` afterwards: what was written while they were off is for the chains
    and the checkpoints to show."""
    before = open_coopflow(ctx).repair_protections()
    if as_json:
        print_json({"restored": before, "next": "coopflow verify"})
        return
    if not before:
        click.echo(_("ok: nothing was off; the protections were installed again"))
        return
    for problem in before:
        click.echo(_("restored: {problem}").format(problem=problem))
    fields([(_("next"), _("coopflow verify (and --against the latest published checkpoint)"))])
