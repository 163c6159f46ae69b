"""Workflow definitions: the built-in ones load, malformed ones are rejected by file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from coopflow import InvalidWorkflowError, Registry, TransitionNotAllowed
from coopflow._workflow import PREVIOUS, load_folder, parse_workflow
from coopflow.workflows import BUILTIN_DIR, registry

VALID = """
[workflow]
name = "mini"
version = 1
initial = "a"

[states.a]
[states.b]
[states.c]
final = true

[events.go]
from = "a"
to = "b"
roles = ["staff"]

[events.stop]
from = "b"
to = "c"
roles = ["admin"]
"""


def test_builtin_definitions_load_with_nested_states() -> None:
    workflows = load_folder(BUILTIN_DIR, registry)
    coop = workflows.get("cooperation")
    assert coop.version == 2  # the latest; version 1 stays loadable
    assert coop.leaf("contractualisation") == "contractualisation.redaction"
    assert "contractualisation.avenant.revue_juridique" in coop.states
    assert coop.leaves_with("amendment_review") == ["contractualisation.avenant.revue_juridique"]
    assert set(coop.final_states()) == {"renouvele", "resilie", "abandonne"}
    first = workflows.get("cooperation", 1)
    assert "contractualisation.avenant.deliberations" in first.states
    assert "contractualisation.avenant.revue_juridique" not in first.states
    # Every state of version 1 is one of version 2's: a partnership moves without a mapping,
    # unless it should go elsewhere.
    assert set(first.states) <= set(coop.states)
    programme = workflows.get("programme")
    assert programme.subject == "programme"
    assert programme.initial == "brouillon"


def test_event_from_a_compound_state_applies_to_every_state_inside_it() -> None:
    coop = load_folder(BUILTIN_DIR, registry).get("cooperation")
    for state in ("contractualisation.redaction", "contractualisation.avenant.redaction"):
        assert coop.run(state, "suspendre") == "suspendu"
    assert "suspendre" in [e.name for e in coop.events_from("contractualisation.en_vigueur")]


def test_previous_target_resumes_where_the_partnership_was_suspended() -> None:
    coop = load_folder(BUILTIN_DIR, registry).get("cooperation")
    assert coop.events["reprendre"].target == PREVIOUS
    assert coop.run("suspendu", "reprendre", "dialogue") == "dialogue"
    assert (
        coop.run("suspendu", "reprendre", "contractualisation.deliberations")
        == "contractualisation.deliberations"
    )


def test_machine_refusal_is_translated() -> None:
    coop = load_folder(BUILTIN_DIR, registry).get("cooperation")
    with pytest.raises(TransitionNotAllowed) as info:
        coop.run("accueil", "signer")
    assert info.value.state == "accueil"
    assert "ouvrir_dialogue" in info.value.allowed


def test_mermaid_diagram_names_states_and_events() -> None:
    text = load_folder(BUILTIN_DIR, registry).get("cooperation").mermaid()
    assert text.startswith("stateDiagram-v2")
    assert "contractualisation__redaction --> contractualisation__revue_juridique: " in text
    assert 'state "Contractualisation" as contractualisation {' in text


def test_a_valid_minimal_definition_parses() -> None:
    wf = parse_workflow(VALID, "mini.toml", Registry())
    assert wf.run("a", "go") == "b"


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (lambda t: t.replace('name = "mini"', 'name = "Mini Flow"'), "workflow.name", "lower-case"),
        (lambda t: t.replace("version = 1", "version = 0"), "workflow.version", ">= 1"),
        (
            lambda t: t.replace('initial = "a"', 'initial = "z"'),
            "workflow.initial",
            "unknown state",
        ),
        (
            lambda t: t.replace('from = "a"', 'from = "nowhere"'),
            "events.go.from[0]",
            "unknown state",
        ),
        (lambda t: t.replace('to = "b"', 'to = "nowhere"'), "events.go.to", "unknown state"),
        (
            lambda t: t.replace('roles = ["staff"]', 'roles = ["mayor"]'),
            "events.go.roles[0]",
            "unknown role",
        ),
        (
            lambda t: t.replace('roles = ["staff"]', 'roles = ["staff"]\nguards = ["nope"]'),
            "events.go.guards[0]",
            "unknown guard 'nope'",
        ),
        (
            lambda t: t.replace('roles = ["staff"]', 'roles = ["staff"]\neffects = ["nope"]'),
            "events.go.effects[0]",
            "unknown effect 'nope'",
        ),
        (
            lambda t: t.replace('roles = ["staff"]', 'roles = ["staff"]\ncolour = "red"'),
            "events.go.colour",
            "unknown key",
        ),
        (lambda t: t + "\n[states.orphan]\n", "states.orphan", "unreachable"),
        (
            lambda t: t + '\n[events.again]\nfrom = "c"\nto = "a"\nroles = ["staff"]\n',
            "events.again.from[0]",
            "final",
        ),
        (
            lambda t: t.replace("[events.go]", "[events.go]\nlabel = 3"),
            "events.go.label",
            "non-empty string",
        ),
        (
            lambda t: t.replace("[states.a]", '[states.a]\ninitial = "b"'),
            "states.a.initial",
            "only a state with children",
        ),
        (
            lambda t: t.replace("[events.go]", '[events.go]\ninputs.x = { type = "colour" }'),
            "events.go.inputs.x.type",
            "must be one of",
        ),
        (lambda t: t.replace("version = 1", "version = 1\nversion = 2"), "(syntax)", ""),
    ],
)
def test_malformed_definition_names_file_and_key(change, key: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidWorkflowError) as info:
        parse_workflow(change(VALID), "mini.toml", Registry())
    assert info.value.source == "mini.toml"
    assert info.value.key == key
    assert message in str(info.value)
    assert str(info.value).startswith(f"mini.toml: {key}: ")


def test_folder_definitions_are_validated_against_the_registry(tmp_path: Path) -> None:
    (tmp_path / "custom.v1.toml").write_text(
        VALID.replace('roles = ["staff"]', 'roles = ["staff"]\nguards = ["custom_check"]'),
        encoding="utf-8",
    )
    with pytest.raises(InvalidWorkflowError, match="unknown guard 'custom_check'") as info:
        load_folder(tmp_path, registry)
    assert info.value.source.endswith("custom.v1.toml")
    mine = registry.child()
    mine.guard("custom_check")(lambda ctx: [])
    loaded = load_folder(tmp_path, mine)
    assert loaded.get("mini").events["go"].guards == ("custom_check",)
    # the child registry adds to the built-in one without changing it
    assert registry.get_guard("custom_check") is None
    assert mine.get_guard("has_exchange") is not None


def test_duplicate_name_and_version_is_rejected(tmp_path: Path) -> None:
    for name in ("one.toml", "two.toml"):
        (tmp_path / name).write_text(VALID, encoding="utf-8")
    with pytest.raises(InvalidWorkflowError, match="already defined"):
        load_folder(tmp_path, Registry())
