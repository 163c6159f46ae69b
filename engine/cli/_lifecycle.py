"""The lifecycle at the command line: ``events`` (what an actor can fire, and why not),
``fire``, and the journal: ``history`` and ``verify``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from coopflow._i18n import _

from ._app import (
    actor_options,
    cli,
    identify,
    json_option,
    open_coopflow,
    parse_pairs,
    read_pems,
)
from ._output import document_label, error, jsonable, print_json, table, time_column
from ._output import warning as warn
from ._partnerships import iso_date

if TYPE_CHECKING:
    from coopflow import Coopflow

#: What ``--data NAME=@latest`` (and ``--latest``) stands for: the latest document's SHA-256.
LATEST = "@latest"


@cli.command()
@click.argument("reference")
@click.option("--programme", "programme_label", help="The events of this programme.")
@actor_options
@json_option
@click.pass_context
def events(
    ctx: click.Context,
    reference: str,
    programme_label: str | None,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """List what an actor can fire now on REFERENCE, and why not.

    Every event leaving the current state, with its inputs (? marks an optional one) and the
    reasons it is blocked for this actor."""
    statuses = open_coopflow(ctx).events(
        reference, identify(ctx, actor, role), programme=programme_label
    )
    if as_json:
        print_json(statuses)
        return
    table(
        [_("Event"), _("To"), _("Roles"), _("Inputs"), _("Available"), _("Why not")],
        [
            (
                s.event,
                s.target,
                s.roles,
                [f"{i.name}{'' if i.required else '?'}" for i in s.inputs],
                s.available,
                "\n".join(s.reasons),
            )
            for s in statuses
        ],
    )


@cli.command()
@click.argument("reference")
@click.argument("event")
@actor_options
@click.option("--comment", help="Recorded in the journal.")
@click.option("--data", "data_items", multiple=True, metavar="KEY=VALUE", help="An input.")
@click.option("--programme", "programme_label", help="Fire an event of this programme.")
@click.option("--expect-version", type=int, help="Refuse if the partnership changed since.")
@click.option(
    "--latest",
    is_flag=True,
    help="Give the event's SHA-256 inputs the latest document's (approuver: the draft under "
    "review), as NAME=@latest does.",
)
@json_option
@click.pass_context
def fire(
    ctx: click.Context,
    reference: str,
    event: str,
    actor: str | None,
    role: str | None,
    comment: str | None,
    data_items: tuple[str, ...],
    programme_label: str | None,
    expect_version: int | None,
    latest: bool,
    as_json: bool,
) -> None:
    """Fire EVENT on partnership REFERENCE.

    With --programme, fire an event of one of its annual programmes.  Inputs are given as
    --data name=value (dates written YYYY-MM-DD or DD/MM/YYYY; a SHA-256 as @latest for the
    latest document's); see `coopflow events` for each event's."""
    cf = open_coopflow(ctx)
    data = _inputs(cf, reference, event, programme_label, parse_pairs(data_items, "--data"), latest)
    result = cf.fire(
        reference,
        event,
        identify(ctx, actor, role),
        comment=comment,
        data=data,
        programme=programme_label,
        expected_version=expect_version,
    )
    successor = result.record.data.get("successor")
    if as_json:
        print_json(result)
        return
    on = f" (programme {result.programme})" if result.programme else ""
    click.echo(
        _(
            "{reference}{on}: {event}: {source} → {target} (version {version}, journal record "
            "{seq})"
        ).format(
            reference=result.reference,
            on=on,
            event=event,
            source=result.source_state,
            target=result.target_state,
            version=result.version,
            seq=result.record.seq,
        )
    )
    for doc in result.documents:
        click.echo(f"  {document_label(doc)}: sha256 {doc.sha256}")
    if successor:
        click.echo(_("new partnership: {reference}").format(reference=successor))


def _inputs(
    cf: Coopflow,
    reference: str,
    event: str,
    programme: str | None,
    data: dict[str, str],
    latest: bool,
) -> dict[str, str]:
    """The event's inputs as typed, with its date inputs also taken as DD/MM/YYYY, and
    ``@latest`` (or ``--latest``, for every SHA-256 input not given) replaced by the latest
    document's SHA-256."""
    wanted = latest or any(v == LATEST or v != iso_date_or_same(v) for v in data.values())
    if not wanted:
        return data
    info = cf.partnership(reference)
    wf = cf.workflows.get(info.workflow, info.workflow_version)
    if programme is not None:
        wf = cf.workflows.programmes_of(wf)
    definition = wf.events.get(event)
    types = {i.name: i.type for i in definition.inputs} if definition is not None else {}
    result = dict(data)
    if latest:
        for name, kind in types.items():
            if kind == "sha256" and name not in result:
                result[name] = LATEST
    for name, value in result.items():
        if value == LATEST:
            result[name] = cf.latest_document(reference).sha256
        elif types.get(name) == "date":
            result[name] = iso_date_or_same(value)
    return result


def iso_date_or_same(value: str) -> str:
    """``value`` as ``YYYY-MM-DD`` if written ``DD/MM/YYYY``; else as it is."""
    try:
        return iso_date(value)
    except ValueError:
        return value


@cli.command()
@click.argument("reference")
@json_option
@click.pass_context
def history(ctx: click.Context, reference: str, as_json: bool) -> None:
    """Show the journal of partnership REFERENCE, oldest first: each event with its states,
    each data change with what changed (before -> after), each with who did it and how they
    were identified; then the exchanges of the thematic dialogues it takes part in (journaled
    in the dialogues' chain)."""
    cf = open_coopflow(ctx)
    entries = cf.history(reference)
    shared = cf.dialogue_exchanges(reference)
    if as_json:
        print_json([{**jsonable(e), "summary": e.summary} for e in entries])
        return
    table(
        [
            _("Seq"),
            time_column(_("At")),
            _("Event"),
            _("What"),
            _("Actor"),
            _("Comment"),
            _("Document"),
        ],
        [
            (
                e.seq,
                e.at,
                e.event,
                e.summary,
                f"{e.actor} ({e.role}"
                + (f", {e.identified_by}" if e.identified_by else "")
                + (f" {e.db_login}" if e.db_login else "")
                + ")",
                e.comment,
                e.document_sha256[:12] if e.document_sha256 else None,
            )
            for e in entries
        ],
    )
    if shared:
        table(
            [_("Dialogue"), _("N°"), _("Date"), _("Kind"), _("Summary"), _("Logged by")],
            [(x.dialogue, x.number, x.date, x.kind, x.summary, x.logged_by) for x in shared],
            title=_("Exchanges of the thematic dialogues it takes part in"),
            section=True,
        )


@cli.command()
@click.argument("reference", required=False)
@click.option(
    "--against",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A published checkpoint file: prove today's chains extend it.",
)
@click.option(
    "--key",
    "keys",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The legal department's public key or certificate (PEM) checkpoints are signed "
    "with; repeatable.",
)
@click.option(
    "--tsa-root",
    "tsa_roots",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A CA certificate (PEM) the timestamping authority must chain to; repeatable.",
)
@json_option
@click.pass_context
def verify(
    ctx: click.Context,
    reference: str | None,
    against: Path | None,
    keys: tuple[Path, ...],
    tsa_roots: tuple[Path, ...],
    as_json: bool,
) -> None:
    """Verify the journal's hash chains, the documents, the database's protections, and that
    the chains extend the latest checkpoint (or --against a published one).

    Of REFERENCE, or of every partnership.  Exits 1, naming the first broken record of each
    chain, if anything does not verify; warnings (no recent checkpoint...) do not fail."""
    report = open_coopflow(ctx).verify(
        reference,
        against=against,
        trusted_keys=[pem.decode() for pem in read_pems(keys)],
        tsa_roots=read_pems(tsa_roots),
    )
    if as_json:
        print_json(report)
    elif report.ok:
        counts = {
            "partnerships": report.partnerships,
            "records": report.records,
            "documents": report.documents,
        }
        if report.checkpoint is not None:
            click.echo(
                _(
                    "ok: {partnerships} partnerships, {records} journal records and {documents} "
                    "documents verified, extending checkpoint {checkpoint}"
                ).format(**counts, checkpoint=report.checkpoint)
            )
        else:
            click.echo(
                _(
                    "ok: {partnerships} partnerships, {records} journal records and {documents} "
                    "documents verified"
                ).format(**counts)
            )
    if not as_json:
        for problem in report.problems:
            error(_("broken: {problem}").format(problem=problem), code="integrity")
        for warning in report.warnings:
            warn(warning)
    if not report.ok:
        ctx.exit(1)
