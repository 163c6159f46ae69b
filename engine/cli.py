"""The ``coopflow`` command: a thin shell over the :class:`coopflow.Coopflow` API.

Every command is one or a few calls to the public API; what the command line can do, a host
program can do by calling the same functions.  Output is a rich table on a terminal and plain,
aligned text otherwise; every read command takes ``--json``.

Exit codes: 0 done; 1 refused by the domain (a guard failed, the transition is not allowed, the
role may not fire the event, a concurrent modification, something not found, a schema to
upgrade), with the reasons on stderr; 2 usage errors and invalid input.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import importlib.resources
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from . import (
    ROLES,
    Actor,
    Coopflow,
    CoopflowError,
    DocumentInfo,
    GuardFailed,
    PartnershipInfo,
    VerifyReport,
    migrate,
)
from ._core import PROGRESS
from ._documents import NATURES, SCALES, Kind
from ._migrate import display_url, head_revision
from ._script import ApplyReport, Outcome, ScriptFailed, apply_script
from .errors import SchemaOutOfDateError

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_DB = "sqlite:///coopflow.db"
DEMO_DB = "coopflow-demo.db"
DEMO_SCRIPT = "demo/bordeaux.toml"
KINDS = ("protocole", "programme", "avenant")
TRACEBACK_ENV = "COOPFLOW_TRACEBACK"


# ----------------------------------------------------------------------------- output


def _is_terminal() -> bool:
    return sys.stdout.isatty()


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _table(columns: Sequence[str], rows: Iterable[Sequence[object]], title: str = "") -> None:
    """A table: rich on a terminal; aligned columns (one row a line) otherwise."""
    cells = [[_cell(c) for c in row] for row in rows]
    if _is_terminal():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title or None, title_justify="left")
        for name in columns:
            table.add_column(name, overflow="fold")
        for row in cells:
            table.add_row(*(Text(c) for c in row))
        Console().print(table)
        return
    flat = [[c.replace("\n", "; ") for c in row] for row in cells]
    widths = [max(len(r[i]) for r in [list(columns), *flat]) for i in range(len(columns))]
    for row in [list(columns), *flat]:
        line = "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
        click.echo(line.rstrip())


def _fields(pairs: Sequence[tuple[str, object]], title: str = "") -> None:
    """Named values, one a line (a two-column table without header on a terminal)."""
    if _is_terminal():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title or None, title_justify="left", show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for name, value in pairs:
            table.add_row(Text(name), Text(_cell(value)))
        Console().print(table)
        return
    if title:
        click.echo(title)
    width = max(len(name) for name, _ in pairs)
    for name, value in pairs:
        text = _cell(value).replace("\n", "\n" + " " * (width + 2))
        click.echo(f"{name.ljust(width)}  {text}")


def _jsonable(value: Any) -> Any:
    """A result of the API (views, reports, dates, amounts) as JSON-compatible data."""
    result: Any = value
    if isinstance(value, CoopflowError):
        result = {"type": type(value).__name__, "message": value.message}
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        result = {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, ApplyReport | VerifyReport):
            result["ok"] = value.ok
    elif isinstance(value, dict):
        result = {str(k): _jsonable(v) for k, v in value.items()}
    elif isinstance(value, list | tuple):
        result = [_jsonable(v) for v in value]
    elif isinstance(value, dt.date | dt.datetime):
        result = value.isoformat()
    elif isinstance(value, Decimal | Path):
        result = str(value)
    return result


def _count(items: Sequence[object], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _print_json(value: Any) -> None:
    click.echo(json.dumps(_jsonable(value), indent=2, ensure_ascii=False))


def _error(message: str) -> None:
    click.echo(f"error: {message}", err=True)


def _report_reasons(where: str, error: GuardFailed) -> None:
    _error(f"{where}{error.event} refused:")
    for reason in error.reasons:
        click.echo(f"  - {reason}", err=True)


def _report_outcome(report: ApplyReport, outcome: Outcome) -> None:
    """Say on stderr why an item of a script was refused, naming the file, line and item."""
    where = f"{outcome.location(report.source)}: "
    if isinstance(outcome.error, GuardFailed):
        _report_reasons(where, outcome.error)
    else:
        _error(where + outcome.detail)


def _report_error(exc: CoopflowError) -> None:
    """Say on stderr why coopflow refused: one line, or a line per reason of a guard."""
    if isinstance(exc, ScriptFailed):
        _report_outcome(exc.report, exc.outcome)
    elif isinstance(exc, GuardFailed):
        _report_reasons("", exc)
    else:
        _error(exc.message)


# ----------------------------------------------------------------------------- the group


@dataclass
class _Settings:
    """What the group's options say, and the Coopflow opened for the command."""

    db: str
    db_on_command_line: bool
    schema: str | None = None
    cf: Coopflow | None = None


class _Group(click.Group):
    """The root group: turns every error into one ``error:`` message on stderr and its exit
    code, never a traceback."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            hint = ""
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                hint = f" (see '{exc.ctx.command_path} --help')"
            _error(" ".join(exc.format_message().split()) + hint)
            sys.exit(exc.exit_code)
        except click.Abort:
            _error("aborted")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CoopflowError as exc:
            _report_error(exc)
            ctx.exit(exc.exit_code)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            _error(f"{exc.strerror or exc}{where}")
            ctx.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get(TRACEBACK_ENV):
                raise
            _error(
                f"internal error: {type(exc).__name__}: {exc} "
                f"(set {TRACEBACK_ENV}=1 to see the traceback)"
            )
            ctx.exit(1)


def _check_url(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        make_url(value)
    except ArgumentError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@click.group("coopflow", cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar="COOPFLOW_DATABASE_URL",
    default=DEFAULT_DB,
    show_default=True,
    show_envvar=True,
    callback=_check_url,
    help="Database URL (sqlite:///path.db, postgresql://user@host/name).",
)
@click.option(
    "--schema",
    envvar="COOPFLOW_SCHEMA",
    show_envvar=True,
    help="PostgreSQL schema holding coopflow's tables (default: the search_path's first).",
)
@click.version_option(package_name="coopflow", prog_name="coopflow")
@click.pass_context
def cli(ctx: click.Context, db: str, schema: str | None) -> None:
    """coopflow: the contractualisation lifecycle of territorial cooperation.

    Register parties and partnerships, enter what dialogue and drafting produce, fire the
    lifecycle's events, render and export the protocol documents, and check the journal.

    Exit codes: 0 done; 1 refused (guard, transition, role, concurrent change, not found,
    schema to upgrade); 2 usage error or invalid input."""
    source = ctx.get_parameter_source("db")
    ctx.obj = _Settings(db, source is click.core.ParameterSource.COMMANDLINE, schema or None)


@contextlib.contextmanager
def _bad_url(url: str) -> Iterator[None]:
    """A URL SQLAlchemy cannot use (unknown dialect, driver not installed) is a usage error."""
    try:
        yield
    except (ArgumentError, ImportError) as exc:
        raise click.BadParameter(f"{display_url(url)}: {exc}", param_hint="--db") from None


def _open(ctx: click.Context) -> Coopflow:
    """The Coopflow of the command's database, checked to be at the current schema."""
    settings = ctx.find_object(_Settings)
    assert settings is not None
    if settings.cf is None:
        url = make_url(settings.db)
        database = url.database or ""
        is_file = url.get_backend_name() == "sqlite" and database not in ("", ":memory:")
        if is_file and not database.startswith("file:") and not Path(database).exists():
            raise SchemaOutOfDateError(
                None, head_revision(), f"coopflow --db {display_url(url)} init"
            )
        with _bad_url(settings.db):
            settings.cf = Coopflow(settings.db, schema=settings.schema)
        ctx.call_on_close(settings.cf.close)
    return settings.cf


def _actor_options(fn: F) -> F:
    """``--actor`` and ``--role``: who does it (coopflow does not authenticate)."""
    fn = click.option(
        "--role",
        type=click.Choice(ROLES),
        envvar="COOPFLOW_ROLE",
        show_envvar=True,
        required=True,
        help="The actor's role.",
    )(fn)
    return click.option(
        "--actor",
        envvar="COOPFLOW_ACTOR",
        show_envvar=True,
        required=True,
        help="Who acts (an identifier: marie.dupont).",
    )(fn)


_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


# ----------------------------------------------------------------------------- schema


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create or upgrade the database schema."""
    settings = ctx.find_object(_Settings)
    assert settings is not None
    with _bad_url(settings.db):
        migrate(settings.db, schema=settings.schema)
    where = f" (schema {settings.schema})" if settings.schema else ""
    click.echo(
        f"coopflow schema at revision {head_revision()} on {display_url(settings.db)}{where}"
    )


@cli.command()
@click.option("--workflow", default="cooperation", show_default=True, help="Workflow name.")
@_json_option
@click.pass_context
def diagram(ctx: click.Context, workflow: str, as_json: bool) -> None:
    """Print a workflow as a Mermaid state diagram.

    Paste the text into any Mermaid viewer (or a Markdown file) to see it drawn."""
    settings = ctx.find_object(_Settings)
    assert settings is not None
    with _bad_url(settings.db), Coopflow(settings.db, check=False) as cf:
        wf = cf.workflows.get(workflow)
    if as_json:
        _print_json({"workflow": wf.name, "version": wf.version, "mermaid": wf.mermaid()})
        return
    click.echo(wf.mermaid(), nl=False)


# ----------------------------------------------------------------------------- parties


@cli.group()
def party() -> None:
    """Parties: the collectivités that take part in partnerships."""


@party.command("add")
@click.argument("key")
@click.option("--official-name", required=True, help="Communauté d'agglomération du Libournais")
@click.option("--usual-name", help="La Cali")
@click.option("--nature", required=True, type=click.Choice(list(NATURES)))
@click.option("--siren", help="9 digits, the last a Luhn check digit (none for ETRANGER).")
@click.option("--seat", help="Where the party sits (Libourne).")
@click.option("--deliberative-body", required=True, help="conseil communautaire")
@click.option("--executive-title", required=True, help="Président, Maire...")
@click.option("--replace", is_flag=True, help="Update a party registered with other fields.")
@click.pass_context
def party_add(ctx: click.Context, /, key: str, **fields: Any) -> None:
    """Register a party under KEY (bordeaux-metropole); the same fields again do nothing."""
    info = _open(ctx).add_party(key, **fields)
    click.echo(f"party {info.key}: {info.official_name}")


@party.command("list")
@_json_option
@click.pass_context
def party_list(ctx: click.Context, as_json: bool) -> None:
    """List the parties."""
    parties = _open(ctx).parties()
    if as_json:
        _print_json(parties)
        return
    _table(
        ["Key", "Name", "Nature", "SIREN", "Executive"],
        [(p.key, p.name, p.nature, p.siren, p.executive_title) for p in parties],
    )


@party.command("show")
@click.argument("key")
@_json_option
@click.pass_context
def party_show(ctx: click.Context, key: str, as_json: bool) -> None:
    """Show a party."""
    info = _open(ctx).party(key)
    if as_json:
        _print_json(info)
        return
    _fields([(f.name.replace("_", " "), getattr(info, f.name)) for f in dataclasses.fields(info)])


# ----------------------------------------------------------------------------- partnerships


@cli.group()
def partnership() -> None:
    """Partnerships: create, list and show."""


@partnership.command("create")
@click.argument("title")
@click.option("--scale", required=True, type=click.Choice(list(SCALES)))
@click.option("--party", "parties", multiple=True, required=True, help="A party key (repeat).")
@click.option("--home", help="The home metropolis' key (default: the first --party).")
@click.option("--lead", help="The lead party's key, if any.")
@click.option("--responsible", help="Who follows it (default: the actor).")
@click.option("--reference", help="An explicit reference (default: COOP-<year>-<number>).")
@click.option("--workflow", default="cooperation", show_default=True)
@_actor_options
@_json_option
@click.pass_context
def partnership_create(
    ctx: click.Context,
    title: str,
    scale: str,
    parties: tuple[str, ...],
    home: str | None,
    lead: str | None,
    responsible: str | None,
    reference: str | None,
    workflow: str,
    actor: str,
    role: str,
    as_json: bool,
) -> None:
    """Open a partnership titled TITLE, in accueil."""
    info = _open(ctx).create_partnership(
        title,
        scale=scale,
        parties=parties,
        home=home or parties[0],
        lead=lead,
        responsible=responsible or actor,
        actor=Actor(actor, role),
        reference=reference,
        workflow=workflow,
    )
    if as_json:
        _print_json(info)
        return
    click.echo(f"{info.reference}: {info.title} ({info.state})")


def _partnership_rows(items: Iterable[PartnershipInfo]) -> Iterable[tuple[object, ...]]:
    for p in items:
        yield (p.reference, p.title, p.scale, p.state, p.parties, p.version)


@partnership.command("list")
@click.option("--state", help="A state, or a compound state (contractualisation).")
@click.option("--scale", type=click.Choice(list(SCALES)))
@click.option("--party", help="Only the partnerships of this party.")
@_json_option
@click.pass_context
def partnership_list(
    ctx: click.Context, state: str | None, scale: str | None, party: str | None, as_json: bool
) -> None:
    """List partnerships, by reference."""
    items = _open(ctx).partnerships(state=state, scale=scale, party=party)
    if as_json:
        _print_json(list(items))
        return
    _table(["Reference", "Title", "Scale", "State", "Parties", "Version"], _partnership_rows(items))


@partnership.command("show")
@click.argument("reference")
@_json_option
@click.pass_context
def partnership_show(ctx: click.Context, reference: str, as_json: bool) -> None:
    """Show everything about a partnership: state, protocol, axes, programmes."""
    cf = _open(ctx)
    detail = cf.detail(reference)
    if as_json:
        _print_json(detail)
        return
    wf = cf.workflows.get(detail["workflow"], detail["workflow_version"])
    state = wf.states.get(detail["state"])
    pairs: list[tuple[str, object]] = [
        ("title", detail["title"]),
        ("state", f"{detail['state']} ({state.label})" if state else detail["state"]),
        ("scale", detail["scale"]),
        ("parties", detail["parties"]),
        ("home", detail["home"]),
        ("lead", detail["lead"]),
        ("responsible", detail["responsible"]),
        ("version", detail["version"]),
    ]
    proto = detail["protocol"]
    if proto is not None:
        period = proto["period"]
        pairs.append(("protocol", f"{period['start']} → {period['end']}"))
        for axis in proto["axes"]:
            pairs.append(
                (
                    f"axis {axis['number']}",
                    f"{axis['title']} ({_count(axis['stakes'], 'stake')}, "
                    f"{_count(axis['commitments'], 'commitment')})",
                )
            )
        for d in proto["deliberations"]:
            status = "exécutoire" if d["executoire"] else "not exécutoire"
            pairs.append(
                (
                    f"délibération {d['party_key']}",
                    f"n° {d['number']} of {d['sitting_date']}, {status}",
                )
            )
        for s in proto["signatories"]:
            pairs.append(
                (f"signatory {s['party_key']}", f"{s['first_name']} {s['last_name']}, {s['title']}")
            )
        signature = proto["signature"]
        if signature["date"]:
            pairs.append(("signed", f"{signature['date']} at {signature['place']}"))
        for a in proto["amendments"]:
            pairs.append((f"avenant n° {a['number']}", f"{a['subject']} (signed {a['signed_on']})"))
    pairs.append(("approved document", detail["approved_document_sha256"]))
    pairs.append(("signed document", detail["signed_document_sha256"]))
    for g in detail["programmes"]:
        copil = f", COPIL {g['copil_date']}" if g["copil_date"] else ""
        pairs.append(
            (
                f"programme {g['label']}",
                f"{g['state']} ({g['period'][0]} → {g['period'][1]}{copil})",
            )
        )
    _fields(pairs, title=f"{detail['reference']}")


# ----------------------------------------------------------------------------- data entry


@cli.group()
def exchange() -> None:
    """Exchanges: meetings, letters, workshops..."""


@exchange.command("log")
@click.argument("reference")
@click.option("--date", required=True, help="YYYY-MM-DD")
@click.option(
    "--kind",
    required=True,
    help="reunion, courrier, visite, atelier, seminaire, visio or autre.",
)
@click.option("--summary", required=True)
@click.option("--participants")
@_actor_options
@click.pass_context
def exchange_log(
    ctx: click.Context,
    reference: str,
    date: str,
    kind: str,
    summary: str,
    participants: str | None,
    actor: str,
    role: str,
) -> None:
    """Log an exchange of partnership REFERENCE."""
    _open(ctx).log_exchange(
        reference,
        date=date,
        kind=kind,
        summary=summary,
        participants=participants,
        actor=Actor(actor, role),
    )
    click.echo(f"{reference}: exchange of {date} logged")


@cli.group()
def axis() -> None:
    """Cooperation axes."""


@axis.command("add")
@click.argument("reference")
@click.argument("title")
@click.option("--objective", "objectives", multiple=True, help="An objective (repeat).")
@click.option("--number", type=int, help="Replace the axis with this number.")
@click.pass_context
def axis_add(
    ctx: click.Context,
    reference: str,
    title: str,
    objectives: tuple[str, ...],
    number: int | None,
) -> None:
    """Add an axis titled TITLE to partnership REFERENCE (or replace axis --number)."""
    n = _open(ctx).add_axis(reference, title, objectives=objectives, number=number)
    click.echo(f"{reference}: axis {n}")


@cli.group()
def stake() -> None:
    """Cooperation stakes (enjeux) identified during dialogue."""


@stake.command("add")
@click.argument("reference")
@click.argument("title")
@click.option("--axis", "axis_number", type=int, required=True, help="The axis number.")
@click.option("--description", default="")
@click.pass_context
def stake_add(
    ctx: click.Context, reference: str, title: str, axis_number: int, description: str
) -> None:
    """Record a stake titled TITLE under an axis of partnership REFERENCE."""
    _open(ctx).add_stake(reference, axis=axis_number, title=title, description=description)
    click.echo(f"{reference}: stake recorded under axis {axis_number}")


@cli.group()
def commitment() -> None:
    """What each party commits to, by axis."""


@commitment.command("add")
@click.argument("reference")
@click.argument("text")
@click.option("--axis", "axis_number", type=int, required=True, help="The axis number.")
@click.option("--party", "party_key", required=True, help="The committed party's key.")
@click.pass_context
def commitment_add(
    ctx: click.Context, reference: str, text: str, axis_number: int, party_key: str
) -> None:
    """Record what a party commits to (TEXT) under an axis of partnership REFERENCE."""
    _open(ctx).add_commitment(reference, axis=axis_number, party=party_key, text=text)
    click.echo(f"{reference}: commitment of {party_key} recorded under axis {axis_number}")


@cli.group()
def protocol() -> None:
    """The protocole pluriannuel."""


@protocol.command("set")
@click.argument("reference")
@click.option("--start", required=True, help="YYYY-MM-DD")
@click.option("--end", required=True, help="YYYY-MM-DD")
@click.option("--preamble", multiple=True, help="A paragraph of the preamble (repeat).")
@click.option("--copil", help="The steering committee (governance).")
@click.option("--cotech", help="The technical committee (governance).")
@click.option("--meetings-per-year", type=int)
@click.option("--means", help="The means (often: no financial effect of its own).")
@click.option("--financial-commitments", help="Planned financial commitments (foreign party).")
@click.pass_context
def protocol_set(
    ctx: click.Context,
    /,
    reference: str,
    preamble: tuple[str, ...],
    **fields: Any,
) -> None:
    """Set the period, preamble, governance and means of partnership REFERENCE's protocol."""
    _open(ctx).set_protocol(reference, preamble=preamble or None, **fields)
    click.echo(f"{reference}: protocol set")


@cli.group()
def deliberation() -> None:
    """Délibérations of the councils (protocol, avenants)."""


@deliberation.command("record")
@click.argument("reference")
@click.option("--party", "party_key", required=True)
@click.option("--number", required=True, help="The délibération's number (2027-123).")
@click.option("--sitting-date", required=True, help="YYYY-MM-DD")
@click.option("--sent-to-prefecture", help="YYYY-MM-DD")
@click.option("--published", help="YYYY-MM-DD")
@click.option("--avenant", type=int, default=0, help="The avenant's number (0: the protocol).")
@_actor_options
@click.pass_context
def deliberation_record(
    ctx: click.Context,
    reference: str,
    party_key: str,
    number: str,
    sitting_date: str,
    sent_to_prefecture: str | None,
    published: str | None,
    avenant: int,
    actor: str,
    role: str,
) -> None:
    """Record or complete a party's délibération on partnership REFERENCE."""
    _open(ctx).record_deliberation(
        reference,
        party=party_key,
        number=number,
        sitting_date=sitting_date,
        sent_to_prefecture=sent_to_prefecture,
        published=published,
        amendment=avenant,
        actor=Actor(actor, role),
    )
    click.echo(f"{reference}: délibération n° {number} of {party_key} recorded")


@cli.group()
def signatory() -> None:
    """Who signs for each party."""


@signatory.command("set")
@click.argument("reference")
@click.option("--party", "party_key", required=True)
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--title", required=True, help="The party's executive title (Président, Maire).")
@click.pass_context
def signatory_set(
    ctx: click.Context,
    reference: str,
    party_key: str,
    first_name: str,
    last_name: str,
    title: str,
) -> None:
    """Name who signs partnership REFERENCE's protocol for a party."""
    _open(ctx).set_signatory(
        reference, party=party_key, first_name=first_name, last_name=last_name, title=title
    )
    click.echo(f"{reference}: {first_name} {last_name.upper()}, {title}, signs for {party_key}")


@cli.group()
def avenant() -> None:
    """Avenants (amendments) to a signed protocol."""


@avenant.command("change")
@click.argument("reference")
@click.argument("text")
@click.pass_context
def avenant_change(ctx: click.Context, reference: str, text: str) -> None:
    """Add a change (one paragraph, TEXT) to the avenant being drafted."""
    _open(ctx).add_amendment_change(reference, text)
    click.echo(f"{reference}: change added to the avenant")


@cli.group()
def programme() -> None:
    """Annual work programmes."""


@programme.command("add")
@click.argument("reference")
@click.argument("label")
@click.option("--start", required=True, help="YYYY-MM-DD")
@click.option("--end", required=True, help="YYYY-MM-DD")
@click.pass_context
def programme_add(ctx: click.Context, reference: str, label: str, start: str, end: str) -> None:
    """Open (or re-date) programme LABEL (2027) of partnership REFERENCE."""
    _open(ctx).add_programme(reference, label, start=start, end=end)
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
@click.option("--contact", help="The lead's contact (pilote).")
@click.option("--partner", "partners", multiple=True, help="Another partner (repeat).")
@click.option("--number", type=int, help="Replace the action with this number.")
@click.pass_context
def action_add(
    ctx: click.Context,
    /,
    reference: str,
    programme_label: str,
    axis_number: int,
    partners: tuple[str, ...],
    **fields: Any,
) -> None:
    """Add an action to PROGRAMME of partnership REFERENCE (or replace action --number)."""
    n = _open(ctx).add_action(
        reference, programme_label, axis=axis_number, partners=partners, **fields
    )
    click.echo(f"{reference}: programme {programme_label}, action {n}")


@action.command("progress")
@click.argument("reference")
@click.argument("programme_label", metavar="PROGRAMME")
@click.argument("action_number", metavar="ACTION", type=int)
@click.argument("progress", type=click.Choice(PROGRESS))
@click.pass_context
def action_progress(
    ctx: click.Context, reference: str, programme_label: str, action_number: int, progress: str
) -> None:
    """Record how far action ACTION of PROGRAMME has got."""
    _open(ctx).set_action_progress(reference, programme_label, action_number, progress)
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
@click.pass_context
def milestone_add(
    ctx: click.Context,
    reference: str,
    programme_label: str,
    action_number: int,
    date: str,
    label: str,
) -> None:
    """Add a milestone to action ACTION of PROGRAMME."""
    _open(ctx).add_milestone(reference, programme_label, action_number, date=date, label=label)
    click.echo(f"{reference}: programme {programme_label}, action {action_number}: {date} {label}")


@milestone.command("done")
@click.argument("reference")
@click.argument("programme_label", metavar="PROGRAMME")
@click.argument("action_number", metavar="ACTION", type=int)
@click.option("--date", required=True, help="YYYY-MM-DD")
@click.option("--label", required=True)
@click.option("--undo", is_flag=True, help="Mark it not done again.")
@click.pass_context
def milestone_done(
    ctx: click.Context,
    reference: str,
    programme_label: str,
    action_number: int,
    date: str,
    label: str,
    undo: bool,
) -> None:
    """Mark a milestone of action ACTION of PROGRAMME done (it leaves `coopflow due`)."""
    _open(ctx).set_milestone_done(
        reference, programme_label, action_number, date=date, label=label, done=not undo
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
@click.pass_context
def budget_add(
    ctx: click.Context,
    reference: str,
    programme_label: str,
    action_number: int,
    funder: str,
    amount: str,
) -> None:
    """Plan an amount of a funder for action ACTION of PROGRAMME (replaces its line)."""
    _open(ctx).add_budget_line(
        reference, programme_label, action_number, funder=funder, amount=amount
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
) -> None:
    """Add or update an indicator of action ACTION of PROGRAMME."""
    _open(ctx).add_indicator(
        reference,
        programme_label,
        action_number,
        name=name,
        target=target,
        unit=unit,
        actual=actual,
    )
    click.echo(f"{reference}: programme {programme_label}, action {action_number}: {name}")


# ----------------------------------------------------------------------------- events


@cli.command()
@click.argument("reference")
@click.option("--programme", "programme_label", help="The events of this programme.")
@_actor_options
@_json_option
@click.pass_context
def events(
    ctx: click.Context,
    reference: str,
    programme_label: str | None,
    actor: str,
    role: str,
    as_json: bool,
) -> None:
    """List what an actor can fire now on REFERENCE, and why not.

    Every event leaving the current state, with its inputs (? marks an optional one) and the
    reasons it is blocked for this actor."""
    statuses = _open(ctx).events(reference, Actor(actor, role), programme=programme_label)
    if as_json:
        _print_json(statuses)
        return
    _table(
        ["Event", "To", "Roles", "Inputs", "Available", "Why not"],
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


def _parse_data(values: Sequence[str]) -> dict[str, str]:
    data: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--data")
        if key.strip() in data:
            raise click.BadParameter(f"{key.strip()!r} is given twice", param_hint="--data")
        data[key.strip()] = value
    return data


@cli.command()
@click.argument("reference")
@click.argument("event")
@_actor_options
@click.option("--comment", help="Recorded in the journal.")
@click.option("--data", "data_items", multiple=True, metavar="KEY=VALUE", help="An input.")
@click.option("--programme", "programme_label", help="Fire an event of this programme.")
@click.option("--expect-version", type=int, help="Refuse if the partnership changed since.")
@_json_option
@click.pass_context
def fire(
    ctx: click.Context,
    reference: str,
    event: str,
    actor: str,
    role: str,
    comment: str | None,
    data_items: tuple[str, ...],
    programme_label: str | None,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Fire EVENT on partnership REFERENCE.

    With --programme, fire an event of one of its annual programmes.  Inputs are given as
    --data name=value (dates written YYYY-MM-DD); see `coopflow events` for each event's."""
    data = _parse_data(data_items)
    result = _open(ctx).fire(
        reference,
        event,
        Actor(actor, role),
        comment=comment,
        data=data,
        programme=programme_label,
        expected_version=expect_version,
    )
    if as_json:
        _print_json(result)
        return
    on = f" (programme {result.programme})" if result.programme else ""
    click.echo(
        f"{reference}{on}: {event}: {result.source_state} → {result.target_state} "
        f"(version {result.version}, journal record {result.record.seq})"
    )
    for doc in result.documents:
        click.echo(f"  {_document_label(doc)}: sha256 {doc.sha256}")


# ----------------------------------------------------------------------------- journal


@cli.command()
@click.argument("reference")
@_json_option
@click.pass_context
def history(ctx: click.Context, reference: str, as_json: bool) -> None:
    """Show the journal of partnership REFERENCE, oldest first."""
    entries = _open(ctx).history(reference)
    if as_json:
        _print_json(entries)
        return
    _table(
        ["Seq", "At", "Event", "From", "To", "Actor", "Programme", "Comment", "Document"],
        [
            (
                e.seq,
                e.at,
                e.event,
                e.source_state,
                e.target_state,
                f"{e.actor} ({e.role})",
                e.programme,
                e.comment,
                e.document_sha256[:12] if e.document_sha256 else None,
            )
            for e in entries
        ],
    )


@cli.command()
@click.argument("reference", required=False)
@_json_option
@click.pass_context
def verify(ctx: click.Context, reference: str | None, as_json: bool) -> None:
    """Verify the journal's hash chains and the documents' hashes.

    Of REFERENCE, or of every partnership.  Exits 1, naming the first broken record of each
    chain, if anything does not verify."""
    report = _open(ctx).verify(reference)
    if as_json:
        _print_json(report)
    elif report.ok:
        click.echo(
            f"ok: {report.partnerships} partnerships, {report.records} journal records and "
            f"{report.documents} documents verified"
        )
    if not report.ok:
        for problem in report.problems:
            _error(f"broken: {problem}")
        ctx.exit(1)


# ----------------------------------------------------------------------------- documents


@cli.command()
@click.argument("reference")
@click.option("--kind", type=click.Choice(KINDS), default="protocole", show_default=True)
@click.option("--subject", default="", help="The programme's label, or the avenant's number.")
@_actor_options
@_json_option
@click.pass_context
def render(
    ctx: click.Context,
    reference: str,
    kind: str,
    subject: str,
    actor: str,
    role: str,
    as_json: bool,
) -> None:
    """Render a document of REFERENCE as it stands.

    A new version is stored only if its data changed; prints its version and SHA-256."""
    info = _open(ctx).render(reference, cast(Kind, kind), subject=subject, actor=Actor(actor, role))
    if as_json:
        _print_json(info)
        return
    label = f"{info.kind} {info.subject}".rstrip()
    click.echo(f"{reference}: {label} version {info.version} ({info.status})")
    click.echo(f"sha256 {info.sha256}")


@cli.command()
@click.argument("reference")
@_json_option
@click.pass_context
def documents(ctx: click.Context, reference: str, as_json: bool) -> None:
    """List the documents stored for partnership REFERENCE."""
    docs = _open(ctx).documents_of(reference)
    if as_json:
        _print_json(docs)
        return
    _table(
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
@_json_option
@click.pass_context
def export(ctx: click.Context, reference: str, folder: Path, as_json: bool) -> None:
    """Export REFERENCE's documents for the legal department.

    Writes the final PDFs, the draft the legal department approved and a JSON manifest (hashes,
    journal records) into the folder."""
    manifest = _open(ctx).export(reference, folder)
    content = json.loads(manifest.read_text("utf-8"))
    if as_json:
        click.echo(json.dumps({"manifest": str(manifest), **content}, indent=2, ensure_ascii=False))
        return
    for doc in content["documents"]:
        click.echo(str(folder / doc["file"]))
    click.echo(str(manifest))


# ----------------------------------------------------------------------------- deadlines


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD") from None


@cli.command()
@click.option("--within", "days", type=click.IntRange(min=0), default=30, show_default=True)
@click.option("--today", callback=_date, help="YYYY-MM-DD (default: today).")
@_json_option
@click.pass_context
def due(ctx: click.Context, days: int, today: dt.date | None, as_json: bool) -> None:
    """List what falls due within DAYS, and what is overdue.

    Protocols ending, programmes awaiting COPIL approval, délibérations not yet exécutoire,
    milestones past their date."""
    deadlines = _open(ctx).due(within_days=days, today=today)
    if as_json:
        _print_json(deadlines)
        return
    now = today or dt.date.today()
    _table(
        ["Due", "", "Reference", "Kind", "What"],
        [(d.due, "overdue" if d.due < now else "", d.reference, d.kind, d.what) for d in deadlines],
    )


# ----------------------------------------------------------------------------- scripts


def _document_label(doc: DocumentInfo) -> str:
    """``programme 2027 v1 draft``."""
    return " ".join(x for x in (doc.kind, doc.subject, f"v{doc.version}", doc.status) if x)


def _outcome_rows(outcomes: Iterable[Outcome]) -> Iterable[tuple[object, ...]]:
    for o in outcomes:
        detail = "\n".join([o.detail, *(_document_label(d) for d in o.documents)])
        yield (o.line, o.subject, o.item, o.status, detail)


def _print_report(report: ApplyReport) -> None:
    _table(["Line", "Subject", "Item", "Status", "Detail"], _outcome_rows(report.outcomes))
    counts = ", ".join(
        f"{report.count(s)} {s}"
        for s in ("done", "unchanged", "skipped", "refused", "not run")
        if report.count(s)
    )
    if report.dry_run:
        click.echo(f"dry run of {report.source}: {counts}; nothing was written")
    else:
        click.echo(f"applied {report.source}: {counts}")


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would happen; write nothing.")
@_json_option
@click.pass_context
def apply(ctx: click.Context, file: Path, dry_run: bool, as_json: bool) -> None:
    """Apply the script FILE, all or nothing.

    FILE declares parties, partnerships and their ordered steps (see the README).  A script
    applied again duplicates nothing: the steps already recorded in a partnership's journal are
    skipped.  With --dry-run, the report says what each step would do and why one would be
    refused (naming its line); the exit code is the one the real run would have."""
    report = apply_script(_open(ctx), file, dry_run=dry_run)
    if as_json:
        _print_json(report)
    else:
        _print_report(report)
    for refused in report.refusals:
        _report_outcome(report, refused)
    ctx.exit(report.exit_code)


# ----------------------------------------------------------------------------- the demo


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What :func:`run_demo` did: the script's report, each partnership and the files."""

    database: str
    report: ApplyReport
    partnerships: tuple[PartnershipInfo, ...]
    documents: dict[str, tuple[str, ...]]  # reference -> "kind subject vN status", current ones
    files: tuple[Path, ...]


def run_demo(
    cf: Coopflow, folder: Path, *, progress: Callable[[str], object] | None = None
) -> DemoResult:
    """Apply the demo script, render what has no document yet, export for the legal
    department into ``folder/export/<reference>/``.  Idempotent."""
    say = progress or (lambda _text: None)
    script = importlib.resources.files("coopflow").joinpath(DEMO_SCRIPT)
    report = apply_script(
        cf,
        script.read_text("utf-8"),
        source=f"coopflow/{DEMO_SCRIPT}",
        progress=lambda o: say(f"{o.subject} {o.item}"),
    )
    actor = Actor("coopflow-demo", "staff")
    partnerships = tuple(cf.partnerships())
    files: list[Path] = []
    documents: dict[str, tuple[str, ...]] = {}
    for p in partnerships:
        say(f"rendering {p.reference}")
        detail = cf.detail(p.reference)
        have = {(d.kind, d.subject) for d in cf.documents_of(p.reference)}
        wanted: list[tuple[Kind, str]] = []
        if detail["protocol"] is not None:
            wanted.append(("protocole", ""))
        wanted += [("programme", g["label"]) for g in detail["programmes"]]
        for kind, subject in wanted:
            if (kind, subject) not in have:
                cf.render(p.reference, kind, subject=subject, actor=actor)
        docs = cf.documents_of(p.reference)
        documents[p.reference] = tuple(_document_label(d) for d in docs if d.status != "superseded")
        if any(d.status == "final" for d in docs) or detail["approved_document_sha256"]:
            say(f"exporting {p.reference}")
            target = folder / "export" / p.reference
            manifest = cf.export(p.reference, target)
            entries = json.loads(manifest.read_text("utf-8"))["documents"]
            files += [target / e["file"] for e in entries]
            files.append(manifest)
    return DemoResult(display_url(cf.engine.url), report, partnerships, documents, tuple(files))


@cli.command()
@click.option(
    "--out",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("coopflow-demo"),
    show_default=True,
    help="The folder for the demo's database and exported documents.",
)
@_json_option
@click.pass_context
def demo(ctx: click.Context, folder: Path, as_json: bool) -> None:
    """Run the demo: partnerships of Bordeaux Métropole.

    Creates a fresh SQLite database in the folder (the demo's database there is recreated on
    every run), applies the demo script shipped with coopflow, renders the protocols and
    programmes, exports the final documents for the legal department, and prints a summary.
    With --db given on the command line, runs on that database instead, migrating it first; the
    demo can be run again on it and duplicates nothing.  COOPFLOW_DATABASE_URL is not used: the
    demo writes into your own database only when you name it with --db."""
    settings = ctx.find_object(_Settings)
    assert settings is not None
    folder.mkdir(parents=True, exist_ok=True)
    schema = None
    if settings.db_on_command_line:
        url, schema = settings.db, settings.schema
    else:
        path = (folder / DEMO_DB).resolve()
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    with _bad_url(url):
        migrate(url, schema=schema)
    with Coopflow(url, schema=schema) as cf:
        if _is_terminal() and not as_json:
            from rich.console import Console

            with Console(stderr=True).status("Running the demo…") as status:
                result = run_demo(cf, folder, progress=status.update)
        else:
            result = run_demo(cf, folder)
    if as_json:
        _print_json(result)
        return
    _table(
        ["Reference", "Title", "Scale", "State", "Documents"],
        [
            (p.reference, p.title, p.scale, p.state, "\n".join(result.documents[p.reference]))
            for p in result.partnerships
        ],
        title="coopflow demo",
    )
    click.echo(f"database: {result.database}")
    for file in result.files:
        click.echo(f"wrote {file}")


def main(argv: Sequence[str] | None = None) -> None:
    """The console script ``coopflow``."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="coopflow")


if __name__ == "__main__":
    main()
