"""Builders of realistic partnerships at each stage of their lifecycle, for the tests.

The data follows the real cases of the domain brief (Bordeaux Métropole, La Cali, Ville de
Saintes...).  Each builder returns the partnership's reference."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from coopflow import Actor, Coopflow
from coopflow._domain import deliberations, firing

STAFF = Actor("marie.dupont", "staff")
LEGAL = Actor("jean.martin", "legal")
ELECTED = Actor("elu.cooperation", "elected")
ADMIN = Actor("admin", "admin")

#: The people every test database registers (``register_people``), by actor.
PEOPLE = {
    STAFF: "Marie Dupont",
    LEGAL: "Jean Martin",
    ELECTED: "Élu de la coopération",
}


def register_people(cf: Coopflow) -> None:
    """Register the first admin and the people of the scenarios (each with their one role)."""
    cf.register_first_admin(ADMIN.id, "Administration coopflow")
    register(cf, *PEOPLE)


def register(cf: Coopflow, *actors: Actor, roles: tuple[str, ...] = ()) -> None:
    """Register ``actors`` (each with its own role, and ``roles``) as the admin would."""
    for actor in actors:
        assert actor.role is not None
        cf.add_actor(
            actor.id,
            PEOPLE.get(actor, actor.id),
            roles=[actor.role, *roles],
            actor=ADMIN,
        )


PARTIES = {
    "bordeaux-metropole": dict(
        official_name="Bordeaux Métropole",
        nature="METRO",
        deliberative_body="conseil métropolitain",
        executive_title="Président",
        siren="243300316",
        seat="Bordeaux",
        tribunal="tribunal administratif de Bordeaux",
    ),
    "la-cali": dict(
        official_name="Communauté d'agglomération du Libournais",
        usual_name="La Cali",
        nature="CA",
        deliberative_body="conseil communautaire",
        executive_title="Président",
        siren="200070142",
        seat="Libourne",
    ),
    "ville-de-saintes": dict(
        official_name="Ville de Saintes",
        nature="COMMUNE",
        deliberative_body="conseil municipal",
        executive_title="Maire",
        siren="211704150",
        seat="Saintes",
    ),
}

SIGNATORIES = {
    # Fictitious people: tests do not put words in real officials' mouths.
    "bordeaux-metropole": ("Claire", "Lefèvre", "Présidente", "Madame"),
    "la-cali": ("Étienne", "Marchal", "Président", "Monsieur"),
    "ville-de-saintes": ("Sophie", "Garnier", "Maire", "Madame"),
}

START, END = dt.date(2027, 1, 1), dt.date(2029, 12, 31)
SIGNED_ON = dt.date(2027, 3, 20)
#: The day the scenarios' world has reached: its protocols run 2027-2029, are signed in March
#: 2027, their avenants in January 2028.  What refuses a date in the future (a sitting, a
#: signature, a COPIL) judges it against this day, in every test (tests/conftest.py pins it);
#: the journal's times stay the clock's.
TODAY = dt.date(2028, 6, 30)

# The functions pin_today wraps, as coopflow defines them.
_FIRE, _EVENT_STATUSES = firing.fire, firing.event_statuses


def pin_today(monkeypatch: pytest.MonkeyPatch, day: dt.date = TODAY) -> None:
    """Make ``day`` the today of every fire, availability check and délibération entry that
    states none (``Coopflow.fire(today=...)`` still states its own)."""

    def fire(*args: Any, today: dt.date | None = None, **kwargs: Any) -> Any:
        return _FIRE(*args, today=today or day, **kwargs)

    def event_statuses(*args: Any, today: dt.date | None = None, **kwargs: Any) -> Any:
        return _EVENT_STATUSES(*args, today=today or day, **kwargs)

    monkeypatch.setattr(firing, "fire", fire)
    monkeypatch.setattr(firing, "event_statuses", event_statuses)
    monkeypatch.setattr(deliberations, "_entry_today", lambda: day)


def add_parties(cf: Coopflow, *keys: str) -> None:
    for key in keys or tuple(PARTIES):
        fields = dict(PARTIES[key])
        if key == "bordeaux-metropole":
            fields["executive_title"] = "Présidente"
        cf.add_party(key, **fields, actor=STAFF)  # type: ignore[arg-type]


def in_accueil(
    cf: Coopflow,
    partner: str = "la-cali",
    reference: str | None = None,
    *,
    workflow_version: int | None = None,
) -> str:
    """A partnership in accueil, on the latest cooperation workflow (or ``workflow_version``)."""
    add_parties(cf, "bordeaux-metropole", partner)
    info = cf.create_partnership(
        f"Coopération Bordeaux Métropole – {partner}",
        scale="espace_regional",
        parties=["bordeaux-metropole", partner],
        home="bordeaux-metropole",
        lead="bordeaux-metropole",
        responsible=STAFF.id,
        actor=STAFF,
        reference=reference,
        workflow_version=workflow_version,
    )
    return info.reference


def in_dialogue(
    cf: Coopflow, partner: str = "la-cali", *, workflow_version: int | None = None
) -> str:
    ref = in_accueil(cf, partner, workflow_version=workflow_version)
    cf.log_exchange(
        ref, date="2026-09-15", kind="reunion", summary="Première rencontre", actor=STAFF
    )
    cf.fire(ref, "ouvrir_dialogue", STAFF)
    return ref


def with_axes(cf: Coopflow, ref: str, parties: tuple[str, ...]) -> None:
    axes = [
        ("Accueil des habitants et mobilités", ["Faciliter les déplacements domicile-travail"]),
        ("Développement économique et touristique", ["Promouvoir l'œnotourisme"]),
        ("Circuits courts et ressources locales", ["Approvisionner la restauration collective"]),
    ]
    for title, objectives in axes:
        n = cf.add_axis(ref, title, objectives=objectives, actor=STAFF)
        cf.add_stake(
            ref,
            axis=n,
            title=f"Enjeu : {title.lower()}",
            description="Identifié en atelier",
            actor=STAFF,
        )
        for party in parties:
            cf.add_commitment(
                ref, axis=n, party=party, text=f"{party} s'engage sur l'axe {n}", actor=STAFF
            )


def in_drafting(
    cf: Coopflow, partner: str = "la-cali", *, workflow_version: int | None = None
) -> str:
    ref = in_dialogue(cf, partner, workflow_version=workflow_version)
    with_axes(cf, ref, ("bordeaux-metropole", partner))
    cf.fire(ref, "engager_contractualisation", STAFF)
    cf.set_protocol(
        ref,
        start=START,
        end=END,
        preamble=["Les Parties partagent un bassin de vie et d'emploi."],
        copil="Les élus des Parties, deux fois par an.",
        cotech="Les services des Parties, chaque trimestre.",
        meetings_per_year=2,
        means="Le présent protocole n'a pas d'incidence financière propre.",
        actor=STAFF,
    )
    for party in ("bordeaux-metropole", partner):
        first, last, title, civility = SIGNATORIES[party]
        cf.set_signatory(
            ref,
            party=party,
            first_name=first,
            last_name=last,
            title=title,
            civility=civility,
            # The scenarios' elected official signs as the metropolis' signatory.
            login=ELECTED.id if party == "bordeaux-metropole" else None,
            actor=STAFF,
        )
    return ref


def in_legal_review(
    cf: Coopflow, partner: str = "la-cali", *, workflow_version: int | None = None
) -> str:
    ref = in_drafting(cf, partner, workflow_version=workflow_version)
    cf.fire(ref, "soumettre_revue_juridique", STAFF)
    return ref


def latest_protocol_sha(cf: Coopflow, ref: str) -> str:
    docs = [d for d in cf.documents_of(ref) if d.kind == "protocole"]
    return max(docs, key=lambda d: d.version).sha256


def in_deliberations(
    cf: Coopflow, partner: str = "la-cali", *, workflow_version: int | None = None
) -> str:
    ref = in_legal_review(cf, partner, workflow_version=workflow_version)
    cf.fire(ref, "approuver", LEGAL, data={"document_sha256": latest_protocol_sha(cf, ref)})
    return ref


def record_deliberations(
    cf: Coopflow, ref: str, parties: tuple[str, ...], *, sitting: str = "2027-02-10"
) -> None:
    """Each party's council approves the protocol at a sitting on ``sitting`` (its month sets the
    numbers: February's are 2027-120, 2027-121...), sent to the prefecture two days later and
    published the day after."""
    day = dt.date.fromisoformat(sitting)
    for i, party in enumerate(parties):
        cf.record_deliberation(
            ref,
            party=party,
            number=f"{day.year}-{120 + 10 * (day.month - 2) + i}",
            sitting_date=day,
            sent_to_prefecture=day + dt.timedelta(days=2),
            published=day + dt.timedelta(days=3),
            actor=STAFF,
        )


def signed(cf: Coopflow, partner: str = "la-cali", *, workflow_version: int | None = None) -> str:
    ref = in_deliberations(cf, partner, workflow_version=workflow_version)
    record_deliberations(cf, ref, ("bordeaux-metropole", partner))
    cf.fire(ref, "signer", ELECTED, data={"date_signature": SIGNED_ON, "lieu": "Libourne"})
    return ref


def with_programme(cf: Coopflow, ref: str, label: str = "2027-2028") -> str:
    cf.add_programme(ref, label, start="2027-04-01", end="2028-03-31", actor=STAFF)
    n = cf.add_action(
        ref,
        label,
        axis=1,
        title="Navette Libourne – Bordeaux",
        lead="bordeaux-metropole",
        contact="Marie DUPONT",
        partners=["SNCF Voyageurs"],
        objectives="Tester une navette express.",
        actor=STAFF,
    )
    cf.add_milestone(
        ref, label, n, date="2027-09-01", label="Lancement de l'expérimentation", actor=STAFF
    )
    cf.add_budget_line(ref, label, n, funder="bordeaux-metropole", amount="1234567.50", actor=STAFF)
    cf.add_budget_line(
        ref, label, n, funder="Région Nouvelle-Aquitaine", amount="250000", actor=STAFF
    )
    cf.add_indicator(
        ref, label, n, name="Voyageurs par jour", target="400", unit="voyageurs", actor=STAFF
    )
    return label


def latest_avenant_sha(cf: Coopflow, ref: str, number: int = 1) -> str:
    docs = [d for d in cf.documents_of(ref) if d.kind == "avenant" and d.subject == str(number)]
    return max(docs, key=lambda d: d.version).sha256


def approve_avenant(cf: Coopflow, ref: str, number: int = 1) -> str:
    """The legal department approves the latest document of avenant n° ``number`` (workflow
    v2: between ``soumettre_avenant`` and the councils); its SHA-256."""
    sha = latest_avenant_sha(cf, ref, number)
    cf.fire(ref, "approuver_avenant", LEGAL, data={"document_sha256": sha})
    return sha


def avenant_for_the_councils(
    cf: Coopflow, ref: str, subject: str = "Ajout d'un axe culture"
) -> int:
    """Propose an avenant to the signed protocol ``ref``, write it (one change and its exposé
    des motifs), submit it and have the legal department approve it: the councils may now
    deliberate on it.  Its number."""
    proposed = cf.fire(ref, "proposer_avenant", STAFF, data={"objet": subject})
    number = int(proposed.record.data["avenant"])
    cf.add_amendment_change(
        ref, "completer", 2, text="Les Parties ajoutent un objectif culturel.", actor=STAFF
    )
    cf.set_amendment_motives(ref, "Le dialogue a fait émerger un enjeu culturel.", actor=STAFF)
    cf.fire(ref, "soumettre_avenant", STAFF)
    approve_avenant(cf, ref, number)
    return number


def record_avenant_deliberations(
    cf: Coopflow, ref: str, parties: tuple[str, ...], number: int = 1, sitting: str = "2027-12-10"
) -> None:
    day = dt.date.fromisoformat(sitting)
    for i, party in enumerate(parties):
        cf.record_deliberation(
            ref,
            party=party,
            number=f"{day.year}-{800 + 10 * number + i}",
            sitting_date=day,
            sent_to_prefecture=day + dt.timedelta(days=2),
            published=day + dt.timedelta(days=3),
            amendment=number,
            actor=STAFF,
        )
