"""What ``verify``, ``apply`` and a workflow definition say, in French and in English.

The suite reads messages in English (tests/conftest.py); these tests choose the language,
French being what a person reads by default.  The French comes from the compiled catalog
(coopflow/locale/fr/LC_MESSAGES/coopflow.mo): a message left untranslated comes out in
English and fails the French assertions.  The structured fields (a problem's code, reference,
record, subject; a script error's file, line and key; a definition error's source and key) are
the same in both languages: hosts read them, never the text.
"""

from __future__ import annotations

from pathlib import Path

import coopflow
import pytest
from coopflow import Coopflow, InvalidWorkflowError, Registry
from coopflow._i18n import language
from coopflow._journal import Problem
from coopflow._script import ScriptError, ScriptFailed, apply_script
from coopflow._workflow import parse_workflow
from sqlalchemy import text

from . import scenario


def _tampered(cf: Coopflow, *, edit: bool = True) -> str:
    """A partnership of four records whose second record was edited behind coopflow (with
    ``edit``), the append-only triggers dropped first (as the owner of the tables could)."""
    ref = scenario.in_dialogue(cf)
    cf.fire(ref, "revenir_accueil", scenario.STAFF, comment="Pause estivale")
    with cf.engine.begin() as conn:
        if cf.engine.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER coopflow_journal_append_only ON coopflow_journal"))
        else:
            conn.execute(text("DROP TRIGGER coopflow_journal_no_update"))
            conn.execute(text("DROP TRIGGER coopflow_journal_no_delete"))
        if edit:
            conn.execute(text("UPDATE coopflow_journal SET actor = 'mallory' WHERE seq = 2"))
    return ref


def _edited(problems: tuple[Problem, ...], ref: str) -> Problem:
    found = [p for p in problems if p.reference == ref]
    assert len(found) == 1, problems
    return found[0]


def test_a_tampered_journal_is_reported_in_french_and_in_english(cf: Coopflow) -> None:
    ref = _tampered(cf)
    with language("fr"):
        french = cf.verify()
    with language("en"):
        english = cf.verify()
    assert not french.ok and not english.ok
    fr_problem, en_problem = _edited(french.problems, ref), _edited(english.problems, ref)
    # The same problem, named the same way for a host, whatever the language.
    for problem in (fr_problem, en_problem):
        assert (problem.reference, problem.seq, problem.code) == (ref, 2, "record_edited")
    assert fr_problem.message == "le contenu ne correspond pas à son empreinte (modifié)"
    assert en_problem.message == "content does not match its hash (edited)"
    with language("fr"):
        assert str(fr_problem) == (
            f"{ref} enregistrement 2 : le contenu ne correspond pas à son empreinte (modifié)"
        )
        lines = french.lines()
    # The dropped triggers are named too (the database's protections are off): one problem
    # each on SQLite, one on PostgreSQL.
    found = len(french.problems)
    assert found >= 2 and len(english.problems) == found
    assert lines[0] == f"{found} anomalies trouvées"
    assert (
        f"rompu : {ref} enregistrement 2 : le contenu ne correspond pas à son empreinte "
        "(modifié)" in lines
    )
    with language("en"):
        assert str(en_problem) == f"{ref} record 2: content does not match its hash (edited)"
        assert english.lines()[0] == f"{found} problems found"
        assert f"broken: {ref} record 2: content does not match its hash (edited)" in (
            english.lines()
        )


def test_a_sound_database_summary_in_french_and_in_english(cf: Coopflow) -> None:
    scenario.in_dialogue(cf)
    report = cf.verify()
    assert report.ok
    with language("fr"):
        summary = report.summary()
    with language("en"):
        assert report.summary() == (
            f"ok: 1 partnership, {report.records} journal records and 0 documents verified"
        )
    assert report.documents == 0  # French counts 0 as singular
    assert summary == (
        f"ok : 1 partenariat, {report.records} enregistrements du journal et 0 document vérifiés"
    )


def test_a_deleted_record_is_reported_in_french(cf: Coopflow) -> None:
    ref = _tampered(cf, edit=False)
    with cf.engine.begin() as conn:
        conn.execute(text("DELETE FROM coopflow_journal WHERE seq = 4"))
    with language("fr"):
        report = cf.verify(ref)
    problem = _edited(report.problems, ref)
    assert (problem.seq, problem.code) == (4, "records_deleted")
    assert problem.message == (
        "la chaîne s'arrête à l'enregistrement 3 mais le dernier enregistrement du partenariat "
        "est le 4 (enregistrements supprimés)"
    )


SCRIPT = """\
[script]
name = "essai"
actor = "marie.dupont"

[[parties]]
key = "bordeaux-metropole"
official_name = "Bordeaux Métropole"
nature = "METRO"
siren = "243300316"
seat = "Bordeaux"
deliberative_body = "conseil métropolitain"
executive_title = "Président"

[[parties]]
key = "la-cali"
official_name = "Communauté d'agglomération du Libournais"
nature = "CA"
siren = "200070092"
deliberative_body = "conseil communautaire"
executive_title = "Président"

[[partnerships]]
reference = "COOP-2026-0001"
title = "Coopération Bordeaux Métropole – La Cali"
scale = "aire_metropolitaine"
parties = ["bordeaux-metropole", "la-cali"]

[[partnerships.steps]]
id = "retour"
event = "revenir_accueil"

[[partnerships.steps]]
id = "dialogue"
event = "ouvrir_dialogue"
"""


def _line_of(fragment: str, script: str = SCRIPT) -> int:
    return next(i for i, line in enumerate(script.splitlines(), start=1) if fragment in line)


def test_a_malformed_script_is_refused_in_french_naming_file_line_and_key(cf: Coopflow) -> None:
    script = SCRIPT.replace('scale = "aire_metropolitaine"', 'scales = "aire_metropolitaine"')
    with language("fr"), pytest.raises(ScriptError) as raised:
        apply_script(cf, script, source="essai.toml")
    line = _line_of("[[partnerships]]", script)  # the table that lacks the key
    assert (raised.value.source, raised.value.line) == ("essai.toml", line)
    assert raised.value.path == "partnerships[1]"
    assert raised.value.code == "script_invalid"
    assert str(raised.value) == (
        f"essai.toml:{line} : partnerships[1] : clé obligatoire 'scale' manquante (trouvé 'scales')"
    )


def test_a_refused_step_is_named_in_french_with_its_file_and_line(cf: Coopflow) -> None:
    with language("fr"):
        report = apply_script(cf, SCRIPT, source="essai.toml", dry_run=True)
    refused, not_run = report.outcomes[-2:]
    assert (refused.item, refused.status) == ("step retour", "refused")
    assert refused.line == _line_of('id = "retour"') - 1
    with language("fr"):
        assert refused.location("essai.toml") == (
            f"essai.toml:{refused.line} : COOP-2026-0001 étape retour"
        )
    assert (not_run.item, not_run.status) == ("step dialogue", "not run")
    assert not_run.detail == "l'étape retour a été refusée"
    with language("fr"), pytest.raises(ScriptFailed) as raised:
        apply_script(cf, SCRIPT, source="essai.toml")
    where = f"essai.toml:{refused.line} : COOP-2026-0001 étape retour : "
    assert str(raised.value).startswith(where)


def test_a_refused_step_keeps_its_english_wording(cf: Coopflow) -> None:
    report = apply_script(cf, SCRIPT, source="essai.toml", dry_run=True)
    refused, not_run = report.outcomes[-2:]
    assert refused.location("essai.toml") == (
        f"essai.toml:{refused.line}: COOP-2026-0001 step retour"
    )
    assert not_run.detail == "step retour was refused"


DEFINITION = """
[workflow]
name = "mini"
version = 1
initial = "a"

[states.a]
[states.b]
final = true

[events.go]
from = "a"
to = "b"
roles = ["staff"]
"""


def test_an_invalid_workflow_definition_is_refused_in_french() -> None:
    broken = DEFINITION.replace('to = "b"', 'to = "z"')
    with language("fr"), pytest.raises(InvalidWorkflowError) as raised:
        parse_workflow(broken, "mini.toml", Registry())
    assert (raised.value.source, raised.value.key) == ("mini.toml", "events.go.to")
    assert raised.value.code == "invalid_workflow"
    assert "état inconnu 'z'" in str(raised.value)
    assert str(raised.value).startswith("mini.toml")
    with language("en"), pytest.raises(InvalidWorkflowError) as english:
        parse_workflow(broken, "mini.toml", Registry())
    assert str(english.value) == "mini.toml: events.go.to: unknown state 'z'"


def test_an_unreachable_state_is_refused_in_french() -> None:
    broken = DEFINITION.replace("[states.b]", "[states.c]\n[states.b]")
    with language("fr"), pytest.raises(InvalidWorkflowError) as raised:
        parse_workflow(broken, "mini.toml", Registry())
    assert raised.value.key == "states.c"
    assert "inatteignable depuis l'état initial 'a'" in str(raised.value)


def test_an_evidence_bundle_report_is_in_french_by_choice(tmp_path: Path) -> None:
    """verify-bundle's report is for a court clerk: French, the folder named."""
    folder = tmp_path / "dossier"
    folder.mkdir()
    with language("fr"):
        report = coopflow.verify_bundle(folder)
        lines = report.lines()
    assert report.problems == [f"{folder} : 0 manifestes (*-manifest.json) au lieu d'un seul"]
    assert lines[0] == f"Dossier de preuve ? ({folder})"
    assert f"[ÉCHEC] {folder} : 0 manifestes (*-manifest.json) au lieu d'un seul" in lines
    assert "Conclusion : le dossier n'est PAS intègre (1 anomalie ci-dessus)." in lines
    with language("en"):
        english = coopflow.verify_bundle(folder).lines()
    assert "Conclusion: the bundle is NOT intact (1 problem above)." in english


def test_a_wrong_value_is_named_once_by_its_path_in_french(cf: Coopflow) -> None:
    """A value refused by a validator is named by its path in the script, not twice (the
    validator's own field name is taken off, whatever the language)."""
    script = SCRIPT.replace('siren = "243300316"', "siren = 243300316")
    with language("fr"), pytest.raises(ScriptError) as raised:
        apply_script(cf, script, source="essai.toml")
    line = _line_of("siren = 243300316", script)
    assert (raised.value.line, raised.value.path) == (line, "parties[1].siren")
    assert str(raised.value) == (
        f'essai.toml:{line} : parties[1].siren : doit être un texte tel que "243300316" '
        "(entre guillemets)"
    )
