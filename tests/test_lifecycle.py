"""A partnership's whole life, from accueil to a signed protocol, an avenant and an approved
annual programme; every document on the evidence chain."""

from __future__ import annotations

import io

import pytest
from coopflow import Coopflow, GuardFailed, ValidationError
from coopflow.documents import extract_snapshot
from pypdf import PdfReader

from tests import scenario
from tests.scenario import ELECTED, LEGAL, STAFF


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_full_lifecycle_to_signed_protocol_and_approved_programme(cf: Coopflow) -> None:
    finals: list[str] = []
    cf.on_final_document(lambda final: finals.append(final.info.kind))
    ref = scenario.in_drafting(cf)
    assert cf.partnership(ref).state == "contractualisation.redaction"

    submitted = cf.fire(ref, "soumettre_revue_juridique", STAFF)
    assert submitted.target_state == "contractualisation.revue_juridique"
    (draft,) = submitted.documents
    assert (draft.kind, draft.version, draft.status) == ("protocole", 1, "draft")
    assert submitted.record.document_sha256 == draft.sha256
    draft_pdf = cf.document_bytes(draft.sha256)
    assert "PROJET" in _text(draft_pdf)

    # legal approves that exact version, named by its hash
    approved = cf.fire(ref, "approuver", LEGAL, data={"document_sha256": draft.sha256})
    assert approved.target_state == "contractualisation.deliberations"
    assert approved.record.document_sha256 == draft.sha256
    assert approved.record.data["content_sha256"] == draft.content_sha256

    # signing before the délibérations are exécutoire is refused, with every reason
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "signer", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    assert refused.value.reasons == (
        "no délibération of Bordeaux Métropole approving the protocol",
        "no délibération of La Cali approving the protocol",
    )
    cf.record_deliberation(
        ref,
        party="bordeaux-metropole",
        number="2027-123",
        sitting_date="2027-02-10",
        sent_to_prefecture="2027-02-12",
        actor=STAFF,
    )
    cf.record_deliberation(
        ref,
        party="la-cali",
        number="2027-45",
        sitting_date="2027-02-11",
        sent_to_prefecture="2027-02-12",
        published="2027-03-25",
        actor=STAFF,
    )
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "signer", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    assert refused.value.reasons == (
        "no délibération exécutoire for Bordeaux Métropole: délibération n° 2027-123 is not "
        "published",
        "délibération n° 2027-45 of La Cali becomes exécutoire on 2027-03-25, after the "
        "signature date 2027-03-20",
    )
    cf.record_deliberation(
        ref,
        party="bordeaux-metropole",
        number="2027-123",
        sitting_date="2027-02-10",
        sent_to_prefecture="2027-02-12",
        published="2027-02-13",
        actor=STAFF,
    )
    signed = cf.fire(
        ref, "signer", ELECTED, data={"date_signature": "2027-03-28", "lieu": "Libourne"}
    )
    assert signed.target_state == "contractualisation.en_vigueur"
    (final,) = signed.documents
    assert (final.status, final.version) == ("final", 2)
    assert final.content_sha256 == draft.content_sha256
    assert signed.record.data["approved_document_sha256"] == draft.sha256
    text = _text(cf.document_bytes(final.sha256))
    assert "PROJET" not in text
    for expected in ("2027-123", "2027-45", "LEFÈVRE", "MARCHAL", "Libourne"):
        assert expected in text
    assert finals == ["protocole"]
    statuses = {d.version: d.status for d in cf.documents_of(ref)}
    assert statuses == {1: "superseded", 2: "final"}

    # annual programme: draft -> COTECH -> COPIL (guarded) -> running
    label = scenario.with_programme(cf, ref)
    cf.fire(ref, "revue_cotech", STAFF, programme=label)
    result = cf.fire(
        ref, "approuver_copil", ELECTED, programme=label, data={"date_copil": "2027-03-30"}
    )
    assert result.target_state == "approuve_copil"
    (programme_doc,) = result.documents
    assert programme_doc.kind == "programme"
    assert extract_snapshot(cf.document_bytes(programme_doc.sha256))["copil_date"] == ("2027-03-30")
    cf.fire(ref, "demarrer", STAFF, programme=label)
    assert cf.partnership(ref).state == "contractualisation.en_vigueur"
    assert finals == ["protocole", "programme"]
    report = cf.verify()
    assert report.ok, report.problems
    assert report.documents == 3


def test_approval_names_the_latest_version_only(cf: Coopflow) -> None:
    ref = scenario.in_legal_review(cf)
    old = scenario.latest_protocol_sha(cf, ref)
    cf.fire(ref, "demander_modifications", LEGAL, data={"motif": "Préciser l'article 6"})
    cf.set_protocol(
        ref,
        start=scenario.START,
        end=scenario.END,
        means="Les actions font l'objet de conventions spécifiques.",
        actor=STAFF,
    )
    cf.fire(ref, "soumettre_revue_juridique", STAFF)
    new = scenario.latest_protocol_sha(cf, ref)
    assert new != old
    with pytest.raises(GuardFailed, match="is not the latest protocol version"):
        cf.fire(ref, "approuver", LEGAL, data={"document_sha256": old})
    with pytest.raises(ValidationError, match="SHA-256"):
        cf.fire(ref, "approuver", LEGAL, data={"document_sha256": "not-a-hash"})
    cf.fire(ref, "approuver", LEGAL, data={"document_sha256": new})


def test_data_changed_after_approval_goes_back_through_legal_review(cf: Coopflow) -> None:
    ref = scenario.in_deliberations(cf)
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    cf.add_commitment(
        ref, axis=1, party="la-cali", text="Ouvrir ses données de mobilité", actor=STAFF
    )
    with pytest.raises(GuardFailed, match="changed after the legal department approved"):
        cf.fire(ref, "signer", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    cf.fire(ref, "resoumettre_revue_juridique", STAFF)
    cf.fire(
        ref, "approuver", LEGAL, data={"document_sha256": scenario.latest_protocol_sha(cf, ref)}
    )
    # The councils deliberate again, on the version approved since.
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"), sitting="2027-03-03")
    cf.fire(ref, "signer", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    assert cf.partnership(ref).state == "contractualisation.en_vigueur"


def test_deliberations_on_a_superseded_version_do_not_authorise_signing(cf: Coopflow) -> None:
    ref = scenario.in_deliberations(cf)
    first = scenario.latest_protocol_sha(cf, ref)
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    cf.add_commitment(
        ref, axis=1, party="la-cali", text="Ouvrir ses données de mobilité", actor=STAFF
    )
    cf.fire(ref, "resoumettre_revue_juridique", STAFF)
    second = scenario.latest_protocol_sha(cf, ref)
    assert second != first
    cf.fire(ref, "approuver", LEGAL, data={"document_sha256": second})
    # The councils deliberated on the first version: that does not authorise signing the second.
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "signer", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    superseded = [r for r in refused.value.reasons if "not the version the legal" in r]
    assert len(superseded) == 2
    assert all(first in r and second in r for r in superseded)
    assert all("must deliberate again" in r for r in superseded)
    # The same délibérations entered again stay what they were: on the first version.
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    with pytest.raises(GuardFailed, match="must deliberate again"):
        cf.fire(ref, "signer", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    # The councils deliberate again, on the second version.
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"), sitting="2027-03-03")
    cf.fire(ref, "signer", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    assert cf.partnership(ref).state == "contractualisation.en_vigueur"


def test_rendering_unchanged_data_returns_the_existing_version(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)
    first = cf.render(ref, actor=STAFF)
    again = cf.render(ref, actor=STAFF)
    assert again == first
    assert [r.event for r in cf.history(ref)].count("document") == 1
    cf.add_axis(
        ref, "Transition écologique", objectives=["Partager les retours d'expérience"], actor=STAFF
    )
    third = cf.render(ref, actor=STAFF)
    assert third.version == 2
    assert third.sha256 != first.sha256


def test_avenant_goes_back_through_deliberations(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    cf.fire(ref, "proposer_avenant", STAFF, data={"objet": "Ajout d'un axe culture"})
    with pytest.raises(GuardFailed, match="lists no change"):
        cf.fire(ref, "soumettre_avenant", STAFF)
    cf.add_amendment_change(
        ref,
        "inserer",
        2,
        title="Axe culture",
        text="Les Parties ajoutent un axe « Culture ».",
        actor=STAFF,
    )
    with pytest.raises(GuardFailed, match="no exposé des motifs"):
        cf.fire(ref, "soumettre_avenant", STAFF)
    cf.set_amendment_motives(ref, "Le dialogue a fait émerger un axe culturel.", actor=STAFF)
    result = cf.fire(ref, "soumettre_avenant", STAFF)
    assert result.target_state == "contractualisation.avenant.revue_juridique"
    assert result.documents[0].kind == "avenant"
    scenario.approve_avenant(cf, ref)  # the legal department approves it (workflow v2)
    with pytest.raises(GuardFailed, match="approving avenant n° 1"):
        cf.fire(ref, "signer_avenant", ELECTED, data={"date_signature": "2028-01-15"})
    for party, number in (("bordeaux-metropole", "2027-801"), ("la-cali", "2027-92")):
        cf.record_deliberation(
            ref,
            party=party,
            number=number,
            sitting_date="2027-12-10",
            sent_to_prefecture="2027-12-12",
            published="2027-12-13",
            amendment=1,
            actor=STAFF,
        )
    signed = cf.fire(ref, "signer_avenant", ELECTED, data={"date_signature": "2028-01-15"})
    assert signed.target_state == "contractualisation.en_vigueur"
    # The signed avenant, then the consolidated protocol it produces, both final.
    assert [(d.kind, d.subject, d.status) for d in signed.documents] == [
        ("avenant", "1", "final"),
        ("consolide", "1", "final"),
    ]
    # The protocol keeps its own text; the consolidated one holds the inserted article.
    assert '"amendments":[]' in cf.snapshot(ref)
    consolidated = cf.snapshot(ref, "consolide", subject="1")
    assert '"new_article":"2-1"' in consolidated and '"through":1' in consolidated
    assert cf.verify().ok


def test_renewal_opens_a_successor_with_the_same_parties_and_axes(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    result = cf.fire(ref, "renouveler", STAFF, data={"debut": "2030-01-01", "fin": "2033-12-31"})
    assert result.target_state == "renouvele"
    successor = result.record.data["successor"]
    info = cf.partnership(successor)
    assert info.state == "contractualisation.redaction"
    assert info.parties == cf.partnership(ref).parties
    first = cf.history(successor)[0]
    assert (first.event, first.data["renews"]) == ("creation", ref)
    detail = cf.detail(successor)
    assert detail["protocol"]["period"] == {"start": "2030-01-01", "end": "2033-12-31"}
    assert len(detail["protocol"]["axes"]) == 3


def test_suspension_resumes_where_it_left(cf: Coopflow) -> None:
    ref = scenario.in_legal_review(cf)
    cf.fire(ref, "suspendre", STAFF, data={"motif": "Renouvellement des conseils"})
    with pytest.raises(ValidationError, match=r"data\.motif: must be a non-empty text"):
        cf.fire(ref, "abandonner", STAFF, data={"motif": " "})
    resumed = cf.fire(ref, "reprendre", STAFF)
    assert resumed.target_state == "contractualisation.revue_juridique"


def test_termination_needs_a_reason_and_an_elected_official(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    from coopflow import PermissionDenied

    notified = {"date_notification": "2028-06-01"}
    with pytest.raises(PermissionDenied):
        cf.fire(ref, "resilier", STAFF, data={"motif": "x", "date_effet": "2099-01-01", **notified})
    with pytest.raises(ValidationError, match="resilier needs motif"):
        cf.fire(ref, "resilier", ELECTED, data={"date_effet": "2099-01-01", **notified})
    with pytest.raises(GuardFailed, match="cannot take effect in the past"):
        cf.fire(
            ref,
            "resilier",
            ELECTED,
            data={"motif": "Intérêt général", "date_effet": "2001-01-01", **notified},
        )
    done = cf.fire(
        ref,
        "resilier",
        ELECTED,
        data={"motif": "Réorganisation des compétences", "date_effet": "2099-01-01", **notified},
    )
    assert done.target_state == "resilie"


def test_recording_a_deliberation_is_journaled_with_the_document_deliberated_on(
    cf: Coopflow,
) -> None:
    ref = scenario.in_deliberations(cf)
    approved = scenario.latest_protocol_sha(cf, ref)
    before = len(cf.history(ref))

    def record(**dates: str) -> None:
        cf.record_deliberation(
            ref, party="la-cali", number="2027-031", sitting_date="2027-02-10", actor=STAFF, **dates
        )

    record()
    entry = cf.history(ref)[-1]
    assert (entry.event, entry.actor, entry.role) == ("deliberation", STAFF.id, "staff")
    assert entry.source_state == entry.target_state == "contractualisation.deliberations"
    assert entry.document_sha256 == approved
    assert entry.data == {
        "party": "la-cali",
        "amendment": 0,
        "number": "2027-031",
        "sitting_date": "2027-02-10",
        "sent_to_prefecture": None,
        "published": None,
        "executoire": False,
    }
    record()  # the same délibération again changes nothing, and journals nothing
    assert len(cf.history(ref)) == before + 1
    record(sent_to_prefecture="2027-02-12", published="2027-02-13")  # completed: exécutoire
    completed = cf.history(ref)[-1]
    assert (completed.data["published"], completed.data["executoire"]) == ("2027-02-13", True)
    assert len(cf.history(ref)) == before + 2
    assert cf.verify().ok
