"""Reading back at the command line everything that was entered: exchanges, a programme in
full, délibérations and the parties still to deliberate, any stored document written to a
file, ``fire --latest``, the reference ``renouveler`` opens; finding partnerships; forgiving
input (codes, kinds, dates, parties, references, states); and, for every command of these
modules, valid JSON and the exit code in success and in refusal."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from coopflow import Coopflow

from tests import scenario

from .conftest import Invoke, Run

LEGAL = ("--actor", scenario.LEGAL.id, "--role", "legal")


def ok(run: Run) -> Run:
    assert run.code == 0, (run.out, run.err)
    assert run.err == ""
    return run


def as_json(run: Run, code: int = 0) -> Any:
    """The JSON the command printed, checked to exit with ``code``."""
    assert run.code == code, (run.out, run.err)
    return json.loads(run.out)


def refused(run: Run, code: int, error_code: str) -> dict[str, Any]:
    """The JSON refusal of a command given ``--json``."""
    body = as_json(run, code)
    assert body["error"]["code"] == error_code, body
    return dict(body["error"])


@pytest.fixture
def api(sqlite_url: str) -> Iterator[Coopflow]:
    with Coopflow(sqlite_url) as cf:
        yield cf


# ---------------------------------------------------------------------- read back


def test_exchange_list_shows_own_and_dialogue_exchanges(invoke: Invoke, api: Coopflow) -> None:
    ref = scenario.in_accueil(api)
    scenario.add_parties(api, "ville-de-saintes")
    # Accented kind and a French date, as typed by staff.
    done = as_json(
        invoke(
            "exchange", "log", ref, "--date", "12/01/2026", "--kind", "Réunion",
            "--summary", "Première rencontre", "--json",
        )
    )  # fmt: skip
    assert done == {"reference": ref, "date": "2026-01-12", "logged": True}
    api.open_dialogue(
        "mobilites-2026",
        theme="mobilités",
        title="Mobilités du quotidien",
        home="bordeaux-metropole",
        participants=[("la-cali", ref), "ville-de-saintes"],
        actor=scenario.STAFF,
    )
    api.log_dialogue_exchange(
        "mobilites-2026", date="2026-02-03", kind="atelier", summary="Atelier", actor=scenario.STAFF
    )
    listed = as_json(invoke("exchange", "list", ref, "--json"))
    assert [(x["date"], x["kind"], x["dialogue"]) for x in listed] == [
        ("2026-01-12", "reunion", None),
        ("2026-02-03", "atelier", "mobilites-2026"),
    ]
    assert listed[0]["logged_at"].endswith("+00:00")  # JSON: ISO 8601 in UTC
    text = ok(invoke("exchange", "list", ref)).out
    assert "Logged (Paris time)" in text.splitlines()[0]
    assert "Première rencontre" in text and "mobilites-2026" in text


def test_programme_show_in_full(invoke: Invoke, api: Coopflow) -> None:
    ref = scenario.signed(api)
    label = scenario.with_programme(api, ref)
    api.add_indicator(
        ref, label, 1, name="Voyageurs par jour", target="400", unit="voyageurs",
        actual="380", actor=scenario.STAFF,
    )  # fmt: skip
    shown = as_json(invoke("programme", "show", ref, label, "--json"))
    assert (shown["label"], shown["state"]) == (label, "brouillon")
    action = shown["actions"][0]
    assert action["title"] == "Navette Libourne – Bordeaux"
    assert action["lead"] == "bordeaux-metropole" and action["partners"] == ["SNCF Voyageurs"]
    assert action["milestones"] == [
        {"date": "2027-09-01", "label": "Lancement de l'expérimentation", "done": False}
    ]
    assert action["indicators"] == [
        {"name": "Voyageurs par jour", "unit": "voyageurs", "target": "400.00", "actual": "380.00"}
    ]
    assert shown["budget_by_funder"] == {
        "Région Nouvelle-Aquitaine": "250000.00",
        "bordeaux-metropole": "1234567.50",
    }
    assert shown["budget_total"] == action["budget_total"] == "1484567.50"
    text = ok(invoke("programme", "show", ref, label)).out
    for heading in ("Actions", "Milestones", "Budget lines", "Budget by funder", "Indicators"):
        assert f"\n{heading}\n" in text
    assert "1484567.50" in text and "380.00" in text
    missing = refused(invoke("programme", "show", ref, "2099", "--json"), 1, "not_found")
    assert "programme 2099" in missing["message"]


def test_deliberations_and_the_parties_still_to_deliberate(invoke: Invoke, api: Coopflow) -> None:
    ref = scenario.in_deliberations(api)
    recorded = as_json(
        invoke(
            "deliberation", "record", ref, "--party", "Bordeaux Métropole",
            "--number", "2027-120", "--sitting-date", "10/02/2027", "--json",
        )
    )  # fmt: skip
    assert (recorded["number"], recorded["amendment"]) == ("2027-120", 0)
    listed = as_json(invoke("deliberation", "list", ref, "--json"))
    assert [(d["party"], d["number"], d["sitting_date"], d["awaited"]) for d in listed] == [
        ("bordeaux-metropole", "2027-120", "2027-02-10", False),
        ("la-cali", None, None, True),
    ]
    assert listed[0]["executoire"] is False
    text = ok(invoke("deliberation", "list", ref)).out
    assert "not deliberated" in text
    shown = as_json(invoke("partnership", "show", ref, "--json"))
    assert shown["awaiting_deliberation"] == [{"party": "la-cali", "amendment": 0}]
    plain = ok(invoke("partnership", "show", ref)).out
    assert "still to deliberate" in plain and "la-cali (the protocol)" in plain
    assert "n° 2027-120 of 2027-02-10, not exécutoire" in plain


def test_document_get_writes_the_draft_for_the_legal_department(
    invoke: Invoke, api: Coopflow, chdir: Path
) -> None:
    ref = scenario.in_legal_review(api)
    sha = scenario.latest_protocol_sha(api, ref)
    written = as_json(invoke("document", "get", ref, "--to", "projet.pdf", "--json"))
    assert written["document"]["sha256"] == sha
    data = (chdir / "projet.pdf").read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha and data.startswith(b"%PDF")
    # Into a folder, under export's name; again: the same bytes, nothing overwritten.
    (chdir / "out").mkdir()
    first = ok(invoke("document", "get", ref, "--kind", "Protocole", "--to", "out")).out
    again = ok(invoke("document", "get", ref, "--to", "out")).out
    assert first == again and first.splitlines()[1] == f"sha256 {sha}"
    assert Path(first.splitlines()[0]).resolve().parent == (chdir / "out").resolve()
    # Another file of that name is never overwritten; a version that is not stored is not found.
    (chdir / "other.pdf").write_bytes(b"not this")
    refused(invoke("document", "get", ref, "--to", "other.pdf", "--json"), 1, "output_refused")
    assert (chdir / "other.pdf").read_bytes() == b"not this"
    refused(invoke("document", "get", ref, "--version", "9", "--json"), 1, "not_found")
    bad = refused(invoke("document", "get", ref, "--to", "a b.pdf", "--json"), 2, "invalid_input")
    assert bad["field"] == "to"
    refused(invoke("document", "get", ref, "--to", "nowhere/x.pdf", "--json"), 1, "output_refused")


def test_fire_latest_approves_the_latest_document(invoke: Invoke, api: Coopflow) -> None:
    ref = scenario.in_legal_review(api)
    fired = as_json(invoke("fire", ref, "approuver", "--latest", *LEGAL, "--json"))
    assert fired["target_state"] == "contractualisation.deliberations"
    assert fired["record"]["data"]["document_sha256"] == scenario.latest_protocol_sha(api, ref)


def test_fire_data_at_latest_and_french_dates(invoke: Invoke, api: Coopflow) -> None:
    ref = scenario.in_legal_review(api)
    ok(invoke("fire", ref, "approuver", "--data", "document_sha256=@latest", *LEGAL))
    scenario.record_deliberations(api, ref, ("bordeaux-metropole", "la-cali"))
    signed = ok(
        invoke(
            "fire", ref, "signer", "--actor", scenario.ELECTED.id, "--role", "elected",
            "--data", "date_signature=20/03/2027", "--data", "lieu=Libourne",
        )
    ).out  # fmt: skip
    assert "contractualisation.en_vigueur" in signed
    assert api.detail(ref)["protocol"]["signature"]["date"] == "2027-03-20"


def test_renouveler_prints_the_new_partnership(invoke: Invoke, api: Coopflow) -> None:
    ref = scenario.signed(api)
    run = ok(
        invoke(
            "fire", ref, "renouveler",
            "--data", "debut=01/01/2031", "--data", "fin=31/12/2034",
        )
    )  # fmt: skip
    successor = api.successor(ref)
    assert successor is not None and successor != ref
    assert run.out.splitlines()[-1] == f"new partnership: {successor}"
    fired = api.history(ref)[-1]
    assert fired.data["successor"] == successor


# ---------------------------------------------------------------------- find things


def test_partnership_list_search_responsible_and_state(invoke: Invoke, api: Coopflow) -> None:
    ref = scenario.in_deliberations(api)
    scenario.add_parties(api, "ville-de-saintes")
    other = api.create_partnership(
        "Patrimoine et Œnotourisme",
        scale="espace_regional",
        parties=["bordeaux-metropole", "ville-de-saintes"],
        home="bordeaux-metropole",
        responsible="paul.durand",
        actor=scenario.STAFF,
    ).reference

    def found(*args: str) -> list[str]:
        return [p["reference"] for p in as_json(invoke("partnership", "list", *args, "--json"))]

    assert found("--search", "LA CALI") == [ref]
    assert found("--search", "oenotourisme") == [other]
    assert found("--search", "communaute d'agglomeration") == [ref]
    assert found("--responsible", "paul.durand") == [other]
    assert found("--state", "deliberations") == [ref]
    assert found("--party", "La Cali") == [ref]
    assert found("--scale", "ESPACE_REGIONAL") == sorted([ref, other])
    wrong = refused(
        invoke("partnership", "list", "--state", "deliberation", "--json"), 2, "invalid_input"
    )
    assert "deliberations" in wrong["suggestions"] and "did you mean" in wrong["message"]
    assert ok(invoke("partnership", "list", "--search", "cali")).out.splitlines()[1].startswith(ref)


# ---------------------------------------------------------------------- forgiving input


def test_a_reference_in_lower_case_and_an_unknown_one(invoke: Invoke, api: Coopflow) -> None:
    ref = scenario.in_accueil(api)
    assert as_json(invoke("partnership", "show", ref.lower(), "--json"))["reference"] == ref
    typo = ref[:-1] + ("2" if ref[-1] != "2" else "3")
    missing = refused(invoke("partnership", "show", typo, "--json"), 1, "not_found")
    assert missing["suggestions"] == [ref]
    text = invoke("exchange", "list", typo)
    assert text.code == 1 and f"did you mean {ref}?" in text.err


def test_party_by_its_name_and_an_ambiguous_one(invoke: Invoke, api: Coopflow) -> None:
    scenario.add_parties(api, "bordeaux-metropole", "la-cali")
    created = as_json(
        invoke(
            "partnership", "create", "Coopération avec La Cali", "--scale", "Espace_Regional",
            "--party", "Bordeaux Métropole", "--party", "la cali", "--json",
        )
    )  # fmt: skip
    assert created["parties"] == ["bordeaux-metropole", "la-cali"]
    assert as_json(invoke("party", "show", "La Cali", "--json"))["key"] == "la-cali"
    unknown = refused(invoke("party", "show", "La Calli", "--json"), 1, "not_found")
    assert unknown["suggestions"] == ["la-cali"]
    api.add_party(
        "ville-de-bordeaux", "Ville de Bordeaux", nature="COMMUNE",
        deliberative_body="conseil municipal", executive_title="Maire",
        executive_civility="Monsieur", actor=scenario.STAFF,
    )  # fmt: skip
    several = refused(invoke("party", "show", "Bordeaux", "--json"), 2, "invalid_input")
    assert several["candidates"] == ["bordeaux-metropole", "ville-de-bordeaux"]


def test_codes_in_any_case_and_accents_aside(invoke: Invoke, api: Coopflow) -> None:
    added = as_json(
        invoke(
            "party", "add", "sud-gironde",
            "--official-name", "Communauté de communes du Sud Gironde",
            "--usual-name", "Sud Gironde",
            "--nature", "cc", "--deliberative-body", "conseil communautaire",
            "--executive-title", "Président", "--usual-article", "LE", "--json",
        )
    )  # fmt: skip
    assert (added["nature"], added["usual_article"]) == ("CC", "le")
    ref = scenario.signed(api)
    label = scenario.with_programme(api, ref)
    progressed = as_json(invoke("action", "progress", ref, label, "1", "Realisee", "--json"))
    assert progressed["progress"] == "réalisée"
    bad = invoke("action", "progress", ref, label, "1", "finie", "--json")
    assert refused(bad, 2, "usage")["message"].count("finie") == 1
    close = invoke("render", ref, "--kind", "protocol")
    assert close.code == 2 and "did you mean protocole?" in close.err


def test_dates_in_the_french_order(invoke: Invoke, api: Coopflow) -> None:
    ref = scenario.signed(api)
    done = as_json(
        invoke(
            "programme", "add", ref, "2027", "--start", "01/04/2027", "--end", "31/03/2028",
            "--json",
        )
    )  # fmt: skip
    assert (done["start"], done["end"]) == ("2027-04-01", "2028-03-31")
    assert as_json(invoke("programme", "show", ref, "2027", "--json"))["period_start"] == (
        "2027-04-01"
    )
    bad = refused(
        invoke("programme", "add", ref, "2028", "--start", "31/02/2028", "--end", "2029-01-01",
               "--json"),
        2,
        "usage",
    )  # fmt: skip
    assert "'31/02/2028' is not a date" in bad["message"]


# ---------------------------------------------------------------------- JSON and exit codes

#: Each command of these modules, in success, on the partnership prepared below (REF, with
#: programme 2027-2028 and its action 1): (args, a key its JSON holds).
SUCCESSES: list[tuple[tuple[str, ...], str]] = [
    (("party", "list"), ""),
    (("party", "show", "la-cali"), "key"),
    (("partnership", "list"), ""),
    (("partnership", "show", "REF"), "reference"),
    (("exchange", "list", "REF"), ""),
    (("deliberation", "list", "REF"), ""),
    (("programme", "show", "REF", "2027-2028"), "actions"),
    (("documents", "REF"), ""),
    (("history", "REF"), ""),
    (("events", "REF"), ""),
    (("verify", "REF"), "ok"),
    (("axis", "add", "DRAFT", "Culture"), "axis"),
    (("stake", "add", "DRAFT", "Un enjeu", "--axis", "1"), "stake"),
    (("commitment", "add", "DRAFT", "Un engagement", "--axis", "1", "--party", "Saintes"),
     "party"),
    (("protocol", "set", "DRAFT", "--start", "01/01/2027", "--end", "31/12/2029"), "protocol"),
    (("protocol", "money", "DRAFT", "ville-de-saintes", "1000"), "amount"),
    (("signatory", "set", "DRAFT", "--party", "ville-de-saintes", "--first-name", "Bruno",
      "--last-name", "Drapron", "--title", "Maire", "--civility", "monsieur"), "first_name"),
    (("party", "add", "vga", "--official-name", "Val de Garonne Agglomération",
      "--nature", "CA", "--deliberative-body", "conseil communautaire", "--executive-title",
      "Président"), "key"),
    (("programme", "add", "REF", "2028", "--start", "2028-04-01", "--end", "2029-03-31"),
     "programme"),
    (("action", "progress", "REF", "2027-2028", "1", "en cours"), "progress"),
    (("milestone", "add", "REF", "2027-2028", "1", "--date", "01/10/2027", "--label", "Bilan"),
     "milestone"),
    (("milestone", "done", "REF", "2027-2028", "1", "--date", "01/09/2027", "--label",
      "Lancement de l'expérimentation"), "done"),
    (("budget", "add", "REF", "2027-2028", "1", "--funder", "la-cali", "--amount", "1000"),
     "funder"),
    (("indicator", "set", "REF", "2027-2028", "1", "--name", "Trajets", "--target", "10"),
     "indicator"),
    (("action", "add", "REF", "2027-2028", "--axis", "1", "--title", "Une action"), "action"),
    (("exchange", "log", "REF", "--date", "2027-05-02", "--kind", "visio", "--summary", "Point"),
     "logged"),
    (("fire", "REF", "suspendre", "--data", "motif=Élections"), "target_state"),
]  # fmt: skip

#: Each command in refusal: (args, exit code, error code).
REFUSALS: list[tuple[tuple[str, ...], int, str]] = [
    (("party", "show", "nobody"), 1, "not_found"),
    (("partnership", "show", "COOP-1999-0001"), 1, "not_found"),
    (("partnership", "list", "--state", "nowhere"), 2, "invalid_input"),
    (("exchange", "list", "COOP-1999-0001"), 1, "not_found"),
    (("deliberation", "list", "COOP-1999-0001"), 1, "not_found"),
    (("programme", "show", "REF", "1999"), 1, "not_found"),
    (("documents", "COOP-1999-0001"), 1, "not_found"),
    (("document", "get", "REF", "--kind", "avenant", "--subject", "7"), 1, "not_found"),
    (("axis", "add", "REF", ""), 2, "invalid_input"),
    (("axis", "add", "REF", "Culture"), 2, "invalid_input"),
    (("stake", "add", "REF", "Un enjeu", "--axis", "1"), 2, "invalid_input"),
    (("commitment", "add", "DRAFT", "x", "--axis", "1", "--party", "la-cali"), 2,
     "invalid_input"),
    (("protocol", "set", "REF", "--start", "2027-01-01", "--end", "2026-01-01"), 2,
     "invalid_input"),
    (("protocol", "money", "DRAFT", "ville-de-saintes"), 2, "usage"),
    (("signatory", "set", "DRAFT", "--party", "nobody", "--first-name", "A", "--last-name",
      "B", "--title", "Maire", "--civility", "Madame"), 1, "not_found"),
    (("deliberation", "record", "DRAFT", "--party", "ville-de-saintes", "--number", "2027-1",
      "--sitting-date", "10/02/2027"), 2, "invalid_input"),
    (("avenant", "motives", "REF", "Des motifs"), 2, "invalid_input"),
    (("avenant", "change", "REF", "abroger", "6"), 2, "invalid_input"),
    (("avenant", "remove-change", "REF", "1"), 2, "invalid_input"),
    (("party", "add", "la-cali", "--official-name", "Autre nom", "--nature", "CA",
      "--deliberative-body", "conseil communautaire", "--executive-title", "Président"), 1,
     "already_exists"),
    (("programme", "add", "REF", "2040", "--start", "2040-01-01", "--end", "2040-12-31"), 2,
     "invalid_input"),
    (("milestone", "add", "REF", "2027-2028", "9", "--date", "2027-10-01", "--label", "x"), 1,
     "not_found"),
    (("milestone", "done", "REF", "2027-2028", "1", "--date", "2027-10-01", "--label", "x"), 1,
     "not_found"),
    (("budget", "add", "REF", "2027-2028", "1", "--funder", "x", "--amount", "-1"), 2,
     "invalid_input"),
    (("indicator", "set", "REF", "2027-2028", "1", "--name", "x", "--target", "abc"), 2,
     "invalid_input"),
    (("action", "add", "REF", "2027-2028", "--axis", "9", "--title", "x"), 1, "not_found"),
    (("events", "COOP-1999-0001"), 1, "not_found"),
    (("history", "COOP-1999-0001"), 1, "not_found"),
    (("verify", "COOP-1999-0001"), 1, "not_found"),
    (("party", "list", "--bogus"), 2, "usage"),
    (("export", "REF", "--to", "/proc/coopflow-x"), 1, "output_refused"),
    (("exchange", "log", "REF", "--date", "2027-05-02", "--kind", "diner", "--summary", "x"), 2,
     "invalid_input"),
    (("fire", "REF", "signer"), 1, "transition_not_allowed"),
    (("render", "REF", "--kind", "rapport"), 2, "usage"),
    (("action", "progress", "REF", "2027-2028", "9", "en cours"), 1, "not_found"),
]  # fmt: skip


@pytest.fixture
def prepared(api: Coopflow) -> dict[str, str]:
    """REF: a signed partnership with programme 2027-2028; DRAFT: one in drafting."""
    ref = scenario.signed(api)
    scenario.with_programme(api, ref)
    return {"REF": ref, "DRAFT": scenario.in_drafting(api, "ville-de-saintes")}


@pytest.mark.parametrize(("args", "key"), SUCCESSES, ids=[" ".join(a[:2]) for a, _ in SUCCESSES])
def test_every_command_prints_json_on_success(
    invoke: Invoke, prepared: dict[str, str], args: tuple[str, ...], key: str
) -> None:
    run = invoke(*(prepared.get(a, a) for a in args), "--json")
    body = as_json(run)
    assert "\\u00" not in run.out  # UTF-8, unescaped
    if key:
        assert key in body, body
    else:
        assert isinstance(body, list)


@pytest.mark.parametrize(
    ("args", "code", "error"), REFUSALS, ids=[" ".join(a[:2]) for a, _, _ in REFUSALS]
)
def test_every_command_refuses_in_json_with_its_exit_code(
    invoke: Invoke, prepared: dict[str, str], args: tuple[str, ...], code: int, error: str
) -> None:
    run = invoke(*(prepared.get(a, a) for a in args), "--json")
    body = refused(run, code, error)
    assert body["message"] and isinstance(body["reasons"], list)
