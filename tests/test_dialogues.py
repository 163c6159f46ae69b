"""Thematic dialogues: one theme among several territories, exchanges logged once for all of
them and shown with each participant's partnership, stakes per territory, the partnerships a
dialogue leads to keeping the link, and every change journaled in the ``dialogues`` chain."""

from __future__ import annotations

import pytest
from coopflow import Coopflow
from coopflow.errors import (
    AlreadyExistsError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from sqlalchemy import create_engine, text

from tests.scenario import LEGAL, STAFF, add_parties, in_accueil

SAINTONGE = dict(
    official_name="Pays de Saintonge Romane",
    nature="PETR",
    deliberative_body="comité syndical",
    executive_title="Président",
    siren="200041887",
    seat="Saintes",
)


def _territories(cf: Coopflow) -> tuple[str, str]:
    """Two partnerships of Bordeaux Métropole (with La Cali, with Saintes), and the PETR."""
    cali = in_accueil(cf, "la-cali")
    saintes = in_accueil(cf, "ville-de-saintes")
    cf.add_party("saintonge-romane", **SAINTONGE, actor=STAFF)  # type: ignore[arg-type]
    return cali, saintes


def _open(cf: Coopflow, cali: str, saintes: str) -> None:
    cf.open_dialogue(
        "alimentation-2026",
        theme="alimentation",
        title="Projets alimentaires territoriaux : approvisionnement de la restauration collective",
        home="bordeaux-metropole",
        participants=[("la-cali", cali), ("ville-de-saintes", saintes), "saintonge-romane"],
        actor=STAFF,
    )


def test_an_exchange_is_logged_once_and_shown_with_each_participants_partnership(
    cf: Coopflow,
) -> None:
    cali, saintes = _territories(cf)
    _open(cf, cali, saintes)
    cf.log_dialogue_exchange(
        "alimentation-2026",
        date="2026-10-06",
        kind="atelier",
        summary="Atelier des trois territoires sur les légumeries",
        participants="Élus et chargés de mission alimentation",
        actor=STAFF,
    )
    # Logged again (a script re-run): nothing doubles.
    cf.log_dialogue_exchange(
        "alimentation-2026",
        date="2026-10-06",
        kind="atelier",
        summary="Atelier des trois territoires sur les légumeries",
        actor=STAFF,
    )
    info = cf.dialogue("alimentation-2026")
    assert [e.summary for e in info.exchanges] == [
        "Atelier des trois territoires sur les légumeries"
    ]
    assert [(x.party, x.partnership) for x in info.participants] == [
        ("la-cali", cali),
        ("ville-de-saintes", saintes),
        ("saintonge-romane", None),
    ]
    for ref in (cali, saintes):
        shown = cf.dialogue_exchanges(ref)
        assert [(e.dialogue, e.number, e.kind) for e in shown] == [
            ("alimentation-2026", 1, "atelier")
        ]
    # A partnership of the home party outside the dialogue shows nothing of it.
    other = in_accueil(cf, "la-cali", reference="COOP-2026-0900")
    assert cf.dialogue_exchanges(other) == []
    # The dialogue's chain holds one record for the opening, one for the exchange.
    records = cf.registry_history("dialogues")
    assert [(r["action"], r["subject"]) for r in records] == [
        ("open", "alimentation-2026"),
        ("exchange", "alimentation-2026~1"),
    ]
    assert records[0]["actor"] == STAFF.id
    assert cf.verify().ok


def test_stakes_are_identified_per_territory_taking_part(cf: Coopflow) -> None:
    cali, saintes = _territories(cf)
    _open(cf, cali, saintes)
    cf.add_dialogue_stake(
        "alimentation-2026",
        "la-cali",
        "Approvisionner les cantines en produits locaux",
        description="40 % de produits locaux visés en 2028.",
        actor=STAFF,
    )
    cf.add_dialogue_stake(
        "alimentation-2026", "saintonge-romane", "Structurer une légumerie", actor=STAFF
    )
    stakes = cf.dialogue("alimentation-2026").stakes
    assert [(s.party, s.title) for s in stakes] == [
        ("la-cali", "Approvisionner les cantines en produits locaux"),
        ("saintonge-romane", "Structurer une légumerie"),
    ]
    add_parties(cf, "bordeaux-metropole")
    with pytest.raises(ValidationError, match="does not take part") as refused:
        cf.add_dialogue_stake("alimentation-2026", "bordeaux-metropole", "Un enjeu", actor=STAFF)
    assert refused.value.field == "party"
    assert len(cf.dialogue("alimentation-2026").stakes) == 2


def test_a_dialogue_leads_to_a_partnership_that_keeps_the_link(cf: Coopflow) -> None:
    cali, saintes = _territories(cf)
    _open(cf, cali, saintes)
    p = cf.create_partnership(
        "Projet alimentaire interterritorial",
        scale="espace_regional",
        parties=["bordeaux-metropole", "la-cali", "saintonge-romane"],
        home="bordeaux-metropole",
        responsible=STAFF.id,
        actor=STAFF,
        dialogue="alimentation-2026",
    )
    assert cf.detail(p.reference)["dialogue"] == "alimentation-2026"
    assert cf.history(p.reference)[0].data["dialogue"] == "alimentation-2026"
    info = cf.dialogue("alimentation-2026")
    assert info.partnerships == (p.reference,)
    # The PETR took part through no partnership: it now belongs to the new one; La Cali keeps
    # its own.
    assert {x.party: x.partnership for x in info.participants} == {
        "la-cali": cali,
        "ville-de-saintes": saintes,
        "saintonge-romane": p.reference,
    }
    cf.log_dialogue_exchange(
        "alimentation-2026", date="2026-11-11", kind="reunion", summary="Bilan", actor=STAFF
    )
    assert [e.summary for e in cf.dialogue_exchanges(p.reference)] == ["Bilan"]
    assert cf.verify().ok


def test_a_partnership_from_a_dialogue_brings_together_its_territories(cf: Coopflow) -> None:
    _territories(cf)
    cf.open_dialogue(
        "mobilites",
        theme="mobilités",
        title="Mobilités du quotidien",
        home="bordeaux-metropole",
        participants=["la-cali", "ville-de-saintes"],
        actor=STAFF,
    )
    before = len(list(cf.partnerships()))
    with pytest.raises(ValidationError, match="saintonge-romane did not take part") as refused:
        cf.create_partnership(
            "Coopération",
            scale="espace_regional",
            parties=["bordeaux-metropole", "saintonge-romane"],
            home="bordeaux-metropole",
            responsible=STAFF.id,
            actor=STAFF,
            dialogue="mobilites",
        )
    assert refused.value.field == "dialogue"
    with pytest.raises(NotFoundError):
        cf.create_partnership(
            "Coopération",
            scale="espace_regional",
            parties=["bordeaux-metropole", "la-cali"],
            home="bordeaux-metropole",
            responsible=STAFF.id,
            actor=STAFF,
            dialogue="inconnu",
        )
    assert len(list(cf.partnerships())) == before  # nothing written


@pytest.mark.parametrize(
    ("participants", "field", "match"),
    [
        (["la-cali"], "participants", "at least 2 territories"),
        (["la-cali", "la-cali"], "participants", "at least 2 territories"),
        (["la-cali", "bordeaux-metropole"], "participants[1]", "leads the thematic dialogue"),
        (["la-cali", ("ville-de-saintes", "COOP-2026-0001")], "participants[1]", "through"),
        (["la-cali", "Ville de Saintes"], "participants[1]", "key"),
    ],
)
def test_bad_participants_are_refused_and_nothing_is_written(
    cf: Coopflow, participants: list[object], field: str, match: str
) -> None:
    _territories(cf)  # COOP-2026-0001 holds La Cali, not Saintes
    with pytest.raises(ValidationError, match=match) as refused:
        cf.open_dialogue(
            "essai",
            theme="alimentation",
            title="Essai",
            home="bordeaux-metropole",
            participants=participants,  # type: ignore[arg-type]
            actor=STAFF,
        )
    assert refused.value.field == field
    assert cf.dialogues() == []
    assert cf.registry_history("dialogues") == []


def test_opening_again_is_a_no_op_and_a_different_dialogue_under_its_key_is_refused(
    cf: Coopflow,
) -> None:
    cali, saintes = _territories(cf)
    _open(cf, cali, saintes)
    _open(cf, cali, saintes)
    assert len(cf.registry_history("dialogues")) == 1
    with pytest.raises(AlreadyExistsError):
        cf.open_dialogue(
            "alimentation-2026",
            theme="mobilités",
            title="Autre chose",
            home="bordeaux-metropole",
            participants=["la-cali", "ville-de-saintes"],
            actor=STAFF,
        )
    summary = cf.dialogues(theme="ALIMENTATION")
    assert [(d.key, d.participants, d.exchanges) for d in summary] == [("alimentation-2026", 3, 0)]
    assert [d.key for d in cf.dialogues(party="saintonge-romane")] == ["alimentation-2026"]
    assert cf.dialogues(theme="mobilités") == []


def test_a_closed_dialogue_takes_nothing_more(cf: Coopflow) -> None:
    cali, saintes = _territories(cf)
    _open(cf, cali, saintes)
    info = cf.close_dialogue(
        "alimentation-2026",
        date="2028-06-29",  # after the dialogue was opened (now), before the pinned today
        conclusion="Un projet alimentaire commun est engagé.",
        actor=STAFF,
    )
    assert info.closed_on is not None and info.conclusion
    with pytest.raises(ValidationError, match="was closed on 2028-06-29"):
        cf.log_dialogue_exchange(
            "alimentation-2026", date="2028-06-30", kind="reunion", summary="x", actor=STAFF
        )
    with pytest.raises(ValidationError, match="was closed"):
        cf.join_dialogue("alimentation-2026", "bordeaux-metropole", actor=STAFF)
    assert [r["action"] for r in cf.registry_history("dialogues")] == ["open", "close"]


def test_only_the_roles_of_dialogue_manage_may_write(cf: Coopflow) -> None:
    _territories(cf)
    with pytest.raises(PermissionDenied):
        cf.open_dialogue(
            "alimentation-2026",
            theme="alimentation",
            title="x",
            home="bordeaux-metropole",
            participants=["la-cali", "ville-de-saintes"],
            actor=LEGAL,
        )
    assert cf.dialogues() == []


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        (
            "UPDATE coopflow_dialogue_exchange SET summary = 'Rien ne s''est dit'",
            "exchange 1 of thematic dialogue alimentation-2026 is not as",
        ),
        (
            "UPDATE coopflow_dialogue SET title = 'Un autre titre'",
            "thematic dialogue alimentation-2026 is not as",
        ),
        (
            "DELETE FROM coopflow_dialogue_participant WHERE position = 3",
            "thematic dialogue alimentation-2026 is not as",
        ),
        (
            "INSERT INTO coopflow_dialogue_exchange (dialogue_id, date, kind, summary, "
            "created_by, created_at) SELECT id, '2026-10-07', 'visite', 'Visite inventée', "
            "'marie.dupont', created_at FROM coopflow_dialogue",
            "exchange 2 of thematic dialogue alimentation-2026 has no journal record",
        ),
    ],
)
def test_a_dialogue_changed_in_sql_is_named_by_verify(
    cf: Coopflow, migrated_url: str, statement: str, named: str
) -> None:
    cali, saintes = _territories(cf)
    _open(cf, cali, saintes)
    cf.log_dialogue_exchange(
        "alimentation-2026", date="2026-10-06", kind="atelier", summary="Atelier", actor=STAFF
    )
    assert cf.verify().ok
    engine = create_engine(migrated_url)
    with engine.begin() as connection:
        connection.execute(text(statement))
    engine.dispose()
    report = cf.verify()
    assert not report.ok
    assert any(named in p.message for p in report.problems), report.problems


SCRIPT = """
[script]
name = "pat-2026"
actor = "marie.dupont"

[[parties]]
key = "saintonge-romane"
official_name = "Pays de Saintonge Romane"
nature = "PETR"
siren = "200041887"
deliberative_body = "comité syndical"
executive_title = "Président"

[[dialogues]]
key = "alimentation-2026"
theme = "alimentation"
title = "Approvisionnement local de la restauration collective"
home = "bordeaux-metropole"
participants = [{ party = "la-cali", partnership = "COOP-2026-0001" }, "ville-de-saintes",
                "saintonge-romane"]
stakes = [{ party = "la-cali", title = "Des cantines en circuit court" }]
exchanges = [
    { date = 2026-10-06, kind = "atelier", summary = "Atelier des légumeries" },
    { date = 2026-11-17, kind = "seminaire", summary = "Séminaire des élus" },
]

[[partnerships]]
reference = "COOP-2026-0050"
title = "Projet alimentaire interterritorial"
scale = "espace_regional"
parties = ["bordeaux-metropole", "ville-de-saintes", "saintonge-romane"]
dialogue = "alimentation-2026"
"""


def test_a_script_opens_a_dialogue_and_the_partnership_it_leads_to_once(cf: Coopflow) -> None:
    from coopflow import apply_script

    cali = in_accueil(cf, "la-cali")
    in_accueil(cf, "ville-de-saintes")
    assert cali == "COOP-2026-0001"
    apply_script(cf, SCRIPT)
    apply_script(cf, SCRIPT)  # again: nothing doubles
    info = cf.dialogue("alimentation-2026")
    assert [e.summary for e in info.exchanges] == [
        "Atelier des légumeries",
        "Séminaire des élus",
    ]
    assert [s.title for s in info.stakes] == ["Des cantines en circuit court"]
    assert info.partnerships == ("COOP-2026-0050",)
    assert cf.detail("COOP-2026-0050")["dialogue"] == "alimentation-2026"
    assert [e.summary for e in cf.dialogue_exchanges(cali)] == [
        "Atelier des légumeries",
        "Séminaire des élus",
    ]
    assert len(cf.registry_history("dialogues")) == 5  # open, stake, 2 exchanges, partnership


def test_a_script_naming_a_stranger_as_participant_is_refused_with_its_line(cf: Coopflow) -> None:
    from coopflow import ScriptFailed, apply_script

    in_accueil(cf, "la-cali")
    in_accueil(cf, "ville-de-saintes")
    bad = SCRIPT.replace('"ville-de-saintes",\n', '"ville-inconnue",\n')
    with pytest.raises(ScriptFailed) as failed:
        apply_script(cf, bad)
    assert "ville-inconnue" in failed.value.message
    # Named at its [[dialogues]] table's line.
    assert failed.value.report.refusals[0].location("<script>").startswith("<script>:14:")
    assert cf.dialogues() == []


def test_a_dialogues_exchange_opens_the_dialogue_of_a_participants_partnership(
    cf: Coopflow,
) -> None:
    cali, saintes = _territories(cf)
    refused = next(e for e in cf.events(cali, STAFF) if e.event == "ouvrir_dialogue")
    assert not refused.available and "no exchange logged yet" in refused.reasons[0]
    _open(cf, cali, saintes)
    cf.log_dialogue_exchange(
        "alimentation-2026", date="2026-10-06", kind="atelier", summary="Atelier", actor=STAFF
    )
    assert cf.fire(cali, "ouvrir_dialogue", STAFF).target_state == "dialogue"
