"""The domain's closed vocabularies: scales, natures of parties, kinds of exchange and
document, progress of an action.  Codes are stored; labels are what people read."""

from __future__ import annotations

from typing import Final, Literal

ROLES: Final = ("staff", "legal", "elected", "admin")

#: How the person behind a record was identified (recorded beside the actor).
IDENTIFICATIONS: Final[dict[str, str]] = {
    "db_login": "their database login",
    "option": "the --actor option",
    "environment": "COOPFLOW_ACTOR",
    "os_login": "their OS login",
    "host": "the host application",
    "script": "the script they applied",
}

#: What a journal record that is no workflow's event records: no event may be named so.
RECORD_KINDS: Final[dict[str, str]] = {
    "creation": "partnership opened",
    "change": "data changed",
    "deliberation": "délibération recorded",
    "document": "document stored",
    "migration": "workflow version changed",
}
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
