"""``coopflow demo``: run the way a user runs it, its content checked against the domain brief,
and run again (on its own folder, on a given SQLite database, on PostgreSQL) duplicating
nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import coopflow
import pytest
from coopflow import Coopflow, OutputError, ValidationError
from coopflow._validate import siren
from coopflow.demo import DEMO_DB, DemoResult, run_demo
from coopflow.demo._runner import DEMO_V1

from tests import scenario
from tests.conftest import new_database

from .conftest import Invoke, dump, run_coopflow

TODAY = dt.date(2026, 11, 25)
IN_FORCE = ("contractualisation.en_vigueur", "contractualisation.avenant")


@pytest.mark.slow
def test_demo_as_a_user_runs_it(tmp_path: Path) -> None:
    database = tmp_path / "coopflow-demo" / "coopflow-demo.db"
    database.parent.mkdir()
    coopflow.migrate(f"sqlite:///{database}")  # a demo database left by an earlier run...
    with Coopflow(f"sqlite:///{database}") as cf:
        scenario.register_people(cf)
        cf.add_party(
            "stale",
            "Stale",
            nature="CA",
            deliberative_body="c",
            executive_title="P",
            actor=scenario.STAFF,
        )
    env = {**os.environ, "COOPFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'mine.db'}"}
    run = run_coopflow("demo", cwd=tmp_path, env=env)
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].split()[:4] == ["Reference", "Title", "Scale", "State"]
    references = [line.split()[0] for line in lines if line.startswith("COOP-")]
    assert references == [f"COOP-2026-000{i}" for i in range(1, 9)]
    assert f"database: sqlite:///{database}" in lines
    written = [Path(line.removeprefix("wrote ")) for line in lines if line.startswith("wrote ")]
    pdfs = [tmp_path / p for p in written if p.suffix == ".pdf"]
    manifests = [tmp_path / p for p in written if p.suffix == ".json"]
    assert len(manifests) == 3  # the two signed protocols and the one approved by legal
    assert all(p.read_bytes().startswith(b"%PDF-") for p in pdfs)
    assert any(p.name == "COOP-2026-0001-avenant-1-v2-final.pdf" for p in pdfs)
    assert any(p.name == "COOP-2026-0002-avenant-1-v1-draft.pdf" for p in pdfs)
    manifest = json.loads(manifests[0].read_text("utf-8"))
    exported = json.loads((manifests[0].parent / manifest["evidence"]["export"]).read_text("utf-8"))
    assert exported["verified"] is True
    # Each export folder is an evidence bundle that verifies with no database.
    for folder in {m.parent for m in manifests}:
        checked = run_coopflow("--lang", "fr", "verify-bundle", str(folder), cwd=tmp_path)
        assert checked.code == 0, checked.out + checked.err
        assert "le dossier est intègre" in checked.out
    assert not (tmp_path / "mine.db").exists()  # the demo ignores COOPFLOW_DATABASE_URL
    with Coopflow(f"sqlite:///{database}") as cf:  # ...was recreated
        assert "stale" not in {p.key for p in cf.parties()}
        assert scenario.ELECTED.id not in {a.login for a in cf.actors()}


def test_demo_content_follows_the_brief(demo_url: str) -> None:
    with Coopflow(demo_url) as cf:
        items = list(cf.partnerships())
        details = {p.reference: cf.detail(p.reference) for p in items}
        parties = {p.key: p for p in cf.parties()}
        documents = {p.reference: cf.documents_of(p.reference) for p in items}
        cf_history = {p.reference: cf.history(p.reference) for p in items}
        assert cf.verify().ok
    levels = {p.state.split(".")[0] for p in items}
    assert levels == {"accueil", "dialogue", "contractualisation"}
    assert {p.scale for p in items} == {"aire_metropolitaine", "espace_regional", "france_europe"}
    assert parties["bordeaux-metropole"].siren == "243300316"
    for party in parties.values():
        assert party.siren is None or siren(party.siren) == party.siren
    foreign = [p for p in parties.values() if p.nature == "ETRANGER"]
    assert foreign and all(p.siren is None for p in foreign)

    signed = [p for p in items if p.state.startswith(IN_FORCE)]
    assert len(signed) >= 2
    for p in signed:
        proto = details[p.reference]["protocol"]
        assert proto["period"]["start"] <= TODAY.isoformat() <= proto["period"]["end"]
        assert proto["signature"]["date"] < TODAY.isoformat()
        for d in proto["deliberations"]:
            assert d["executoire"] and d["published"] <= proto["signature"]["date"]
        # Each party's executive signs, or an official they delegated the signature to.
        titles = {
            s["party_key"]: s["title"] for s in proto["signatories"] if s["delegation"] is None
        }
        assert titles == {k: parties[k].executive_title for k in p.parties if k in titles}
        approved = [g for g in details[p.reference]["programmes"] if g["copil_date"]]
        assert approved, p.reference
        assert any(d.kind == "programme" and d.status == "final" for d in documents[p.reference])
    three = [p for p in signed if len(p.parties) == 3]
    assert three
    amendments = details[three[0].reference]["protocol"]["amendments"]
    assert amendments and amendments[0]["signed_on"] is not None
    european = [p for p in items if set(p.parties) & {f.key for f in foreign}]
    assert european[0].scale == "france_europe"
    # CGCT L.1115-1: every party's planned financial commitment, the legal person in French.
    money = details[european[0].reference]["protocol"]["financial_commitments"]
    assert {m["party_key"] for m in money} == set(european[0].parties)
    assert all(float(m["amount"]) > 0 for m in money)
    porto = next(p for p in foreign if p.key in european[0].parties)
    assert (porto.official_name, porto.original_name) == (
        "Municipalité de Porto",
        "Município do Porto",
    )
    # The other cases: a signature by delegation, a party named with its article,
    # an avenant with structured changes and its consolidated protocol.
    delegated = [
        s
        for d in details.values()
        if d["protocol"]
        for s in d["protocol"]["signatories"]
        if s["delegation"] is not None
    ]
    assert delegated and delegated[0]["title"].startswith("Vice-président")
    assert any(p.usual_article == "le" for p in parties.values() if p.usual_name)
    changes = [c for a in amendments for c in a["changes"]]
    assert {c["operation"] for c in changes} >= {"rediger", "completer"}
    assert all(c["article"] for c in changes)
    assert any(d.kind == "consolide" and d.status == "final" for d in documents[three[0].reference])
    # The avenant went through the legal department (workflow version 2), which approved its
    # exact document before the councils deliberated on it.
    (reviewed,) = details[three[0].reference]["avenants"]
    assert reviewed["status"] == "signé" and reviewed["approved_document_sha256"]
    journal = cf_history[three[0].reference]
    approval = next(e for e in journal if e.event == "approuver_avenant")
    assert (approval.actor, approval.role) == ("claire.martin", "legal")
    assert approval.document_sha256 == reviewed["approved_document_sha256"]
    assert {
        e.document_sha256 for e in journal if e.event == "deliberation" and e.data["amendment"]
    } == {reviewed["approved_document_sha256"]}
    # The versioning path, for real: three partnerships opened under version 1, moved to
    # version 2 by an admin, one journal record each; the avenant that went to the councils
    # under version 1 is back with the legal department.
    assert {p.workflow_version for p in items} == {2}
    for reference in DEMO_V1:
        moves = [e for e in cf_history[reference] if e.event == "migration"]
        assert [(e.actor, e.role, e.data) for e in moves] == [
            ("coopflow-demo", "admin", {"from_version": 1, "to_version": 2})
        ]
    migrated = next(p for p in items if p.reference == "COOP-2026-0002")
    assert migrated.state == "contractualisation.avenant.revue_juridique"
    assert [a["status"] for a in details[migrated.reference]["avenants"]] == ["en cours"]
    # The demo signs only lawful commitments: no geographic preference in procurement.
    texts = [
        c["text"]
        for d in details.values()
        if d["protocol"]
        for axis in d["protocol"]["axes"]
        for c in axis["commitments"]
    ]
    assert texts and not any("proximité" in t for t in texts)


def test_demo_on_a_database_where_it_was_applied(
    invoke_bare: Invoke, tmp_path: Path, demo_url: str
) -> None:
    out = str(tmp_path / "out")
    first = invoke_bare("--db", demo_url, "demo", "--out", out, "--json")
    assert first.code == 0, first.err
    result = json.loads(first.out)
    assert result["database"] == demo_url and result["report"]["ok"] is True
    assert not (tmp_path / "out" / "coopflow-demo.db").exists()
    assert len(result["files"]) == 15 and all(Path(f).is_file() for f in result["files"])
    assert result["migrated"] == []  # the demo database's partnerships were moved already
    assert result["documents"]["COOP-2026-0001"] == [
        "avenant 1 v2 final",
        "consolide 1 v1 final",  # the protocol as avenant n° 1 amended it
        "programme 2026 v1 final",
        "programme 2027 v1 draft",  # rendered by the demo: no event produces it
        "protocole v2 final",
    ]
    rows = dump(demo_url)
    second = invoke_bare("--db", demo_url, "demo", "--out", out, "--json")
    assert second.code == 0, second.err
    assert json.loads(second.out)["documents"] == result["documents"]
    after = dump(demo_url)
    assert after["coopflow_journal"] == rows["coopflow_journal"]
    assert after["coopflow_document"] == rows["coopflow_document"]


@pytest.mark.postgres
@pytest.mark.slow
def test_demo_on_postgresql_twice(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = new_database("postgres", tmp_path, request)
    first = run_coopflow("--db", url, "demo", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert first.code == 0, first.err
    with Coopflow(url) as cf:
        lengths = {p.reference: len(cf.history(p.reference)) for p in cf.partnerships()}
    second = run_coopflow("--db", url, "demo", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert second.code == 0, second.err
    assert second.out == first.out
    with Coopflow(url) as cf:
        assert {p.reference: len(cf.history(p.reference)) for p in cf.partnerships()} == lengths
        assert cf.verify().ok
    assert len(lengths) == 8


def test_run_demo_from_python_on_a_database_where_it_was_applied(
    tmp_path: Path, demo_url: str
) -> None:
    out = tmp_path / "out"
    said: list[str] = []
    result = run_demo(out, db=demo_url, progress=said.append)
    assert isinstance(result, DemoResult)
    assert result.database == demo_url and result.report.ok
    assert [p.reference for p in result.partnerships] == [f"COOP-2026-000{i}" for i in range(1, 9)]
    with Coopflow(demo_url) as cf:  # the thematic dialogue and the partnership it led to
        dialogue = cf.dialogue("alimentation-2026")
        assert dialogue.partnerships == ("COOP-2026-0008",)
        assert len(dialogue.participants) == 4 and len(dialogue.exchanges) == 2
        assert cf.partnership("COOP-2026-0008").state == "dialogue"
        assert [e.dialogue for e in cf.dialogue_exchanges("COOP-2026-0002")] == [
            "alimentation-2026",
            "alimentation-2026",
        ]
    assert not (out / DEMO_DB).exists()  # the given database is used, none is created
    assert len(result.files) == 15 and all(f.is_file() for f in result.files)
    assert result.migrated == ()  # moved when the demo database was made
    assert len(result.exports) == 3
    assert result.exports["COOP-2026-0001"] == out / "export" / "COOP-2026-0001"
    assert result.documents["COOP-2026-0001"][3] == "programme 2027 v1 draft"
    assert "rendering COOP-2026-0007" in said and "exporting COOP-2026-0001" in said
    with pytest.raises(ValidationError, match="schema"):
        run_demo(tmp_path / "elsewhere", schema="demo")  # a schema needs a database URL
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.slow
def test_run_demo_from_python_deletes_only_its_own_database(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    precious = tmp_path / "precious.db"
    precious.write_bytes(b"not the demo's")
    (out / DEMO_DB).symlink_to(precious)  # a link named like the demo's database...
    with pytest.raises(OutputError, match="symbolic link"):
        run_demo(out)
    assert precious.read_bytes() == b"not the demo's"  # ...is refused, its target untouched
    assert (out / DEMO_DB).is_symlink()
    (out / DEMO_DB).unlink()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    result = run_demo(out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / DEMO_DB).is_file() and not (out / DEMO_DB).is_symlink()
    assert result.database == f"sqlite:///{out.resolve() / DEMO_DB}"
    assert set(result.exports) == {"COOP-2026-0001", "COOP-2026-0002", "COOP-2026-0003"}
    assert result.migrated == DEMO_V1  # a fresh database: moved by this run
    with Coopflow(result.database) as cf:
        assert len(list(cf.partnerships())) == 8 and cf.verify().ok
