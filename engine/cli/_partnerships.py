"""``coopflow partnership``: create, list (and find) and show partnerships; and what the
command modules share to take input forgivingly: codes in any case, with or without accents
(:class:`Forgiving`), dates also written the French way (:data:`DATE`), and a party by its
name (:func:`party_key`)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import click
from coopflow._i18n import _, ngettext
from coopflow._vocabulary import SCALES

from ._app import actor_options, cli, identify, json_option, open_coopflow
from ._output import fields, print_json, table

if TYPE_CHECKING:
    from coopflow import Coopflow, PartnershipInfo


# ---------------------------------------------------------------------- forgiving input


def fold(text: str) -> str:
    """``text`` without accents nor case (``Réunion`` → ``reunion``)."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def did_you_mean(value: str, choices: Sequence[str]) -> str:
    """The message refusing ``value``, naming the closest ``choices`` (difflib) if any."""
    by_fold = {fold(c): c for c in choices}
    close = [by_fold[f] for f in difflib.get_close_matches(fold(value), list(by_fold), n=3)]
    listed = ", ".join(choices)
    if close:
        return _("{value!r} is not one of: {choices}; did you mean {close}?").format(
            value=value, choices=listed, close=", ".join(close)
        )
    return _("{value!r} is not one of: {choices}").format(value=value, choices=listed)


class Forgiving(click.Choice[str]):
    """A choice among codes, taken in any case and with or without accents (``metro``:
    ``METRO``, ``realisee``: ``réalisée``); anything else is refused naming the closest."""

    def __init__(self, choices: Iterable[str]) -> None:
        super().__init__(list(choices), case_sensitive=True)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        choices = [str(c) for c in self.choices]
        if value in choices:
            return value
        by_fold = {fold(c): c for c in choices}
        found = by_fold.get(fold(str(value)))
        if found is not None:
            return found
        raise click.BadParameter(did_you_mean(str(value), choices), ctx, param)


_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def iso_date(value: str) -> str:
    """A date written ``12/01/2022`` (day/month/year, the French order) as ``2022-01-12``;
    anything else as it is (the API checks it).  An impossible date is a ValueError."""
    match = _FRENCH_DATE.fullmatch(value.strip())
    if match is None:
        return value
    day, month, year = (int(g) for g in match.groups())
    return dt.date(year, month, day).isoformat()


class FrenchDate(click.ParamType[str]):
    """A date: ``YYYY-MM-DD``, or ``DD/MM/YYYY`` (converted to the former)."""

    name = "date"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return iso_date(value)
        except ValueError:
            raise click.BadParameter(
                _("{value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)").format(value=value),
                ctx,
                param,
            ) from None


DATE = FrenchDate()
#: The help of a date option.
DATE_HELP = "YYYY-MM-DD or DD/MM/YYYY."


def party_key(cf: Coopflow, text: str) -> str:
    """The key of the party ``text`` names: its key, or its official or usual name (accents
    and case aside); an ambiguous or unknown name is refused with the candidates."""
    return cf.party(text).key


def echo_done(as_json: bool, message: str, **done: Any) -> None:
    """What a write did: ``message``, or with ``--json`` the fields of ``done``."""
    if as_json:
        print_json(done)
    else:
        click.echo(message)


# ---------------------------------------------------------------------- partnerships


@cli.group()
def partnership() -> None:
    """Partnerships: create, list, find and show."""


@partnership.command("create")
@click.argument("title")
@click.option("--scale", required=True, type=Forgiving(SCALES))
@click.option(
    "--party",
    "parties",
    multiple=True,
    required=True,
    help="A party: its key or its name (repeat).",
)
@click.option("--home", help="The home metropolis (default: the first --party).")
@click.option("--lead", help="The lead party, if any.")
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
    cf = open_coopflow(ctx)
    keys = [party_key(cf, p) for p in parties]
    info = cf.create_partnership(
        title,
        scale=scale,
        parties=keys,
        home=party_key(cf, home) if home else keys[0],
        lead=party_key(cf, lead) if lead else None,
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
        yield (p.reference, p.title, p.scale, p.state, p.parties, p.responsible, p.version)


@partnership.command("list")
@click.option(
    "--state",
    help="A state, or a compound state (contractualisation); its last part is enough when it "
    "names one state (deliberations).",
)
@click.option("--scale", type=Forgiving(SCALES))
@click.option("--party", help="Only the partnerships of this party (its key or its name).")
@click.option(
    "--search",
    metavar="TEXT",
    help="Only those whose reference, title or a party's name holds TEXT (accents and case aside).",
)
@click.option("--responsible", metavar="LOGIN", help="Only those LOGIN follows.")
@json_option
@click.pass_context
def partnership_list(
    ctx: click.Context,
    state: str | None,
    scale: str | None,
    party: str | None,
    search: str | None,
    responsible: str | None,
    as_json: bool,
) -> None:
    """List partnerships, by reference: all, or those the options find."""
    items = open_coopflow(ctx).partnerships(
        state=state, scale=scale, party=party, search=search, responsible=responsible
    )
    if as_json:
        print_json(list(items))
        return
    table(
        [
            _("Reference"),
            _("Title"),
            _("Scale"),
            _("State"),
            _("Parties"),
            _("Responsible"),
            _("Version"),
        ],
        _partnership_rows(items),
    )


def _deliberation_text(d: dict[str, Any]) -> str:
    if d["executoire"]:
        return _("n° {number} of {date}, exécutoire").format(
            number=d["number"], date=d["sitting_date"]
        )
    return _("n° {number} of {date}, not exécutoire").format(
        number=d["number"], date=d["sitting_date"]
    )


@partnership.command("show")
@click.argument("reference")
@json_option
@click.pass_context
def partnership_show(ctx: click.Context, reference: str, as_json: bool) -> None:
    """Show everything about a partnership: state, protocol, axes, délibérations (and the
    parties still to deliberate), avenants, programmes."""
    cf = open_coopflow(ctx)
    detail = cf.detail(reference)
    awaited = [
        {"party": d.party, "amendment": d.amendment}
        for d in cf.deliberations(reference)
        if d.awaited
    ]
    if as_json:
        print_json({**detail, "awaiting_deliberation": awaited})
        return
    wf = cf.workflows.get(detail["workflow"], detail["workflow_version"])
    state = wf.states.get(detail["state"])
    pairs: list[tuple[str, object]] = [
        (_("title"), detail["title"]),
        (_("state"), f"{detail['state']} ({state.label})" if state else detail["state"]),
        (_("scale"), detail["scale"]),
        (_("parties"), detail["parties"]),
        (_("home"), detail["home"]),
        (_("lead"), detail["lead"]),
        (_("responsible"), detail["responsible"]),
        (_("version"), detail["version"]),
    ]
    if detail["dialogue"]:
        pairs.append((_("from the thematic dialogue"), detail["dialogue"]))
    if detail["dialogues"]:
        pairs.append((_("takes part in the thematic dialogues"), ", ".join(detail["dialogues"])))
    proto = detail["protocol"]
    if proto is not None:
        period = proto["period"]
        pairs.append((_("protocol"), f"{period['start']} → {period['end']}"))
        for axis in proto["axes"]:
            pairs.append(
                (
                    _("axis {number}").format(number=axis["number"]),
                    _("{title} ({stakes}, {commitments})").format(
                        title=axis["title"],
                        stakes=ngettext("{n} stake", "{n} stakes", len(axis["stakes"])).format(
                            n=len(axis["stakes"])
                        ),
                        commitments=ngettext(
                            "{n} commitment", "{n} commitments", len(axis["commitments"])
                        ).format(n=len(axis["commitments"])),
                    ),
                )
            )
        for d in proto["deliberations"]:
            pairs.append(
                (
                    _("délibération {party}").format(party=d["party_key"]),
                    _deliberation_text(d),
                )
            )
        for s in proto["signatories"]:
            pairs.append(
                (
                    _("signatory {party}").format(party=s["party_key"]),
                    f"{s['first_name']} {s['last_name']}, {s['title']}",
                )
            )
        signature = proto["signature"]
        if signature["date"]:
            pairs.append(
                (
                    _("signed"),
                    _("{date} at {place}").format(date=signature["date"], place=signature["place"]),
                )
            )
    for a in detail["avenants"]:
        pairs.append(
            (
                _("avenant n° {number}").format(number=a["number"]),
                f"{a['subject']} ({a['status']})",
            )
        )
    for w in awaited:
        what = (
            _("the protocol")
            if w["amendment"] == 0
            else _("avenant n° {number}").format(number=w["amendment"])
        )
        pairs.append((_("still to deliberate"), f"{w['party']} ({what})"))
    pairs.append((_("approved document"), detail["approved_document_sha256"]))
    pairs.append((_("signed document"), detail["signed_document_sha256"]))
    for g in detail["programmes"]:
        copil = f", COPIL {g['copil_date']}" if g["copil_date"] else ""
        pairs.append(
            (
                _("programme {label}").format(label=g["label"]),
                f"{g['state']} ({g['period'][0]} → {g['period'][1]}{copil})",
            )
        )
    fields(pairs, title=f"{detail['reference']}")
