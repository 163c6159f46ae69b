"""The ``coopflow`` command through click's runner: a whole lifecycle typed at the command line,
``--json`` outputs, exit codes, and every refusal said in one ``error:`` line (or one line per
reason of a guard) on stderr, never a traceback."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import coopflow
import pytest
from coopflow import Coopflow

from .conftest import Invoke, Run, dump

STAFF = ("--actor", "marie.dupont", "--role", "staff")
LEGAL = ("--actor", "claire.martin", "--role", "legal")
ELECTED = ("--actor", "jean-marc.lacoste", "--role", "elected")
REF = "COOP-2026-0001"


def ok(run: Run) -> Run:
    assert run.code == 0, run.err
    assert run.err == ""
    return run


def one_error(run: Run, code: int, *fragments: str) -> None:
    """The command failed with ``code`` and said why in a single ``error:`` line."""
    assert run.code == code, (run.out, run.err)
    assert len(run.err_lines) == 1, run.err
    assert run.err.startswith("error: ")
    for fragment in fragments:
        assert fragment in run.err
    assert "Traceback" not in run.err + run.out


def add_parties(invoke: Invoke) -> None:
    ok(
        invoke(
            "party",
            "add",
            "bordeaux-metropole",
            "--official-name",
            "Bordeaux Métropole",
            "--nature",
            "METRO",
            "--siren",
            "243 300 316",
            "--seat",
            "Bordeaux",
            "--deliberative-body",
            "conseil métropolitain",
            "--executive-title",
            "Président",
            "--tribunal",
            "tribunal administratif de Bordeaux",
        )
    )
    ok(
        invoke(
            "party",
            "add",
            "la-cali",
            "--official-name",
            "Communauté d'agglomération du Libournais",
            "--usual-name",
            "La Cali",
            "--nature",
            "CA",
            "--deliberative-body",
            "conseil communautaire",
            "--executive-title",
            "Président",
        )
    )


def create(invoke: Invoke) -> None:
    add_parties(invoke)
    ok(
        invoke(
            "partnership",
            "create",
            "Coopération Bordeaux Métropole – La Cali",
            "--scale",
            "aire_metropolitaine",
            "--party",
            "bordeaux-metropole",
            "--party",
            "la-cali",
            "--reference",
            REF,
            *STAFF,
        )
    )


def test_a_whole_lifecycle_at_the_command_line(invoke: Invoke, tmp_path: Path) -> None:
    add_parties(invoke)
    created = json.loads(
        ok(
            invoke(
                "partnership",
                "create",
                "Coopération Bordeaux Métropole – La Cali",
                "--scale",
                "aire_metropolitaine",
                "--party",
                "bordeaux-metropole",
                "--party",
                "la-cali",
                *STAFF,
                "--json",
            )
        ).out
    )
    ref = created["reference"]
    assert ref.startswith("COOP-") and created["state"] == "accueil"
    assert created["home"] == "bordeaux-metropole" and created["responsible"] == "marie.dupont"

    statuses = json.loads(ok(invoke("events", ref, *STAFF, "--json")).out)
    opening = next(s for s in statuses if s["event"] == "ouvrir_dialogue")
    assert opening["available"] is False and "no exchange logged" in opening["reasons"][0]

    ok(
        invoke(
            "exchange",
            "log",
            ref,
            "--date",
            "2026-01-12",
            "--kind",
            "reunion",
            "--summary",
            "Rencontre des exécutifs",
            *STAFF,
        )
    )
    fired = json.loads(ok(invoke("fire", ref, "ouvrir_dialogue", *STAFF, "--json")).out)
    assert (fired["source_state"], fired["target_state"]) == ("accueil", "dialogue")

    assert ok(invoke("axis", "add", ref, "Mobilités", "--objective", "Covoiturage")).out == (
        f"{ref}: axis 1\n"
    )
    ok(invoke("axis", "add", ref, "Tourisme", "--objective", "Destination commune"))
    ok(invoke("stake", "add", ref, "Saturation de la RN 89", "--axis", "1"))
    for party in ("bordeaux-metropole", "la-cali"):
        ok(
            invoke(
                "commitment", "add", ref, f"Engagement de {party}", "--axis", "1", "--party", party
            )
        )
        ok(
            invoke(
                "commitment", "add", ref, f"Promotion par {party}", "--axis", "2", "--party", party
            )
        )
    ok(invoke("fire", ref, "engager_contractualisation", *STAFF))
    ok(
        invoke(
            "protocol",
            "set",
            ref,
            "--start",
            "2026-04-01",
            "--end",
            "2028-12-31",
            "--preamble",
            "Les Parties partagent un bassin de vie.",
            "--copil",
            "COPIL annuel",
            "--cotech",
            "COTECH",
            "--means",
            "Sans incidence",
        )
    )
    submitted = ok(invoke("fire", ref, "soumettre_revue_juridique", *STAFF)).out
    assert "  protocole v1 draft: sha256 " in submitted

    docs = json.loads(ok(invoke("documents", ref, "--json")).out)
    assert [(d["kind"], d["version"], d["status"]) for d in docs] == [("protocole", 1, "draft")]
    sha = docs[0]["sha256"]
    ok(invoke("fire", ref, "approuver", *LEGAL, "--data", f"document_sha256={sha}"))

    for party, number in (("bordeaux-metropole", "2026-112"), ("la-cali", "2026-031")):
        ok(
            invoke(
                "deliberation",
                "record",
                ref,
                "--party",
                party,
                "--number",
                number,
                "--sitting-date",
                "2026-03-01",
                "--sent-to-prefecture",
                "2026-03-03",
                "--published",
                "2026-03-04",
                *STAFF,
            )
        )
    ok(
        invoke(
            "signatory",
            "set",
            ref,
            "--party",
            "bordeaux-metropole",
            "--first-name",
            "Jean-Marc",
            "--last-name",
            "Lacoste",
            "--title",
            "Président",
            "--civility",
            "Monsieur",
            "--login",
            "jean-marc.lacoste",  # the elected official who signs as this signatory
        )
    )
    ok(
        invoke(
            "signatory",
            "set",
            ref,
            "--party",
            "la-cali",
            "--first-name",
            "Philippe",
            "--last-name",
            "Labardin",
            "--title",
            "Président",
            "--civility",
            "Monsieur",
        )
    )
    signed = json.loads(
        ok(
            invoke(
                "fire",
                ref,
                "signer",
                *ELECTED,
                "--data",
                "date_signature=2026-04-03",
                "--comment",
                "Séminaire annuel",
                "--json",
            )
        ).out
    )
    assert signed["target_state"] == "contractualisation.en_vigueur"
    assert [d["status"] for d in signed["documents"]] == ["final"]

    ok(invoke("programme", "add", ref, "2026", "--start", "2026-04-01", "--end", "2026-12-31"))
    ok(
        invoke(
            "action",
            "add",
            ref,
            "2026",
            "--axis",
            "1",
            "--title",
            "Ligne de covoiturage",
            "--lead",
            "la-cali",
            "--partner",
            "Région Nouvelle-Aquitaine",
        )
    )
    ok(invoke("milestone", "add", ref, "2026", "1", "--date", "2026-06-15", "--label", "Lancement"))
    ok(invoke("budget", "add", ref, "2026", "1", "--funder", "la-cali", "--amount", "45000"))
    ok(
        invoke(
            "indicator",
            "set",
            ref,
            "2026",
            "1",
            "--name",
            "Trajets par mois",
            "--target",
            "1500",
            "--unit",
            "trajets",
        )
    )
    ok(invoke("fire", ref, "revue_cotech", *STAFF, "--programme", "2026"))
    rendered = json.loads(
        ok(invoke("render", ref, "--kind", "programme", "--subject", "2026", *STAFF, "--json")).out
    )
    assert (rendered["kind"], rendered["version"], rendered["status"]) == ("programme", 1, "draft")
    ok(
        invoke(
            "fire",
            ref,
            "approuver_copil",
            *ELECTED,
            "--programme",
            "2026",
            "--data",
            "date_copil=2026-04-24",
        )
    )

    shown = json.loads(ok(invoke("partnership", "show", ref, "--json")).out)
    assert shown["state"] == "contractualisation.en_vigueur"
    assert shown["signed_document_sha256"] == signed["documents"][0]["sha256"]
    assert shown["programmes"][0]["state"] == "approuve_copil"
    text = ok(invoke("partnership", "show", ref)).out
    assert "Protocole signé, en vigueur" in text and "Jean-Marc Lacoste, Président" in text

    journal = json.loads(ok(invoke("history", ref, "--json")).out)
    # Every data entry is journaled as a "change" naming its operation, in the order typed.
    assert [
        (e["data"]["operation"], e["programme"]) for e in journal if e["event"] == "change"
    ] == [
        ("exchange.log", None),
        ("axis.put", None),
        ("axis.put", None),
        ("stake.add", None),
        *[("commitment.add", None)] * 4,
        ("protocol.set", None),
        ("signatory.set", None),
        ("signatory.set", None),
        ("programme.put", "2026"),
        ("action.put", "2026"),
        ("milestone.add", "2026"),
        ("budget.put", "2026"),
        ("indicator.put", "2026"),
    ]
    assert all(e["actor"] == "marie.dupont" for e in journal if e["event"] == "change")
    events = [e for e in journal if e["event"] != "change"]
    assert [e["event"] for e in events] == [
        "creation",
        "ouvrir_dialogue",
        "engager_contractualisation",
        "soumettre_revue_juridique",
        "approuver",
        "deliberation",
        "deliberation",
        "signer",
        "revue_cotech",
        "document",
        "approuver_copil",
    ]
    assert [e["data"]["number"] for e in events[5:7]] == ["2026-112", "2026-031"]
    assert {e["document_sha256"] for e in events[5:7]} == {sha}
    assert events[7]["comment"] == "Séminaire annuel" and events[8]["programme"] == "2026"
    assert (events[4]["actor"], events[7]["actor"]) == ("claire.martin", "jean-marc.lacoste")

    report = json.loads(ok(invoke("verify", ref, "--json")).out)
    assert report["ok"] is True and report["records"] == len(journal)

    exported = ok(invoke("export", ref, "--to", str(tmp_path / "legal"))).out.splitlines()
    assert exported[-1].endswith(f"{ref}-manifest.json")
    assert all(Path(line).is_file() for line in exported)
    assert any(line.endswith("-protocole-v2-final.pdf") for line in exported)

    due = json.loads(ok(invoke("due", "--within", "30", "--today", "2026-07-01", "--json")).out)
    assert [(d["kind"], d["due"]) for d in due] == [("milestone", "2026-06-15")]


def test_render_again_without_change_keeps_the_version(invoke: Invoke) -> None:
    create(invoke)
    ok(
        invoke(
            "exchange",
            "log",
            REF,
            "--date",
            "2026-01-12",
            "--kind",
            "reunion",
            "--summary",
            "Rencontre",
            *STAFF,
        )
    )
    ok(invoke("axis", "add", REF, "Mobilités", "--objective", "Covoiturage"))
    ok(invoke("protocol", "set", REF, "--start", "2026-04-01", "--end", "2028-12-31"))
    first = json.loads(ok(invoke("render", REF, *STAFF, "--json")).out)
    assert (first["kind"], first["version"], first["status"]) == ("protocole", 1, "draft")
    again = ok(invoke("render", REF, *STAFF)).out
    assert again == f"{REF}: protocole version 1 (draft)\nsha256 {first['sha256']}\n"


def test_json_listings_and_filters(invoke: Invoke) -> None:
    create(invoke)
    parties = json.loads(ok(invoke("party", "list", "--json")).out)
    assert [p["key"] for p in parties] == ["bordeaux-metropole", "la-cali"]
    assert parties[0]["siren"] == "243300316"  # the spaces were cleaned
    assert json.loads(ok(invoke("party", "show", "la-cali", "--json")).out)["usual_name"] == (
        "La Cali"
    )
    listed = json.loads(ok(invoke("partnership", "list", "--state", "accueil", "--json")).out)
    assert [p["reference"] for p in listed] == [REF]
    assert json.loads(ok(invoke("partnership", "list", "--state", "dialogue", "--json")).out) == []
    assert (
        json.loads(ok(invoke("partnership", "list", "--scale", "france_europe", "--json")).out)
        == []
    )
    assert len(json.loads(ok(invoke("partnership", "list", "--party", "la-cali", "--json")).out))
    plain = ok(invoke("partnership", "list")).out.splitlines()
    assert plain[0].split() == [
        "Reference",
        "Title",
        "Scale",
        "State",
        "Parties",
        "Responsible",
        "Version",
    ]
    assert plain[1].startswith(REF)


def test_guard_refusal_gives_each_reason_on_its_own_line(invoke: Invoke) -> None:
    create(invoke)
    before = json.loads(ok(invoke("history", REF, "--json")).out)
    run = invoke("fire", REF, "ouvrir_dialogue", *STAFF)
    assert run.code == 1
    assert run.err_lines == [
        "error: ouvrir_dialogue refused:",
        "  - no exchange logged yet: log at least one exchange (meeting, letter, workshop)",
        f"    to fix: coopflow exchange log {REF} --date YYYY-MM-DD --kind reunion --summary TEXT",
    ]
    assert json.loads(ok(invoke("history", REF, "--json")).out) == before
    # The same refusal as JSON: every reason with its code and what fixes it.
    run = invoke("fire", REF, "ouvrir_dialogue", *STAFF, "--json")
    assert run.code == 1 and not run.err
    refusal = json.loads(run.out)["error"]
    assert (refusal["code"], refusal["event"]) == ("guard_failed", "ouvrir_dialogue")
    (reason,) = refusal["reasons"]
    assert reason["code"] == "no_exchange"
    assert reason["command"].startswith(f"coopflow exchange log {REF} ")
    assert reason["call"].startswith("Coopflow.log_exchange(")


@pytest.mark.parametrize(
    ("args", "code", "fragments"),
    [
        pytest.param(
            ("fire", "COOP-2026-0999", "ouvrir_dialogue", *STAFF),
            1,
            ("partnership COOP-2026-0999 not found",),
            id="unknown-reference",
        ),
        pytest.param(("history", "COOP-2026-0999"), 1, ("not found",), id="unknown-ref-read"),
        pytest.param(
            ("fire", REF, "signer_tout", *STAFF),
            1,
            ("unknown event 'signer_tout'",),
            id="unknown-event",
        ),
        pytest.param(
            ("fire", REF, "signer", *STAFF), 1, ("cannot be fired from state",), id="not-allowed"
        ),
        pytest.param(
            ("fire", REF, "approuver", *STAFF),
            1,
            ("role 'staff' may not fire",),
            id="role-not-allowed",
        ),
        pytest.param(
            ("fire", REF, "ouvrir_dialogue", "--actor", "x", "--role", "chef"),
            2,
            ("'chef' is not one of",),
            id="unknown-role",
        ),
        pytest.param(
            (
                "exchange",
                "log",
                REF,
                "--date",
                "31/02/2026",  # 12/01/2026 is accepted (day/month/year): this one is no date
                "--kind",
                "reunion",
                "--summary",
                "x",
                *STAFF,
            ),
            2,
            ("'31/02/2026' is not a date",),
            id="bad-date",
        ),
        pytest.param(
            ("fire", REF, "suspendre", *STAFF, "--data", "motif"),
            2,
            ("'motif' is not KEY=VALUE",),
            id="data-without-value",
        ),
        pytest.param(("fire", REF, "suspendre", *STAFF), 2, ("needs motif",), id="missing-input"),
        pytest.param(
            ("fire", REF, "suspendre", *STAFF, "--data", "raison=x"),
            2,
            ("takes no input 'raison'",),
            id="unknown-input",
        ),
        pytest.param(
            ("fire", REF, "suspendre", *STAFF, "--data", "motif=x", "--expect-version", "99"),
            1,
            ("modified concurrently",),
            id="stale-version",
        ),
        pytest.param(
            (
                "party",
                "add",
                "x",
                "--official-name",
                "X",
                "--nature",
                "CA",
                "--siren",
                "243300317",
                "--deliberative-body",
                "c",
                "--executive-title",
                "P",
            ),
            2,
            ("check digit is wrong",),
            id="bad-siren",
        ),
        pytest.param(
            (
                "party",
                "add",
                "x",
                "--official-name",
                "X",
                "--nature",
                "ETRANGER",
                "--siren",
                "243300316",
                "--deliberative-body",
                "c",
                "--executive-title",
                "P",
            ),
            2,
            ("a foreign authority has no SIREN",),
            id="foreign-siren",
        ),
        pytest.param(
            (
                "partnership",
                "create",
                "T",
                "--scale",
                "aire_metropolitaine",
                "--party",
                "bordeaux-metropole",
                *STAFF,
            ),
            2,
            ("at least two parties",),
            id="one-party",
        ),
        pytest.param(
            ("party", "add"), 2, ("Missing argument 'KEY'", "coopflow party add --help"), id="usage"
        ),
        pytest.param(("parti", "list"), 2, ("No such command 'parti'",), id="no-such-command"),
        pytest.param(
            ("due", "--today", "tomorrow"), 2, ("'tomorrow' is not a date",), id="bad-today"
        ),
    ],
)
def test_refusals_and_bad_input_are_one_line_and_write_nothing(
    invoke: Invoke, sqlite_url: str, args: tuple[str, ...], code: int, fragments: tuple[str, ...]
) -> None:
    create(invoke)
    before = dump(sqlite_url)
    one_error(invoke(*args), code, *fragments)
    assert dump(sqlite_url) == before


def test_missing_database_names_init_and_creates_no_file(
    invoke_bare: Invoke, tmp_path: Path
) -> None:
    path = tmp_path / "nowhere.db"
    url = f"sqlite:///{path}"
    one_error(invoke_bare("--db", url, "partnership", "list"), 1, f"run `coopflow --db {url} init`")
    assert not path.exists()
    assert ok(invoke_bare("--db", url, "init")).out.startswith("coopflow schema at revision ")
    assert ok(invoke_bare("--db", url, "init")).code == 0  # upgrading again is a no-op
    assert ok(invoke_bare("--db", url, "partnership", "list", "--json")).out.strip() == "[]"


def test_schema_behind_names_init(invoke: Invoke, sqlite_url: str) -> None:
    coopflow.downgrade_schema(sqlite_url, "base")
    for args in (("party", "list"), ("verify",), ("due",), ("apply", __file__)):
        one_error(invoke(*args), 1, "the coopflow schema is at revision", "init`")
    ok(invoke("init"))
    ok(invoke("party", "list"))


def test_database_from_environment_then_default_in_the_current_folder(
    invoke_bare: Invoke, tmp_path: Path, chdir: Path
) -> None:
    env_db = tmp_path / "env.db"
    env = {"COOPFLOW_DATABASE_URL": f"sqlite:///{env_db}"}
    ok(invoke_bare("init", env=env))
    assert env_db.exists() and not (chdir / "coopflow.db").exists()
    ok(invoke_bare("init", env={"COOPFLOW_DATABASE_URL": ""}))
    assert (chdir / "coopflow.db").exists()
    one_error(invoke_bare("--db", "::", "party", "list"), 2, "Could not parse")


def test_actor_and_role_from_the_environment(invoke: Invoke) -> None:
    create(invoke)
    env = {"COOPFLOW_ACTOR": "marie.dupont", "COOPFLOW_ROLE": "staff"}
    statuses = json.loads(ok(invoke("events", REF, "--json", env=env)).out)
    assert {s["event"] for s in statuses} >= {"ouvrir_dialogue", "abandonner"}
    # The role defaults to the first one held; an unregistered actor or a role not held is
    # refused, naming them.
    assert json.loads(ok(invoke("events", REF, "--json")).out) == statuses
    one_error(
        invoke("events", REF, env={"COOPFLOW_ACTOR": "x"}),
        1,
        "x may not act: x is not a registered actor",
    )
    one_error(
        invoke("events", REF, env={"COOPFLOW_ROLE": "legal"}),
        1,
        "marie.dupont does not hold the role 'legal' (holds staff; an admin grants roles: "
        "coopflow actor grant marie.dupont legal)",
    )


def test_verify_names_the_first_broken_record(invoke: Invoke, sqlite_url: str) -> None:
    create(invoke)
    ok(
        invoke(
            "exchange",
            "log",
            REF,
            "--date",
            "2026-01-12",
            "--kind",
            "reunion",
            "--summary",
            "Rencontre",
            *STAFF,
        )
    )
    ok(invoke("fire", REF, "ouvrir_dialogue", *STAFF, "--comment", "ok"))
    ok(invoke("fire", REF, "revenir_accueil", *STAFF))
    # creation, the exchange's change, two events; and the registries' chains: seven actors
    # registered (the admin and six people) and two parties.
    unanchored = "warning: no checkpoint anchors this journal outside the database"
    for args, first in (
        ((REF,), "ok: 1 partnerships, 4 journal records"),
        ((), "ok: 1 partnerships, 13 journal records"),
    ):
        run = invoke("verify", *args)
        assert run.code == 0 and run.out.startswith(first), run
        assert run.err.startswith(unanchored) and run.err.count("\n") == 1, run.err
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    with conn:  # someone with write access to the file drops the guard and rewrites history
        conn.execute("DROP TRIGGER coopflow_journal_no_update")
        # record 3: ouvrir_dialogue, commented "ok"
        conn.execute("UPDATE coopflow_journal SET comment = 'forged' WHERE seq = 3")
    conn.close()
    run = invoke("verify", REF)
    assert run.code == 1
    assert run.err_lines[0].startswith(f"error: broken: {REF} record 3: ")
    report = json.loads(invoke("verify", "--json").out)
    assert report["ok"] is False and report["problems"][0]["seq"] == 3


def test_diagram_needs_no_database(invoke_bare: Invoke, chdir: Path) -> None:
    text = ok(invoke_bare("diagram")).out
    assert text.startswith("stateDiagram-v2\n")
    assert "accueil --> dialogue: ouvrir_dialogue" in text
    assert (
        "revu_cotech --> approuve_copil"
        in ok(invoke_bare("diagram", "--workflow", "programme")).out
    )
    as_json = json.loads(ok(invoke_bare("diagram", "--json")).out)
    assert (as_json["workflow"], as_json["version"], as_json["mermaid"]) == ("cooperation", 2, text)
    review, councils = "contractualisation__avenant__revue_juridique", "deliberations"
    assert f"{review} --> contractualisation__avenant__{councils}: approuver_avenant" in text
    one_error(invoke_bare("diagram", "--workflow", "nope"), 2, "unknown workflow 'nope'")
    assert not (chdir / "coopflow.db").exists()


def test_read_commands_on_the_demo(invoke: Invoke, demo_url: str) -> None:
    events = json.loads(ok(invoke("events", "COOP-2026-0003", *ELECTED, "--json", db=demo_url)).out)
    signer = next(s for s in events if s["event"] == "signer")
    assert signer["available"] is False
    assert any("not published" in r for r in signer["reasons"])
    due = json.loads(
        ok(invoke("due", "--within", "60", "--today", "2026-11-25", "--json", db=demo_url)).out
    )
    kinds = {(d["reference"], d["kind"]) for d in due}
    assert ("COOP-2026-0003", "deliberation") in kinds
    assert ("COOP-2026-0001", "copil_approval") in kinds
    table = ok(invoke("due", "--within", "60", "--today", "2026-11-25", db=demo_url)).out
    assert "overdue" in table
    with Coopflow(demo_url) as cf:
        count = len(cf.history("COOP-2026-0001"))
    journal, shared = ok(invoke("history", "COOP-2026-0001", db=demo_url)).out.split("\n\n")
    assert len(journal.splitlines()) == count + 1
    # Then the exchanges of the thematic dialogue La Cali takes part in through it.
    assert shared.splitlines()[0] == "Exchanges of the thematic dialogues it takes part in"
    assert len(shared.splitlines()) == 2 + 2
    history = ok(invoke("history", "COOP-2026-0001", "--json", db=demo_url)).out
    assert "script:bordeaux-demo#signature" in {e["idempotency_key"] for e in json.loads(history)}


def test_milestone_done_and_action_progress(tmp_path: Path) -> None:
    """Progress is recorded from the command line; a done milestone leaves `due`."""
    from click.testing import CliRunner
    from coopflow.cli import cli

    from tests import scenario

    url = f"sqlite:///{tmp_path / 'p.db'}"
    coopflow.migrate(url)
    with Coopflow(url) as cf:
        scenario.register_people(cf)
        ref = scenario.signed(cf)
        label = scenario.with_programme(cf, ref)
        cf.fire(ref, "revue_cotech", scenario.STAFF, programme=label)
        cf.fire(
            ref,
            "approuver_copil",
            scenario.ELECTED,
            programme=label,
            data={"date_copil": "2027-03-30"},
        )
    runner = CliRunner(env={"COOPFLOW_ACTOR": scenario.STAFF.id})
    base = ["--db", url]
    due = runner.invoke(cli, [*base, "due", "--within", "0", "--today", "2027-09-02", "--json"])
    assert due.exit_code == 0, due.output
    assert [d["kind"] for d in json.loads(due.output)] == ["milestone"]
    done = runner.invoke(
        cli,
        [
            *base,
            "milestone",
            "done",
            ref,
            label,
            "1",
            "--date",
            "2027-09-01",
            "--label",
            "Lancement de l'expérimentation",
        ],
    )
    assert done.exit_code == 0, done.output
    due = runner.invoke(cli, [*base, "due", "--within", "0", "--today", "2027-09-02", "--json"])
    assert json.loads(due.output) == []
    progress = runner.invoke(cli, [*base, "action", "progress", ref, label, "1", "réalisée"])
    assert progress.exit_code == 0, progress.output
    bad = runner.invoke(cli, [*base, "action", "progress", ref, label, "1", "presque"])
    assert bad.exit_code == 2
    with Coopflow(url) as cf:
        assert '"progress":"réalisée"' in cf.snapshot(ref, "programme", label)
        changes = [e for e in cf.history(ref) if e.event == "change"][-2:]
    assert [(e.data["operation"], e.actor) for e in changes] == [
        ("milestone.done", scenario.STAFF.id),
        ("action.progress", scenario.STAFF.id),
    ]


@pytest.mark.parametrize("args", [[], ["party"]], ids=["bare", "bare-group"])
def test_a_bare_command_prints_a_short_usage(
    invoke_bare: Callable[..., Run], args: list[str]
) -> None:
    result = invoke_bare(*args)
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0].startswith("Usage: coopflow")
    assert lines[1] == f"Try '{' '.join(['coopflow', *args])} --help' for its commands."
    assert len(lines) == 2
