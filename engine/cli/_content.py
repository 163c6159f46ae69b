"""What dialogue and drafting produce, entered at the command line: ``exchange``, ``axis``,
``stake``, ``commitment``, ``protocol``, ``deliberation``, ``signatory`` and ``avenant``."""

from __future__ import annotations

from typing import Any

import click
from coopflow._articles import OPERATIONS
from coopflow._i18n import _
from coopflow._vocabulary import CIVILITIES

from ._app import actor_options, cli, identify, json_option, open_coopflow
from ._output import print_json, table, time_column
from ._partnerships import DATE, DATE_HELP, Forgiving, echo_done


@cli.group()
def exchange() -> None:
    """Exchanges: meetings, letters, workshops... log and list them."""


@exchange.command("log")
@click.argument("reference")
@click.option("--date", required=True, type=DATE, help=DATE_HELP)
@click.option(
    "--kind",
    required=True,
    help="reunion, courrier, visite, atelier, seminaire, visio or autre (accents and case "
    "aside: réunion).",
)
@click.option("--summary", required=True)
@click.option("--participants")
@actor_options
@json_option
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
    as_json: bool,
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
    echo_done(
        as_json,
        _("{reference}: exchange of {date} logged").format(reference=reference, date=date),
        reference=reference,
        date=date,
        logged=True,
    )


@exchange.command("list")
@click.argument("reference")
@json_option
@click.pass_context
def exchange_list(ctx: click.Context, reference: str, as_json: bool) -> None:
    """List the exchanges of partnership REFERENCE, with those of the thematic dialogues it
    takes part in, by date."""
    found = open_coopflow(ctx).exchanges(reference)
    if as_json:
        print_json(found)
        return
    table(
        [
            _("Date"),
            _("Kind"),
            _("Dialogue"),
            _("Summary"),
            _("Participants"),
            _("Logged by"),
            time_column(_("Logged")),
        ],
        [
            (x.date, x.kind, x.dialogue, x.summary, x.participants, x.logged_by, x.logged_at)
            for x in found
        ],
    )


@cli.group()
def axis() -> None:
    """Cooperation axes."""


@axis.command("add")
@click.argument("reference")
@click.argument("title")
@click.option("--objective", "objectives", multiple=True, help="An objective (repeat).")
@click.option("--number", type=int, help="Replace the axis with this number.")
@actor_options
@json_option
@click.pass_context
def axis_add(
    ctx: click.Context,
    reference: str,
    title: str,
    objectives: tuple[str, ...],
    number: int | None,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Add an axis titled TITLE to partnership REFERENCE (or replace axis --number)."""
    n = open_coopflow(ctx).add_axis(
        reference,
        title,
        objectives=objectives,
        number=number,
        actor=identify(ctx, actor, role),
    )
    echo_done(
        as_json,
        _("{reference}: axis {number}").format(reference=reference, number=n),
        reference=reference,
        axis=n,
    )


@cli.group()
def stake() -> None:
    """Cooperation stakes (enjeux) identified during dialogue."""


@stake.command("add")
@click.argument("reference")
@click.argument("title")
@click.option("--axis", "axis_number", type=int, required=True, help="The axis number.")
@click.option("--description", default="")
@actor_options
@json_option
@click.pass_context
def stake_add(
    ctx: click.Context,
    reference: str,
    title: str,
    axis_number: int,
    description: str,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Record a stake titled TITLE under an axis of partnership REFERENCE."""
    open_coopflow(ctx).add_stake(
        reference,
        axis=axis_number,
        title=title,
        description=description,
        actor=identify(ctx, actor, role),
    )
    echo_done(
        as_json,
        _("{reference}: stake recorded under axis {axis}").format(
            reference=reference, axis=axis_number
        ),
        reference=reference,
        axis=axis_number,
        stake=title,
    )


@cli.group()
def commitment() -> None:
    """What each party commits to, by axis."""


@commitment.command("add")
@click.argument("reference")
@click.argument("text")
@click.option("--axis", "axis_number", type=int, required=True, help="The axis number.")
@click.option("--party", "party_key", required=True, help="The committed party's key.")
@actor_options
@json_option
@click.pass_context
def commitment_add(
    ctx: click.Context,
    reference: str,
    text: str,
    axis_number: int,
    party_key: str,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Record what a party commits to (TEXT) under an axis of partnership REFERENCE."""
    open_coopflow(ctx).add_commitment(
        reference,
        axis=axis_number,
        party=party_key,
        text=text,
        actor=identify(ctx, actor, role),
    )
    echo_done(
        as_json,
        _("{reference}: commitment of {party} recorded under axis {axis}").format(
            reference=reference, party=party_key, axis=axis_number
        ),
        reference=reference,
        axis=axis_number,
        party=party_key,
    )


@cli.group()
def protocol() -> None:
    """The protocole pluriannuel."""


@protocol.command("set")
@click.argument("reference")
@click.option("--start", required=True, type=DATE, help=DATE_HELP)
@click.option("--end", required=True, type=DATE, help=DATE_HELP)
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
@json_option
@click.pass_context
def protocol_set(
    ctx: click.Context,
    /,
    reference: str,
    preamble: tuple[str, ...],
    actor: str | None,
    role: str | None,
    as_json: bool,
    **fields: Any,
) -> None:
    """Set the period, preamble, governance and means of partnership REFERENCE's protocol."""
    open_coopflow(ctx).set_protocol(
        reference, preamble=preamble or None, actor=identify(ctx, actor, role), **fields
    )
    echo_done(
        as_json,
        _("{reference}: protocol set").format(reference=reference),
        reference=reference,
        protocol="set",
    )


@protocol.command("money")
@click.argument("reference")
@click.argument("party_key", metavar="PARTY")
@click.argument("amount", required=False)
@click.option("--detail", default="", help="What it covers (soit 30 000 € par an...).")
@click.option("--remove", is_flag=True, help="Remove PARTY's commitment (entered by mistake).")
@actor_options
@json_option
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
    as_json: bool,
) -> None:
    """Set PARTY's planned financial commitment (AMOUNT, in euros, over the protocol's period)
    in partnership REFERENCE's protocol (needed of every party with a foreign authority)."""
    cf, acting = open_coopflow(ctx), identify(ctx, actor, role)
    if remove:
        if amount is not None:
            raise click.UsageError(_("--remove takes no AMOUNT"))
        cf.remove_financial_commitment(reference, party=party_key, actor=acting)
        echo_done(
            as_json,
            _("{reference}: financial commitment of {party} removed").format(
                reference=reference, party=party_key
            ),
            reference=reference,
            party=party_key,
            removed=True,
        )
        return
    if amount is None:
        raise click.UsageError(_("give the AMOUNT (in euros), or --remove"))
    cf.set_financial_commitment(
        reference, party=party_key, amount=amount, detail=detail, actor=acting
    )
    echo_done(
        as_json,
        _("{reference}: financial commitment of {party} set").format(
            reference=reference, party=party_key
        ),
        reference=reference,
        party=party_key,
        amount=amount,
    )


@cli.group()
def deliberation() -> None:
    """Délibérations of the councils (protocol, avenants)."""


@deliberation.command("record")
@click.argument("reference")
@click.option("--party", "party_key", required=True)
@click.option("--number", required=True, help="The délibération's number (2027-123).")
@click.option("--sitting-date", required=True, type=DATE, help=DATE_HELP)
@click.option("--sent-to-prefecture", type=DATE, help=DATE_HELP)
@click.option("--published", type=DATE, help=DATE_HELP)
@click.option("--avenant", type=int, default=0, help="The avenant's number (0: the protocol).")
@actor_options
@json_option
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
    as_json: bool,
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
    echo_done(
        as_json,
        _("{reference}: délibération n° {number} of {party} recorded").format(
            reference=reference, number=number, party=party_key
        ),
        reference=reference,
        party=party_key,
        number=number,
        amendment=avenant,
    )


@deliberation.command("list")
@click.argument("reference")
@json_option
@click.pass_context
def deliberation_list(ctx: click.Context, reference: str, as_json: bool) -> None:
    """List the délibérations of partnership REFERENCE on its protocol and avenants, a line
    for each party that has not deliberated (awaited: the councils deliberate on it now)."""
    found = open_coopflow(ctx).deliberations(reference)
    if as_json:
        print_json(found)
        return
    table(
        [
            _("On"),
            _("Party"),
            _("N°"),
            _("Sitting"),
            _("Sent to prefecture"),
            _("Published"),
            _("Exécutoire"),
            _("Awaited"),
        ],
        [
            (
                _("protocol")
                if d.amendment == 0
                else _("avenant n° {number}").format(number=d.amendment),
                d.party,
                d.number if d.number is not None else _("not deliberated"),
                d.sitting_date,
                d.sent_to_prefecture,
                d.published,
                d.executoire,
                d.awaited,
            )
            for d in found
        ],
    )


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
@click.option("--civility", required=True, type=Forgiving(CIVILITIES))
@click.option(
    "--delegation-number",
    help="Signing by delegation of the executive: the arrêté de délégation's number.",
)
@click.option(
    "--delegation-date",
    type=DATE,
    help="The arrêté de délégation's date (YYYY-MM-DD or DD/MM/YYYY).",
)
@click.option(
    "--login",
    metavar="LOGIN",
    help="The registered login of the elected official who is this signatory; an elected "
    "official signs as their signatory only.",
)
@actor_options
@json_option
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
    as_json: bool,
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
    echo_done(
        as_json,
        _("{reference}: {name}, {title}, signs for {party}").format(
            reference=reference,
            name=f"{first_name} {last_name.upper()}",
            title=title,
            party=party_key,
        ),
        reference=reference,
        party=party_key,
        first_name=first_name,
        last_name=last_name,
        title=title,
    )


@cli.group()
def avenant() -> None:
    """Avenants (amendments) to a signed protocol."""


@avenant.command("change")
@click.argument("reference")
@click.argument("operation", type=Forgiving(OPERATIONS))
@click.argument("article")
@click.argument("text", required=False)
@click.option("--title", help="The article's title (inserer; rediger to change it).")
@actor_options
@json_option
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
    as_json: bool,
) -> None:
    """Add a change to the avenant being drafted, aimed at ARTICLE of the protocol: rediger
    (ARTICLE is rewritten as TEXT), completer (TEXT is added as a paragraph), inserer (a new
    article, --title and TEXT, after ARTICLE: 4-1), abroger (ARTICLE is repealed)."""
    open_coopflow(ctx).add_amendment_change(
        reference, operation, article, text=text, title=title, actor=identify(ctx, actor, role)
    )
    echo_done(
        as_json,
        _("{reference}: change added to the avenant ({operation}, article {article})").format(
            reference=reference, operation=operation, article=article
        ),
        reference=reference,
        operation=operation,
        article=article,
    )


@avenant.command("remove-change")
@click.argument("reference")
@click.argument("number", type=int)
@actor_options
@json_option
@click.pass_context
def avenant_remove_change(
    ctx: click.Context,
    reference: str,
    number: int,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Remove change NUMBER (from 1, as `coopflow show` lists them) of the avenant being
    drafted."""
    open_coopflow(ctx).remove_amendment_change(reference, number, actor=identify(ctx, actor, role))
    echo_done(
        as_json,
        _("{reference}: change {number} removed from the avenant").format(
            reference=reference, number=number
        ),
        reference=reference,
        removed_change=number,
    )


@avenant.command("motives")
@click.argument("reference")
@click.argument("text")
@actor_options
@json_option
@click.pass_context
def avenant_motives(
    ctx: click.Context,
    reference: str,
    text: str,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Set the exposé des motifs (TEXT) of the avenant being drafted."""
    open_coopflow(ctx).set_amendment_motives(reference, text, actor=identify(ctx, actor, role))
    echo_done(
        as_json,
        _("{reference}: exposé des motifs set").format(reference=reference),
        reference=reference,
        motives="set",
    )
