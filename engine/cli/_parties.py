"""``coopflow party``: register, list and show the parties (the collectivités)."""

from __future__ import annotations

import dataclasses
from typing import Any

import click
from coopflow._i18n import N_, _
from coopflow._vocabulary import ARTICLES, CIVILITIES, NATURES

from ._app import actor_options, cli, identify, json_option, open_coopflow
from ._output import fields, print_json, table
from ._partnerships import Forgiving

#: What ``party show`` calls each field of a party.
LABELS = {
    "key": N_("key"),
    "official_name": N_("official name"),
    "usual_name": N_("usual name"),
    "nature": N_("nature"),
    "siren": N_("SIREN"),
    "seat": N_("seat"),
    "deliberative_body": N_("deliberative body"),
    "executive_title": N_("executive title"),
    "article": N_("article"),
    "usual_article": N_("usual article"),
    "executive_civility": N_("executive civility"),
    "tribunal": N_("tribunal"),
    "country": N_("country"),
    "language": N_("language"),
    "original_name": N_("original name"),
    "original_executive_title": N_("original executive title"),
    "original_deliberative_body": N_("original deliberative body"),
}


@cli.group()
def party() -> None:
    """Parties: the collectivités that take part in partnerships."""


@party.command("add")
@click.argument("key")
@click.option("--official-name", required=True, help="Communauté d'agglomération du Libournais")
@click.option("--usual-name", help="La Cali")
@click.option("--nature", required=True, type=Forgiving(NATURES))
@click.option("--siren", help="9 digits, the last a Luhn check digit (none for ETRANGER).")
@click.option("--seat", help="Where the party sits (Libourne).")
@click.option("--deliberative-body", required=True, help="conseil communautaire")
@click.option("--executive-title", required=True, help="Président, Maire...")
@click.option(
    "--executive-civility",
    type=Forgiving(CIVILITIES),
    help="Madame or Monsieur (default: what a gendered title says; needed for Maire).",
)
@click.option(
    "--article",
    type=Forgiving(ARTICLES),
    help="The official name's article in running text (la Ville de ...; '' for none).",
)
@click.option(
    "--usual-article",
    type=Forgiving(ARTICLES),
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
@json_option
@click.pass_context
def party_add(
    ctx: click.Context,
    /,
    key: str,
    actor: str | None,
    role: str | None,
    as_json: bool,
    **values: Any,
) -> None:
    """Register a party under KEY (bordeaux-metropole); the same fields again do nothing."""
    info = open_coopflow(ctx).add_party(key, actor=identify(ctx, actor, role), **values)
    if as_json:
        print_json(info)
        return
    click.echo(_("party {key}: {name}").format(key=info.key, name=info.official_name))


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
        [_("Key"), _("Name"), _("Nature"), "SIREN", _("Executive")],
        [(p.key, p.name, p.nature, p.siren, p.executive_title) for p in parties],
    )


@party.command("show")
@click.argument("key")
@json_option
@click.pass_context
def party_show(ctx: click.Context, key: str, as_json: bool) -> None:
    """Show a party: KEY, or its official or usual name (accents and case aside)."""
    info = open_coopflow(ctx).party(key)
    if as_json:
        print_json(info)
        return
    fields(
        [
            (_(LABELS[f.name]) if f.name in LABELS else f.name, getattr(info, f.name))
            for f in dataclasses.fields(info)
        ]
    )
