"""The data snapshots documents are rendered from.

A snapshot is plain JSON-compatible data (``str``, ``int``, ``bool``, ``None``, lists, dicts):
it is what the engine reads from the database at render time, it is stored beside the PDF, it
travels inside the PDF/A-3 as an attached JSON file, and the same snapshot with the same template
always gives the same bytes.  Dates are ISO strings (``"2027-03-15"``); amounts are decimal
strings in euros (``"1234567.50"``), never floats.
"""

from __future__ import annotations

from typing import Literal, TypedDict

#: A person's civility: it makes the titles and participles that refer to them agree.
Civility = Literal["Madame", "Monsieur"]
#: The definite article a name takes in running text ("" for a name that takes none, such as
#: "Bordeaux Métropole" or "La Cali", whose article is part of the name).
Article = Literal["le", "la", "l'", "les", ""]


class PartySnapshot(TypedDict):
    key: str  # stable short key, e.g. "bordeaux-metropole"
    official_name: str  # "Communauté d'agglomération du Libournais"
    usual_name: str | None  # "La Cali"
    nature: str  # code: METRO, CU, CA, CC, PETR, PNR, COMMUNE, DEPARTEMENT, REGION, ETRANGER
    nature_label: str  # "communauté d'agglomération"
    siren: str | None  # 9 digits, None for a foreign authority
    seat: str | None  # town of the seat, used as a default signature place
    deliberative_body: str  # "conseil communautaire"
    executive_title: str  # "Président", "Maire", "Présidente" (in French, for a foreign one too)
    executive_civility: Civility | None  # the executive's, when the title does not say it
    article: Article  # of the official name: "la" (Ville de Bordeaux), "" (Bordeaux Métropole)
    usual_article: Article  # of the usual name: "le" (PETR du Pays de Retz), "" (La Cali)
    tribunal: str | None  # "tribunal administratif de Bordeaux": where its disputes are heard
    # A foreign authority: its country, and its own-language names, printed after the French.
    country: str | None  # "Portugal"
    language: str | None  # the language of its version of the texts: "portugais"
    original_name: str | None  # "Município do Porto"
    original_executive_title: str | None  # "Presidente da Câmara Municipal"
    original_deliberative_body: str | None  # "Assembleia Municipal"
    is_home: bool  # the metropolis running coopflow
    is_lead: bool  # the lead party (chef de file), if any


class DelegationSnapshot(TypedDict):
    """The arrêté by which the executive delegated the signature (``arrêté n° ... du ...``)."""

    number: str
    date: str


class SignatorySnapshot(TypedDict):
    party_key: str
    civility: Civility | None  # None only for a signatory named before revision 0008
    first_name: str
    last_name: str
    title: str  # "Président", "Vice-présidente déléguée à la coopération territoriale"
    delegation: DelegationSnapshot | None  # signs by delegation of the executive


class DeliberationSnapshot(TypedDict):
    party_key: str
    amendment: int  # 0: the protocol itself; n: avenant n° n
    number: str  # "2027-123": never grouped
    sitting_date: str
    sent_to_prefecture: str | None
    published: str | None
    executoire: bool  # both dates above are set


class StakeSnapshot(TypedDict):
    title: str
    description: str


class CommitmentSnapshot(TypedDict):
    party_key: str
    text: str


class AxisSnapshot(TypedDict):
    number: int  # 1, 2, 3...
    title: str
    objectives: list[str]
    stakes: list[StakeSnapshot]
    commitments: list[CommitmentSnapshot]


#: What a change of an avenant does to an article of the protocol (``coopflow._articles``):
#: ``rediger`` rewrites it, ``completer`` adds a paragraph, ``inserer`` inserts a new article
#: after it, ``abroger`` repeals it; ``libre`` is a free paragraph of an avenant written before
#: changes were structured (revision 0008), printed as it was.
ChangeOperation = Literal["rediger", "completer", "inserer", "abroger", "libre"]


class ChangeSnapshot(TypedDict):
    operation: ChangeOperation
    article: str | None  # the article aimed at ("7", "4-1"); None for "libre"
    new_article: str | None  # "inserer": the inserted article's number ("4-1")
    title: str | None  # "rediger" (optional) and "inserer": the article's title
    text: str | None  # the text written in (paragraphs separated by blank lines)


class AmendmentSnapshot(TypedDict):
    number: int
    subject: str  # objet de l'avenant
    motives: str  # exposé des motifs (paragraphs separated by blank lines)
    changes: list[ChangeSnapshot]
    signed_on: str | None


class FinancialCommitmentSnapshot(TypedDict):
    party_key: str
    amount: str  # decimal euros over the protocol's period, "90000.00"
    detail: str  # "soit 30 000 € par an, pour les missions et les actions communes"


class Period(TypedDict):
    start: str
    end: str


class Governance(TypedDict):
    copil: str  # composition and role of the steering committee
    cotech: str  # composition and role of the technical committee
    meetings_per_year: int


class SignatureSnapshot(TypedDict):
    place: str | None
    date: str | None


class _Optional(TypedDict, total=False):
    """Keys a snapshot states only when they say something (a snapshot taken before them keeps
    its hash)."""

    notice_months: int  # the notice of a termination, when not 3 (revision 0009)


class _ProtocolBody(_Optional):
    reference: str  # partnership reference, "COOP-2027-0001"
    document_version: int
    status: Literal["projet", "final"]  # "projet" prints the PROJET mark
    title: str  # title of the partnership
    scale: str  # aire_metropolitaine | espace_regional | france_europe
    scale_label: str  # "aire métropolitaine"
    period: Period
    visas: list[str]  # the texts cited before the délibérations ("Vu le code ... ;")
    preamble: list[str]  # paragraphs
    governance: Governance
    means: str  # article 6 text
    financial_note: str | None  # a paragraph on the parties' planned financial commitments
    financial_commitments: list[FinancialCommitmentSnapshot]  # required with a foreign party
    prevailing_language: str  # with a foreign party: the version that prevails ("français")
    parties: list[PartySnapshot]
    axes: list[AxisSnapshot]
    deliberations: list[DeliberationSnapshot]
    signatories: list[SignatorySnapshot]
    signature: SignatureSnapshot
    amendments: list[AmendmentSnapshot]  # signed ones appear in the visas


class ProtocolSnapshot(_ProtocolBody):
    kind: Literal["protocole"]


class ConsolidatedSnapshot(_ProtocolBody):
    """The protocol as amended by its signed avenants up to n° ``through`` (a reading copy)."""

    kind: Literal["consolide"]
    through: int


class MilestoneSnapshot(TypedDict):
    date: str
    label: str


class BudgetLineSnapshot(TypedDict):
    funder: str  # a party key or a free name ("Région Nouvelle-Aquitaine", "FEDER")
    funder_name: str  # display name
    party: bool  # the funder is a party (else its amount is only "prévisionnel")
    amount: str  # decimal euros, "12500.00"


class IndicatorSnapshot(TypedDict):
    name: str
    unit: str  # "réunions", "%", "" ...
    target: str  # decimal string
    actual: str | None


class PilotSnapshot(TypedDict):
    name: str  # "Marie Dupont"
    function: str  # "cheffe de projet mobilités"
    email: str | None


class ActionSnapshot(TypedDict):
    number: int
    axis_number: int
    title: str
    objectives: str
    lead_party_key: str | None
    contact: str | None  # the pilot service: "Direction des mobilités, Bordeaux Métropole"
    pilot: PilotSnapshot | None  # the person who leads it
    partners: list[str]
    milestones: list[MilestoneSnapshot]
    budget: list[BudgetLineSnapshot]
    indicators: list[IndicatorSnapshot]
    progress: str  # "à lancer", "en cours", "réalisée", "reportée"


class AxisRefSnapshot(TypedDict):
    number: int
    title: str


class ProgrammeSnapshot(TypedDict):
    kind: Literal["programme"]
    reference: str  # partnership reference
    document_version: int
    status: Literal["projet", "final"]
    label: str  # "2027-2028"
    title: str  # title of the partnership
    period: Period  # the programme's period
    protocol_period: Period
    protocol_signed_on: str | None
    state: str  # the programme's workflow state ("en_cours")
    in_progress: bool  # its state has the workflow's "running" capability: today's line
    copil_date: str | None  # date of the COPIL that approved it
    parties: list[PartySnapshot]
    axes: list[AxisRefSnapshot]
    actions: list[ActionSnapshot]


class AvenantSnapshot(TypedDict):
    kind: Literal["avenant"]
    reference: str
    document_version: int
    status: Literal["projet", "final"]
    title: str
    period: Period  # of the protocol it amends
    protocol_signed_on: str | None
    visas: list[str]
    amendment: AmendmentSnapshot
    earlier_amendments: list[AmendmentSnapshot]  # the signed ones before it, in order
    parties: list[PartySnapshot]
    deliberations: list[DeliberationSnapshot]  # those with amendment == its number
    signatories: list[SignatorySnapshot]
    signature: SignatureSnapshot


Snapshot = ProtocolSnapshot | ConsolidatedSnapshot | ProgrammeSnapshot | AvenantSnapshot
