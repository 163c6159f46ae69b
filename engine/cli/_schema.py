"""``coopflow init``: create or upgrade the database schema, and register whoever runs it
as the first admin of an empty registry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from coopflow._i18n import _
from coopflow._migrate import display_url, head_revision

from ._app import bad_url, claimed_login, cli, json_option, open_coopflow, settings_of
from ._output import print_json

if TYPE_CHECKING:
    from coopflow._views import ActorInfo


@cli.command()
@click.option(
    "--actor",
    envvar="COOPFLOW_ACTOR",
    show_envvar=True,
    help="SQLite: the login to register as the first admin (default: your OS login). On "
    "PostgreSQL the first admin is your database login.",
)
@click.option("--name", "full_name", help="The first admin's full name (default: the login).")
@json_option
@click.pass_context
def init(ctx: click.Context, actor: str | None, full_name: str | None, as_json: bool) -> None:
    """Create or upgrade the database schema.  On an empty registry, register the person
    running it as its first admin, who then registers the others (coopflow actor add)."""
    from coopflow import migrate

    settings = settings_of(ctx)
    with bad_url(settings.db):
        migrate(settings.db, schema=settings.schema)
    names = {
        "revision": head_revision(),
        "database": display_url(settings.db),
        "schema": settings.schema,
    }
    if not as_json:
        if settings.schema:
            line = _("coopflow schema at revision {revision} on {database} (schema {schema})")
        else:
            line = _("coopflow schema at revision {revision} on {database}")
        click.echo(line.format(**names))
    first = _first_admin(ctx, actor, full_name)
    if as_json:
        print_json({**names, "first_admin": first})
    elif first is not None:
        click.echo(
            _(
                "{login} registered as the first admin: register the others with "
                'coopflow actor add LOGIN --name "..." --role ...'
            ).format(login=first.login)
        )


def _first_admin(ctx: click.Context, actor: str | None, full_name: str | None) -> ActorInfo | None:
    """Register whoever runs ``init`` as the first admin of an empty registry (None: the
    registry has actors already)."""
    cf = open_coopflow(ctx)
    if cf.actors():
        return None
    db_login, _registered = cf.whoami()
    if db_login is not None:
        if actor is not None and actor != db_login:
            raise click.BadParameter(
                _("on PostgreSQL the first admin is your database login {login}").format(
                    login=db_login
                ),
                param_hint="--actor",
            )
        login, via = db_login, "db_login"
    else:
        login, via = claimed_login(ctx, actor)
    return cf.register_first_admin(login, full_name or login, db_login=db_login, identified_by=via)
