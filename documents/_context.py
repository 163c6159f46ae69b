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

from coopflow import _articles as articles
from coopflow._i18n import _
from coopflow.errors import ValidationError

from . import _french as fr
from .snapshot import (
    AmendmentSnapshot,
    AvenantSnapshot,
    ConsolidatedSnapshot,
    DeliberationSnapshot,
    Governance,
    PartySnapshot,
    Period,
    ProtocolSnapshot,
    SignatorySnapshot,
)


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
    produced_at: _dt.datetime  # when it was produced: the PDF's creation and modification date
    footer: str  # "COOP-2027-0001 – protocole – version 3"

    @property
    def is_draft(self) -> bool:
        """Whether the document is a draft: it then carries the PROJET mark on every page."""
        return self.status == "projet"


@dataclass(frozen=True, slots=True)
class DelegationView:
    """The arrêté by which a party's executive delegated the signature."""

    number: str
    date: str


@dataclass(frozen=True, slots=True)
class SignatoryView:
    """A person who signs for a party."""

    civility: str | None
    first_name: str
    last_name: str
    title: str
    delegation: DelegationView | None

    @property
    def full_name(self) -> str:
        """``First name LAST NAME``."""
        return fr.person_name(self.first_name, self.last_name)

    @property
    def gender(self) -> fr.Gender:
        """The signatory's gender, from their civility."""
        return fr.person_gender(self.civility, self.title)

    @property
    def designation(self) -> str:
        """``Madame Hélène DARRIEUX`` (the name alone for a signatory recorded without a
        civility, before revision 0008: signing asks for it)."""
        return f"{self.civility} {self.full_name}" if self.civility else self.full_name

    @property
    def title_with_article(self) -> str:
        """``Le Président``, ``La Maire``, ``La Vice-présidente déléguée...``."""
        return fr.title_with_article(self.title, self.gender)


@dataclass(frozen=True, slots=True)
class SignatureBlock:
    """What one party's signature block prints, line by line.

    ``heading`` is ``Pour Bordeaux Métropole,``; ``office`` the lines naming the office
    (``["La Maire,"]``, or by delegation ``["Pour le Président et par délégation,",
    "le Vice-président,"]``); ``name`` the signatory's first name and LAST NAME, or None
    while nobody is named (a blank is printed)."""

    heading: str
    office: list[str]
    name: str | None


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
    executive_civility: str | None
    article: str
    usual_article: str
    tribunal: str | None
    country: str | None
    language: str | None
    original_name: str | None
    original_executive_title: str | None
    original_deliberative_body: str | None
    seat: str | None
    is_home: bool
    is_lead: bool
    signatory: SignatoryView | None
    deliberation: DeliberationSnapshot | None
    commitments: list[CommitmentGroup] = field(default_factory=list)

    @property
    def is_foreign(self) -> bool:
        """A foreign authority (decentralised cooperation, CGCT L.1115-1)."""
        return self.nature == "ETRANGER"

    @property
    def name(self) -> str:
        """The usual name when there is one, else the official name."""
        return self.usual_name or self.official_name

    @property
    def official_with_article(self) -> str:
        """``la Ville de Bordeaux``, ``Bordeaux Métropole``, ``le PETR du Pays de Retz``."""
        return fr.join_article(self.article, self.official_name)

    @property
    def name_with_article(self) -> str:
        """The usual name with its article (``La Cali``, ``le Sud Gironde``), else the
        official name with its own."""
        if self.usual_name:
            return fr.join_article(self.usual_article, self.usual_name)
        return self.official_with_article

    @property
    def of_official(self) -> str:
        """``de la Ville de Bordeaux``, ``du Département de la Gironde``."""
        return fr.of_article(self.article, self.official_name)

    @property
    def language_code(self) -> str:
        """The language tag of a foreign authority's own names (``pt``), for the PDF's
        structure; empty when unknown."""
        return fr.LANGUAGE_CODES.get((self.language or "").casefold(), "")

    @property
    def original_representative_title(self) -> str | None:
        """The foreign executive's own title, printed after the French one (not for a
        signatory holding another office)."""
        if self.is_foreign and self.representative_title == self.executive_title:
            return self.original_executive_title
        return None

    @property
    def has_own_designation(self) -> bool:
        """Whether the usual name differs from the official one (``ci-après « La Cali »``)."""
        return bool(self.usual_name) and self.usual_name != self.official_name

    @property
    def represented(self) -> str:
        """``représentée`` or ``représenté``, agreeing with the authority."""
        if self.article == "la":
            gender: fr.Gender = "f"
        elif self.article == "le":
            gender = "m"
        else:
            gender = fr.authority_gender(self.official_name, self.nature)
        return fr.agree("représenté", gender)

    @property
    def representative_title(self) -> str:
        """The signatory's office, or the executive's title while no signatory is known."""
        return self.signatory.title if self.signatory else self.executive_title

    @property
    def representative_gender(self) -> fr.Gender:
        """The gender of whoever represents the party: the signatory, else the executive."""
        if self.signatory is not None:
            return self.signatory.gender
        return fr.person_gender(self.executive_civility, self.executive_title)

    @property
    def representative_possessive(self) -> str:
        """``son`` or ``sa`` before :attr:`representative_title` (``sa Maire``)."""
        return fr.possessive(self.representative_title, self.representative_gender)

    @property
    def authorised(self) -> str:
        """``autorisé`` or ``autorisée``, agreeing with whoever represents the party."""
        return fr.agree("autorisé", self.representative_gender)

    @property
    def executive_with_article(self) -> str:
        """``le Président``, ``la Maire``: the executive, in running text (``le Maire`` when
        nobody said who holds an office of either gender: the generic masculine)."""
        gender = fr.person_gender(self.executive_civility, self.executive_title)
        generic: fr.Gender = "m" if gender == "x" else gender
        return fr.lower_first(fr.title_with_article(self.executive_title, generic))

    @property
    def signature_block(self) -> SignatureBlock:
        """The lines of this party's signature block."""
        heading = f"Pour {self.official_with_article},"
        s = self.signatory
        if s is None:
            gender = fr.person_gender(self.executive_civility, self.executive_title)
            return SignatureBlock(
                heading, [f"{fr.title_with_article(self.executive_title, gender)},"], None
            )
        if s.delegation is not None:
            return SignatureBlock(
                heading,
                [
                    f"Pour {self.executive_with_article} et par délégation,",
                    f"{fr.lower_first(s.title_with_article)},",
                ],
                s.full_name,
            )
        return SignatureBlock(heading, [f"{s.title_with_article},"], s.full_name)


@dataclass(frozen=True, slots=True)
class DeliberationVisa:
    """One ``Vu la délibération n° ... du conseil ... de ... en date du ... ;`` line (for a
    foreign authority, the decision of its own body)."""

    number: str | None
    deliberative_body: str
    original_body: str | None
    of_party: str
    sitting_date: str | None
    foreign: bool


@dataclass(frozen=True, slots=True)
class SignatureView:
    """Where and when the document is signed, and in how many originals."""

    place: str | None
    date: str | None
    copies: int
    languages: list[str] = field(default_factory=lambda: ["français"])

    @property
    def copies_in_words(self) -> str:
        """``trois`` for three originals."""
        return fr.number_in_words(self.copies)

    @property
    def copies_text(self) -> str:
        """``trois exemplaires originaux``; in two languages ``quatre exemplaires originaux,
        deux en français et deux en portugais``."""
        text = f"{self.copies_in_words} exemplaires originaux"
        if len(self.languages) < 2:
            return text
        each = fr.number_in_words(self.copies // len(self.languages))
        return f"{text}, {fr.enumerate_names([f'{each} en {x}' for x in self.languages])}"


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
    """Article 4: the steering and technical committees.  ``copil`` and ``cotech`` are the
    data's paragraphs; when one is empty the template prints its default text instead (never
    both)."""

    copil: list[str]
    cotech: list[str]
    meetings_per_year: int

    @property
    def meetings_in_words(self) -> str:
        """``une``, ``deux``... (``une fois par an``)."""
        return fr.number_in_words(self.meetings_per_year, feminine=True)


@dataclass(frozen=True, slots=True)
class FinancialLine:
    """A party's planned financial commitment (CGCT L.1115-1)."""

    party: str  # the party's official name with its article
    amount: Decimal
    detail: str


@dataclass(frozen=True, slots=True)
class AmendmentNote:
    """An avenant as the documents cite it."""

    number: int
    signed_on: str | None

    @property
    def label(self) -> str:
        """``l'avenant n° 1 signé le 16 octobre 2026``."""
        signed = f" signé le {fr.french_date(self.signed_on)}" if self.signed_on else ""
        return f"l'avenant n{fr.DEGREE_NBSP}{self.number}{signed}"


@dataclass(frozen=True, slots=True)
class ArticleNote:
    """What one avenant did to an article: ``inséré``, ``modifié`` or ``abrogé``."""

    verb: str
    amendment: AmendmentNote


@dataclass(frozen=True, slots=True)
class ArticleView:
    """An article of the protocol as printed: the template's text, unless an avenant rewrote
    it (``text``) or repealed it; paragraphs an avenant added (``appended``); the avenants that
    changed it (``notes``, printed under it in the consolidated version)."""

    number: str
    key: str | None
    title: str
    text: list[str] | None
    appended: list[str]
    repealed: bool
    notes: list[ArticleNote]

    @property
    def note(self) -> str:
        """``[Inséré par l'avenant n° 1 signé le …, modifié par l'avenant n° 2 signé le …]``,
        or empty for an article no avenant changed."""
        if not self.notes:
            return ""
        said = ", ".join(f"{n.verb} par {n.amendment.label}" for n in self.notes)
        return f"[{fr.capitalise(said)}.]"

    @property
    def heading(self) -> str:
        """``Article 7 – Suivi et évaluation``, ``Article 6 – (abrogé)``."""
        return f"Article {self.number} – {'(abrogé)' if self.repealed else self.title}"


@dataclass(frozen=True, slots=True)
class ProtocolView:
    """Everything the protocol template shows (also the consolidated protocol: ``through``
    is then the last avenant it includes)."""

    meta: DocumentMeta
    years: str
    partnership_title: str
    scale_label: str
    parties: list[PartyView]
    title_parties: str  # "Bordeaux Métropole, la Ville de Bordeaux et La Cali"
    parties_enumeration: str  # the same, by official names
    legal_visas: list[str]
    visas: list[DeliberationVisa]
    signed_amendments: list[AmendmentNote]
    preamble: list[str]
    axes: list[AxisView]
    governance: GovernanceView
    means: list[str]
    financial_note: list[str]
    financial_commitments: list[FinancialLine]
    financial_total: Decimal
    foreign: bool
    languages: list[str]  # "français", "portugais"
    prevailing_language: str
    notice: str  # the notice of a unilateral termination: "trois mois"
    tribunal: str | None  # the home party's tribunal administratif
    home: PartyView | None
    period_start: str
    period_end: str
    signature: SignatureView
    articles: list[ArticleView]
    through: int | None  # consolidated: the last avenant included

    def article(self, key: str) -> ArticleView:
        """The article the template prints under ``key`` (see ``coopflow._articles``)."""
        for article in self.articles:
            if article.key == key:
                return article
        raise KeyError(key)

    def inserted_after(self, number: str) -> list[ArticleView]:
        """The articles avenants inserted after article ``number`` (``4-1``, ``4-2``)."""
        base = number.split("-", maxsplit=1)[0]
        return [a for a in self.articles if a.key is None and a.number.split("-")[0] == base]

    @property
    def consolidated(self) -> bool:
        """Whether this is the consolidated version (a reading copy, not signed)."""
        return self.through is not None


@dataclass(frozen=True, slots=True)
class ChangeView:
    """One change of an avenant, worded as French drafting does (``L'article 7 du protocole
    est ainsi rédigé :``) with the text it writes in (quoted) under it."""

    operation: str
    lead: str  # the sentence introducing the change
    heading: str | None  # "Article 4-1 – Référents techniques" for an inserted article
    quoted: list[str]  # the paragraphs written in, printed between « »


@dataclass(frozen=True, slots=True)
class AvenantView:
    """Everything the avenant template shows."""

    meta: DocumentMeta
    years: str
    partnership_title: str
    protocol_title: str  # "protocole de coopération 2027-2029 entre ..."
    protocol_signed_on: str | None
    amendment: AmendmentSnapshot
    motives: list[str]
    changes: list[ChangeView]
    parties: list[PartyView]
    legal_visas: list[str]
    visas: list[DeliberationVisa]
    earlier_amendments: list[AmendmentNote]  # the avenants signed before it
    foreign: bool
    signature: SignatureView


def _author(parties: Sequence[PartySnapshot]) -> str:
    return next((party["official_name"] for party in parties if party["is_home"]), "coopflow")


def _footer(reference: str, label: str, version: int) -> str:
    return f"{reference} – {label} – version {version}"


def _check_parties(parties: Sequence[PartySnapshot]) -> dict[str, PartySnapshot]:
    by_key: dict[str, PartySnapshot] = {}
    for index, party in enumerate(parties):
        if party["key"] in by_key:
            raise ValidationError(
                _("duplicate party key {key!r}").format(key=party["key"]), field=f"parties[{index}]"
            )
        by_key[party["key"]] = party
    if not by_key:
        raise ValidationError(_("a document needs at least one party"), field="parties")
    return by_key


def _known(key: str, parties: dict[str, PartySnapshot], where: str) -> None:
    if key not in parties:
        raise ValidationError(_("unknown party {key!r}").format(key=key), field=where)


def _signatories(
    signatories: Sequence[SignatorySnapshot], parties: dict[str, PartySnapshot]
) -> dict[str, SignatoryView]:
    found: dict[str, SignatoryView] = {}
    for index, signatory in enumerate(signatories):
        where = f"signatories[{index}]"
        _known(signatory["party_key"], parties, f"{where}.party_key")
        delegation = signatory["delegation"]
        if delegation is not None:
            _date(delegation["date"], f"{where}.delegation.date")
        # The first signatory named for a party signs for it.
        found.setdefault(
            signatory["party_key"],
            SignatoryView(
                signatory["civility"],
                signatory["first_name"],
                signatory["last_name"],
                signatory["title"],
                DelegationView(delegation["number"], delegation["date"]) if delegation else None,
            ),
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
            executive_civility=party["executive_civility"],
            article=party["article"],
            usual_article=party["usual_article"],
            tribunal=party["tribunal"],
            country=party["country"],
            language=party["language"],
            original_name=party["original_name"],
            original_executive_title=party["original_executive_title"],
            original_deliberative_body=party["original_deliberative_body"],
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
            original_body=party.original_deliberative_body,
            of_party=party.of_official,
            sitting_date=party.deliberation["sitting_date"] if party.deliberation else None,
            foreign=party.is_foreign,
        )
        for party in parties
    ]


def _signature_view(
    snapshot: ProtocolSnapshot | ConsolidatedSnapshot | AvenantSnapshot,
    parties: Sequence[PartyView],
) -> SignatureView:
    """One original a party in each language of the act."""
    date = snapshot["signature"]["date"]
    if date is not None:
        _date(date, "signature.date")
    languages = _languages(parties)
    return SignatureView(
        place=snapshot["signature"]["place"],
        date=date,
        copies=len(parties) * len(languages),
        languages=languages,
    )


def _period(period: Period, key: str = "period") -> tuple[str, str]:
    start = _date(period["start"], f"{key}.start")
    end = _date(period["end"], f"{key}.end")
    if end < start:
        raise ValidationError(_("the period ends before it starts"), field=f"{key}.end")
    return period["start"], period["end"]


def _party_title_name(party: PartySnapshot) -> str:
    if party["usual_name"]:
        return fr.join_article(party["usual_article"], party["usual_name"])
    return fr.join_article(party["article"], party["official_name"])


def title_parties(parties: Sequence[PartySnapshot]) -> str:
    """The parties as a title names them, each with its article: ``Bordeaux Métropole, la
    Ville de Bordeaux et La Cali``, ``Nantes Métropole et le PETR du Pays de Retz``."""
    return fr.enumerate_names([_party_title_name(party) for party in parties])


def protocol_phrase(years: str, parties: Sequence[PartySnapshot]) -> str:
    """``protocole de coopération 2027-2029 entre Bordeaux Métropole, la Ville de Bordeaux et La
    Cali``."""
    return f"protocole de coopération {years} entre {title_parties(parties)}"


def _languages(parties: Sequence[PartyView]) -> list[str]:
    languages = ["français"]
    for party in parties:
        if party.is_foreign and party.language and party.language not in languages:
            languages.append(party.language)
    return languages


def _amendment_notes(
    amendments: Sequence[AmendmentSnapshot], numbers: Iterable[int]
) -> list[AmendmentNote]:
    dates = {a["number"]: a["signed_on"] for a in amendments}
    return [AmendmentNote(n, dates.get(n)) for n in numbers]


def _articles(foreign: bool, amendments: Sequence[AmendmentSnapshot]) -> list[ArticleView]:
    changes = [(a["number"], [dict(c) for c in a["changes"]]) for a in amendments]
    if any(articles.has_free(c) for _, c in changes):
        raise ValidationError(
            _("an avenant written before changes aimed at articles cannot be consolidated"),
            field="amendments",
        )
    try:
        states = articles.consolidate(foreign, changes)
    except ValidationError as error:
        raise ValidationError(error.message, field="amendments") from None
    dates = {a["number"]: a["signed_on"] for a in amendments}
    return [
        ArticleView(
            number=s.number,
            key=s.key,
            title=s.title,
            text=s.text,
            appended=s.appended,
            repealed=s.repealed,
            notes=[
                ArticleNote(verb, AmendmentNote(number, dates.get(number)))
                for number, verb in dict.fromkeys(s.history)
            ],
        )
        for s in states
    ]


def build_protocol(
    snapshot: ProtocolSnapshot | ConsolidatedSnapshot, produced_at: _dt.datetime
) -> ProtocolView:
    """The view of a protocol snapshot, or of a consolidated protocol's."""
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
    foreign = any(party.is_foreign for party in party_views)
    consolidated = snapshot["kind"] == "consolide"
    through = snapshot["through"] if snapshot["kind"] == "consolide" else None
    signed: list[AmendmentSnapshot] = []
    for index, amendment in enumerate(snapshot["amendments"]):
        if amendment["signed_on"] is not None:
            _date(amendment["signed_on"], f"amendments[{index}].signed_on")
            if through is None or amendment["number"] <= through:
                signed.append(amendment)
    signed.sort(key=lambda amendment: amendment["number"])
    signature = _signature_view(snapshot, party_views)
    financial: list[FinancialLine] = []
    for index, line in enumerate(snapshot["financial_commitments"]):
        where = f"financial_commitments[{index}]"
        _known(line["party_key"], parties, f"{where}.party_key")
        view = next(p for p in party_views if p.key == line["party_key"])
        amount = _amount(line["amount"], f"{where}.amount")
        financial.append(FinancialLine(view.official_with_article, amount, line["detail"]))
    title = fr.capitalise(protocol_phrase(years, snapshot["parties"]))
    kind_label = "protocole consolidé" if consolidated else "protocole"
    meta = DocumentMeta(
        kind=snapshot["kind"],
        reference=snapshot["reference"],
        version=snapshot["document_version"],
        status=snapshot["status"],
        title=f"{title} – version consolidée" if consolidated else title,
        author=_author(snapshot["parties"]),
        produced_at=produced_at,
        footer=_footer(snapshot["reference"], kind_label, snapshot["document_version"]),
    )
    governance: Governance = snapshot["governance"]
    if governance["meetings_per_year"] < 1:
        raise ValidationError(_("the COPIL meets at least once a year"), field="governance")
    home = next((p for p in party_views if p.is_home), None)
    note = snapshot["financial_note"]
    return ProtocolView(
        meta=meta,
        years=years,
        partnership_title=snapshot["title"],
        scale_label=snapshot["scale_label"],
        parties=party_views,
        title_parties=title_parties(snapshot["parties"]),
        parties_enumeration=fr.enumerate_names([p.official_with_article for p in party_views]),
        legal_visas=list(snapshot["visas"]),
        visas=_visas(party_views),
        signed_amendments=_amendment_notes(signed, [a["number"] for a in signed]),
        preamble=[text for paragraph in snapshot["preamble"] for text in fr.paragraphs(paragraph)],
        axes=axes,
        governance=GovernanceView(
            copil=fr.paragraphs(governance["copil"]),
            cotech=fr.paragraphs(governance["cotech"]),
            meetings_per_year=governance["meetings_per_year"],
        ),
        means=fr.paragraphs(snapshot["means"]),
        financial_note=fr.paragraphs(note) if note else [],
        financial_commitments=financial,
        financial_total=sum((line.amount for line in financial), Decimal("0.00")),
        foreign=foreign,
        languages=_languages(party_views),
        prevailing_language=snapshot["prevailing_language"],
        notice=f"{fr.number_in_words(_notice(snapshot))} mois",
        tribunal=home.tribunal if home is not None else None,
        home=home,
        period_start=start,
        period_end=end,
        signature=signature,
        articles=_articles(foreign, signed if consolidated else []),
        through=through,
    )


_LEADS: Final = {
    "rediger": "L'article {article} du protocole est ainsi rédigé{colon}",
    "completer": "L'article {article} du protocole est complété par {what} ainsi {written}{colon}",
    "inserer": "Il est inséré, après l'article {article} du protocole, un article {new} ainsi "
    "rédigé{colon}",
    "abroger": "L'article {article} du protocole est abrogé.",
}


def _change_views(
    foreign: bool, amendments: Sequence[AmendmentSnapshot], amendment: AmendmentSnapshot
) -> list[ChangeView]:
    """The avenant's changes, each checked against the protocol as earlier avenants left it."""
    earlier = [
        (a["number"], [dict(c) for c in a["changes"]])
        for a in amendments
        if a["number"] < amendment["number"]
    ]
    try:
        state = articles.consolidate(foreign, earlier)
    except ValidationError as error:
        raise ValidationError(error.message, field="amendments") from None
    views = []
    touched: set[str] = set()
    for index, change in enumerate(amendment["changes"]):
        where = f"amendment.changes[{index}]"
        texts = fr.paragraphs(change["text"] or "")
        operation = change["operation"]
        if operation == articles.FREE:
            views.append(ChangeView(operation, "", None, texts))
            continue
        new = change["new_article"]
        if operation == "inserer":
            new = articles.insertion_point(state, str(change["article"]), f"{where}.article")[1]
        articles.apply_change(
            state, {**change, "new_article": new}, amendment["number"], where, touched
        )
        several = len(texts) > 1
        lead = _LEADS[operation].format(
            article=change["article"],
            new=new,
            colon=f"{fr.NNBSP}:",
            what="des alinéas" if several else "un alinéa",
            written="rédigés" if several else "rédigé",
        )
        heading = f"Article {new} – {change['title']}" if operation == "inserer" else None
        if operation == "rediger" and change["title"]:
            heading = f"Article {change['article']} – {change['title']}"
        views.append(ChangeView(operation, lead, heading, texts))
    return views


def build_avenant(snapshot: AvenantSnapshot, produced_at: _dt.datetime) -> AvenantView:
    """The view of an avenant snapshot."""
    parties = _check_parties(snapshot["parties"])
    start, end = _period(snapshot["period"])
    years = fr.years_label(start, end)
    amendment = snapshot["amendment"]
    if amendment["number"] < 1:
        raise ValidationError(_("an avenant is numbered from 1"), field="amendment.number")
    if amendment["signed_on"] is not None:
        _date(amendment["signed_on"], "amendment.signed_on")
    if snapshot["protocol_signed_on"] is not None:
        _date(snapshot["protocol_signed_on"], "protocol_signed_on")
    signatories = _signatories(snapshot["signatories"], parties)
    deliberations = _deliberations(snapshot["deliberations"], parties, amendment["number"])
    party_views = _party_views(snapshot["parties"], signatories, deliberations)
    foreign = any(party.is_foreign for party in party_views)
    signature = _signature_view(snapshot, party_views)
    phrase = protocol_phrase(years, snapshot["parties"])
    title = f"Avenant n{fr.DEGREE_NBSP}{amendment['number']} au {phrase}"
    meta = DocumentMeta(
        kind="avenant",
        reference=snapshot["reference"],
        version=snapshot["document_version"],
        status=snapshot["status"],
        title=title,
        author=_author(snapshot["parties"]),
        produced_at=produced_at,
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
        motives=fr.paragraphs(amendment["motives"]),
        changes=_change_views(foreign, snapshot["earlier_amendments"], amendment),
        parties=party_views,
        legal_visas=list(snapshot["visas"]),
        visas=_visas(party_views),
        earlier_amendments=_amendment_notes(
            snapshot["earlier_amendments"], [a["number"] for a in snapshot["earlier_amendments"]]
        ),
        foreign=foreign,
        signature=signature,
    )


def _notice(snapshot: ProtocolSnapshot | ConsolidatedSnapshot) -> int:
    """The months of notice a termination gives (3 unless the snapshot says otherwise)."""
    months = snapshot.get("notice_months", 3)
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 12:
        raise ValidationError(
            _("{months!r} is not 1 to 12 months").format(months=months), field="notice_months"
        )
    return months
