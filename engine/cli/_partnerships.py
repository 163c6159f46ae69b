"""``coopflow partnership``: create, list and show partnerships."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import click
from coopflow._vocabulary import SCALES

from ._app import actor_options, cli, identify, json_option, open_coopflow
from ._output import count, fields, print_json, table

if TYPE_CHECKING:
    from coopflow import PartnershipInfo


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
@click.option(
    "--workflow-version", type=int, help="A version of the workflow (default: the latest)."
)
@click.option("--dialogue", help="The key of the thematic dialogue it comes from.")
@actor_options
@json_option
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
    workflow_version: int | None,
    dialogue: str | None,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Open a partnership titled TITLE, in accueil."""
    who = identify(ctx, actor, role)
    info = open_coopflow(ctx).create_partnership(
        title,
        scale=scale,
        parties=parties,
        home=home or parties[0],
        lead=lead,
        responsible=responsible or who.id,
        actor=who,
        reference=reference,
        workflow=workflow,
        workflow_version=workflow_version,
        dialogue=dialogue,
    )
    if as_json:
        print_json(info)
        return
    click.echo(f"{info.reference}: {info.title} ({info.state})")


def _partnership_rows(items: Iterable[PartnershipInfo]) -> Iterable[tuple[object, ...]]:
    for p in items:
        yield (p.reference, p.title, p.scale, p.state, p.parties, p.version)


@partnership.command("list")
@click.option("--state", help="A state, or a compound state (contractualisation).")
@click.option("--scale", type=click.Choice(list(SCALES)))
@click.option("--party", help="Only the partnerships of this party.")
@json_option
@click.pass_context
def partnership_list(
    ctx: click.Context, state: str | None, scale: str | None, party: str | None, as_json: bool
) -> None:
    """List partnerships, by reference."""
    items = open_coopflow(ctx).partnerships(state=state, scale=scale, party=party)
    if as_json:
        print_json(list(items))
        return
    table(["Reference", "Title", "Scale", "State", "Parties", "Version"], _partnership_rows(items))


@partnership.command("show")
@click.argument("reference")
@json_option
@click.pass_context
def partnership_show(ctx: click.Context, reference: str, as_json: bool) -> None:
    """Show everything about a partnership: state, protocol, axes, programmes."""
    cf = open_coopflow(ctx)
    detail = cf.detail(reference)
    if as_json:
        print_json(detail)
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
    if detail["dialogue"]:
        pairs.append(("from the thematic dialogue", detail["dialogue"]))
    if detail["dialogues"]:
        pairs.append(("takes part in the thematic dialogues", ", ".join(detail["dialogues"])))
    proto = detail["protocol"]
    if proto is not None:
        period = proto["period"]
        pairs.append(("protocol", f"{period['start']} → {period['end']}"))
        for axis in proto["axes"]:
            pairs.append(
                (
                    f"axis {axis['number']}",
                    f"{axis['title']} ({count(axis['stakes'], 'stake')}, "
                    f"{count(axis['commitments'], 'commitment')})",
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
    fields(pairs, title=f"{detail['reference']}")
