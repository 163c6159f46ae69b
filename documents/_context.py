"""What a template sees: a view of a snapshot, with matching, grouping and totals done in Python.

The templates keep the wording; this module does the work a template should not: matching each
party with its signatory and authorising délibération, grouping commitments by axis, summing
budgets with :class:`~decimal.Decimal`, sorting the calendar.  It also checks what the structural
validation cannot (a signatory naming an unknown party, a malformed date or amount) and reports
it as a :class:`~coopflow.errors.ValidationError` naming the key.

Every template is given ``doc`` (one of the ``*View`` classes below) and ``snapshot`` (the raw
snapshot, for organisations' own templates that want a field the view does not carry).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from coopflow.errors import ValidationError

from . import _french as fr
from .snapshot import (
    ActionSnapshot,
    AmendmentSnapshot,
    AvenantSnapshot,
    DeliberationSnapshot,
    Governance,
    IndicatorSnapshot,
    MilestoneSnapshot,
    PartySnapshot,
    Period,
    ProgrammeSnapshot,
    ProtocolSnapshot,
    SignatorySnapshot,
    Snapshot,
)

KIND_LABELS: Final = {"protocole": "protocole", "programme": "programme", "avenant": "avenant"}


def _date(value: str, where: str) -> _dt.date:
    try:
        return fr.parse_date(value)
    except ValidationError as error:
        raise ValidationError(error.message, field=where) from None


def _amount(value: str, where: str) -> Decimal:
    try:
        return fr.parse_amount(value)
    except ValidationError as error:
        raise ValidationError(error.message, field=where) from None


def _number(value: str, where: str) -> None:
    try:
        fr.french_number(value)
    except ValidationError as error:
        raise ValidationError(error.message, field=where) from None


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    """What every document shows or stores besides its body."""

    kind: str  # "protocole", "programme", "avenant"
    reference: str  # "COOP-2027-0001"
    version: int
    status: str  # "projet" or "final"
    title: str  # the document's title, also the PDF title
    author: str  # the home party's official name, or "coopflow"
    date: _dt.date  # the date stored as the PDF's creation and modification date
    footer: str  # "COOP-2027-0001 – protocole – version 3"

    @property
    def is_draft(self) -> bool:
        """Whether the document is a draft: it then carries the PROJET mark on every page."""
        return self.status == "projet"


@dataclass(frozen=True, slots=True)
class SignatoryView:
    """A person who signs for a party."""

    first_name: str
    last_name: str
    title: str

    @property
    def full_name(self) -> str:
        """``First name LAST NAME``."""
        return fr.person_name(self.first_name, self.last_name)

    @property
    def title_with_article(self) -> str:
        """``Le Président``, ``La Vice-présidente déléguée...``, ``Maire``."""
        return fr.title_with_article(self.title)


@dataclass(frozen=True, slots=True)
class CommitmentGroup:
    """A party's commitments under one axis."""

    axis_number: int
    axis_title: str
    texts: list[str]


@dataclass(frozen=True, slots=True)
class PartyView:
    """A party, with the agreement words its designation needs."""

    key: str
    official_name: str
    usual_name: str | None
    nature: str
    nature_label: str
    deliberative_body: str
    executive_title: str
    seat: str | None
    is_home: bool
    is_lead: bool
    signatory: SignatoryView | None
    deliberation: DeliberationSnapshot | None
    commitments: list[CommitmentGroup] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The usual name when there is one, else the official name."""
        return self.usual_name or self.official_name

    @property
    def official_with_article(self) -> str:
        """``la Ville de Bordeaux``, ``Bordeaux Métropole``."""
        return fr.with_article(self.official_name)

    @property
    def name_with_article(self) -> str:
        """The usual (or official) name with its article."""
        return fr.with_article(self.name)

    @property
    def of_official(self) -> str:
        """``de la Ville de Bordeaux``, ``du Département de la Gironde``."""
        return fr.of_name(self.official_name)

    @property
    def has_own_designation(self) -> bool:
        """Whether the usual name differs from the official one (``ci-après « La Cali »``)."""
        return bool(self.usual_name) and self.usual_name != self.official_name

    @property
    def represented(self) -> str:
        """``représentée`` or ``représenté``, agreeing with the authority."""
        return fr.agree("représenté", fr.authority_gender(self.official_name, self.nature))

    @property
    def representative_title(self) -> str:
        """The signatory's office, or the executive's title while no signatory is known."""
        return self.signatory.title if self.signatory else self.executive_title

    @property
    def representative_possessive(self) -> str:
        """``son`` or ``sa`` before :attr:`representative_title`."""
        return fr.possessive(self.representative_title)

    @property
    def authorised(self) -> str:
        """``autorisé``, ``autorisée`` or ``autorisé(e)``, agreeing with the signatory's office."""
        return fr.agree("autorisé", fr.title_gender(self.representative_title))


@dataclass(frozen=True, slots=True)
class DeliberationVisa:
    """One ``Vu la délibération n° ... du conseil ... de ... en date du ... ;`` line."""

    number: str | None
    deliberative_body: str
    of_party: str
    sitting_date: str | None


@dataclass(frozen=True, slots=True)
class SignatureView:
    """Where and when the document is signed, and in how many originals."""

    place: str | None
    date: str | None
    copies: int

    @property
    def copies_in_words(self) -> str:
        """``trois`` for three originals."""
        return fr.number_in_words(self.copies)


@dataclass(frozen=True, slots=True)
class StakeView:
    """A cooperation stake (enjeu) under an axis."""

    title: str
    description: str


@dataclass(frozen=True, slots=True)
class AxisView:
    """A cooperation axis of the protocol."""

    number: int
    title: str
    objectives: list[str]
    stakes: list[StakeView]


@dataclass(frozen=True, slots=True)
class GovernanceView:
    """Article 4: the steering and technical committees."""

    copil: list[str]
    cotech: list[str]
    meetings_per_year: int

    @property
    def meetings_in_words(self) -> str:
        """``une``, ``deux``... (``une fois par an``)."""
        return fr.number_in_words(self.meetings_per_year, feminine=True)


@dataclass(frozen=True, slots=True)
class ProtocolView:
    """Everything the protocol template shows."""

    meta: DocumentMeta
    years: str
    partnership_title: str
    scale_label: str
    parties: list[PartyView]
    title_parties: str  # "Bordeaux Métropole, la Ville de Bordeaux et La Cali"
    parties_enumeration: str  # the same, by official names
    visas: list[DeliberationVisa]
    signed_amendments: list[AmendmentSnapshot]
    preamble: list[str]
    axes: list[AxisView]
    governance: GovernanceView
    means: list[str]
    financial_commitments: list[str] | None
    period_start: str
    period_end: str
    signature: SignatureView


@dataclass(frozen=True, slots=True)
class AvenantView:
    """Everything the avenant template shows."""

    meta: DocumentMeta
    years: str
    partnership_title: str
    protocol_title: str  # "protocole de coopération 2027-2029 entre ..."
    protocol_signed_on: str | None
    amendment: AmendmentSnapshot
    parties: list[PartyView]
    visas: list[DeliberationVisa]
    signature: SignatureView


@dataclass(frozen=True, slots=True)
class BudgetLineView:
    """A planned budget line of an action."""

    funder: str
    funder_name: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ActionView:
    """One action sheet (fiche action) of the annual programme."""

    number: int
    title: str
    axis_number: int
    axis_title: str
    objectives: list[str]
    lead: str | None  # the lead party's name
    contact: str | None
    partners: list[str]
    milestones: list[MilestoneSnapshot]
    budget: list[BudgetLineView]
    budget_total: Decimal
    indicators: list[IndicatorSnapshot]
    progress: str


@dataclass(frozen=True, slots=True)
class AxisSummary:
    """An axis of the programme, with its actions and their budget."""

    number: int
    title: str
    actions: list[ActionView]
    budget_total: Decimal


@dataclass(frozen=True, slots=True)
class FunderRow:
    """A row of the consolidated budget: one funder, its amount per axis and in total."""

    funder: str
    name: str
    by_axis: list[Decimal]
    total: Decimal


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """A milestone in the programme's calendar."""

    date: str
    action_number: int
    action_title: str
    label: str


@dataclass(frozen=True, slots=True)
class ProgrammeView:
    """Everything the annual work programme template shows."""

    meta: DocumentMeta
    label: str
    partnership_title: str
    period_start: str
    period_end: str
    protocol_years: str
    protocol_start: str
    protocol_end: str
    copil_date: str | None
    parties: list[PartyView]
    axes: list[AxisSummary]
    actions: list[ActionView]
    funders: list[FunderRow]
    axis_totals: list[Decimal]
    grand_total: Decimal
    calendar: list[CalendarEntry]


View = ProtocolView | AvenantView | ProgrammeView


def _author(parties: Sequence[PartySnapshot]) -> str:
    return next((party["official_name"] for party in parties if party["is_home"]), "coopflow")


def _footer(reference: str, label: str, version: int) -> str:
    return f"{reference} – {label} – version {version}"


def _check_parties(parties: Sequence[PartySnapshot]) -> dict[str, PartySnapshot]:
    by_key: dict[str, PartySnapshot] = {}
    for index, party in enumerate(parties):
        if party["key"] in by_key:
            raise ValidationError(
                f"duplicate party key {party['key']!r}", field=f"parties[{index}]"
            )
        by_key[party["key"]] = party
    if not by_key:
        raise ValidationError("a document needs at least one party", field="parties")
    return by_key


def _known(key: str, parties: dict[str, PartySnapshot], where: str) -> None:
    if key not in parties:
        raise ValidationError(f"unknown party {key!r}", field=where)


def _signatories(
    signatories: Sequence[SignatorySnapshot], parties: dict[str, PartySnapshot]
) -> dict[str, SignatoryView]:
    found: dict[str, SignatoryView] = {}
    for index, signatory in enumerate(signatories):
        _known(signatory["party_key"], parties, f"signatories[{index}].party_key")
        # The first signatory named for a party signs for it.
        found.setdefault(
            signatory["party_key"],
            SignatoryView(signatory["first_name"], signatory["last_name"], signatory["title"]),
        )
    return found


def _deliberations(
    deliberations: Sequence[DeliberationSnapshot],
    parties: dict[str, PartySnapshot],
    amendment: int,
) -> dict[str, DeliberationSnapshot]:
    """The authorising délibération of each party for ``amendment`` (0: the protocol itself)."""
    found: dict[str, DeliberationSnapshot] = {}
    for index, deliberation in enumerate(deliberations):
        where = f"deliberations[{index}]"
        _known(deliberation["party_key"], parties, f"{where}.party_key")
        sitting = _date(deliberation["sitting_date"], f"{where}.sitting_date")
        if deliberation["sent_to_prefecture"] is not None:
            _date(deliberation["sent_to_prefecture"], f"{where}.sent_to_prefecture")
        if deliberation["published"] is not None:
            _date(deliberation["published"], f"{where}.published")
        if deliberation["amendment"] != amendment:
            continue
        current = found.get(deliberation["party_key"])
        # A council may deliberate again (a withdrawn act): the latest sitting authorises.
        if current is None or fr.parse_date(current["sitting_date"]) <= sitting:
            found[deliberation["party_key"]] = deliberation
    return found


def _party_views(
    parties: Sequence[PartySnapshot],
    signatories: dict[str, SignatoryView],
    deliberations: dict[str, DeliberationSnapshot],
    commitments: dict[str, list[CommitmentGroup]] | None = None,
) -> list[PartyView]:
    return [
        PartyView(
            key=party["key"],
            official_name=party["official_name"],
            usual_name=party["usual_name"],
            nature=party["nature"],
            nature_label=party["nature_label"],
            deliberative_body=party["deliberative_body"],
            executive_title=party["executive_title"],
            seat=party["seat"],
            is_home=party["is_home"],
            is_lead=party["is_lead"],
            signatory=signatories.get(party["key"]),
            deliberation=deliberations.get(party["key"]),
            commitments=(commitments or {}).get(party["key"], []),
        )
        for party in parties
    ]


def _visas(parties: Iterable[PartyView]) -> list[DeliberationVisa]:
    return [
        DeliberationVisa(
            number=party.deliberation["number"] if party.deliberation else None,
            deliberative_body=party.deliberative_body,
            of_party=party.of_official,
            sitting_date=party.deliberation["sitting_date"] if party.deliberation else None,
        )
        for party in parties
    ]


def _signature_view(snapshot: ProtocolSnapshot | AvenantSnapshot, copies: int) -> SignatureView:
    date = snapshot["signature"]["date"]
    if date is not None:
        _date(date, "signature.date")
    return SignatureView(place=snapshot["signature"]["place"], date=date, copies=copies)


def _period(period: Period, key: str = "period") -> tuple[str, str]:
    start = _date(period["start"], f"{key}.start")
    end = _date(period["end"], f"{key}.end")
    if end < start:
        raise ValidationError("the period ends before it starts", field=f"{key}.end")
    return period["start"], period["end"]


def title_parties(parties: Sequence[PartySnapshot]) -> str:
    """The parties as a title names them: ``Bordeaux Métropole, la Ville de Bordeaux et La Cali``
    (usual names, else official names)."""
    names = [fr.with_article(party["usual_name"] or party["official_name"]) for party in parties]
    return fr.enumerate_names(names)


def protocol_phrase(years: str, parties: Sequence[PartySnapshot]) -> str:
    """``protocole de coopération 2027-2029 entre Bordeaux Métropole, la Ville de Bordeaux et La
    Cali``."""
    return f"protocole de coopération {years} entre {title_parties(parties)}"


def build_protocol(snapshot: ProtocolSnapshot) -> ProtocolView:
    """The view of a protocol snapshot."""
    parties = _check_parties(snapshot["parties"])
    start, end = _period(snapshot["period"])
    years = fr.years_label(start, end)
    signatories = _signatories(snapshot["signatories"], parties)
    deliberations = _deliberations(snapshot["deliberations"], parties, amendment=0)

    axes: list[AxisView] = []
    commitments: dict[str, list[CommitmentGroup]] = {}
    for index, axis in enumerate(sorted(snapshot["axes"], key=lambda axis: axis["number"])):
        axes.append(
            AxisView(
                number=axis["number"],
                title=axis["title"],
                objectives=list(axis["objectives"]),
                stakes=[StakeView(s["title"], s["description"]) for s in axis["stakes"]],
            )
        )
        grouped: dict[str, list[str]] = {}
        for position, commitment in enumerate(axis["commitments"]):
            where = f"axes[{index}].commitments[{position}].party_key"
            _known(commitment["party_key"], parties, where)
            grouped.setdefault(commitment["party_key"], []).append(commitment["text"])
        for key, texts in grouped.items():
            commitments.setdefault(key, []).append(
                CommitmentGroup(axis["number"], axis["title"], texts)
            )

    party_views = _party_views(snapshot["parties"], signatories, deliberations, commitments)
    signed = []
    for index, amendment in enumerate(snapshot["amendments"]):
        if amendment["signed_on"] is not None:
            _date(amendment["signed_on"], f"amendments[{index}].signed_on")
            signed.append(amendment)
    signature = _signature_view(snapshot, copies=len(party_views))
    meta = DocumentMeta(
        kind="protocole",
        reference=snapshot["reference"],
        version=snapshot["document_version"],
        status=snapshot["status"],
        title=fr.capitalise(protocol_phrase(years, snapshot["parties"])),
        author=_author(snapshot["parties"]),
        date=fr.parse_date(signature.date or start),
        footer=_footer(snapshot["reference"], "protocole", snapshot["document_version"]),
    )
    governance: Governance = snapshot["governance"]
    if governance["meetings_per_year"] < 1:
        raise ValidationError("the COPIL meets at least once a year", field="governance")
    financial = snapshot["financial_commitments"]
    return ProtocolView(
        meta=meta,
        years=years,
        partnership_title=snapshot["title"],
        scale_label=snapshot["scale_label"],
        parties=party_views,
        title_parties=title_parties(snapshot["parties"]),
        parties_enumeration=fr.enumerate_names([p.official_with_article for p in party_views]),
        visas=_visas(party_views),
        signed_amendments=sorted(signed, key=lambda amendment: amendment["number"]),
        preamble=[text for paragraph in snapshot["preamble"] for text in fr.paragraphs(paragraph)],
        axes=axes,
        governance=GovernanceView(
            copil=fr.paragraphs(governance["copil"]),
            cotech=fr.paragraphs(governance["cotech"]),
            meetings_per_year=governance["meetings_per_year"],
        ),
        means=fr.paragraphs(snapshot["means"]),
        financial_commitments=fr.paragraphs(financial) if financial is not None else None,
        period_start=start,
        period_end=end,
        signature=signature,
    )


def build_avenant(snapshot: AvenantSnapshot) -> AvenantView:
    """The view of an avenant snapshot."""
    parties = _check_parties(snapshot["parties"])
    start, end = _period(snapshot["period"])
    years = fr.years_label(start, end)
    amendment = snapshot["amendment"]
    if amendment["number"] < 1:
        raise ValidationError("an avenant is numbered from 1", field="amendment.number")
    if amendment["signed_on"] is not None:
        _date(amendment["signed_on"], "amendment.signed_on")
    if snapshot["protocol_signed_on"] is not None:
        _date(snapshot["protocol_signed_on"], "protocol_signed_on")
    signatories = _signatories(snapshot["signatories"], parties)
    deliberations = _deliberations(snapshot["deliberations"], parties, amendment["number"])
    party_views = _party_views(snapshot["parties"], signatories, deliberations)
    signature = _signature_view(snapshot, copies=len(party_views))
    phrase = protocol_phrase(years, snapshot["parties"])
    title = f"Avenant n{fr.DEGREE_NBSP}{amendment['number']} au {phrase}"
    meta = DocumentMeta(
        kind="avenant",
        reference=snapshot["reference"],
        version=snapshot["document_version"],
        status=snapshot["status"],
        title=title,
        author=_author(snapshot["parties"]),
        date=fr.parse_date(signature.date or amendment["signed_on"] or start),
        footer=_footer(
            snapshot["reference"],
            f"avenant n{fr.DEGREE_NBSP}{amendment['number']}",
            snapshot["document_version"],
        ),
    )
    return AvenantView(
        meta=meta,
        years=years,
        partnership_title=snapshot["title"],
        protocol_title=phrase,
        protocol_signed_on=snapshot["protocol_signed_on"],
        amendment=amendment,
        parties=party_views,
        visas=_visas(party_views),
        signature=signature,
    )


def _action_view(
    action: ActionSnapshot,
    index: int,
    axis_titles: dict[int, str],
    parties: dict[str, PartySnapshot],
) -> ActionView:
    where = f"actions[{index}]"
    if action["axis_number"] not in axis_titles:
        raise ValidationError(f"unknown axis {action['axis_number']}", field=f"{where}.axis_number")
    lead = None
    if action["lead_party_key"] is not None:
        _known(action["lead_party_key"], parties, f"{where}.lead_party_key")
        party = parties[action["lead_party_key"]]
        lead = party["usual_name"] or party["official_name"]
    dated = [
        (_date(milestone["date"], f"{where}.milestones[{position}].date"), position, milestone)
        for position, milestone in enumerate(action["milestones"])
    ]
    budget = [
        BudgetLineView(
            line["funder"],
            line["funder_name"],
            _amount(line["amount"], f"{where}.budget[{position}].amount"),
        )
        for position, line in enumerate(action["budget"])
    ]
    for position, indicator in enumerate(action["indicators"]):
        _number(indicator["target"], f"{where}.indicators[{position}].target")
        if indicator["actual"] is not None:
            _number(indicator["actual"], f"{where}.indicators[{position}].actual")
    return ActionView(
        number=action["number"],
        title=action["title"],
        axis_number=action["axis_number"],
        axis_title=axis_titles[action["axis_number"]],
        objectives=fr.paragraphs(action["objectives"]),
        lead=lead,
        contact=action["contact"],
        partners=list(action["partners"]),
        milestones=[milestone for _, _, milestone in sorted(dated, key=lambda m: m[:2])],
        budget=budget,
        budget_total=sum((line.amount for line in budget), Decimal("0.00")),
        indicators=list(action["indicators"]),
        progress=action["progress"],
    )


def build_programme(snapshot: ProgrammeSnapshot) -> ProgrammeView:
    """The view of an annual work programme snapshot."""
    parties = _check_parties(snapshot["parties"])
    start, end = _period(snapshot["period"])
    protocol_start, protocol_end = _period(snapshot["protocol_period"], "protocol_period")
    if snapshot["copil_date"] is not None:
        _date(snapshot["copil_date"], "copil_date")
    axes_sorted = sorted(snapshot["axes"], key=lambda axis: axis["number"])
    axis_titles = {axis["number"]: axis["title"] for axis in axes_sorted}
    if len(axis_titles) != len(axes_sorted):
        raise ValidationError("two axes have the same number", field="axes")
    numbered = sorted(enumerate(snapshot["actions"]), key=lambda item: item[1]["number"])
    actions = [_action_view(action, index, axis_titles, parties) for index, action in numbered]

    zero = Decimal("0.00")
    columns = {number: position for position, number in enumerate(axis_titles)}
    rows: dict[str, tuple[str, list[Decimal]]] = {}
    for action in actions:
        for line in action.budget:
            _, amounts = rows.setdefault(line.funder, (line.funder_name, [zero] * len(columns)))
            amounts[columns[action.axis_number]] += line.amount
    funders = [
        FunderRow(funder, name, amounts, sum(amounts, zero))
        for funder, (name, amounts) in rows.items()
    ]
    axis_totals = [sum((row.by_axis[i] for row in funders), zero) for i in range(len(columns))]
    calendar = sorted(
        (
            CalendarEntry(milestone["date"], action.number, action.title, milestone["label"])
            for action in actions
            for milestone in action.milestones
        ),
        key=lambda entry: (entry.date, entry.action_number),
    )
    summaries = [
        AxisSummary(
            number=number,
            title=title,
            actions=[action for action in actions if action.axis_number == number],
            budget_total=axis_totals[columns[number]],
        )
        for number, title in axis_titles.items()
    ]
    meta = DocumentMeta(
        kind="programme",
        reference=snapshot["reference"],
        version=snapshot["document_version"],
        status=snapshot["status"],
        title=f"Programme de travail annuel {snapshot['label']} – {snapshot['title']}",
        author=_author(snapshot["parties"]),
        date=fr.parse_date(snapshot["copil_date"] or start),
        footer=_footer(
            snapshot["reference"], f"programme {snapshot['label']}", snapshot["document_version"]
        ),
    )
    return ProgrammeView(
        meta=meta,
        label=snapshot["label"],
        partnership_title=snapshot["title"],
        period_start=start,
        period_end=end,
        protocol_years=fr.years_label(protocol_start, protocol_end),
        protocol_start=protocol_start,
        protocol_end=protocol_end,
        copil_date=snapshot["copil_date"],
        parties=_party_views(snapshot["parties"], {}, {}),
        axes=summaries,
        actions=actions,
        funders=funders,
        axis_totals=axis_totals,
        grand_total=sum(axis_totals, zero),
        calendar=calendar,
    )


def build_view(snapshot: Snapshot) -> View:
    """The view of a (structurally valid) snapshot, by its kind."""
    if snapshot["kind"] == "protocole":
        return build_protocol(snapshot)
    if snapshot["kind"] == "avenant":
        return build_avenant(snapshot)
    return build_programme(snapshot)
