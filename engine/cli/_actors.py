"""The registry of actors at the command line: ``actor add|grant|revoke|deactivate|activate``
(admins only, journaled) and ``actor list``/``actor history``; ``db-roles install``
(PostgreSQL: coopflow's group roles)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click
from coopflow._i18n import _
from coopflow._vocabulary import ROLES

from ._app import actor_options, cli, identify, json_option, open_coopflow
from ._output import print_json, table, time_column

if TYPE_CHECKING:
    from coopflow._views import ActorInfo


@cli.group()
def actor() -> None:
    """The people who act in coopflow, and the roles they hold (admins manage them)."""


def _say(info: ActorInfo, as_json: bool) -> None:
    """What an actor is now: JSON, or one line."""
    if as_json:
        print_json(info)
        return
    names = {"login": info.login, "name": info.full_name, "roles": ", ".join(info.roles)}
    if info.db_login and info.active:
        line = _("{login} ({name}): {roles}; active, database login {db_login}")
    elif info.db_login:
        line = _("{login} ({name}): {roles}; deactivated, database login {db_login}")
    elif info.active:
        line = _("{login} ({name}): {roles}; active")
    else:
        line = _("{login} ({name}): {roles}; deactivated")
    click.echo(line.format(**names, db_login=info.db_login))


@actor.command("add")
@click.argument("login")
@click.option("--name", "full_name", required=True, help='Full name: "Claire Martin".')
@click.option(
    "--role",
    "roles",
    type=click.Choice(ROLES),
    multiple=True,
    required=True,
    help="A role they hold (repeat for several).",
)
@click.option(
    "--db-login", help="PostgreSQL: the database login they connect as (granted their roles)."
)
@click.option(
    "--actor",
    envvar="COOPFLOW_ACTOR",
    show_envvar=True,
    help="The admin who registers them (SQLite; default: your OS login; on PostgreSQL, your "
    "database login).",
)
@json_option
@click.pass_context
def actor_add(
    ctx: click.Context,
    login: str,
    full_name: str,
    roles: tuple[str, ...],
    db_login: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """Register LOGIN, a person who acts, with the roles they hold (--role, repeated)."""
    info = open_coopflow(ctx).add_actor(
        login,
        full_name,
        roles=roles,
        db_login=db_login,
        actor=identify(ctx, actor, None),
    )
    _say(info, as_json)


def _manage(name: str, help_text: str, with_role: bool) -> None:
    def command(
        ctx: click.Context,
        login: str,
        actor: str | None,
        role: str | None,
        as_json: bool,
        granted: str | None = None,
    ) -> None:
        cf = open_coopflow(ctx)
        who = identify(ctx, actor, role)
        if name == "grant":
            assert granted is not None
            info = cf.grant_role(login, granted, actor=who)
        elif name == "revoke":
            assert granted is not None
            info = cf.revoke_role(login, granted, actor=who)
        elif name == "deactivate":
            info = cf.deactivate_actor(login, actor=who)
        else:
            info = cf.activate_actor(login, actor=who)
        _say(info, as_json)

    command.__doc__ = help_text
    decorated = click.pass_context(command)
    decorated = json_option(decorated)
    decorated = actor_options(decorated)
    if with_role:
        decorated = click.argument("granted", metavar="ROLE", type=click.Choice(ROLES))(decorated)
    decorated = click.argument("login")(decorated)
    actor.command(name)(decorated)


# The help texts are translated when shown (coopflow.cli._catalog).
_manage("grant", "Give LOGIN the role ROLE.", True)
_manage("revoke", "Take the role ROLE from LOGIN.", True)
_manage("deactivate", "Stop LOGIN from acting (their records stay as they are).", False)
_manage("activate", "Let a deactivated LOGIN act again.", False)


@actor.command("list")
@json_option
@click.pass_context
def actor_list(ctx: click.Context, as_json: bool) -> None:
    """Every registered actor and the roles they hold."""
    found = open_coopflow(ctx).actors()
    if as_json:
        print_json(found)
        return
    table(
        [_("Login"), _("Name"), _("Roles"), _("Active"), _("Database login")],
        [(a.login, a.full_name, a.roles, a.active, a.db_login) for a in found],
    )


@actor.command("history")
@click.option(
    "--registry",
    type=click.Choice(["actors", "parties", "dialogues"]),
    default="actors",
    show_default=True,
    help="Which registry's journal.",
)
@json_option
@click.pass_context
def actor_history(ctx: click.Context, registry: str, as_json: bool) -> None:
    """Every change to the registry of actors (or of parties, or of thematic dialogues): by
    whom, when, what changed."""
    records = open_coopflow(ctx).registry_history(registry)
    if as_json:
        print_json(records)
        return
    table(
        [
            _("Seq"),
            time_column(_("At")),
            _("Action"),
            _("Subject"),
            _("By"),
            _("Identified by"),
            _("After"),
        ],
        [
            (
                r["seq"],
                dt.datetime.fromisoformat(r["at"]),
                r["action"],
                r["subject"],
                f"{r['actor']} ({r['role']})",
                r["identified_by"] + (f" {r['db_login']}" if r["db_login"] else ""),
                ", ".join(f"{k}={v}" for k, v in (r["after"] or {}).items() if k != "login"),
            )
            for r in records
        ],
    )


@cli.group("db-roles")
def db_roles() -> None:
    """PostgreSQL: the group roles that give each coopflow role its database rights."""


@db_roles.command("install")
@click.option("--prefix", default="coopflow", show_default=True, help="The group roles' prefix.")
@json_option
@click.pass_context
def db_roles_install(ctx: click.Context, prefix: str, as_json: bool) -> None:
    """Create and grant the group roles (run once, as the tables' owner, with CREATEROLE):
    PREFIX_staff, PREFIX_legal, PREFIX_elected, PREFIX_admin and PREFIX_service (a host
    application that authenticates its users itself)."""
    names = open_coopflow(ctx).install_db_roles(prefix)
    if as_json:
        print_json({"prefix": prefix, "roles": names})
        return
    click.echo(_("group roles ready: {roles}").format(roles=", ".join(names)))
