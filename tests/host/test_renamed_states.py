"""Workflows are data: a host's definitions whose every state and event has another name (here,
English ones) run the whole lifecycle with the built-in guards and effects, because the engine
asks the definition for capabilities and never names a state."""

from __future__ import annotations

import ast
import datetime as dt
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from coopflow import Coopflow, ValidationError
from coopflow._workflow import CAPABILITIES, POLICY_FILE, load_folder, parse_workflow
from coopflow.errors import InvalidWorkflowError
from coopflow.workflows import BUILTIN_DIR, registry

from tests import scenario
from tests.scenario import ELECTED, LEGAL, STAFF

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = Path(__file__).parent / "workflows_en"
# Words that are state names of the built-in workflows and also have another meaning the
# engine legitimately names: a document kind, and the key of délibérations in snapshots/scripts.
#: Words that are also state names but mean something else in the code: a thematic
#: ``dialogue`` (revision 0009) is the field and the key of a dialogue, not the state.
OTHER_MEANINGS = {"avenant", "deliberations", "dialogue"}


def _builtin_state_names() -> set[str]:
    names: set[str] = set()
    for path in BUILTIN_DIR.glob("*.toml"):
        if path.name == POLICY_FILE:  # the permissions policy beside the definitions
            continue
        states = tomllib.loads(path.read_text("utf-8"))["states"]

        def walk(table: dict[str, dict[str, object]], prefix: str) -> None:
            for name, body in table.items():
                names.update({name, prefix + name})
                children = body.get("states")
                if isinstance(children, dict):
                    walk(children, f"{prefix}{name}.")

        walk(states, "")
    return names


def test_no_built_in_state_name_in_engine_code() -> None:
    names = _builtin_state_names() - OTHER_MEANINGS
    assert "contractualisation.en_vigueur" in names and "revu_cotech" in names
    sources = [p for p in (ROOT / "engine").rglob("*.py") if "demo" not in p.parts]
    sources.append(ROOT / "workflows" / "_builtin.py")
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for path in sources
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Constant) and node.value in names
    ]
    assert found == []


@pytest.fixture
def english(migrated_url: str) -> Iterator[Coopflow]:
    instance = Coopflow(migrated_url, workflows_dir=ENGLISH)
    yield instance
    instance.close()


def _english_partnership(cf: Coopflow) -> str:
    scenario.add_parties(cf, "bordeaux-metropole", "la-cali")
    return cf.create_partnership(
        "Cooperation Bordeaux Métropole – La Cali",
        scale="espace_regional",
        parties=["bordeaux-metropole", "la-cali"],
        home="bordeaux-metropole",
        lead="bordeaux-metropole",
        responsible=STAFF.id,
        actor=STAFF,
        workflow="lifecycle",
    ).reference


def test_a_host_workflow_with_other_state_names_runs_the_whole_lifecycle(
    english: Coopflow,
) -> None:
    cf = english
    ref = _english_partnership(cf)
    assert cf.partnership(ref).state == "welcome"
    cf.log_exchange(ref, date="2026-09-15", kind="reunion", summary="First meeting", actor=STAFF)
    cf.fire(ref, "open_talks", STAFF)
    # Content is editable in "talks" because the state says so.
    scenario.with_axes(cf, ref, ("bordeaux-metropole", "la-cali"))
    assert cf.fire(ref, "start_contract", STAFF).target_state == "contract.drafting"
    cf.set_protocol(
        ref,
        start=scenario.START,
        end=scenario.END,
        preamble=["Les Parties partagent un bassin de vie."],
        copil="Les élus des Parties.",
        cotech="Les services des Parties.",
        meetings_per_year=2,
        means="Le présent protocole n'a pas d'incidence financière propre.",
        actor=STAFF,
    )
    for party in ("bordeaux-metropole", "la-cali"):
        first, last, title, civility = scenario.SIGNATORIES[party]
        cf.set_signatory(
            ref,
            party=party,
            first_name=first,
            last_name=last,
            title=title,
            civility=civility,
            actor=STAFF,
        )

    submitted = cf.fire(ref, "submit_for_review", STAFF)
    assert [d.kind for d in submitted.documents] == ["protocole"]
    sha = submitted.documents[0].sha256
    cf.fire(ref, "approve", LEGAL, data={"document_sha256": sha})
    # Délibérations are recorded in "contract.councils", which declares "deliberating".
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    signed = cf.fire(ref, "sign", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    assert signed.target_state == "contract.in_force"
    assert [d.status for d in signed.documents] == ["final"]

    # In force, the content is frozen: the refusal names the states that allow it.
    with pytest.raises(ValidationError) as refused:
        cf.add_axis(ref, "Un axe de trop", actor=STAFF)
    assert "contract.in_force" in str(refused.value)
    assert "talks" in str(refused.value) and "contract.drafting" in str(refused.value)

    # The programme follows the workflow the lifecycle declares ("workplan").
    label = scenario.with_programme(cf, ref)
    assert cf.detail(ref)["programmes"][0]["state"] == "draft"
    cf.fire(ref, "review", STAFF, programme=label)
    awaiting = cf.due(today=dt.date(2027, 3, 25), within_days=30)
    assert [(d.reference, d.kind) for d in awaiting] == [(ref, "copil_approval")]
    approved = cf.fire(
        ref, "steering_approval", ELECTED, programme=label, data={"date_copil": "2027-03-22"}
    )
    assert approved.target_state == "approved"
    assert [d.kind for d in approved.documents] == ["programme"]
    with pytest.raises(ValidationError, match="can no longer change"):
        cf.add_action(ref, label, axis=1, title="Trop tard", lead="bordeaux-metropole", actor=STAFF)

    # Deadlines: the running programme's overdue milestone, the protocol's end, and the
    # protocol years short of their two COPIL meetings.
    late = cf.due(today=dt.date(2029, 12, 15), within_days=30)
    assert {(d.reference, d.kind) for d in late} == {
        (ref, "milestone"),
        (ref, "protocol_end"),
        (ref, "annual_copil"),
    }
    assert [d.protocol_year for d in late if d.kind == "annual_copil"] == [1, 2, 3]

    # Expired: a state declaring "ended" (not final): nothing of it falls due any more.
    expired = cf.fire(ref, "expire", STAFF, data={"bilan": "Done."}, today=dt.date(2030, 1, 2))
    assert expired.target_state == "expired"
    assert cf.due(today=dt.date(2030, 1, 2), within_days=30) == []

    # A renewal opens its successor in the state that declares "drafting".
    renewed = cf.fire(ref, "renew", STAFF, data={"debut": "2030-01-01", "fin": "2033-12-31"})
    successor = renewed.record.data["successor"]
    assert cf.partnership(successor).state == "contract.drafting"
    assert cf.partnership(successor).workflow == "lifecycle"

    assert [e.target_state for e in cf.history(ref)][-1] == "renewed"
    assert cf.verify().ok


def test_a_workflow_that_declares_no_capability_allows_no_data_entry(
    migrated_url: str, tmp_path: Path
) -> None:
    bare = (ENGLISH / "lifecycle.v1.toml").read_text("utf-8")
    bare = "\n".join(line for line in bare.splitlines() if not line.startswith("capabilities"))
    (tmp_path / "lifecycle.v1.toml").write_text(bare.replace('"lifecycle"', '"bare"'), "utf-8")
    (tmp_path / "workplan.v1.toml").write_text(
        (ENGLISH / "workplan.v1.toml").read_text("utf-8"), "utf-8"
    )
    with Coopflow(migrated_url, workflows_dir=tmp_path) as cf:
        scenario.add_parties(cf, "bordeaux-metropole", "la-cali")
        ref = cf.create_partnership(
            "Sans capacités",
            scale="espace_regional",
            parties=["bordeaux-metropole", "la-cali"],
            home="bordeaux-metropole",
            responsible=STAFF.id,
            actor=STAFF,
            workflow="bare",
        ).reference
        with pytest.raises(ValidationError, match="no state of bare"):
            cf.add_axis(ref, "Mobilités", actor=STAFF)


def test_capabilities_are_inherited_by_nested_states() -> None:
    wf = load_folder(ENGLISH, registry).get("lifecycle")
    assert wf.allows("contract.amending.writing", "in_force")
    assert wf.allows("contract.councils", "programmes_open")
    assert not wf.allows("welcome", "programmes_open")
    assert wf.leaves_with("in_force") == [
        "contract.in_force",
        "contract.amending.writing",
        "contract.amending.voting",
    ]
    assert wf.entered_with("drafting") == "contract.drafting"


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ('capabilities = ["in_force"]', "states.welcome.capabilities[0]", "unknown capability"),
        ('capabilities = ["on_fire"]', "states.welcome.capabilities[0]", "unknown capability"),
        ("capabilities = 3", "states.welcome.capabilities", "a string or a list"),
    ],
)
def test_an_unknown_capability_is_refused_naming_the_key(
    change: str, key: str, message: str
) -> None:
    text = (ENGLISH / "workplan.v1.toml").read_text("utf-8")
    text = text.replace(
        '[states.draft]\nlabel = "Draft"\ncapabilities = ["programme_editable"]',
        f'[states.welcome]\nlabel = "Draft"\n{change}',
    )
    text = text.replace('initial = "draft"', 'initial = "welcome"').replace(
        'from = "draft"', 'from = "welcome"'
    )
    with pytest.raises(InvalidWorkflowError) as refused:
        parse_workflow(text, "workplan.v1.toml", registry)
    assert key in str(refused.value) and message in str(refused.value)
    if "unknown capability" in message:
        assert ", ".join(CAPABILITIES["programme"]) in str(refused.value)


def test_the_programme_workflow_must_be_a_programme_one(tmp_path: Path) -> None:
    text = (ENGLISH / "lifecycle.v1.toml").read_text("utf-8")
    (tmp_path / "lifecycle.v1.toml").write_text(
        text.replace('programmes = "workplan"', 'programmes = "nowhere"'), "utf-8"
    )
    workflows = load_folder(tmp_path, registry)
    with pytest.raises(ValidationError, match="unknown workflow 'nowhere'"):
        workflows.programmes_of(workflows.get("lifecycle"))
    (tmp_path / "lifecycle.v1.toml").write_text(
        text.replace('programmes = "workplan"', 'programmes = "lifecycle"'), "utf-8"
    )
    workflows = load_folder(tmp_path, registry)
    with pytest.raises(ValidationError, match="is for partnerships, not programmes"):
        workflows.programmes_of(workflows.get("lifecycle"))
    with pytest.raises(InvalidWorkflowError, match="only a partnership workflow"):
        parse_workflow(
            (ENGLISH / "workplan.v1.toml")
            .read_text("utf-8")
            .replace('title = "Work plan', 'programmes = "x"\ntitle = "Work plan'),
            "workplan.v1.toml",
            registry,
        )
