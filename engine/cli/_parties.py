"""``coopflow party``: register, list and show the parties (the collectivités)."""

from __future__ import annotations

import dataclasses
from typing import Any

import click
from coopflow._vocabulary import ARTICLES, CIVILITIES, NATURES

from ._app import actor_options, cli, identify, json_option, open_coopflow
from ._output import fields, print_json, table


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
@click.option(
    "--executive-civility",
    type=click.Choice(CIVILITIES),
    help="Madame or Monsieur (default: what a gendered title says; needed for Maire).",
)
@click.option(
    "--article",
    type=click.Choice(ARTICLES),
    help="The official name's article in running text (la Ville de ...; '' for none).",
)
@click.option(
    "--usual-article",
    type=click.Choice(ARTICLES),
    help="The usual name's article (le Sud Gironde).",
)
@click.option(
    "--tribunal",
    help="The tribunal administratif named in the dispute clause (tribunal administratif de "
    "Bordeaux): needed for the home metropolis.",
)
@click.option("--country", help="A foreign authority's country (Portugal).")
@click.option("--language", help="A foreign authority's language (portugais).")
@click.option("--original-name", help="A foreign authority's own name (Município do Porto).")
@click.option("--original-executive-title", help="Its executive's own title.")
@click.option("--original-deliberative-body", help="Its deliberative body's own name.")
@click.option("--replace", is_flag=True, help="Update a party registered with other fields.")
@actor_options
@click.pass_context
def party_add(
    ctx: click.Context, /, key: str, actor: str | None, role: str | None, **values: Any
) -> None:
    """Register a party under KEY (bordeaux-metropole); the same fields again do nothing."""
    info = open_coopflow(ctx).add_party(key, actor=identify(ctx, actor, role), **values)
    click.echo(f"party {info.key}: {info.official_name}")


@party.command("list")
@json_option
@click.pass_context
def party_list(ctx: click.Context, as_json: bool) -> None:
    """List the parties."""
    parties = open_coopflow(ctx).parties()
    if as_json:
        print_json(parties)
        return
    table(
        ["Key", "Name", "Nature", "SIREN", "Executive"],
        [(p.key, p.name, p.nature, p.siren, p.executive_title) for p in parties],
    )


@party.command("show")
@click.argument("key")
@json_option
@click.pass_context
def party_show(ctx: click.Context, key: str, as_json: bool) -> None:
    """Show a party."""
    info = open_coopflow(ctx).party(key)
    if as_json:
        print_json(info)
        return
    fields([(f.name.replace("_", " "), getattr(info, f.name)) for f in dataclasses.fields(info)])
