"""``coopflow dialogue``: thematic dialogues among several territories (open, join, stake,
exchange, close, list, show)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from coopflow._i18n import _

from ._app import actor_options, cli, identify, json_option, open_coopflow
from ._output import fields, print_json, table

if TYPE_CHECKING:
    from coopflow import DialogueInfo


def _participant(value: str) -> str | tuple[str, str | None]:
    """``la-cali`` or ``la-cali:COOP-2026-0001`` (the partnership it takes part through)."""
    party, _sep, reference = value.partition(":")
    return (party, reference) if reference else party


@cli.group()
def dialogue() -> None:
    """Thematic dialogues: one theme among several territories."""


@dialogue.command("open")
@click.argument("key")
@click.option("--theme", required=True, help="The theme: alimentation, mobilités...")
@click.option("--title", required=True, help="The dialogue's title.")
@click.option("--home", required=True, help="The key of the party that leads it.")
@click.option(
    "--party",
    "parties",
    multiple=True,
    required=True,
    help="A territory taking part (repeat; at least two): KEY, or KEY:REFERENCE for the "
    "partnership it takes part through.",
)
@click.option("--responsible", help="Who follows it (default: the actor).")
@actor_options
@json_option
@click.pass_context
def dialogue_open(
    ctx: click.Context,
    key: str,
    theme: str,
    title: str,
    home: str,
    parties: tuple[str, ...],
    responsible: str | None,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Open the thematic dialogue KEY."""
    info = open_coopflow(ctx).open_dialogue(
        key,
        theme=theme,
        title=title,
        home=home,
        participants=[_participant(p) for p in parties],
        responsible=responsible,
        actor=identify(ctx, actor, role),
    )
    _done(
        info,
        _("{key}: thematic dialogue on {theme} open").format(key=info.key, theme=info.theme),
        as_json,
    )


@dialogue.command("join")
@click.argument("key")
@click.argument("party")
@click.option("--partnership", help="The reference of the partnership it takes part through.")
@actor_options
@json_option
@click.pass_context
def dialogue_join(
    ctx: click.Context,
    key: str,
    party: str,
    partnership: str | None,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Territory PARTY joins the thematic dialogue KEY."""
    info = open_coopflow(ctx).join_dialogue(
        key, party, partnership=partnership, actor=identify(ctx, actor, role)
    )
    _done(info, _("{key}: {party} takes part").format(key=key, party=party), as_json)


@dialogue.command("stake")
@click.argument("key")
@click.argument("party")
@click.argument("title")
@click.option("--description", default="", help="What the stake is about.")
@actor_options
@json_option
@click.pass_context
def dialogue_stake(
    ctx: click.Context,
    key: str,
    party: str,
    title: str,
    description: str,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Record a stake TITLE the dialogue KEY identified for territory PARTY."""
    info = open_coopflow(ctx).add_dialogue_stake(
        key, party, title, description=description, actor=identify(ctx, actor, role)
    )
    _done(info, _("{key}: stake of {party} recorded").format(key=key, party=party), as_json)


@dialogue.command("exchange")
@click.argument("key")
@click.option("--date", required=True, help="YYYY-MM-DD")
@click.option(
    "--kind",
    required=True,
    help="reunion, courrier, visite, atelier, seminaire, visio or autre.",
)
@click.option("--summary", required=True, help="What was said or decided.")
@click.option("--participants", help="Who took part (names, services).")
@actor_options
@json_option
@click.pass_context
def dialogue_exchange(
    ctx: click.Context,
    key: str,
    date: str,
    kind: str,
    summary: str,
    participants: str | None,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Log an exchange of the thematic dialogue KEY, once for all its territories."""
    logged = open_coopflow(ctx).log_dialogue_exchange(
        key,
        date=date,
        kind=kind,
        summary=summary,
        participants=participants,
        actor=identify(ctx, actor, role),
    )
    if as_json:
        print_json(logged)
        return
    click.echo(
        _("{key}: exchange {number} of {date} logged").format(
            key=key, number=logged.number, date=logged.date.isoformat()
        )
    )


@dialogue.command("close")
@click.argument("key")
@click.option("--date", required=True, help="YYYY-MM-DD")
@click.option("--conclusion", required=True, help="What the dialogue concluded.")
@actor_options
@json_option
@click.pass_context
def dialogue_close(
    ctx: click.Context,
    key: str,
    date: str,
    conclusion: str,
    actor: str | None,
    role: str | None,
    as_json: bool,
) -> None:
    """Close the thematic dialogue KEY."""
    info = open_coopflow(ctx).close_dialogue(
        key, date=date, conclusion=conclusion, actor=identify(ctx, actor, role)
    )
    _done(info, _("{key}: closed on {date}").format(key=key, date=info.closed_on or date), as_json)


@dialogue.command("list")
@click.option("--theme", help="Only the dialogues of this theme.")
@click.option("--party", help="Only those in which this party takes part (or leads).")
@json_option
@click.pass_context
def dialogue_list(ctx: click.Context, theme: str | None, party: str | None, as_json: bool) -> None:
    """The thematic dialogues, by key."""
    found = open_coopflow(ctx).dialogues(theme=theme, party=party)
    if as_json:
        print_json(found)
        return
    table(
        [_("Key"), _("Theme"), _("Title"), _("Territories"), _("Exchanges"), _("Closed")],
        [(d.key, d.theme, d.title, d.participants, d.exchanges, d.closed_on) for d in found],
    )


@dialogue.command("show")
@click.argument("key")
@json_option
@click.pass_context
def dialogue_show(ctx: click.Context, key: str, as_json: bool) -> None:
    """Everything about the thematic dialogue KEY: its territories, stakes, exchanges and the
    partnerships it led to."""
    info = open_coopflow(ctx).dialogue(key)
    if as_json:
        print_json(info)
        return
    fields(
        [
            (_("Theme"), info.theme),
            (_("Title"), info.title),
            (_("Led by"), info.home),
            (_("Responsible"), info.responsible),
            (_("Partnerships it led to"), ", ".join(info.partnerships) or None),
            (_("Closed"), info.closed_on),
            (_("Conclusion"), info.conclusion),
        ],
        title=info.key,
    )
    table(
        [_("Territory"), _("Through partnership")],
        [(x.party, x.partnership) for x in info.participants],
        title=_("Territories"),
        section=True,
    )
    table(
        [_("Territory"), _("Stake"), _("Description")],
        [(s.party, s.title, s.description) for s in info.stakes],
        title=_("Stakes"),
        section=True,
    )
    table(
        [_("N°"), _("Date"), _("Kind"), _("Summary"), _("Participants"), _("Logged by")],
        [
            (e.number, e.date, e.kind, e.summary, e.participants, e.logged_by)
            for e in info.exchanges
        ],
        title=_("Exchanges"),
        section=True,
    )


def _done(info: DialogueInfo, message: str, as_json: bool) -> None:
    if as_json:
        print_json(info)
    else:
        click.echo(message)
