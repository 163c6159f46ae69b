"""The data snapshots documents are rendered from.

A snapshot is plain JSON-compatible data (``str``, ``int``, ``bool``, ``None``, lists, dicts):
it is what the engine reads from the database at render time, it is stored beside the PDF, it
travels inside the PDF/A-3 as an attached JSON file, and the same snapshot with the same template
always gives the same bytes.  Dates are ISO strings (``"2027-03-15"``); amounts are decimal
strings in euros (``"1234567.50"``), never floats.
"""

from __future__ import annotations

from typing import Literal, TypedDict


class PartySnapshot(TypedDict):
    key: str  # stable short key, e.g. "bordeaux-metropole"
    official_name: str  # "Communauté d'agglomération du Libournais"
    usual_name: str | None  # "La Cali"
    nature: str  # code: METRO, CU, CA, CC, PETR, PNR, COMMUNE, DEPARTEMENT, REGION, ETRANGER
    nature_label: str  # "communauté d'agglomération"
    siren: str | None  # 9 digits, None for a foreign authority
    seat: str | None  # town of the seat, used as a default signature place
    deliberative_body: str  # "conseil communautaire"
    executive_title: str  # "Président", "Maire", "Présidente"
    is_home: bool  # the metropolis running coopflow
    is_lead: bool  # the lead party (chef de file), if any


class SignatorySnapshot(TypedDict):
    party_key: str
    first_name: str
    last_name: str
    title: str  # "Président", "Vice-présidente déléguée à la coopération territoriale"


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


class AmendmentSnapshot(TypedDict):
    number: int
    subject: str  # objet de l'avenant
    changes: list[str]  # one paragraph per change ("L'article 2 est complété par...")
    signed_on: str | None


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


class ProtocolSnapshot(TypedDict):
    kind: Literal["protocole"]
    reference: str  # partnership reference, "COOP-2027-0001"
    document_version: int
    status: Literal["projet", "final"]  # "projet" prints the PROJET mark
    title: str  # title of the partnership
    scale: str  # aire_metropolitaine | espace_regional | france_europe
    scale_label: str  # "aire métropolitaine"
    period: Period
    preamble: list[str]  # paragraphs
    governance: Governance
    means: str  # article 6 text
    financial_commitments: str | None  # required for a foreign authority partner
    parties: list[PartySnapshot]
    axes: list[AxisSnapshot]
    deliberations: list[DeliberationSnapshot]
    signatories: list[SignatorySnapshot]
    signature: SignatureSnapshot
    amendments: list[AmendmentSnapshot]  # signed ones appear in the visas


class MilestoneSnapshot(TypedDict):
    date: str
    label: str


class BudgetLineSnapshot(TypedDict):
    funder: str  # a party key or a free name ("Région Nouvelle-Aquitaine", "FEDER")
    funder_name: str  # display name
    amount: str  # decimal euros, "12500.00"


class IndicatorSnapshot(TypedDict):
    name: str
    unit: str  # "réunions", "%", "" ...
    target: str  # decimal string
    actual: str | None


class ActionSnapshot(TypedDict):
    number: int
    axis_number: int
    title: str
    objectives: str
    lead_party_key: str | None
    contact: str | None  # pilote: "Marie DUPONT, chargée de mission"
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
    amendment: AmendmentSnapshot
    parties: list[PartySnapshot]
    deliberations: list[DeliberationSnapshot]  # those with amendment == its number
    signatories: list[SignatorySnapshot]
    signature: SignatureSnapshot


Snapshot = ProtocolSnapshot | ProgrammeSnapshot | AvenantSnapshot
