"""``coopflow dialogue``: a thematic dialogue opened, joined, logged and read back at the
command line, and the partnership it leads to."""

from __future__ import annotations

import json

from coopflow import Coopflow

from tests.cli.conftest import Invoke
from tests.scenario import STAFF, add_parties, in_accueil


def test_a_thematic_dialogue_at_the_command_line(invoke: Invoke, sqlite_url: str) -> None:
    with Coopflow(sqlite_url) as cf:
        cali = in_accueil(cf, "la-cali")
        add_parties(cf, "ville-de-saintes")
    opened = invoke(
        "dialogue",
        "open",
        "mobilites-2026",
        "--theme",
        "mobilités",
        "--title",
        "Mobilités du quotidien entre le Libournais, Saintes et la métropole",
        "--home",
        "bordeaux-metropole",
        "--party",
        f"la-cali:{cali}",
        "--party",
        "ville-de-saintes",
    )
    assert opened.code == 0, opened.err
    assert "mobilites-2026: thematic dialogue on mobilités open" in opened.out
    logged = invoke(
        "dialogue",
        "exchange",
        "mobilites-2026",
        "--date",
        "2026-10-20",
        "--kind",
        "atelier",
        "--summary",
        "Atelier covoiturage",
    )
    assert logged.code == 0, logged.err
    stake = invoke("dialogue", "stake", "mobilites-2026", "ville-de-saintes", "Desserte TER")
    assert stake.code == 0, stake.err
    created = invoke(
        "partnership",
        "create",
        "Mobilités Saintes – Bordeaux",
        "--scale",
        "espace_regional",
        "--party",
        "bordeaux-metropole",
        "--party",
        "ville-de-saintes",
        "--dialogue",
        "mobilites-2026",
        "--json",
    )
    assert created.code == 0, created.err
    new_ref = json.loads(created.out)["reference"]
    shown = invoke("dialogue", "show", "mobilites-2026", "--json")
    data = json.loads(shown.out)
    assert data["partnerships"] == [new_ref]
    assert [(x["party"], x["partnership"]) for x in data["participants"]] == [
        ("la-cali", cali),
        ("ville-de-saintes", new_ref),
    ]
    assert [e["summary"] for e in data["exchanges"]] == ["Atelier covoiturage"]
    table = invoke("dialogue", "show", "mobilites-2026")
    assert "Desserte TER" in table.out and "Atelier covoiturage" in table.out
    listed = invoke("dialogue", "list", "--party", "ville-de-saintes")
    assert "mobilites-2026" in listed.out
    show = invoke("partnership", "show", cali)
    assert "mobilites-2026" in show.out
    history = invoke("history", cali)  # La Cali's partnership shows the shared exchange
    assert "Exchanges of the thematic dialogues" in history.out
    assert "Atelier covoiturage" in history.out
    records = invoke("actor", "history", "--registry", "dialogues", "--json")
    assert [r["action"] for r in json.loads(records.out)] == [
        "open",
        "exchange",
        "stake",
        "partnership",
    ]
    assert json.loads(records.out)[0]["actor"] == STAFF.id


def test_a_refused_dialogue_command_says_why_and_exits_2(invoke: Invoke, sqlite_url: str) -> None:
    with Coopflow(sqlite_url) as cf:
        in_accueil(cf, "la-cali")
    refused = invoke(
        "dialogue",
        "open",
        "seul",
        "--theme",
        "alimentation",
        "--title",
        "Un seul territoire",
        "--home",
        "bordeaux-metropole",
        "--party",
        "la-cali",
    )
    assert refused.code == 2
    assert "at least 2 territories" in refused.err
    missing = invoke("dialogue", "show", "inconnu")
    assert missing.code == 1
    assert "inconnu" in missing.err
