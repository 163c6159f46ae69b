"""What staff ask for: listings with filters, details, deadlines, the legal export."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from coopflow import Coopflow, ValidationError

from tests import scenario


def test_listing_filters_by_state_scale_and_party(cf: Coopflow) -> None:
    first = scenario.in_dialogue(cf)
    second = scenario.in_accueil(cf, partner="ville-de-saintes")
    refs = lambda **kw: [p.reference for p in cf.partnerships(**kw)]  # noqa: E731
    assert refs() == sorted([first, second])
    assert refs(state="dialogue") == [first]
    assert refs(state="accueil") == [second]
    assert refs(state="contractualisation") == []
    assert refs(party="ville-de-saintes") == [second]
    assert refs(party="bordeaux-metropole") == sorted([first, second])
    assert refs(scale="espace_regional", party="la-cali") == [first]
    assert refs(scale="aire_metropolitaine") == []
    with pytest.raises(ValidationError, match="no workflow has a state 'nowhere'"):
        refs(state="nowhere")


def test_state_filter_includes_nested_states(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)
    assert [p.reference for p in cf.partnerships(state="contractualisation")] == [ref]
    assert [p.reference for p in cf.partnerships(state="contractualisation.redaction")] == [ref]


def test_listing_streams_in_batches(cf: Coopflow) -> None:
    scenario.add_parties(cf, "bordeaux-metropole", "la-cali")
    for i in range(7):
        cf.create_partnership(
            f"P{i}",
            scale="aire_metropolitaine",
            parties=["bordeaux-metropole", "la-cali"],
            home="bordeaux-metropole",
            responsible="x",
            actor=scenario.STAFF,
        )
    listed = list(cf.partnerships(batch=2))
    assert [p.title for p in listed] == [f"P{i}" for i in range(7)]


def test_due_lists_pending_deliberations_and_protocol_ends(cf: Coopflow) -> None:
    ref = scenario.in_deliberations(cf)
    cf.record_deliberation(
        ref,
        party="la-cali",
        number="2027-45",
        sitting_date="2027-02-11",
        sent_to_prefecture="2027-02-12",
        actor=scenario.STAFF,
    )
    due = cf.due(within_days=30, today=dt.date(2027, 2, 20))
    pending = [d for d in due if d.kind == "deliberation"]
    assert [(d.reference, d.due, d.party, d.number) for d in pending] == [
        (ref, dt.date(2027, 2, 26), "la-cali", "2027-45")
    ]
    assert "2027-45" in pending[0].what
    # The metropolis has not deliberated yet: due since the protocol's approval.
    assert [(d.kind, d.party) for d in due if d.kind != "deliberation"] == [
        ("deliberation_missing", "bordeaux-metropole")
    ]
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    cf.fire(ref, "signer", scenario.ELECTED, data={"date_signature": scenario.SIGNED_ON})
    assert cf.due(within_days=30, today=dt.date(2027, 2, 20)) == []
    ending = cf.due(within_days=60, today=dt.date(2029, 11, 15))
    # No COPIL was held (two a year): each protocol year is short of them.
    assert [(d.kind, d.due) for d in ending] == [
        ("annual_copil", dt.date(2027, 12, 31)),
        ("annual_copil", dt.date(2028, 12, 31)),
        ("annual_copil", dt.date(2029, 12, 31)),
        ("protocol_end", scenario.END),
    ]


def test_due_lists_programmes_awaiting_copil_and_late_milestones(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    label = scenario.with_programme(cf, ref)
    drafted = cf.due(within_days=30, today=dt.date(2027, 3, 15))
    assert [(d.kind, d.due, d.programme) for d in drafted] == [
        ("programme_draft", dt.date(2027, 4, 1), label)
    ]
    cf.fire(ref, "revue_cotech", scenario.STAFF, programme=label)
    due = cf.due(within_days=30, today=dt.date(2027, 3, 15))
    assert [(d.kind, d.due) for d in due] == [("copil_approval", dt.date(2027, 4, 1))]
    cf.fire(
        ref,
        "approuver_copil",
        scenario.ELECTED,
        programme=label,
        data={"date_copil": "2027-03-30"},
        today=dt.date(2027, 3, 30),
    )
    late = cf.due(within_days=0, today=dt.date(2027, 9, 2))
    assert [(d.kind, d.due) for d in late] == [("milestone", dt.date(2027, 9, 1))]


def test_detail_and_export_for_the_legal_department(cf: Coopflow, tmp_path: Path) -> None:
    ref = scenario.signed(cf)
    detail = cf.detail(ref)
    assert detail["state"] == "contractualisation.en_vigueur"
    assert detail["signed_document_sha256"] is not None
    manifest_path = cf.export(ref, tmp_path / "export", actor=scenario.STAFF)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    exported = json.loads(
        (manifest_path.parent / manifest["evidence"]["export"]).read_text("utf-8")
    )
    assert exported["verified"] is True
    files = {d["file"]: d for d in manifest["documents"]}
    assert len(files) == 2  # the approved draft and the signed final
    approved = [d for d in files.values() if d["approved_by_legal"]]
    final = [d for d in files.values() if d["status"] == "final"]
    assert len(approved) == 1
    assert len(final) == 1
    assert approved[0]["content_sha256"] == final[0]["content_sha256"]
    assert [j["event"] for j in final[0]["journal"]] == ["signer"]
    assert [j["event"] for j in approved[0]["journal"]] == [
        "soumettre_revue_juridique",
        "approuver",
        "deliberation",
        "deliberation",
    ]
    import hashlib

    for name, entry in files.items():
        assert (
            hashlib.sha256((tmp_path / "export" / name).read_bytes()).hexdigest()
            == (entry["sha256"])
        )
