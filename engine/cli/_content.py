"""What dialogue and drafting produce, entered at the command line: ``exchange``, ``axis``,
``stake``, ``commitment``, ``protocol``, ``deliberation``, ``signatory`` and ``avenant``."""

from __future__ import annotations

from typing import Any

import click
from coopflow._articles import OPERATIONS
from coopflow._vocabulary import CIVILITIES

from ._app import actor_options, cli, identify, open_coopflow


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
@actor_options
@click.pass_context
def exchange_log(
    ctx: click.Context,
    reference: str,
    date: str,
    kind: str,
    summary: str,
    participants: str | None,
    actor: str | None,
    role: str | None,
) -> None:
    """Log an exchange of partnership REFERENCE."""
    open_coopflow(ctx).log_exchange(
        reference,
        date=date,
        kind=kind,
        summary=summary,
        participants=participants,
        actor=identify(ctx, actor, role),
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
@actor_options
@click.pass_context
def axis_add(
    ctx: click.Context,
    reference: str,
    title: str,
    objectives: tuple[str, ...],
    number: int | None,
    actor: str | None,
    role: str | None,
) -> None:
    """Add an axis titled TITLE to partnership REFERENCE (or replace axis --number)."""
    n = open_coopflow(ctx).add_axis(
        reference,
        title,
        objectives=objectives,
        number=number,
        actor=identify(ctx, actor, role),
    )
    click.echo(f"{reference}: axis {n}")


@cli.group()
def stake() -> None:
    """Cooperation stakes (enjeux) identified during dialogue."""


@stake.command("add")
@click.argument("reference")
@click.argument("title")
@click.option("--axis", "axis_number", type=int, required=True, help="The axis number.")
@click.option("--description", default="")
@actor_options
@click.pass_context
def stake_add(
    ctx: click.Context,
    reference: str,
    title: str,
    axis_number: int,
    description: str,
    actor: str | None,
    role: str | None,
) -> None:
    """Record a stake titled TITLE under an axis of partnership REFERENCE."""
    open_coopflow(ctx).add_stake(
        reference,
        axis=axis_number,
        title=title,
        description=description,
        actor=identify(ctx, actor, role),
    )
    click.echo(f"{reference}: stake recorded under axis {axis_number}")


@cli.group()
def commitment() -> None:
    """What each party commits to, by axis."""


@commitment.command("add")
@click.argument("reference")
@click.argument("text")
@click.option("--axis", "axis_number", type=int, required=True, help="The axis number.")
@click.option("--party", "party_key", required=True, help="The committed party's key.")
@actor_options
@click.pass_context
def commitment_add(
    ctx: click.Context,
    reference: str,
    text: str,
    axis_number: int,
    party_key: str,
    actor: str | None,
    role: str | None,
) -> None:
    """Record what a party commits to (TEXT) under an axis of partnership REFERENCE."""
    open_coopflow(ctx).add_commitment(
        reference,
        axis=axis_number,
        party=party_key,
        text=text,
        actor=identify(ctx, actor, role),
    )
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
@click.option(
    "--financial-commitments",
    help="A paragraph on the planned financial commitments (each party's amount: "
    "coopflow protocol money).",
)
@click.option(
    "--prevailing-language",
    help="With a foreign authority, the version that prevails (default: français).",
)
@click.option(
    "--notice-months",
    type=int,
    help="The notice of a unilateral termination, in months (default: 3).",
)
@actor_options
@click.pass_context
def protocol_set(
    ctx: click.Context,
    /,
    reference: str,
    preamble: tuple[str, ...],
    actor: str | None,
    role: str | None,
    **fields: Any,
) -> None:
    """Set the period, preamble, governance and means of partnership REFERENCE's protocol."""
    open_coopflow(ctx).set_protocol(
        reference, preamble=preamble or None, actor=identify(ctx, actor, role), **fields
    )
    click.echo(f"{reference}: protocol set")


@protocol.command("money")
@click.argument("reference")
@click.argument("party_key", metavar="PARTY")
@click.argument("amount", required=False)
@click.option("--detail", default="", help="What it covers (soit 30 000 € par an...).")
@click.option("--remove", is_flag=True, help="Remove PARTY's commitment (entered by mistake).")
@actor_options
@click.pass_context
def protocol_money(
    ctx: click.Context,
    reference: str,
    party_key: str,
    amount: str | None,
    detail: str,
    remove: bool,
    actor: str | None,
    role: str | None,
) -> None:
    """Set PARTY's planned financial commitment (AMOUNT, in euros, over the protocol's period)
    in partnership REFERENCE's protocol (needed of every party with a foreign authority)."""
    cf, acting = open_coopflow(ctx), identify(ctx, actor, role)
    if remove:
        if amount is not None:
            raise click.UsageError("--remove takes no AMOUNT")
        cf.remove_financial_commitment(reference, party=party_key, actor=acting)
        click.echo(f"{reference}: financial commitment of {party_key} removed")
        return
    if amount is None:
        raise click.UsageError("give the AMOUNT (in euros), or --remove")
    cf.set_financial_commitment(
        reference, party=party_key, amount=amount, detail=detail, actor=acting
    )
    click.echo(f"{reference}: financial commitment of {party_key} set")


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
@actor_options
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
    actor: str | None,
    role: str | None,
) -> None:
    """Record or complete a party's délibération on partnership REFERENCE."""
    open_coopflow(ctx).record_deliberation(
        reference,
        party=party_key,
        number=number,
        sitting_date=sitting_date,
        sent_to_prefecture=sent_to_prefecture,
        published=published,
        amendment=avenant,
        actor=identify(ctx, actor, role),
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
@click.option(
    "--title",
    required=True,
    help="The office held (Présidente, Maire; Vice-président with --delegation-number).",
)
@click.option("--civility", required=True, type=click.Choice(CIVILITIES))
@click.option(
    "--delegation-number",
    help="Signing by delegation of the executive: the arrêté de délégation's number.",
)
@click.option("--delegation-date", help="The arrêté de délégation's date (YYYY-MM-DD).")
@click.option(
    "--login",
    metavar="LOGIN",
    help="The registered login of the elected official who is this signatory; an elected "
    "official signs as their signatory only.",
)
@actor_options
@click.pass_context
def signatory_set(
    ctx: click.Context,
    reference: str,
    party_key: str,
    first_name: str,
    last_name: str,
    title: str,
    civility: str,
    delegation_number: str | None,
    delegation_date: str | None,
    login: str | None,
    actor: str | None,
    role: str | None,
) -> None:
    """Name who signs partnership REFERENCE's protocol for a party."""
    open_coopflow(ctx).set_signatory(
        reference,
        party=party_key,
        first_name=first_name,
        last_name=last_name,
        title=title,
        civility=civility,
        login=login,
        delegation_number=delegation_number,
        delegation_date=delegation_date,
        actor=identify(ctx, actor, role),
    )
    click.echo(f"{reference}: {first_name} {last_name.upper()}, {title}, signs for {party_key}")


@cli.group()
def avenant() -> None:
    """Avenants (amendments) to a signed protocol."""


@avenant.command("change")
@click.argument("reference")
@click.argument("operation", type=click.Choice(list(OPERATIONS)))
@click.argument("article")
@click.argument("text", required=False)
@click.option("--title", help="The article's title (inserer; rediger to change it).")
@actor_options
@click.pass_context
def avenant_change(
    ctx: click.Context,
    reference: str,
    operation: str,
    article: str,
    text: str | None,
    title: str | None,
    actor: str | None,
    role: str | None,
) -> None:
    """Add a change to the avenant being drafted, aimed at ARTICLE of the protocol: rediger
    (ARTICLE is rewritten as TEXT), completer (TEXT is added as a paragraph), inserer (a new
    article, --title and TEXT, after ARTICLE: 4-1), abroger (ARTICLE is repealed)."""
    open_coopflow(ctx).add_amendment_change(
        reference, operation, article, text=text, title=title, actor=identify(ctx, actor, role)
    )
    click.echo(f"{reference}: change added to the avenant ({operation}, article {article})")


@avenant.command("remove-change")
@click.argument("reference")
@click.argument("number", type=int)
@actor_options
@click.pass_context
def avenant_remove_change(
    ctx: click.Context, reference: str, number: int, actor: str | None, role: str | None
) -> None:
    """Remove change NUMBER (from 1, as `coopflow show` lists them) of the avenant being
    drafted."""
    open_coopflow(ctx).remove_amendment_change(reference, number, actor=identify(ctx, actor, role))
    click.echo(f"{reference}: change {number} removed from the avenant")


@avenant.command("motives")
@click.argument("reference")
@click.argument("text")
@actor_options
@click.pass_context
def avenant_motives(
    ctx: click.Context, reference: str, text: str, actor: str | None, role: str | None
) -> None:
    """Set the exposé des motifs (TEXT) of the avenant being drafted."""
    open_coopflow(ctx).set_amendment_motives(reference, text, actor=identify(ctx, actor, role))
    click.echo(f"{reference}: exposé des motifs set")
