"""``coopflow init``: create or upgrade the database schema, and register whoever runs it
as the first admin of an empty registry."""

from __future__ import annotations

import click
from coopflow._migrate import display_url, head_revision

from ._app import bad_url, claimed_login, cli, open_coopflow, settings_of


@cli.command()
@click.option(
    "--actor",
    envvar="COOPFLOW_ACTOR",
    show_envvar=True,
    help="SQLite: the login to register as the first admin (default: your OS login). On "
    "PostgreSQL the first admin is your database login.",
)
@click.option("--name", "full_name", help="The first admin's full name (default: the login).")
@click.pass_context
def init(ctx: click.Context, actor: str | None, full_name: str | None) -> None:
    """Create or upgrade the database schema.  On an empty registry, register the person
    running it as its first admin, who then registers the others (coopflow actor add)."""
    from coopflow import migrate

    settings = settings_of(ctx)
    with bad_url(settings.db):
        migrate(settings.db, schema=settings.schema)
    where = f" (schema {settings.schema})" if settings.schema else ""
    click.echo(
        f"coopflow schema at revision {head_revision()} on {display_url(settings.db)}{where}"
    )
    cf = open_coopflow(ctx)
    if cf.actors():
        return
    db_login, _ = cf.whoami()
    if db_login is not None:
        if actor is not None and actor != db_login:
            raise click.BadParameter(
                f"on PostgreSQL the first admin is your database login {db_login}",
                param_hint="--actor",
            )
        login, via = db_login, "db_login"
    else:
        login, via = claimed_login(ctx, actor)
    info = cf.register_first_admin(login, full_name or login, db_login=db_login, identified_by=via)
    click.echo(
        f"{info.login} registered as the first admin: register the others with "
        'coopflow actor add LOGIN --name "..." --role ...'
    )
