"""The avenant under version 2 of the cooperation workflow: reviewed by the legal department,
approved by the hash of its exact document, signed only while it still says what was approved,
withdrawable; version 1 kept for the partnerships that follow it, and the move from one to the
other journaled."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import coopflow
import pytest
from click.testing import CliRunner
from coopflow import (
    Actor,
    Coopflow,
    GuardFailed,
    PermissionDenied,
    TransitionNotAllowed,
    UnknownEventError,
    ValidationError,
    apply_script,
)
from coopflow.cli import cli
from sqlalchemy import create_engine, text

from tests import scenario
from tests.scenario import ADMIN, ELECTED, LEGAL, STAFF

PARTIES = ("bordeaux-metropole", "la-cali")
SIGNING = {"date_signature": "2028-01-15"}


def _drafted(cf: Coopflow, ref: str, subject: str = "Ajout d'un objectif culturel") -> int:
    """An avenant proposed and written (one change, its exposé des motifs): its number."""
    proposed = cf.fire(ref, "proposer_avenant", STAFF, data={"objet": subject})
    cf.add_amendment_change(
        ref, "completer", 2, text="Les Parties poursuivent un objectif culturel.", actor=STAFF
    )
    cf.set_amendment_motives(ref, "Le dialogue a fait émerger un enjeu culturel.", actor=STAFF)
    return int(proposed.record.data["avenant"])


def _statuses(cf: Coopflow, ref: str) -> dict[int, str]:
    return {a["number"]: a["status"] for a in cf.detail(ref)["avenants"]}


def test_a_new_partnership_follows_version_2(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)
    assert cf.partnership(ref).workflow_version == 2
    assert cf.workflows.get("cooperation").version == 2
    assert cf.workflows.get("cooperation", 1).version == 1  # still loadable


def test_the_legal_department_approves_the_avenants_exact_document(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    number = _drafted(cf, ref)
    submitted = cf.fire(ref, "soumettre_avenant", STAFF)
    assert submitted.target_state == "contractualisation.avenant.revue_juridique"
    (first,) = submitted.documents
    assert (first.kind, first.subject, first.status) == ("avenant", "1", "draft")
    assert _statuses(cf, ref) == {1: "en cours"}
    # Straight to the councils is no longer a way: the legal department comes first.
    with pytest.raises(TransitionNotAllowed):
        cf.fire(ref, "signer_avenant", ELECTED, data=SIGNING)
    with pytest.raises(
        ValidationError, match="recording a délibération on an avenant is not possible"
    ):
        scenario.record_avenant_deliberations(cf, ref, PARTIES, number)
    protocol = scenario.latest_protocol_sha(cf, ref)
    with pytest.raises(GuardFailed) as wrong:
        cf.fire(ref, "approuver_avenant", LEGAL, data={"document_sha256": protocol})
    assert wrong.value.reasons == (
        f"document {protocol[:12]}… is not the latest version of avenant n° 1 (the latest is "
        f"version 1, {first.sha256})",
    )
    with pytest.raises(PermissionDenied):  # the legal department's, and no one else's
        cf.fire(ref, "approuver_avenant", STAFF, data={"document_sha256": first.sha256})

    # The legal department asks for a change: back to drafting, then a new version.
    back = cf.fire(ref, "demander_modifications_avenant", LEGAL, data={"motif": "Citer l'axe 2"})
    assert back.target_state == "contractualisation.avenant.redaction"
    cf.add_amendment_change(
        ref, "rediger", 7, text="Le comité de pilotage évalue la coopération.", actor=STAFF
    )
    (second,) = cf.fire(ref, "soumettre_avenant", STAFF).documents
    assert second.version == 2 and second.sha256 != first.sha256
    with pytest.raises(GuardFailed, match="is not the latest version of avenant n° 1"):
        cf.fire(ref, "approuver_avenant", LEGAL, data={"document_sha256": first.sha256})
    approved = cf.fire(ref, "approuver_avenant", LEGAL, data={"document_sha256": second.sha256})
    assert approved.target_state == "contractualisation.avenant.deliberations"
    assert approved.record.document_sha256 == second.sha256
    assert approved.record.data["content_sha256"] == second.content_sha256
    assert approved.record.data["avenant"] == number
    assert _statuses(cf, ref) == {1: "approuvé"}
    assert cf.detail(ref)["avenants"][0]["approved_document_sha256"] == second.sha256

    # The councils deliberate on the approved document, then it is signed.
    scenario.record_avenant_deliberations(cf, ref, PARTIES, number)
    deliberated = [e for e in cf.history(ref) if e.event == "deliberation"][-2:]
    assert {e.document_sha256 for e in deliberated} == {second.sha256}
    signed = cf.fire(ref, "signer_avenant", ELECTED, data=SIGNING)
    assert signed.target_state == "contractualisation.en_vigueur"
    assert signed.record.data["approved_avenant_sha256"] == second.sha256
    assert [(d.kind, d.status) for d in signed.documents] == [
        ("avenant", "final"),
        ("consolide", "final"),
    ]
    assert _statuses(cf, ref) == {1: "signé"}
    assert cf.verify().ok


def test_the_submitter_does_not_approve_the_avenant(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    both = Actor("claire.both", "staff")
    scenario.register(cf, both, roles=("legal",))
    _drafted(cf, ref)
    cf.fire(ref, "soumettre_avenant", both)
    sha = scenario.latest_avenant_sha(cf, ref)
    with pytest.raises(PermissionDenied, match="submitted this version"):
        cf.fire(ref, "approuver_avenant", Actor(both.id, "legal"), data={"document_sha256": sha})
    cf.fire(ref, "approuver_avenant", LEGAL, data={"document_sha256": sha})


def test_whoever_wrote_the_avenant_does_not_approve_it(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    writer = Actor("paul.ecrit", "staff")
    scenario.register(cf, writer, roles=("legal",))
    cf.fire(ref, "proposer_avenant", STAFF, data={"objet": "Un objectif culturel"})
    cf.add_amendment_change(ref, "completer", 2, text="Un objectif culturel.", actor=writer)
    cf.set_amendment_motives(ref, "Le dialogue l'a fait émerger.", actor=STAFF)
    cf.fire(ref, "soumettre_avenant", STAFF)  # someone else submits it
    sha = scenario.latest_avenant_sha(cf, ref)
    with pytest.raises(PermissionDenied, match="wrote changes of the avenant") as refused:
        cf.fire(ref, "approuver_avenant", Actor(writer.id, "legal"), data={"document_sha256": sha})
    assert "separation of duties" in str(refused.value)
    cf.fire(ref, "approuver_avenant", LEGAL, data={"document_sha256": sha})


def test_signing_is_refused_once_the_avenant_says_something_else(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    number = scenario.avenant_for_the_councils(cf, ref)
    approved = scenario.latest_avenant_sha(cf, ref)
    scenario.record_avenant_deliberations(cf, ref, PARTIES, number)
    # La Cali's name changes in the registry: the avenant's text names it, so it changed.
    fields = dict(scenario.PARTIES["la-cali"], usual_name="La CALI")
    cf.add_party("la-cali", **fields, replace=True, actor=STAFF)  # type: ignore[arg-type]
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "signer_avenant", ELECTED, data=SIGNING)
    assert refused.value.reasons == (
        f"avenant n° 1 changed after the legal department approved document {approved}: fire "
        "resoumettre_avenant",
    )
    again = cf.fire(ref, "resoumettre_avenant", STAFF)
    assert again.target_state == "contractualisation.avenant.revue_juridique"
    new = scenario.approve_avenant(cf, ref)
    assert new != approved
    # The councils deliberated on the text approved before: they deliberate again.
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "signer_avenant", ELECTED, data=SIGNING)
    assert len(refused.value.reasons) == 2
    assert all("must deliberate again" in r and approved in r for r in refused.value.reasons)
    scenario.record_avenant_deliberations(cf, ref, PARTIES, number, sitting="2027-12-20")
    cf.fire(ref, "signer_avenant", ELECTED, data=SIGNING)
    assert _statuses(cf, ref) == {1: "signé"}


def test_a_withdrawn_avenant_leaves_the_protocol_as_it_was(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    protocol = cf.snapshot(ref)
    first = scenario.avenant_for_the_councils(cf, ref)
    scenario.record_avenant_deliberations(cf, ref, PARTIES[:1], first)
    with pytest.raises(ValidationError, match="retirer_avenant needs motif"):
        cf.fire(ref, "retirer_avenant", STAFF)
    withdrawn = cf.fire(
        ref, "retirer_avenant", STAFF, data={"motif": "Le conseil de La Cali l'a rejeté."}
    )
    assert withdrawn.target_state == "contractualisation.en_vigueur"
    assert withdrawn.record.data["avenant"] == 1 and withdrawn.record.data["withdrawn"] is True
    assert (
        "avenant n° 1 withdrawn: Le conseil de La Cali l'a rejeté." in cf.history(ref)[-1].summary
    )
    (listed,) = cf.detail(ref)["avenants"]
    assert (listed["status"], listed["withdrawal_reason"]) == (
        "retiré",
        "Le conseil de La Cali l'a rejeté.",
    )
    assert listed["withdrawn_on"] == scenario.TODAY.isoformat()
    assert cf.snapshot(ref) == protocol  # the protocol as it was
    assert cf.detail(ref)["protocol"]["amendments"] == []  # nothing signed
    with pytest.raises(ValidationError, match="was withdrawn"):
        cf.render(ref, "avenant", subject="1", actor=STAFF)

    # A second one withdrawn while drafted, from any state of the avenant.
    second = _drafted(cf, ref, "Un objectif de coopération sportive")
    assert second == 2
    cf.fire(ref, "retirer_avenant", STAFF, data={"motif": "Reporté à l'an prochain"})
    # The next one takes the next number; only it amends the protocol.
    third = _drafted(cf, ref, "Un objectif de coopération universitaire")
    assert third == 3
    cf.fire(ref, "soumettre_avenant", STAFF)
    scenario.approve_avenant(cf, ref, third)
    scenario.record_avenant_deliberations(cf, ref, PARTIES, third)
    signed = cf.fire(ref, "signer_avenant", ELECTED, data=SIGNING)
    assert [(d.kind, d.subject) for d in signed.documents] == [("avenant", "3"), ("consolide", "3")]
    assert _statuses(cf, ref) == {1: "retiré", 2: "retiré", 3: "signé"}
    consolidated = json.loads(cf.snapshot(ref, "consolide", subject="3"))
    assert [a["number"] for a in consolidated["amendments"]] == [3]
    avenant = json.loads(cf.snapshot(ref, "avenant", subject="3"))
    assert avenant["earlier_amendments"] == []  # neither withdrawn one counts as signed
    assert cf.verify().ok


def test_a_withdrawal_changed_in_sql_is_named_by_verify(cf: Coopflow, migrated_url: str) -> None:
    ref = scenario.signed(cf)
    _drafted(cf, ref)
    cf.fire(ref, "retirer_avenant", STAFF, data={"motif": "Abandonné par les Parties"})
    assert cf.verify().ok
    engine = create_engine(migrated_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE coopflow_amendment SET withdrawal_reason = 'autre chose'"))
    engine.dispose()
    report = cf.verify()
    assert not report.ok
    assert any("the avenants" in str(problem) for problem in report.problems)


def test_the_script_approves_the_avenant_under_review_with_latest(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    script = f"""
[script]
name = "avenant-review"
actor = "{STAFF.id}"

[[partnerships]]
reference = "{ref}"
title = "Coopération Bordeaux Métropole – la-cali"
scale = "espace_regional"
parties = ["bordeaux-metropole", "la-cali"]
lead = "bordeaux-metropole"

[[partnerships.steps]]
id = "avenant"
event = "proposer_avenant"
data = {{ objet = "Un objectif culturel" }}

[[partnerships.steps]]
id = "revue"
event = "soumettre_avenant"
avenant_motives = "Le dialogue a fait émerger un enjeu culturel."
avenant_changes = [{{ operation = "completer", article = 2, text = "Un objectif culturel." }}]

[[partnerships.steps]]
id = "approbation"
event = "approuver_avenant"
actor = "{LEGAL.id}"
role = "legal"
data = {{ document_sha256 = "@latest" }}
"""
    report = apply_script(cf, script)
    assert report.ok
    (avenant,) = cf.detail(ref)["avenants"]
    assert avenant["status"] == "approuvé"
    assert avenant["approved_document_sha256"] == scenario.latest_avenant_sha(cf, ref)
    assert avenant["approved_document_sha256"] != scenario.latest_protocol_sha(cf, ref)


def test_version_1_partnerships_keep_version_1s_avenant(cf: Coopflow) -> None:
    ref = scenario.signed(cf, workflow_version=1)
    assert cf.partnership(ref).workflow_version == 1
    number = _drafted(cf, ref)
    submitted = cf.fire(ref, "soumettre_avenant", STAFF)
    assert submitted.target_state == "contractualisation.avenant.deliberations"  # no review
    for event in ("approuver_avenant", "retirer_avenant"):
        with pytest.raises(UnknownEventError):
            cf.fire(ref, event, LEGAL, data={})
    scenario.record_avenant_deliberations(cf, ref, PARTIES, number)
    deliberated = [e for e in cf.history(ref) if e.event == "deliberation"][-1]
    assert deliberated.document_sha256 == scenario.latest_avenant_sha(cf, ref)
    signed = cf.fire(ref, "signer_avenant", ELECTED, data=SIGNING)
    assert signed.target_state == "contractualisation.en_vigueur"
    assert "approved_avenant_sha256" not in signed.record.data
    # Version 1's termination, as it was: a reason and a date of effect.
    ended = cf.fire(
        ref, "resilier", ELECTED, data={"motif": "Intérêt général", "date_effet": "2099-01-01"}
    )
    assert ended.target_state == "resilie"
    assert "termination" not in ended.record.data
    assert cf.verify().ok


def test_migrating_version_1_partnerships_to_version_2_is_journaled(cf: Coopflow) -> None:
    amending = scenario.signed(cf, workflow_version=1)
    number = _drafted(cf, amending)
    cf.fire(amending, "soumettre_avenant", STAFF)  # v1: at the councils, never reviewed
    drafting = scenario.in_drafting(cf, "ville-de-saintes", workflow_version=1)
    mapping = {
        "contractualisation.avenant.deliberations": "contractualisation.avenant.revue_juridique"
    }
    with pytest.raises(PermissionDenied):  # an admin's
        cf.migrate_workflow(
            "cooperation", from_version=1, to_version=2, mapping=mapping, actor=STAFF
        )
    with pytest.raises(ValidationError, match="no leaf state"):
        cf.migrate_workflow(
            "cooperation",
            from_version=1,
            to_version=2,
            mapping={"contractualisation.avenant.deliberations": "contractualisation.avenant"},
            actor=ADMIN,
        )
    before = {ref: len(cf.history(ref)) for ref in (amending, drafting)}
    moved = cf.migrate_workflow(
        "cooperation", from_version=1, to_version=2, mapping=mapping, actor=ADMIN
    )
    assert sorted(moved) == sorted([amending, drafting])
    for ref in moved:
        history = cf.history(ref)
        assert len(history) == before[ref] + 1  # one record each
        record = history[-1]
        assert (record.event, record.actor, record.role) == ("migration", ADMIN.id, "admin")
        assert record.data == {"from_version": 1, "to_version": 2}
        assert (record.workflow, record.workflow_version) == ("cooperation", 2)
        assert cf.partnership(ref).workflow_version == 2
    assert cf.partnership(amending).state == "contractualisation.avenant.revue_juridique"
    assert cf.partnership(drafting).state == "contractualisation.redaction"
    assert (
        cf.migrate_workflow(
            "cooperation", from_version=1, to_version=2, mapping=mapping, actor=ADMIN
        )
        == []
    )  # nothing left on version 1
    # Under version 2 the avenant is approved before its councils deliberate.
    with pytest.raises(TransitionNotAllowed):
        cf.fire(amending, "signer_avenant", ELECTED, data=SIGNING)
    scenario.approve_avenant(cf, amending, number)
    scenario.record_avenant_deliberations(cf, amending, PARTIES, number)
    cf.fire(amending, "signer_avenant", ELECTED, data=SIGNING)
    assert cf.partnership(amending).state == "contractualisation.en_vigueur"
    assert cf.verify().ok


def test_a_signature_date_of_version_2_is_checked_on_the_avenant_too(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    number = scenario.avenant_for_the_councils(cf, ref)
    scenario.record_avenant_deliberations(cf, ref, PARTIES, number)
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "signer_avenant", ELECTED, data={"date_signature": "2027-03-01"})
    assert (
        "the signature date 2027-03-01 is before the protocol's own signature (2027-03-20)"
        in refused.value.reasons
    )
    late = dt.date(2030, 1, 10)
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "signer_avenant", ELECTED, data={"date_signature": late}, today=late)
    assert any("outside the protocol's period" in r for r in refused.value.reasons)


def test_an_avenant_moved_without_a_mapping_goes_back_to_its_review(cf: Coopflow) -> None:
    """Moved to version 2 as it stood (at the councils), an avenant the legal department never
    approved cannot be signed: it is submitted to its review first."""
    ref = scenario.signed(cf, workflow_version=1)
    number = _drafted(cf, ref)
    cf.fire(ref, "soumettre_avenant", STAFF)
    scenario.record_avenant_deliberations(cf, ref, PARTIES, number)
    assert cf.migrate_workflow("cooperation", from_version=1, to_version=2, actor=ADMIN) == [ref]
    assert cf.partnership(ref).state == "contractualisation.avenant.deliberations"
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "signer_avenant", ELECTED, data=SIGNING)
    assert refused.value.reasons == (
        "the legal department has not approved a document of avenant n° 1: submit it to its "
        "review (resoumettre_avenant), for it to approve one",
    )
    cf.fire(ref, "resoumettre_avenant", STAFF)
    approved = scenario.approve_avenant(cf, ref, number)
    # The councils deliberated before the legal department approved it: they deliberate again,
    # on the document it approved.
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "signer_avenant", ELECTED, data=SIGNING)
    assert len(refused.value.reasons) == 2
    assert all("must deliberate again" in r and approved in r for r in refused.value.reasons)
    scenario.record_avenant_deliberations(cf, ref, PARTIES, number, sitting="2027-12-20")
    cf.fire(ref, "signer_avenant", ELECTED, data=SIGNING)
    assert cf.detail(ref)["avenants"][0]["status"] == "signé"


def test_workflow_migrate_at_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'coopflow.db'}"
    coopflow.migrate(url)
    with Coopflow(url) as cf:
        scenario.register_people(cf)
        ref = scenario.signed(cf, workflow_version=1)
        _drafted(cf, ref)
        cf.fire(ref, "soumettre_avenant", STAFF)
    mapping = "contractualisation.avenant.deliberations=contractualisation.avenant.revue_juridique"
    result = CliRunner().invoke(
        cli,
        [
            *("--db", url, "workflow", "migrate", "cooperation", "--from", "1", "--to", "2"),
            *("--map", mapping, "--actor", ADMIN.id, "--role", "admin", "--json"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["moved"] == [ref]
    with Coopflow(url) as cf:
        assert cf.partnership(ref).state == "contractualisation.avenant.revue_juridique"
        assert cf.history(ref)[-1].event == "migration"
        scenario.approve_avenant(cf, ref)
        assert cf.partnership(ref).state == "contractualisation.avenant.deliberations"


def test_an_avenant_that_changed_under_review_is_rendered_again_before_approval(
    cf: Coopflow,
) -> None:
    ref = scenario.signed(cf)
    _drafted(cf, ref)
    (draft,) = cf.fire(ref, "soumettre_avenant", STAFF).documents
    fields = dict(scenario.PARTIES["la-cali"], usual_name="La CALI")
    cf.add_party("la-cali", **fields, replace=True, actor=STAFF)  # type: ignore[arg-type]
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "approuver_avenant", LEGAL, data={"document_sha256": draft.sha256})
    assert refused.value.reasons == (
        f"avenant n° 1 changed after version 1 was rendered: render it again (coopflow render "
        f"{ref} --kind avenant --subject 1) and approve the new version",
    )
    again = cf.render(ref, "avenant", subject="1", actor=STAFF)
    assert again.version == 2
    cf.fire(ref, "approuver_avenant", LEGAL, data={"document_sha256": again.sha256})
    assert cf.detail(ref)["avenants"][0]["approved_document_sha256"] == again.sha256
