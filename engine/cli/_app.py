"""The root group ``coopflow``: its options (database, schema, host workflows), the error
handling that turns every failure into one ``error:`` message and its exit code, opening the
command's :class:`~coopflow.Coopflow`, and the options and parsers commands share."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from coopflow._i18n import LANGUAGES, N_, _, language, normalize
from coopflow._migrate import display_url, head_revision
from coopflow._vocabulary import ROLES
from coopflow.errors import CoopflowError, SchemaOutOfDateError

from . import _output as output
from ._catalog import localize, translate_click
from ._output import error, report_error, usage_error

if TYPE_CHECKING:
    from coopflow import Actor, Coopflow

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_DB = "sqlite:///coopflow.db"
TRACEBACK_ENV = "COOPFLOW_TRACEBACK"
WORKFLOWS_ENV = "COOPFLOW_WORKFLOWS"
#: The seconds one document may take to render (``Coopflow(render_timeout=...)``).
RENDER_TIMEOUT_ENV = "COOPFLOW_RENDER_TIMEOUT"


@dataclass
class Settings:
    """What the group's options say, and the Coopflow opened for the command."""

    db: str
    db_on_command_line: bool
    schema: str | None = None
    workflows: Path | None = None
    cf: Coopflow | None = None
    #: The actor :func:`identify` found, and the --actor and --role it was found for.
    identity: tuple[str | None, str | None, Actor] | None = None


def take_language(args: list[str]) -> tuple[str | None, list[str]]:
    """``--lang CODE`` (or ``--lang=CODE``) anywhere before ``--``, and the other arguments:
    the language is known before click parses anything, so its own messages are translated
    too."""
    chosen: str | None = None
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg == "--lang" and i + 1 < len(args):
            chosen, i = args[i + 1], i + 2
            continue
        if arg.startswith("--lang="):
            chosen, i = arg.partition("=")[2], i + 1
            continue
        rest.append(arg)
        i += 1
    return chosen, rest


def _asks_json(args: list[str]) -> bool:
    return "--json" in (args[: args.index("--")] if "--" in args else args)


class Group(click.Group):
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
        arguments = list(sys.argv[1:] if args is None else args)
        chosen, arguments = take_language(arguments)
        output.wants_json(_asks_json(arguments))
        if chosen is not None and normalize(chosen) is None:
            usage_error(
                _("--lang: unknown language {code!r}: coopflow speaks {languages}").format(
                    code=chosen, languages=", ".join(LANGUAGES)
                ),
                2,
            )
            sys.exit(2)
        with language(chosen):
            localize(self)
            translate_click()
            return self._main(arguments, prog_name, complete_var, standalone_mode, **extra)

    def _main(
        self,
        args: list[str],
        prog_name: str | None,
        complete_var: str | None,
        standalone_mode: bool,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            # Bare ``coopflow`` (or a bare group): the short usage, not the whole help.
            where = exc.ctx
            if where is not None:
                click.echo(where.get_usage(), err=True)
                click.echo(
                    _("Try '{command} --help' for its commands.").format(
                        command=where.command_path
                    ),
                    err=True,
                )
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            hint = ""
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                hint = " " + _("(see '{command} --help')").format(command=exc.ctx.command_path)
            message = " ".join(exc.format_message().split())
            usage_error(message + hint, exc.exit_code)
            sys.exit(exc.exit_code)
        except click.Abort:
            error(_("aborted"))
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CoopflowError as exc:
            report_error(exc)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            # The reader went away (``coopflow ... | head``): nothing to say, and nothing more
            # to write (Python would complain again when flushing stdout at exit).
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            error(f"{exc.strerror or exc}{where}", code="os_error")
            ctx.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get(TRACEBACK_ENV):
                raise
            error(
                _("internal error: {error} (set {env}=1 to see the traceback)").format(
                    error=f"{type(exc).__name__}: {exc}", env=TRACEBACK_ENV
                ),
                code="internal_error",
            )
            ctx.exit(1)


#: SQLAlchemy's pattern of a URL (``sqlalchemy.engine.url._parse_url``).
_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.VERBOSE,
)


def plainly_valid(url: str) -> bool:
    """Whether SQLAlchemy's ``make_url`` surely accepts ``url``, told without importing
    SQLAlchemy (``--help`` and ``--version`` do not): it matches SQLAlchemy's pattern and its
    port, if any, is digits.  When this says no, ``make_url`` decides."""
    match = _URL.match(url)
    if match is None:
        return False
    port = match["port"]
    return port is None or (port.isascii() and port.isdigit())


def _check_url(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if plainly_valid(value):
        return value
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(value)
    except ArgumentError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@click.group("coopflow", cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option(
    "--workflows",
    "workflows_dir",
    envvar=WORKFLOWS_ENV,
    show_envvar=True,
    type=click.Path(path_type=Path),
    help="A folder of your own workflow definitions (*.toml), validated like the built-in ones.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    expose_value=False,
    help=N_(
        "The language of what coopflow says: fr (the default) or en; anywhere on the line. "
        "Without it, COOPFLOW_LANG, then LANG."
    ),
)
@click.version_option(package_name="coopflow", prog_name="coopflow")
@click.pass_context
def cli(ctx: click.Context, db: str, schema: str | None, workflows_dir: Path | None) -> None:
    """coopflow: the contractualisation lifecycle of territorial cooperation.

    Register parties and partnerships, enter what dialogue and drafting produce, fire the
    lifecycle's events, render and export the protocol documents, and check the journal.

    A document that takes longer than COOPFLOW_RENDER_TIMEOUT seconds to render (120 if
    unset) is refused.

    Exit codes: 0 done; 1 refused (guard, transition, role, concurrent change, not found,
    schema to upgrade); 2 usage error or invalid input."""
    source = ctx.get_parameter_source("db")
    ctx.obj = Settings(
        db, source is click.core.ParameterSource.COMMANDLINE, schema or None, workflows_dir
    )


def settings_of(ctx: click.Context) -> Settings:
    """The root group's settings."""
    settings = ctx.find_object(Settings)
    assert settings is not None
    return settings


@contextlib.contextmanager
def bad_url(url: str) -> Iterator[None]:
    """A URL SQLAlchemy cannot use (unknown dialect, driver not installed) is a usage error."""
    from sqlalchemy.exc import ArgumentError

    try:
        yield
    except (ArgumentError, ImportError) as exc:
        raise click.BadParameter(f"{display_url(url)}: {exc}", param_hint="--db") from None


def render_timeout() -> float | None:
    """``COOPFLOW_RENDER_TIMEOUT``, the seconds one document may take to render (unset or
    empty: coopflow's default, 120); anything but a number of seconds from 0 to a day is an
    invalid input naming the variable."""
    value = os.environ.get(RENDER_TIMEOUT_ENV, "").strip()
    if not value:
        return None
    from coopflow._documents import check_render_timeout

    try:
        seconds: object = float(value)
    except ValueError:
        seconds = value
    return check_render_timeout(seconds, RENDER_TIMEOUT_ENV)


def open_coopflow(ctx: click.Context) -> Coopflow:
    """The Coopflow of the command's database, checked to be at the current schema, with the
    host's workflows (``--workflows``) loaded besides the built-in ones and the render time
    limit of ``COOPFLOW_RENDER_TIMEOUT``, if set."""
    from coopflow import Coopflow
    from sqlalchemy.engine import make_url

    settings = settings_of(ctx)
    if settings.cf is None:
        url = make_url(settings.db)
        database = url.database or ""
        is_file = url.get_backend_name() == "sqlite" and database not in ("", ":memory:")
        if is_file and not database.startswith("file:") and not Path(database).exists():
            raise SchemaOutOfDateError(
                None, head_revision(), f"coopflow --db {display_url(url)} init"
            )
        from coopflow import CheckpointSettings

        with bad_url(settings.db):
            settings.cf = Coopflow(
                settings.db,
                schema=settings.schema,
                workflows_dir=settings.workflows,
                render_timeout=render_timeout(),
                checkpoints=CheckpointSettings.from_environment(),
            )
        ctx.call_on_close(settings.cf.close)
    return settings.cf


@contextlib.contextmanager
def definitions(ctx: click.Context) -> Iterator[Coopflow]:
    """A Coopflow for reading workflow definitions only (built-in and ``--workflows``): the
    database is neither checked nor needed."""
    from coopflow import Coopflow

    settings = settings_of(ctx)
    with (
        bad_url(settings.db),
        Coopflow(settings.db, check=False, workflows_dir=settings.workflows) as cf,
    ):
        yield cf


def actor_options(fn: F) -> F:
    """``--actor`` and ``--role``: who acts, and in which of the roles they hold (see
    :func:`identify`)."""
    fn = click.option(
        "--role",
        type=click.Choice(ROLES),
        envvar="COOPFLOW_ROLE",
        show_envvar=True,
        help="The role to act in, one you hold (default: the first you hold that may do it).",
    )(fn)
    return click.option(
        "--actor",
        envvar="COOPFLOW_ACTOR",
        show_envvar=True,
        help="Who acts, a registered login (SQLite; default: your OS login). On PostgreSQL "
        "you are your database login, and a different --actor is refused.",
    )(fn)


def identify(ctx: click.Context, actor: str | None, role: str | None) -> Actor:
    """Who runs the command.  On PostgreSQL: the actor registered with the database login
    connected (``session_user``: a libpq service, ``PGUSER``, peer or Kerberos
    authentication), and an ``--actor`` naming anyone else is refused.  On SQLite (one
    person's file): ``--actor``, else ``COOPFLOW_ACTOR``, else the OS login.  Either way the
    registry then checks the actor and the role for each operation."""
    from coopflow import Actor
    from coopflow.errors import PermissionDenied

    settings = settings_of(ctx)
    if settings.identity is not None and settings.identity[:2] == (actor, role):
        return settings.identity[2]
    db_login, registered = open_coopflow(ctx).whoami()
    if db_login is not None:
        if registered is None:
            raise PermissionDenied(
                "act",
                role or "",
                (),
                actor=actor or db_login,
                reason=_(
                    "the database login {login} is not registered as an actor (an admin runs: "
                    'coopflow actor add LOGIN --name "..." --role ... --db-login {login})'
                ).format(login=db_login),
            )
        if actor is not None and actor != registered:
            raise PermissionDenied(
                "act",
                role or "",
                (),
                actor=actor,
                reason=_(
                    "you are connected as {login}, the database login of {registered}: on "
                    "PostgreSQL you act as yourself (drop --actor)"
                ).format(login=db_login, registered=registered),
            )
        who = Actor(registered, role, "db_login")
    else:
        login, via = claimed_login(ctx, actor)
        who = Actor(login, role, via)
    settings.identity = (actor, role, who)
    return who


def claimed_login(ctx: click.Context, actor: str | None) -> tuple[str, str]:
    """SQLite: the login the command runs as, and how it was given: ``--actor`` (``option``),
    ``COOPFLOW_ACTOR`` (``environment``), else the OS login (``os_login``)."""
    if actor is None:
        import getpass

        return getpass.getuser(), "os_login"
    source = ctx.get_parameter_source("actor")
    return actor, "environment" if source is click.core.ParameterSource.ENVIRONMENT else "option"


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def parse_pairs(values: Sequence[str], param_hint: str, form: str = "KEY=VALUE") -> dict[str, str]:
    """``KEY=VALUE`` items of a repeated option as a dict; bad syntax or a key given twice is a
    usage error naming the option (and the ``form`` expected)."""
    pairs: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(
                _("{item!r} is not {form}").format(item=item, form=form), param_hint=param_hint
            )
        if key.strip() in pairs:
            raise click.BadParameter(
                _("{key!r} is given twice").format(key=key.strip()), param_hint=param_hint
            )
        pairs[key.strip()] = value
    return pairs


def read_pems(paths: Sequence[Path]) -> list[bytes]:
    """The bytes of PEM files named by options (keys, certificates)."""
    return [path.read_bytes() for path in paths]
