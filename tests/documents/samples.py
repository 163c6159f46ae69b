"""Realistic snapshots for the document tests and benchmarks.

Modelled on the cases of DOMAIN.md: Bordeaux Métropole, the Ville de Bordeaux and the
Communauté d'agglomération du Libournais (La Cali) sign a 2027-2029 protocol with three axes,
amended once, and approve a 2027-2028 annual work programme.  People are fictional.  Each
function returns a fresh, deep-independent snapshot, so a test may alter its copy.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from coopflow.documents import AvenantSnapshot, ProgrammeSnapshot, ProtocolSnapshot
from coopflow.documents.snapshot import (
    ActionSnapshot,
    AxisSnapshot,
    BudgetLineSnapshot,
    ChangeSnapshot,
    CommitmentSnapshot,
    DeliberationSnapshot,
    PartySnapshot,
    SignatorySnapshot,
)

#: The moment the sample documents are produced (their PDFs' dates): a test renders with it,
#: so that the same snapshot gives the same bytes.
MOMENT = dt.datetime(2027, 5, 3, 9, 30, 15, tzinfo=dt.UTC)

BORDEAUX_METROPOLE: PartySnapshot = {
    "key": "bordeaux-metropole",
    "official_name": "Bordeaux Métropole",
    "usual_name": None,
    "nature": "METRO",
    "nature_label": "métropole",
    "siren": "243300316",
    "seat": "Bordeaux",
    "deliberative_body": "conseil métropolitain",
    "executive_title": "Présidente",
    "executive_civility": "Madame",
    "article": "",
    "usual_article": "",
    "tribunal": "tribunal administratif de Bordeaux",
    "country": None,
    "language": None,
    "original_name": None,
    "original_executive_title": None,
    "original_deliberative_body": None,
    "is_home": True,
    "is_lead": True,
}
VILLE_DE_BORDEAUX: PartySnapshot = {
    "key": "ville-de-bordeaux",
    "official_name": "Ville de Bordeaux",
    "usual_name": None,
    "nature": "COMMUNE",
    "nature_label": "commune",
    "siren": "213300635",
    "seat": "Bordeaux",
    "deliberative_body": "conseil municipal",
    "executive_title": "Maire",
    "executive_civility": "Monsieur",
    "article": "la",
    "usual_article": "la",
    "tribunal": None,
    "country": None,
    "language": None,
    "original_name": None,
    "original_executive_title": None,
    "original_deliberative_body": None,
    "is_home": False,
    "is_lead": False,
}
LA_CALI: PartySnapshot = {
    "key": "la-cali",
    "official_name": "Communauté d'agglomération du Libournais",
    "usual_name": "La Cali",
    "nature": "CA",
    "nature_label": "communauté d'agglomération",
    "siren": "200070092",
    "seat": "Libourne",
    "deliberative_body": "conseil communautaire",
    "executive_title": "Président",
    "executive_civility": "Monsieur",
    "article": "la",
    "usual_article": "",
    "tribunal": None,
    "country": None,
    "language": None,
    "original_name": None,
    "original_executive_title": None,
    "original_deliberative_body": None,
    "is_home": False,
    "is_lead": False,
}
PARTIES = [BORDEAUX_METROPOLE, VILLE_DE_BORDEAUX, LA_CALI]

SIGNATORIES: list[SignatorySnapshot] = [
    {
        "party_key": "bordeaux-metropole",
        "civility": "Madame",
        "first_name": "Hélène",
        "last_name": "Lagarde",
        "title": "Présidente",
        "delegation": None,
    },
    {
        "party_key": "ville-de-bordeaux",
        "civility": "Monsieur",
        "first_name": "Étienne",
        "last_name": "Moreau-Béraud",
        "title": "Maire",
        "delegation": None,
    },
    {
        "party_key": "la-cali",
        "civility": "Monsieur",
        "first_name": "Jean-Marc",
        "last_name": "Dubreuil",
        "title": "Président",
        "delegation": None,
    },
]

DELIBERATIONS: list[DeliberationSnapshot] = [
    {
        "party_key": "bordeaux-metropole",
        "amendment": 0,
        "number": "2027-123",
        "sitting_date": "2027-03-15",
        "sent_to_prefecture": "2027-03-17",
        "published": "2027-03-18",
        "executoire": True,
    },
    {
        "party_key": "ville-de-bordeaux",
        "amendment": 0,
        "number": "D-2027/045",
        "sitting_date": "2027-03-22",
        "sent_to_prefecture": "2027-03-24",
        "published": "2027-03-24",
        "executoire": True,
    },
    {
        "party_key": "la-cali",
        "amendment": 0,
        "number": "2027.04.031",
        "sitting_date": "2027-04-01",
        "sent_to_prefecture": "2027-04-03",
        "published": "2027-04-04",
        "executoire": True,
    },
    {
        "party_key": "bordeaux-metropole",
        "amendment": 1,
        "number": "2028-517",
        "sitting_date": "2028-05-26",
        "sent_to_prefecture": "2028-05-29",
        "published": "2028-05-30",
        "executoire": True,
    },
    {
        "party_key": "ville-de-bordeaux",
        "amendment": 1,
        "number": "D-2028/112",
        "sitting_date": "2028-05-30",
        "sent_to_prefecture": "2028-06-01",
        "published": "2028-06-01",
        "executoire": True,
    },
    {
        "party_key": "la-cali",
        "amendment": 1,
        "number": "2028.06.007",
        "sitting_date": "2028-06-01",
        "sent_to_prefecture": None,
        "published": None,
        "executoire": False,
    },
]

AXES: list[AxisSnapshot] = [
    {
        "number": 1,
        "title": "Accueil des habitants et mobilités",
        "objectives": [
            "Faciliter les déplacements quotidiens entre le Libournais et la métropole.",
            "Coordonner l'accueil et l'information des nouveaux habitants.",
        ],
        "stakes": [
            {
                "title": "Mobilités du quotidien",
                "description": "Près de 12 000 actifs font chaque jour la navette entre "
                "Libourne et Bordeaux ; l'offre de transport doit suivre.",
            },
            {
                "title": "Parcours résidentiels",
                "description": "Accompagner les ménages qui s'installent dans le Libournais "
                "tout en travaillant dans la métropole.",
            },
        ],
        "commitments": [
            {
                "party_key": "bordeaux-metropole",
                "text": "Étudier avec la Région le renforcement de la desserte ferroviaire "
                "Libourne–Bordeaux aux heures de pointe.",
            },
            {
                "party_key": "la-cali",
                "text": "Aménager les pôles d'échanges de Libourne et de Coutras.",
            },
            {
                "party_key": "ville-de-bordeaux",
                "text": "Relayer l'offre d'accueil du Libournais auprès des habitants.",
            },
        ],
    },
    {
        "number": 2,
        "title": "Développement économique et touristique",
        "objectives": [
            "Promouvoir une destination touristique commune autour du vignoble et de l'estuaire.",
            "Mettre en réseau les zones d'activités et les acteurs de l'emploi.",
        ],
        "stakes": [
            {
                "title": "Destination « Bordeaux – Saint-Émilion »",
                "description": "Une offre œnotouristique partagée, des circuits et des "
                "supports de promotion communs.",
            }
        ],
        "commitments": [
            {
                "party_key": "bordeaux-metropole",
                "text": "Associer La Cali aux salons professionnels du tourisme d'affaires.",
            },
            {
                "party_key": "la-cali",
                "text": "Coordonner l'office de tourisme du Libournais avec celui de Bordeaux.",
            },
        ],
    },
    {
        "number": 3,
        "title": "Circuits courts et ressources locales",
        "objectives": [
            "Aider les producteurs du Libournais à répondre aux marchés de restauration collective."
        ],
        "stakes": [
            {
                "title": "Gouvernance alimentaire",
                "description": "Relier producteurs du Libournais et cuisines centrales.",
            }
        ],
        "commitments": [
            {
                "party_key": "ville-de-bordeaux",
                "text": "Informer les producteurs locaux des consultations de la restauration "
                "scolaire.",
            },
            {
                "party_key": "la-cali",
                "text": "Recenser l'offre agricole disponible en circuit court.",
            },
        ],
    },
]


MOTIVES = (
    "Le bilan de la première année de coopération a montré l'intérêt des habitants du "
    "Libournais pour les mobilités actives.\n\nLes Parties souhaitent en faire un objectif "
    "du protocole et reporter l'évaluation à mi-parcours, que la crise des transports de 2027 "
    "n'a pas permis de conduire."
)
CHANGES: list[ChangeSnapshot] = [
    {
        "operation": "completer",
        "article": "2",
        "new_article": None,
        "title": None,
        "text": "Au titre de l'axe 1, les Parties poursuivent également l'objectif suivant : "
        "développer les itinéraires cyclables entre le Libournais et la métropole.",
    },
    {
        "operation": "rediger",
        "article": "7",
        "new_article": None,
        "title": None,
        "text": "Le comité de pilotage examine chaque année le bilan du programme de travail "
        "annuel écoulé.\n\nL'évaluation à mi-parcours est conduite au premier semestre 2028.",
    },
    {
        "operation": "inserer",
        "article": "4",
        "new_article": "4-1",
        "title": "Référents techniques",
        "text": "Chaque Partie désigne un référent technique de la coopération.",
    },
]


def protocol(*, status: str = "final") -> ProtocolSnapshot:
    """The 2027-2029 protocol, signed at Libourne, with one signed avenant."""
    snapshot: ProtocolSnapshot = {
        "kind": "protocole",
        "reference": "COOP-2027-0001",
        "document_version": 3,
        "status": "final" if status == "final" else "projet",
        "title": "Coopération Bordeaux Métropole – Libournais",
        "scale": "aire_metropolitaine",
        "scale_label": "aire métropolitaine",
        "period": {"start": "2027-01-01", "end": "2029-12-31"},
        "preamble": [
            "Bordeaux Métropole conduit depuis 2016 une politique de coopération avec les "
            "territoires qui l'entourent, fondée sur la réciprocité et la complémentarité.",
            "Le Libournais et la métropole partagent un bassin de vie et d'emploi : les échanges "
            "quotidiens d'actifs, de visiteurs et de produits agricoles appellent une action "
            "concertée des collectivités.",
            "Le dialogue engagé en 2026 a permis d'identifier des enjeux de coopération "
            "opérationnels, que les Parties souhaitent désormais traduire en engagements.",
        ],
        "governance": {
            "copil": "Le comité de pilotage réunit les élus désignés par chacune des Parties ; "
            "il est coprésidé par la Présidente de Bordeaux Métropole et le Président de La Cali.",
            "cotech": "Le comité technique réunit les référents techniques des Parties, sous "
            "l'animation du service de la coopération territoriale de Bordeaux Métropole.",
            "meetings_per_year": 2,
        },
        "visas": [
            "Vu le code général des collectivités territoriales, notamment ses articles "
            "L. 1111-9 et suivants relatifs aux compétences partagées ;",
            "Vu le code général des collectivités territoriales, notamment ses articles "
            "L. 5217-1 et suivants relatifs aux métropoles ;",
        ],
        "means": "Le présent protocole n'a pas d'incidence financière propre. Les actions qu'il "
        "prévoit sont financées, le cas échéant, par des conventions particulières approuvées "
        "par les instances compétentes de chacune des Parties.",
        "financial_note": None,
        "financial_commitments": [],
        "prevailing_language": "français",
        "parties": copy.deepcopy(PARTIES),
        "axes": copy.deepcopy(AXES),
        "deliberations": [d for d in copy.deepcopy(DELIBERATIONS) if d["amendment"] == 0],
        "signatories": copy.deepcopy(SIGNATORIES),
        "signature": {"place": "Libourne", "date": "2027-05-03"},
        "amendments": [
            {
                "number": 1,
                "subject": "l'ajout d'un objectif relatif aux mobilités actives à l'axe 1",
                "motives": MOTIVES,
                "changes": copy.deepcopy(CHANGES),
                "signed_on": "2028-06-12",
            }
        ],
    }
    return snapshot


def draft_protocol() -> ProtocolSnapshot:
    """The same protocol as a draft, before any délibération or signature."""
    snapshot = protocol(status="projet")
    snapshot["document_version"] = 1
    snapshot["deliberations"] = []
    snapshot["signatories"] = []
    snapshot["signature"] = {"place": None, "date": None}
    snapshot["amendments"] = []
    return snapshot


def avenant(*, status: str = "final") -> AvenantSnapshot:
    """Avenant n° 1 to the protocol."""
    return {
        "kind": "avenant",
        "reference": "COOP-2027-0001",
        "document_version": 2,
        "status": "final" if status == "final" else "projet",
        "title": "Coopération Bordeaux Métropole – Libournais",
        "period": {"start": "2027-01-01", "end": "2029-12-31"},
        "protocol_signed_on": "2027-05-03",
        "amendment": {
            "number": 1,
            "subject": "l'ajout d'un objectif relatif aux mobilités actives à l'axe 1",
            "motives": MOTIVES,
            "changes": copy.deepcopy(CHANGES),
            "signed_on": "2028-06-12",
        },
        "earlier_amendments": [],
        "visas": [
            "Vu le code général des collectivités territoriales, notamment ses articles "
            "L. 1111-9 et suivants relatifs aux compétences partagées ;"
        ],
        "parties": copy.deepcopy(PARTIES),
        "deliberations": [d for d in copy.deepcopy(DELIBERATIONS) if d["amendment"] == 1],
        "signatories": copy.deepcopy(SIGNATORIES),
        "signature": {"place": "Bordeaux", "date": "2028-06-12"},
    }


_PARTY_KEYS = frozenset(party["key"] for party in PARTIES)


def _line(funder: str, name: str, amount: str) -> BudgetLineSnapshot:
    return {
        "funder": funder,
        "funder_name": name,
        "party": funder in _PARTY_KEYS,
        "amount": amount,
    }


_ACTIONS: list[ActionSnapshot] = [
    {
        "number": 1,
        "axis_number": 1,
        "title": "Renforcer la desserte ferroviaire Libourne–Bordeaux",
        "objectives": "Obtenir de la Région deux allers-retours supplémentaires aux heures de "
        "pointe et cadencer la desserte au quart d'heure.",
        "lead_party_key": "bordeaux-metropole",
        "contact": "Direction des mobilités, Bordeaux Métropole",
        "pilot": {
            "name": "Claire Dumas",
            "function": "chargée de coopération territoriale",
            "email": "c.dumas@bordeaux-metropole.fr",
        },
        "partners": ["Région Nouvelle-Aquitaine", "SNCF Voyageurs"],
        "milestones": [
            {"date": "2027-06-15", "label": "Étude de fréquentation remise"},
            {"date": "2027-03-01", "label": "Lancement de l'étude"},
            {"date": "2028-01-10", "label": "Présentation au comité de pilotage"},
        ],
        "budget": [
            _line("bordeaux-metropole", "Bordeaux Métropole", "1234567.50"),
            _line("region", "Région Nouvelle-Aquitaine", "850000.00"),
        ],
        "indicators": [
            {
                "name": "Allers-retours supplémentaires",
                "unit": "trains/jour",
                "target": "2",
                "actual": "1",
            },
            {"name": "Fréquentation", "unit": "voyageurs/jour", "target": "12500", "actual": None},
        ],
        "progress": "en cours",
    },
    {
        "number": 2,
        "axis_number": 1,
        "title": "Guichet commun d'accueil des nouveaux habitants",
        "objectives": "Mettre en place un guichet d'information commun, physique et en ligne.",
        "lead_party_key": "la-cali",
        "contact": "Direction de l'attractivité, La Cali",
        "pilot": {
            "name": "Marc Peyrelongue",
            "function": "directeur de l'attractivité",
            "email": None,
        },
        "partners": [],
        "milestones": [{"date": "2027-09-01", "label": "Ouverture du guichet"}],
        "budget": [
            _line("la-cali", "La Cali", "45000.00"),
            _line("ville-de-bordeaux", "Ville de Bordeaux", "15000.00"),
        ],
        "indicators": [
            {"name": "Ménages accueillis", "unit": "ménages", "target": "300", "actual": "112"}
        ],
        "progress": "en cours",
    },
    {
        "number": 3,
        "axis_number": 2,
        "title": "Destination œnotouristique commune",
        "objectives": "Concevoir trois circuits et une brochure communs.\n\nPrésenter l'offre "
        "commune au salon Vinexpo.",
        "lead_party_key": "la-cali",
        "contact": None,
        "pilot": None,
        "partners": ["Office de tourisme du Libournais", "Office de tourisme de Bordeaux"],
        "milestones": [
            {"date": "2027-05-01", "label": "Circuits validés"},
            {"date": "2028-02-12", "label": "Présentation au salon"},
        ],
        "budget": [
            _line("la-cali", "La Cali", "60000.00"),
            _line("bordeaux-metropole", "Bordeaux Métropole", "60000.00"),
            _line("feder", "FEDER", "75500.25"),
        ],
        "indicators": [
            {"name": "Circuits publiés", "unit": "circuits", "target": "3", "actual": "3"},
            {"name": "Taux de remplissage", "unit": "%", "target": "72.5", "actual": None},
        ],
        "progress": "réalisée",
    },
    {
        "number": 4,
        "axis_number": 2,
        "title": "Réseau des zones d'activités",
        "objectives": "Mettre en relation les gestionnaires de zones d'activités.",
        "lead_party_key": "bordeaux-metropole",
        "contact": None,
        "pilot": {
            "name": "Paul Lacoste",
            "function": "développeur économique",
            "email": "p.lacoste@bordeaux-metropole.fr",
        },
        "partners": ["CCI Bordeaux Gironde"],
        "milestones": [{"date": "2027-10-05", "label": "Première rencontre du réseau"}],
        "budget": [_line("bordeaux-metropole", "Bordeaux Métropole", "8000.00")],
        "indicators": [
            {"name": "Rencontres organisées", "unit": "réunions", "target": "4", "actual": "1"}
        ],
        "progress": "à lancer",
    },
    {
        "number": 5,
        "axis_number": 3,
        "title": "Approvisionnement local des cantines",
        "objectives": "Porter à 50 % la part des produits durables et de qualité dans les "
        "cantines scolaires de la Ville de Bordeaux, dans le respect de l'égalité de traitement "
        "des candidats aux marchés.",
        "lead_party_key": "ville-de-bordeaux",
        "contact": "Direction de l'éducation, Ville de Bordeaux",
        "pilot": {
            "name": "Sophie N'Diaye",
            "function": "responsable de la restauration scolaire",
            "email": "s.ndiaye@mairie-bordeaux.fr",
        },
        "partners": ["Chambre d'agriculture de la Gironde", "Association Bio Nouvelle-Aquitaine"],
        "milestones": [
            {"date": "2027-04-01", "label": "Recensement des producteurs"},
            {"date": "2027-09-01", "label": "Premier marché attribué"},
        ],
        "budget": [
            _line("ville-de-bordeaux", "Ville de Bordeaux", "120000.00"),
            _line("region", "Région Nouvelle-Aquitaine", "40000.00"),
        ],
        "indicators": [
            {
                "name": "Part de produits durables et de qualité",
                "unit": "%",
                "target": "50",
                "actual": "38.5",
            }
        ],
        "progress": "en cours",
    },
    {
        "number": 6,
        "axis_number": 3,
        "title": "Plateforme logistique des circuits courts",
        "objectives": "Étudier l'opportunité d'une plateforme logistique mutualisée.",
        "lead_party_key": None,
        "contact": None,
        "pilot": None,
        "partners": [],
        "milestones": [],
        "budget": [],
        "indicators": [],
        "progress": "reportée",
    },
]


def programme(*, status: str = "final") -> ProgrammeSnapshot:
    """The 2027-2028 annual work programme, approved by the COPIL of 12 February 2027."""
    return {
        "kind": "programme",
        "reference": "COOP-2027-0001",
        "document_version": 2,
        "status": "final" if status == "final" else "projet",
        "label": "2027-2028",
        "title": "Coopération Bordeaux Métropole – Libournais",
        "period": {"start": "2027-03-01", "end": "2028-02-29"},
        "protocol_period": {"start": "2027-01-01", "end": "2029-12-31"},
        "protocol_signed_on": "2027-01-15",
        "state": "en_cours" if status == "final" else "brouillon",
        "in_progress": status == "final",
        "copil_date": "2027-02-12" if status == "final" else None,
        "parties": copy.deepcopy(PARTIES),
        "axes": [{"number": axis["number"], "title": axis["title"]} for axis in AXES],
        "actions": copy.deepcopy(_ACTIONS),
    }


_FILLER = (
    "Les Parties conviennent de conjuguer leurs moyens d'ingénierie, de partager leurs "
    "diagnostics et de rendre compte chaque année au comité de pilotage des résultats obtenus, "
    "dans le respect des compétences de chacune et du principe de libre administration des "
    "collectivités territoriales."
)


def large_protocol(*, pages: int = 10) -> ProtocolSnapshot:
    """A protocol of about ``pages`` A4 pages (four axes, long préambule), for benchmarks."""
    snapshot = protocol()
    extra = max(0, pages - 5)
    snapshot["preamble"] = snapshot["preamble"] + [_FILLER] * (2 * extra)
    axis = copy.deepcopy(AXES[0])
    axis["number"] = 4
    axis["title"] = "Transition écologique et ressources en eau"
    snapshot["axes"].append(axis)
    for item in snapshot["axes"]:
        item["objectives"] = item["objectives"] + [_FILLER] * extra
        filler: list[CommitmentSnapshot] = [
            {"party_key": party["key"], "text": _FILLER} for party in PARTIES
        ]
        item["commitments"] = item["commitments"] + filler * max(1, extra // 2)
    return snapshot


def many_programmes(count: int) -> list[ProgrammeSnapshot]:
    """``count`` distinct annual programmes (their references differ)."""
    result = []
    for index in range(count):
        snapshot = programme()
        snapshot["reference"] = f"COOP-2027-{index + 1:04d}"
        result.append(snapshot)
    return result


def as_plain(snapshot: Any) -> dict[str, Any]:
    """A deep copy as plain dicts, for tests that break a snapshot on purpose."""
    result: dict[str, Any] = copy.deepcopy(dict(snapshot))
    return result
