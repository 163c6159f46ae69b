"""The domain's closed vocabularies: scales, natures of parties, kinds of exchange and
document, progress of an action.  Codes are stored; labels are what people read."""

from __future__ import annotations

from typing import Final, Literal

ROLES: Final = ("staff", "legal", "elected", "admin")
DEFAULT_WORKFLOW: Final = "cooperation"  # the workflow a partnership follows unless told

SCALES: Final[dict[str, str]] = {
    "aire_metropolitaine": "aire métropolitaine",
    "espace_regional": "espace régional",
    "france_europe": "France et Europe",
}

NATURES: Final[dict[str, str]] = {
    "METRO": "métropole",
    "CU": "communauté urbaine",
    "CA": "communauté d'agglomération",
    "CC": "communauté de communes",
    "PETR": "pôle d'équilibre territorial et rural",
    "PNR": "syndicat mixte de parc naturel régional",
    "SYNDICAT": "syndicat mixte",
    "COMMUNE": "commune",
    "DEPARTEMENT": "département",
    "REGION": "région",
    "ETRANGER": "autorité locale étrangère",
}

EXCHANGE_KINDS: Final = ("reunion", "courrier", "visite", "atelier", "seminaire", "visio", "autre")
PROGRESS: Final = ("à lancer", "en cours", "réalisée", "reportée", "abandonnée")

Kind = Literal["protocole", "programme", "avenant"]
KINDS: Final[tuple[Kind, ...]] = ("protocole", "programme", "avenant")
