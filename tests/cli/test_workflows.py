"""A host's own workflow definitions at the command line: ``--workflows DIR`` (or
``COOPFLOW_WORKFLOWS``), ``workflow list`` and ``workflow migrate``; an invalid or missing
folder is one ``error:`` line and exit code 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from coopflow.workflows import BUILTIN_DIR

from .conftest import Invoke
from .test_commands import REF, STAFF, add_parties, create, ok, one_error

ADMIN = ("--actor", "alice.admin", "--role", "admin")
V3_TITLE = "Coopération, version de l'hôte"
V3_STATE = """
[states.en_veille]
label = "En veille"

[events.mettre_en_veille]
label = "Mettre en veille"
from = "accueil"
to = "en_veille"
roles = ["staff", "admin"]

[events.sortir_de_veille]
label = "Sortir de veille"
from = "en_veille"
to = "accueil"
roles = ["staff", "admin"]
"""


def cooperation_v3(extra: str = V3_STATE) -> str:
    """The latest built-in cooperation definition (version 2) as a version 3: its own title,
    one state more."""
    v2 = (BUILTIN_DIR / "cooperation.v2.toml").read_text(encoding="utf-8")
    assert v2.count("\nversion = 2\n") == 1
    v3 = v2.replace("\nversion = 2\n", "\nversion = 3\n")
    v3 = re.sub(r"^title = .*$", f'title = "{V3_TITLE}"', v3, count=1, flags=re.M)
    return v3 + extra


@pytest.fixture
def alice(invoke: Invoke) -> None:
    """alice.admin, who migrates the partnerships, registered by the first admin."""
    added = invoke(
        "actor",
        "add",
        "alice.admin",
        "--name",
        "Alice Admin",
        "--role",
        "admin",
        "--actor",
        "admin",
    )
    assert ok(added).out == "alice.admin (Alice Admin): admin; active\n"


@pytest.fixture
def host_dir(tmp_path: Path) -> Path:
    """A host's folder of definitions holding cooperation v3."""
    folder = tmp_path / "host-workflows"
    folder.mkdir()
    (folder / "cooperation.v3.toml").write_text(cooperation_v3(), encoding="utf-8")
    return folder


def listed(run_out: str) -> dict[tuple[str, int], dict[str, object]]:
    return {(w["name"], w["version"]): w for w in json.loads(run_out)}


def test_workflow_list_shows_the_built_in_and_the_host_definitions(
    invoke: Invoke, host_dir: Path
) -> None:
    alone = listed(ok(invoke("workflow", "list", "--json")).out)
    assert set(alone) == {("cooperation", 1), ("cooperation", 2), ("programme", 1)}
    assert alone["cooperation", 1]["source"] == str(BUILTIN_DIR / "cooperation.v1.toml")
    assert alone["cooperation", 2]["source"] == str(BUILTIN_DIR / "cooperation.v2.toml")

    both = listed(ok(invoke("--workflows", str(host_dir), "workflow", "list", "--json")).out)
    assert set(both) == {
        ("cooperation", 1),
        ("cooperation", 2),
        ("cooperation", 3),
        ("programme", 1),
    }
    assert both["cooperation", 3] == {
        "name": "cooperation",
        "version": 3,
        "subject": "partnership",
        "title": V3_TITLE,
        "source": str(host_dir / "cooperation.v3.toml"),
    }
    text = ok(invoke("--workflows", str(host_dir), "workflow", "list")).out.splitlines()
    assert text[0].split() == ["Name", "Version", "Subject", "Title", "Source"]
    row = next(line for line in text if line.endswith(str(host_dir / "cooperation.v3.toml")))
    assert row.split()[:3] == ["cooperation", "3", "partnership"] and V3_TITLE in row


def test_a_partnership_created_with_host_workflows_starts_on_the_latest_version(
    invoke: Invoke, host_dir: Path
) -> None:
    add_parties(invoke)
    created = json.loads(
        ok(
            invoke(
                "--workflows",
                str(host_dir),
                "partnership",
                "create",
                "Coopération Bordeaux Métropole – La Cali",
                "--scale",
                "aire_metropolitaine",
                "--party",
                "bordeaux-metropole",
                "--party",
                "la-cali",
                "--workflow",
                "cooperation",
                *STAFF,
                "--json",
            )
        ).out
    )
    assert (created["workflow"], created["workflow_version"]) == ("cooperation", 3)
    events = json.loads(
        ok(
            invoke("--workflows", str(host_dir), "events", created["reference"], *STAFF, "--json")
        ).out
    )
    assert "mettre_en_veille" in {e["event"] for e in events}  # v3's own event


def test_workflow_migrate_moves_a_v1_partnership_and_journals_it(
    invoke: Invoke, host_dir: Path, alice: None
) -> None:
    create(invoke)  # on cooperation v2, the latest built-in one: no --workflows
    before = json.loads(ok(invoke("history", REF, "--json")).out)
    assert json.loads(ok(invoke("partnership", "show", REF, "--json")).out)["workflow_version"] == 2
    host = ("--workflows", str(host_dir))
    migrate = (*host, "workflow", "migrate", "cooperation", "--from", "2", "--to", "3")
    one_error(invoke(*migrate, *STAFF), 1, "marie.dupont", "workflow.migrate", "admin")
    one_error(
        invoke(*migrate, "--actor", "bob.admin", "--role", "admin"),
        1,
        "bob.admin is not a registered actor",
    )
    assert json.loads(ok(invoke("history", REF, "--json")).out) == before

    run = ok(
        invoke(*host, "workflow", "migrate", "cooperation", "--from", "2", "--to", "3", *ADMIN)
    )
    assert run.out.splitlines() == ["cooperation v2 → v3: 1 moved", f"  {REF}"]

    after = json.loads(ok(invoke(*host, "history", REF, "--json")).out)
    assert after[: len(before)] == before and len(after) == len(before) + 1
    record = after[-1]
    assert (record["event"], record["source_state"], record["target_state"]) == (
        "migration",
        "accueil",
        "accueil",
    )
    assert (record["actor"], record["role"]) == ("alice.admin", "admin")
    assert record["workflow_version"] == 3
    assert record["data"] == {"from_version": 2, "to_version": 3}
    table = ok(invoke(*host, "history", REF)).out.splitlines()
    assert "migration" in table[-1].split() and "alice.admin" in table[-1]
    detail = json.loads(ok(invoke(*host, "partnership", "show", REF, "--json")).out)
    assert (detail["workflow"], detail["workflow_version"]) == ("cooperation", 3)
    fired = json.loads(ok(invoke(*host, "fire", REF, "mettre_en_veille", *STAFF, "--json")).out)
    assert fired["target_state"] == "en_veille"  # the partnership now follows v3
    verified = invoke(*host, "verify")
    assert verified.code == 0 and verified.err.startswith("warning: no checkpoint"), verified

    again = json.loads(
        ok(
            invoke(
                *host,
                "workflow",
                "migrate",
                "cooperation",
                "--from",
                "2",
                "--to",
                "3",
                *ADMIN,
                "--json",
            )
        ).out
    )
    assert again == {"workflow": "cooperation", "from_version": 2, "to_version": 3, "moved": []}


def test_workflow_migrate_with_a_mapping_and_references(
    invoke: Invoke, host_dir: Path, alice: None
) -> None:
    create(invoke)
    host = ("--workflows", str(host_dir))
    migrate = (*host, "workflow", "migrate", "cooperation", "--from", "2", "--to", "3")
    other = invoke(*migrate, "--reference", "COOP-2099-0001", *ADMIN, "--json")
    assert json.loads(ok(other).out)["moved"] == []  # another partnership only: REF stays
    assert json.loads(ok(invoke("partnership", "show", REF, "--json")).out)["workflow_version"] == 2
    moved = invoke(*migrate, "--map", "accueil=en_veille", "--reference", REF, *ADMIN, "--json")
    assert json.loads(ok(moved).out)["moved"] == [REF]
    record = json.loads(ok(invoke(*host, "history", REF, "--json")).out)[-1]
    assert (record["event"], record["target_state"]) == ("migration", "en_veille")


def test_workflows_from_the_environment(invoke: Invoke, host_dir: Path, alice: None) -> None:
    env = {"COOPFLOW_WORKFLOWS": str(host_dir)}
    assert ("cooperation", 3) in listed(ok(invoke("workflow", "list", "--json", env=env)).out)
    create(invoke)
    run = invoke("workflow", "migrate", "cooperation", "--from", "2", "--to", "3", *ADMIN, env=env)
    assert ok(run).out.splitlines()[-1] == f"  {REF}"
    assert json.loads(ok(invoke("history", REF, "--json", env=env)).out)[-1]["event"] == "migration"
    mermaid = json.loads(ok(invoke("diagram", "--json", env=env)).out)
    assert (
        mermaid["version"] == 3 and "accueil --> en_veille: mettre_en_veille" in mermaid["mermaid"]
    )


def test_diagram_reads_the_host_definitions(invoke_bare: Invoke, host_dir: Path) -> None:
    builtin = json.loads(ok(invoke_bare("diagram", "--json")).out)
    assert builtin["version"] == 2 and "en_veille" not in builtin["mermaid"]
    hosted = json.loads(ok(invoke_bare("--workflows", str(host_dir), "diagram", "--json")).out)
    assert hosted["version"] == 3 and "en_veille --> accueil: sortir_de_veille" in hosted["mermaid"]


@pytest.mark.parametrize(
    "command",
    [("workflow", "list"), ("diagram",), ("partnership", "list"), ("history", REF)],
    ids=["workflow-list", "diagram", "partnership-list", "history"],
)
def test_an_invalid_host_definition_is_one_error_line(
    invoke: Invoke, tmp_path: Path, command: tuple[str, ...]
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    bad = folder / "cooperation.v3.toml"
    text = cooperation_v3().replace("\n[workflow]\n", '\n[workflow]\ncolour = "red"\n', 1)
    bad.write_text(text, encoding="utf-8")
    run = invoke("--workflows", str(folder), *command)
    one_error(run, 2, str(bad), "workflow.colour", "unknown key")
    assert "internal error" not in run.err
    assert run.out == ""


def test_a_host_definition_clashing_with_a_built_in_one_is_refused(
    invoke: Invoke, tmp_path: Path
) -> None:
    folder = tmp_path / "clash"
    folder.mkdir()
    copy = folder / "cooperation.v1.toml"
    copy.write_text((BUILTIN_DIR / "cooperation.v1.toml").read_text("utf-8"), encoding="utf-8")
    one_error(
        invoke("--workflows", str(folder), "workflow", "list"),
        2,
        str(copy),
        "workflow.version",
        "already defined",
    )


@pytest.mark.parametrize(
    "command",
    [("workflow", "list"), ("diagram",), ("party", "list")],
    ids=["workflow-list", "diagram", "party-list"],
)
def test_a_missing_workflows_folder_is_one_error_line(
    invoke: Invoke, tmp_path: Path, command: tuple[str, ...]
) -> None:
    missing = tmp_path / "no-such-folder"
    run = invoke("--workflows", str(missing), *command)
    one_error(run, 2, str(missing), "not a folder")
    env_run = invoke(*command, env={"COOPFLOW_WORKFLOWS": str(missing)})
    one_error(env_run, 2, str(missing), "not a folder")


@pytest.mark.parametrize(
    ("items", "fragment"),
    [
        (("--map", "accueil"), "'accueil' is not OLD=NEW"),
        (("--map", "=accueil"), "'=accueil' is not OLD=NEW"),
        (("--map", "accueil=dialogue", "--map", "accueil=en_veille"), "'accueil' is given twice"),
    ],
    ids=["no-equals", "no-old-state", "twice"],
)
def test_bad_map_syntax_is_a_usage_error(
    invoke: Invoke, host_dir: Path, alice: None, items: tuple[str, ...], fragment: str
) -> None:
    create(invoke)
    run = invoke(
        "--workflows",
        str(host_dir),
        "workflow",
        "migrate",
        "cooperation",
        "--from",
        "2",
        "--to",
        "3",
        *items,
        *ADMIN,
    )
    one_error(run, 2, "--map", fragment)
    history = json.loads(ok(invoke("history", REF, "--json")).out)
    assert "migration" not in {e["event"] for e in history}


def test_a_map_to_a_state_the_new_version_lacks_is_refused(
    invoke: Invoke, host_dir: Path, alice: None
) -> None:
    create(invoke)
    run = invoke(
        "--workflows",
        str(host_dir),
        *("workflow", "migrate", "cooperation", "--from", "2", "--to", "3"),
        *("--map", "accueil=nulle_part"),
        *ADMIN,
    )
    one_error(run, 2, "no leaf state 'nulle_part'")
    assert json.loads(ok(invoke("partnership", "show", REF, "--json")).out)["workflow_version"] == 2


def test_a_partnership_can_be_opened_on_an_older_version(invoke: Invoke) -> None:
    add_parties(invoke)
    args = ["partnership", "create", "Sur la version 1", "--scale", "espace_regional"]
    args += ["--party", "bordeaux-metropole", "--party", "la-cali"]
    opened = invoke(*args, "--workflow-version", "1", "--json")
    assert opened.code == 0, opened.err
    assert json.loads(opened.out)["workflow_version"] == 1
    latest = invoke(*args, "--json")
    assert json.loads(latest.out)["workflow_version"] == 2
    unknown = invoke(*args, "--workflow-version", "9")
    assert unknown.code == 2
    assert "unknown workflow cooperation v9" in unknown.err
