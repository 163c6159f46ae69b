"""The domain's closed vocabularies: scales, natures of parties, kinds of exchange and
document, progress of an action.  Codes are stored; labels are what people read (English ones
are marked ``N_`` and shown with ``_()``; the French words of the domain are shown as they are)."""

from __future__ import annotations

import re
from typing import Final, Literal

from ._i18n import N_

ROLES: Final = ("staff", "legal", "elected", "admin")

#: How the person behind a record was identified (recorded beside the actor).
IDENTIFICATIONS: Final[dict[str, str]] = {
    "db_login": N_("their database login"),
    "option": N_("the --actor option"),
    "environment": N_("COOPFLOW_ACTOR"),
    "os_login": N_("their OS login"),
    "host": N_("the host application"),
    "script": N_("the script they applied"),
}

#: What a journal record that is no workflow's event records: no event may be named so.
RECORD_KINDS: Final[dict[str, str]] = {
    "creation": N_("partnership opened"),
    "change": N_("data changed"),
    "deliberation": N_("délibération recorded"),
    "document": N_("document stored"),
    "migration": N_("workflow version changed"),
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

#: The kinds of document: ``consolide`` is the protocol as its signed avenants amended it (a
#: reading copy, produced when an avenant is signed; its subject is the avenant's number).
Kind = Literal["protocole", "programme", "avenant", "consolide"]
KINDS: Final[tuple[Kind, ...]] = ("protocole", "programme", "avenant", "consolide")

CIVILITIES: Final = ("Madame", "Monsieur")
#: The definite article a name takes in running text ("" when it takes none).
ARTICLES: Final = ("le", "la", "l'", "les", "")

#: The article a name's first word calls for (a default staff confirm: the article is data).
ARTICLE_OF_WORD: Final[dict[str, str]] = {
    "agglomération": "l'",
    "assemblée": "l'",
    "association": "l'",
    "bureau": "le",
    "collectivité": "la",
    "communauté": "la",
    "comité": "le",
    "commission": "la",
    "commune": "la",
    "conseil": "le",
    "département": "le",
    "établissement": "l'",
    "eurométropole": "l'",
    "métropole": "la",
    "municipalité": "la",
    "office": "l'",
    "parc": "le",
    "pays": "le",
    "petr": "le",
    "pôle": "le",
    "province": "la",
    "région": "la",
    "syndicat": "le",
    "ville": "la",
}


def guess_article(name: str | None) -> str:
    """The article a name most likely takes (``la`` for ``Ville de Bordeaux``, ``le`` for
    ``PETR du Pays de Retz``, ``""`` for ``Bordeaux Métropole`` or ``La Cali``)."""
    if not name:
        return ""
    first = re.split(r"[\s'’-]", name.strip(), maxsplit=1)[0].lower()
    return ARTICLE_OF_WORD.get(first, "")


_FEMININE_ENDINGS: Final = (
    "ente", "ère", "rice", "ointe", "ée", "elle", "esse", "ienne", "euse", "ète", "effe", "ue",
)  # fmt: skip
_MASCULINE_ENDINGS: Final = ("ent", "er", "oint", "é", "eur", "et", "ien", "ef", "u")
_GENDERED_ORDINALS: Final = {
    "premier": "Monsieur",
    "1er": "Monsieur",
    "première": "Madame",
    "1re": "Madame",
}
_ORDINAL = re.compile(r"\d+(?:e|ème|eme)|second|seconde|deuxième|troisième|quatrième", re.I)


def civility_of_title(title: str) -> str | None:
    """The civility an office's own gender gives ("Présidente", "1re adjointe": Madame;
    "Vice-président", "Premier adjoint": Monsieur), or None when the title does not say it
    ("Maire", "Membre", a word coopflow does not know): staff then give it."""
    for raw in title.strip().split():
        word = raw.strip(",.").lower()
        if word in _GENDERED_ORDINALS:
            return _GENDERED_ORDINALS[word]
        if _ORDINAL.fullmatch(word):
            continue  # "2e adjointe": the next word says it
        last = word.rsplit("-", 1)[-1]
        if last.endswith(_FEMININE_ENDINGS):
            return "Madame"
        if last.endswith(_MASCULINE_ENDINGS):
            return "Monsieur"
        return None
    return None
