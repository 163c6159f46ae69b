"""The command line of what the legal review asked for: a party's article, civility and court,
a signatory by delegation, each party's planned amount, an avenant aimed at articles."""

from __future__ import annotations

import json

from coopflow import Coopflow

from tests import scenario
from tests.cli.conftest import Invoke

STAFF = ("--actor", "marie.dupont", "--role", "staff")


def ok(run: object) -> str:
    assert run.code == 0, run.err  # type: ignore[attr-defined]
    return str(run.out)  # type: ignore[attr-defined]


def test_party_options_reach_the_registry(invoke: Invoke) -> None:
    ok(
        invoke(
            *("party", "add", "retz", "--official-name", "PETR du Pays de Retz"),
            *("--nature", "PETR", "--deliberative-body", "comité syndical"),
            *("--executive-title", "Maire", "--executive-civility", "Madame"),
            *("--usual-name", "Pays de Retz", "--usual-article", "le"),
            *("--tribunal", "tribunal administratif de Nantes", *STAFF),
        )
    )
    shown = json.loads(ok(invoke("party", "show", "retz", "--json")))
    assert (shown["article"], shown["usual_article"]) == ("le", "le")
    assert shown["executive_civility"] == "Madame"
    assert shown["tribunal"] == "tribunal administratif de Nantes"
    refused = invoke(
        *("party", "add", "porto", "--official-name", "Municipalité de Porto"),
        *("--nature", "ETRANGER", "--deliberative-body", "Assemblée municipale"),
        *("--executive-title", "Président", *STAFF),
    )
    assert refused.code == 2
    assert refused.err.startswith("error: country: a foreign authority needs its country")


def test_an_avenant_at_the_command_line(invoke: Invoke, sqlite_url: str) -> None:
    with Coopflow(sqlite_url) as cf:
        ref = scenario.signed(cf)
    ok(invoke("fire", ref, "proposer_avenant", *STAFF, "--data", "objet=la gouvernance"))
    assert "change added to the avenant (rediger, article 7)" in ok(
        invoke("avenant", "change", ref, "rediger", "7", "Une évaluation en 2028.", *STAFF)
    )
    refused = invoke("avenant", "change", ref, "completer", "14", "Un alinéa.", *STAFF)
    assert refused.code == 2
    assert "the protocol has no article 14" in refused.err
    ok(
        invoke(
            "avenant", "change", ref, "inserer", "4", "Un texte.", "--title", "Référents", *STAFF
        )
    )
    ok(invoke("avenant", "remove-change", ref, "2", *STAFF))
    refused = invoke("fire", ref, "soumettre_avenant", *STAFF)
    assert refused.code == 1 and "no exposé des motifs" in refused.err
    ok(invoke("avenant", "motives", ref, "Le calendrier a glissé.", *STAFF))
    ok(invoke("fire", ref, "soumettre_avenant", *STAFF))
    with Coopflow(sqlite_url) as cf:
        snapshot = json.loads(cf.snapshot(ref, "avenant", subject="1"))
    assert [(c["operation"], c["article"]) for c in snapshot["amendment"]["changes"]] == [
        ("rediger", "7")
    ]
    assert snapshot["amendment"]["motives"] == "Le calendrier a glissé."


def test_a_delegated_signatory_and_the_planned_amounts(invoke: Invoke, sqlite_url: str) -> None:
    with Coopflow(sqlite_url) as cf:
        ref = scenario.in_drafting(cf)
    ok(
        invoke(
            *("signatory", "set", ref, "--party", "la-cali", "--first-name", "Anne"),
            *("--last-name", "Roux", "--title", "Vice-présidente", "--civility", "Madame"),
            *("--delegation-number", "2027-A-3", "--delegation-date", "2027-01-05", *STAFF),
        )
    )
    refused = invoke(
        *("signatory", "set", ref, "--party", "la-cali", "--first-name", "Anne"),
        *("--last-name", "Roux", "--title", "Vice-présidente", "--civility", "Mme", *STAFF),
    )
    assert refused.code == 2 and "'Mme' is not one of" in refused.err
    ok(invoke("protocol", "money", ref, "la-cali", "45000", "--detail", "15 000 € par an", *STAFF))
    with Coopflow(sqlite_url) as cf:
        snapshot = json.loads(cf.snapshot(ref))
    (roux,) = [s for s in snapshot["signatories"] if s["party_key"] == "la-cali"]
    assert roux["delegation"] == {"number": "2027-A-3", "date": "2027-01-05"}
    assert snapshot["financial_commitments"] == [
        {"party_key": "la-cali", "amount": "45000.00", "detail": "15 000 € par an"}
    ]
