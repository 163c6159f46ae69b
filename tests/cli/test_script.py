"""``coopflow apply``: scripted transitions in one transaction, the dry-run report, idempotence,
and bad scripts refused with one line naming the file, the line and the key, writing nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import coopflow
import pytest
from coopflow import Coopflow, GuardFailed
from coopflow._script import ScriptError, ScriptFailed, apply_script, load_script

from .conftest import DEMO_FILE, Invoke, Run, dump, run_coopflow

LIFECYCLE = """\
# A partnership from first contact to an evaluated programme.
[script]
name = "test-script"
actor = "marie.dupont"

[[parties]]
key = "bordeaux-metropole"
official_name = "Bordeaux Métropole"
nature = "METRO"
siren = "243300316"
seat = "Bordeaux"
deliberative_body = "conseil métropolitain"
executive_title = "Président"
tribunal = "tribunal administratif de Bordeaux"

[[parties]]
key = "la-cali"
official_name = "Communauté d'agglomération du Libournais"
usual_name = "La Cali"
nature = "CA"
siren = "200070092"
deliberative_body = "conseil communautaire"
executive_title = "Président"

[[partnerships]]
reference = "COOP-2026-0001"
title = "Coopération Bordeaux Métropole – La Cali"
scale = "aire_metropolitaine"
parties = ["bordeaux-metropole", "la-cali"]
exchanges = [{ date = 2026-01-12, kind = "reunion", summary = "Rencontre des exécutifs" }]

[[partnerships.steps]]
event = "ouvrir_dialogue"
comment = "Accord des exécutifs"

[[partnerships.steps]]
id = "engage"
event = "engager_contractualisation"
stakes = [{ axis = 2, title = "Offre touristique commune" }]
commitments = [{ axis = 2, party = "la-cali", text = "Coordonner les offices de tourisme." }]

[[partnerships.steps.axes]]
title = "Mobilités"
objectives = ["Covoiturage entre Libourne et Bordeaux."]
stakes = [{ title = "Saturation de la RN 89" }]
commitments = [
    { party = "bordeaux-metropole", text = "Ouvrir ses outils de covoiturage." },
    { party = "la-cali", text = "Aménager des aires de covoiturage." },
]

[[partnerships.steps.axes]]
title = "Tourisme"
objectives = ['''Une destination
commune''']
commitments = [{ party = "bordeaux-metropole", text = "Relayer l'offre du Libournais." }]

[[partnerships.steps]]
id = "projet"
event = "soumettre_revue_juridique"

[partnerships.steps.protocol]
start = 2026-04-01
end = 2028-12-31
preamble = ["Les Parties partagent un bassin de vie."]
copil = "Un COPIL annuel."
cotech = "Un COTECH."
means = "Sans incidence financière propre."

[[partnerships.steps]]
id = "approbation"
event = "approuver"
actor = "claire.martin"
role = "legal"
data = { document_sha256 = "@latest" }

[[partnerships.steps]]
id = "signature"
event = "signer"
actor = "jean-marc.lacoste"
role = "elected"
data = { date_signature = 2026-04-03, lieu = "Libourne" }

[[partnerships.steps.deliberations]]
party = "bordeaux-metropole"
number = "2026-112"
sitting_date = 2026-02-27
sent_to_prefecture = 2026-03-03
published = "2026-03-04"

[[partnerships.steps.deliberations]]
party = "la-cali"
number = "2026-031"
sitting_date = 2026-03-16
sent_to_prefecture = 2026-03-18
published = 2026-03-19

[[partnerships.steps.signatories]]
party = "bordeaux-metropole"
civility = "Monsieur"
first_name = "Jean-Marc"
last_name = "Lacoste"
title = "Président"
login = "jean-marc.lacoste"

[[partnerships.steps.signatories]]
party = "la-cali"
civility = "Monsieur"
first_name = "Philippe"
last_name = "Labardin"
title = "Président"

[[partnerships.steps]]
id = "cotech"
event = "revue_cotech"
programme = "2026"
render = [{ kind = "programme", subject = "2026" }]

[[partnerships.steps.programmes]]
label = "2026"
start = 2026-04-01
end = 2026-12-31

[[partnerships.steps.programmes.actions]]
axis = 1
title = "Ligne de covoiturage Libourne – Bordeaux"
lead = "la-cali"
partners = ["Région Nouvelle-Aquitaine"]
milestones = [{ date = 2026-06-15, label = "Lancement" }]
budget = [
    { funder = "la-cali", amount = 45000 },
    { funder = "bordeaux-metropole", amount = "30000.50" },
]
indicators = [{ name = "Trajets par mois", target = 1500, unit = "trajets" }]

[[partnerships.steps]]
id = "copil"
event = "approuver_copil"
programme = "2026"
actor = "jean-marc.lacoste"
role = "elected"
data = { date_copil = 2026-04-24 }

[[partnerships.steps]]
id = "start"
event = "demarrer"
programme = "2026"

[[partnerships.steps]]
id = "evaluation"
event = "evaluer"
programme = "2026"
data = { bilan = "Objectifs presque atteints." }

[[partnerships.steps.indicators]]
programme = "2026"
action = 1
name = "Trajets par mois"
target = 1500
actual = 1180
"""

REF = "COOP-2026-0001"


def line_of(text: str, fragment: str, nth: int = 1) -> int:
    """The number of the ``nth`` line of ``text`` containing ``fragment``."""
    found = [i for i, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return found[nth - 1]


def write(folder: Path, text: str, name: str = "script.toml") -> Path:
    path = folder / name
    path.write_text(text, "utf-8")
    return path


def one_line(run: Run, code: int, start: str) -> None:
    assert run.code == code, (run.out, run.err)
    assert run.err_lines == [run.err.rstrip("\n")], run.err
    assert run.err.startswith(f"error: {start}"), run.err
    assert "Traceback" not in run.err


@pytest.fixture(scope="session")
def lifecycle_template(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    """A database with LIFECYCLE applied (built once for the session), on a registry holding
    the people the script names."""
    path = tmp_path_factory.mktemp("lifecycle") / "lifecycle.db"
    shutil.copyfile(migrated_template, path)
    with Coopflow(f"sqlite:///{path}") as cf:
        apply_script(cf, LIFECYCLE)
    return path


@pytest.fixture
def lifecycle_url(lifecycle_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "lifecycle.db"
    shutil.copyfile(lifecycle_template, target)
    return f"sqlite:///{target}"


def test_dry_run_then_apply_then_apply_again(sqlite_url: str, tmp_path: Path) -> None:
    script = write(tmp_path, LIFECYCLE)
    empty = dump(sqlite_url)

    dry = run_coopflow("--db", sqlite_url, "apply", "--dry-run", str(script), cwd=tmp_path)
    assert dry.code == 0, dry.err
    assert dry.out.splitlines()[-1] == f"dry run of {script}: 13 done; nothing was written"
    assert dump(sqlite_url) == empty

    run = run_coopflow("--db", sqlite_url, "apply", str(script), "--json", cwd=tmp_path)
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["ok"] is True and report["dry_run"] is False
    statuses = [(o["item"], o["status"]) for o in report["outcomes"]]
    assert statuses[:4] == [
        ("party", "done"),
        ("party", "done"),
        ("partnership", "done"),
        ("data", "done"),
    ]
    assert all(status == "done" for _, status in statuses)
    signature = next(o for o in report["outcomes"] if o["item"] == "step signature")
    assert signature["line"] == line_of(LIFECYCLE, 'id = "signature"') - 1
    assert [d["status"] for d in signature["documents"]] == ["final"]
    with Coopflow(sqlite_url) as cf:
        journal = cf.history(REF)
        detail = cf.detail(REF)
        drafts = [d for d in cf.documents_of(REF) if d.kind == "protocole" and d.version == 1]
    assert detail["state"] == "contractualisation.en_vigueur"
    assert detail["programmes"][0]["state"] == "evalue"
    assert detail["programmes"][0]["copil_date"] == "2026-04-24"
    assert detail["approved_document_sha256"] == drafts[0].sha256  # "@latest"
    deliberated = [e.document_sha256 for e in journal if e.event == "deliberation"]
    assert deliberated == [drafts[0].sha256] * 2
    fired = [
        e for e in journal if e.event not in ("creation", "document", "deliberation", "change")
    ]
    # Each step's key is in a column of its own; the comment is the step's, as written.
    assert [(e.idempotency_key, e.comment) for e in fired] == [
        ("script:test-script#1", "Accord des exécutifs"),
        ("script:test-script#engage", None),
        ("script:test-script#projet", None),
        ("script:test-script#approbation", None),
        ("script:test-script#signature", None),
        ("script:test-script#cotech", None),
        ("script:test-script#copil", None),
        ("script:test-script#start", None),
        ("script:test-script#evaluation", None),
    ]
    assert [e.event for e in journal].count("document") == 1  # the programme's render
    # The script's actor enters every step's data, each entry journaled as a change; each
    # event is fired by its step's actor.
    changes = [e for e in journal if e.event == "change"]
    assert len(changes) == 19
    assert {(e.actor, e.role) for e in changes} == {("marie.dupont", "staff")}
    assert [(e.data["operation"], e.programme) for e in changes][-2:] == [
        ("indicator.put", "2026"),
        ("indicator.put", "2026"),
    ]
    fired_by = {e.event: (e.actor, e.role) for e in journal if e.idempotency_key}
    assert fired_by["approuver"] == ("claire.martin", "legal")
    assert fired_by["signer"] == fired_by["approuver_copil"] == ("jean-marc.lacoste", "elected")
    assert fired_by["evaluer"] == ("marie.dupont", "staff")

    rows = dump(sqlite_url)
    again = run_coopflow("--db", sqlite_url, "apply", str(script), cwd=tmp_path)
    assert again.code == 0, again.err
    assert again.out.splitlines()[-1] == f"applied {script}: 3 unchanged, 10 skipped"
    assert dump(sqlite_url) == rows
    # creation, 9 events, 2 délibérations, 1 document and 19 changes
    assert len(rows["coopflow_journal"]) == len(journal) == 32


def test_a_step_added_later_is_the_only_one_applied(lifecycle_url: str) -> None:
    with Coopflow(lifecycle_url) as cf:
        length = len(cf.history(REF))
        report = apply_script(
            cf,
            LIFECYCLE + '\n[[partnerships.steps]]\nevent = "cloturer"\nprogramme = "2026"\n'
            'actor = "jean-marc.lacoste"\nrole = "elected"\n',
        )
        assert [o.item for o in report.outcomes if o.status == "done"] == ["step 10"]
        assert len(cf.history(REF)) == length + 1
        assert cf.history(REF)[-1].idempotency_key == "script:test-script#10"


def test_dry_run_names_the_refused_step_and_its_line(sqlite_url: str, tmp_path: Path) -> None:
    text = LIFECYCLE.replace("published = 2026-03-19\n", "")
    script = write(tmp_path, text)
    with Coopflow(sqlite_url) as cf:  # the parties are already there
        apply_script(cf, text.split("[[partnerships]]")[0])
    before = dump(sqlite_url)
    run = run_coopflow(
        "--db", sqlite_url, "apply", "--dry-run", "--json", str(script), cwd=tmp_path
    )
    line = line_of(text, 'id = "signature"') - 1
    assert run.code == 1
    assert run.err == ""  # with --json, the refusal is in the JSON, as every refusal
    printed = json.loads(run.out)
    assert printed["ok"] is False
    assert printed["error"]["code"] == "guard_failed"
    assert printed["error"]["message"].startswith(f"{script}:{line}: {REF} step signature: ")
    assert [r["message"] for r in printed["error"]["reasons"]] == [
        "no délibération exécutoire for La Cali: délibération n° 2026-031 is not published"
    ]
    statuses = [(o["item"], o["status"], o["line"]) for o in printed["outcomes"]]
    assert [(i, ln) for i, st, ln in statuses if st == "refused"] == [("step signature", line)]
    assert [i for i, st, _ in statuses if st == "not run"] == [
        "step cotech",
        "step copil",
        "step start",
        "step evaluation",
    ]
    assert [i for i, st, _ in statuses if st == "unchanged"] == ["party", "party"]
    assert dump(sqlite_url) == before
    # Without --json, the same refusal on stderr, a line per reason.
    text_run = run_coopflow("--db", sqlite_url, "apply", "--dry-run", str(script), cwd=tmp_path)
    assert text_run.code == 1
    assert text_run.err_lines[:2] == [
        f"error: {script}:{line}: {REF} step signature: signer refused:",
        "  - no délibération exécutoire for La Cali: délibération n° 2026-031 is not published",
    ]
    assert all(x.startswith("    to fix: ") for x in text_run.err_lines[2:])
    assert text_run.out.splitlines()[-1].startswith(f"dry run of {script}: ")


def test_a_refused_step_rolls_back_the_whole_script(sqlite_url: str, tmp_path: Path) -> None:
    text = LIFECYCLE.replace('actor = "claire.martin"\nrole = "legal"', 'role = "staff"')
    script = write(tmp_path, text)
    before = dump(sqlite_url)
    run = run_coopflow("--db", sqlite_url, "apply", str(script), cwd=tmp_path)
    line = line_of(text, 'id = "approbation"') - 1
    one_line(run, 1, f"{script}:{line}: {REF} step approbation: role 'staff' may not fire")
    assert dump(sqlite_url) == before  # parties, partnership and earlier steps: all undone
    with Coopflow(sqlite_url) as cf, pytest.raises(ScriptFailed) as raised:
        apply_script(cf, text)
    assert raised.value.exit_code == 1 and raised.value.outcome.item == "step approbation"
    assert [o.status for o in raised.value.report.outcomes][-1] == "refused"


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [
        pytest.param(
            'actor = "claire.martin"',
            'actor = "intern.bob"',
            'id = "approbation"',
            "step approbation: intern.bob may not approuver: intern.bob is not a registered actor",
            id="step-actor",
        ),
        pytest.param(
            'name = "test-script"\nactor = "marie.dupont"',
            'name = "test-script"\nactor = "intern.bob"',
            "[[parties]]",
            "bordeaux-metropole party: intern.bob may not party.put: intern.bob is not a "
            "registered actor",
            id="script-actor",
        ),
        pytest.param(
            'id = "signature"\nevent = "signer"\nactor = "jean-marc.lacoste"',
            'id = "signature"\nevent = "signer"\nactor = "elu.cooperation"',
            'id = "signature"',
            "elu.cooperation is not a signatory of",
            id="elected-not-a-signatory",
        ),
    ],
)
def test_every_actor_of_a_script_must_be_registered_and_allowed(
    sqlite_url: str, tmp_path: Path, old: str, new: str, at: str, message: str
) -> None:
    assert LIFECYCLE.count(old) == 1, old
    text = LIFECYCLE.replace(old, new)
    script = write(tmp_path, text)
    before = dump(sqlite_url)
    run = run_coopflow("--db", sqlite_url, "apply", str(script), cwd=tmp_path)
    line = line_of(text, at) - (1 if at.startswith("id = ") else 0)
    one_line(run, 1, f"{script}:{line}: ")
    assert message in run.err
    assert dump(sqlite_url) == before


def test_a_guard_failure_through_the_api_carries_its_reasons(sqlite_url: str) -> None:
    text = LIFECYCLE.replace('stakes = [{ title = "Saturation de la RN 89" }]\n', "").replace(
        'stakes = [{ axis = 2, title = "Offre touristique commune" }]\n', ""
    )
    with Coopflow(sqlite_url) as cf:
        with pytest.raises(ScriptFailed) as raised:
            apply_script(cf, text, source="lifecycle.toml")
        assert cf.parties() == []
    assert isinstance(raised.value.error, GuardFailed)
    assert raised.value.error.reasons == ("no cooperation stake identified yet on any axis",)
    line = line_of(text, 'id = "engage"') - 1
    assert str(raised.value).startswith(f"lifecycle.toml:{line}: {REF} step engage: ")


def test_an_existing_partnership_that_differs_is_refused(lifecycle_url: str) -> None:
    with Coopflow(lifecycle_url) as cf:
        report = apply_script(
            cf, LIFECYCLE.replace("Coopération Bordeaux", "Autre titre Bordeaux"), dry_run=True
        )
    refused = report.refusals[0]
    assert (refused.item, refused.line) == ("partnership", line_of(LIFECYCLE, "[[partnerships]]"))
    assert refused.detail == f"partnership {REF} already exists with a different title"
    assert report.exit_code == 1


def _mutate(old: str, new: str) -> str:
    assert old in LIFECYCLE, old
    return LIFECYCLE.replace(old, new, 1)


def _at(fragment: str, nth: int = 1, offset: int = 0) -> Callable[[str], int]:
    """Where the error is expected: the line of ``fragment``, plus ``offset`` (-1: the
    ``[[partnerships.steps]]`` header just above a step's ``id``)."""
    return lambda text: line_of(text, fragment, nth) + offset


BAD = [
    pytest.param(
        _mutate('title = "Tourisme"', 'title = "Tourisme'),
        2,
        _at('title = "Tourisme'),
        "malformed TOML: ",
        id="malformed-toml",
    ),
    pytest.param(
        _mutate('comment = "Accord des exécutifs"', 'comment = "Accord"\ncomment = "Bis"'),
        2,
        _at('comment = "Bis"'),
        "malformed TOML: Cannot overwrite a value",
        id="duplicate-key",
    ),
    pytest.param(
        _mutate('id = "projet"', 'id = "projet"\ncolour = "bleu"'),
        2,
        _at('colour = "bleu"'),
        "partnerships[1].steps[3].colour: unknown key",
        id="unknown-key",
    ),
    pytest.param(
        _mutate('label = "Lancement"', 'labl = "Lancement"'),
        2,
        _at("labl = "),
        "milestones[1]: missing required key 'label' (found 'labl')",
        id="misspelt-nested-key",
    ),
    pytest.param(
        _mutate('title = "Coopération Bordeaux Métropole – La Cali"\n', ""),
        2,
        _at("[[partnerships]]"),
        "partnerships[1]: missing required key 'title'",
        id="missing-field",
    ),
    pytest.param(
        _mutate('role = "elected"', 'role = "maire"'),
        2,
        _at('role = "maire"'),
        "steps[5].role: 'maire' is not one of: staff, legal, elected, admin",
        id="wrong-role",
    ),
    pytest.param(
        _mutate('siren = "200070092"', 'siren = "200070093"'),
        2,
        _at('siren = "200070093"'),
        "parties[2].siren: '200070093' is not a SIREN: its check digit is wrong",
        id="bad-siren",
    ),
    pytest.param(
        _mutate('siren = "200070092"', "siren = 200070092"),
        2,
        _at("siren = 200070092"),
        "parties[2].siren: must be a text",
        id="siren-not-quoted",
    ),
    pytest.param(
        _mutate("sitting_date = 2026-02-27", 'sitting_date = "27.02.2026"'),
        2,
        _at('"27.02.2026"'),
        "deliberations[1].sitting_date: '27.02.2026' is not a date written YYYY-MM-DD or "
        "DD/MM/YYYY",
        id="bad-date",
    ),
    pytest.param(
        _mutate("date_signature = 2026-04-03", 'date_signature = "2026-3-27"'),
        2,
        _at('"2026-3-27"'),
        "steps[5].data.date_signature: '2026-3-27' is not a date written YYYY-MM-DD",
        id="bad-event-date",
    ),
    pytest.param(
        _mutate('event = "revue_cotech"', 'event = "revue_copil"'),
        2,
        _at('"revue_copil"'),
        "steps[6].event: unknown event 'revue_copil' in workflow programme",
        id="unknown-event",
    ),
    pytest.param(
        _mutate("data = { date_copil = 2026-04-24 }", "data = { date = 2026-04-24 }"),
        2,
        _at("data = { date = "),
        "approuver_copil takes no input 'date'",
        id="unknown-input",
    ),
    pytest.param(
        _mutate('data = { bilan = "Objectifs presque atteints." }\n', ""),
        2,
        _at('id = "evaluation"', offset=-1),
        "steps[9].data: evaluer needs input 'bilan'",
        id="missing-input",
    ),
    pytest.param(
        _mutate("data = { date_copil = 2026-04-24 }", 'data = { date_copil = "@latest" }'),
        2,
        _at('"@latest" }', 2),
        "@latest stands for a SHA-256 only",
        id="latest-not-a-sha",
    ),
    pytest.param(
        _mutate('id = "start"', 'id = "copil"'),
        2,
        _at('id = "copil"', 2),
        "step id 'copil' is also the id of step 7",
        id="duplicate-id",
    ),
    pytest.param(
        _mutate('[script]\nname = "test-script"\n', "[script]\n"),
        2,
        _at("[script]"),
        "script: missing required key 'name'",
        id="no-script-name",
    ),
    pytest.param(
        _mutate(
            'id = "start"\nevent = "demarrer"\nprogramme = "2026"\n',
            'id = "start"\ncomment = "x"\n',
        ),
        2,
        _at('comment = "x"'),
        "steps[8].comment: only a step with an event takes it",
        id="comment-without-event",
    ),
    pytest.param(
        _mutate(
            'parties = ["bordeaux-metropole", "la-cali"]',
            'parties = ["bordeaux-metropole", "la-kali"]',
        ),
        1,
        _at("[[partnerships]]"),
        f"{REF} partnership: party la-kali not found",
        id="unknown-party",
    ),
]


@pytest.mark.parametrize(("text", "code", "where", "message"), BAD)
def test_bad_scripts_are_one_line_naming_file_and_line(
    invoke: Invoke,
    sqlite_url: str,
    tmp_path: Path,
    text: str,
    code: int,
    where: Callable[[str], int],
    message: str,
) -> None:
    script = write(tmp_path, text)
    before = dump(sqlite_url)
    run = invoke("apply", str(script))
    one_line(run, code, f"{script}:{where(text)}: ")
    assert message in run.err
    assert dump(sqlite_url) == before
    assert invoke("apply", "--dry-run", str(script)).code == code


def test_bad_script_as_a_subprocess(sqlite_url: str, tmp_path: Path) -> None:
    text = LIFECYCLE.replace("[[partnerships.steps]]", "[[partnerships.steps]", 1)
    script = write(tmp_path, text)
    run = run_coopflow("--db", sqlite_url, "apply", str(script), cwd=tmp_path)
    line = line_of(LIFECYCLE, "[[partnerships.steps]]")
    one_line(run, 2, f"{script}:{line}: malformed TOML: Expected ']]'")
    missing = run_coopflow("--db", sqlite_url, "apply", str(tmp_path / "nope.toml"), cwd=tmp_path)
    one_line(missing, 2, "Invalid value for 'FILE': File ")


def test_line_numbers_survive_multiline_values(sqlite_url: str) -> None:
    text = LIFECYCLE.replace(
        'comment = "Accord des exécutifs"',
        'comment = """Accord des exécutifs\n[[partnerships.steps]]\n"""\n'
        "data = {}\n# [[partnerships.steps]] in a comment",
    ).replace(
        'event = "soumettre_revue_juridique"',
        'event = "soumettre_revue_juridique"\nprogramme = [\n  "[x]",\n]',
    )
    with pytest.raises(ScriptError) as raised, Coopflow(sqlite_url) as cf:
        load_script(text, cf.workflows, source="s.toml")
    line = line_of(text, "programme = [")
    assert str(raised.value) == f"s.toml:{line}: partnerships[1].steps[3].programme: must be a text"


def test_the_demo_script_applied_again_duplicates_nothing(demo_url: str) -> None:
    columns = list(coopflow.metadata.tables["coopflow_partnership"].columns.keys())
    touched = {columns.index("version"), columns.index("updated_at")}

    def rows() -> dict[str, list[tuple[object, ...]]]:
        # A step without an event (Porto's délibération, last of its partnership) is entered
        # again: that moves its partnership's version and timestamp, and nothing else.
        data = dump(demo_url)
        data["coopflow_partnership"] = [
            tuple(v for i, v in enumerate(r) if i not in touched)
            for r in data["coopflow_partnership"]
        ]
        return data

    before = rows()
    with Coopflow(demo_url) as cf:
        report = apply_script(cf, DEMO_FILE)
    assert report.ok
    assert [(o.subject, o.item) for o in report.outcomes if o.status == "done"] == [
        ("COOP-2026-0003", "step deliberation-bordeaux-metropole"),
        ("COOP-2026-0007", "data"),
    ]
    assert rows() == before


def test_the_readme_example_applies(sqlite_url: str) -> None:
    example = Path(__file__).with_name("example_script.toml")
    with Coopflow(sqlite_url) as cf:
        report = apply_script(cf, example)
        assert report.ok and report.count("done") == 17  # 2 parties, creation, data, 13 steps
        detail = cf.detail("COOP-2026-0101")
        finals = [
            (d.kind, d.subject) for d in cf.documents_of("COOP-2026-0101") if d.status == "final"
        ]
    assert detail["state"] == "contractualisation.en_vigueur"
    assert [a["number"] for a in detail["protocol"]["amendments"]] == [1]
    assert [(a["number"], a["status"]) for a in detail["avenants"]] == [(1, "signé")]
    assert [(g["label"], g["state"]) for g in detail["programmes"]] == [
        ("2026", "en_cours"),
        ("2027", "revu_cotech"),
    ]
    assert sorted(finals) == [
        ("avenant", "1"),
        ("consolide", "1"),
        ("programme", "2026"),
        ("protocole", ""),
    ]
