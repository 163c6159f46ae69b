"""``coopflow init``: create or upgrade the database schema."""

from __future__ import annotations

import click
from coopflow._migrate import display_url, head_revision

from ._app import bad_url, cli, settings_of


@cli.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create or upgrade the database schema."""
    from coopflow import migrate

    settings = settings_of(ctx)
    with bad_url(settings.db):
        migrate(settings.db, schema=settings.schema)
    where = f" (schema {settings.schema})" if settings.schema else ""
    click.echo(
        f"coopflow schema at revision {head_revision()} on {display_url(settings.db)}{where}"
    )
