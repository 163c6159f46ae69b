"""Data entry: upserts that change nothing change nothing, and measured progress."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from coopflow import Coopflow, GuardFailed, SchemaOutOfDateError, ValidationError

from tests import scenario


def test_an_upsert_that_changes_nothing_keeps_the_version(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)
    version = cf.partnership(ref).version
    cf.add_axis(
        ref,
        "Accueil des habitants et mobilités",
        number=1,
        objectives=["Faciliter les déplacements domicile-travail"],
        actor=scenario.STAFF,
    )
    cf.set_signatory(
        ref,
        party="la-cali",
        first_name="Étienne",
        last_name="Marchal",
        title="Président",
        civility="Monsieur",
        actor=scenario.STAFF,
    )
    cf.set_protocol(ref, start=scenario.START, end=scenario.END, actor=scenario.STAFF)
    assert cf.partnership(ref).version == version
    cf.set_signatory(
        ref,
        party="la-cali",
        first_name="Étienne",
        last_name="Marchal",
        title="Vice-président",
        civility="Monsieur",
        actor=scenario.STAFF,
    )
    assert cf.partnership(ref).version == version + 1


def test_milestones_done_leave_the_deadlines_and_progress_is_recorded(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    label = scenario.with_programme(cf, ref)
    cf.fire(ref, "revue_cotech", scenario.STAFF, programme=label)
    cf.fire(
        ref, "approuver_copil", scenario.ELECTED, programme=label, data={"date_copil": "2027-03-30"}
    )
    late = dt.date(2027, 9, 2)
    assert [d.kind for d in cf.due(within_days=0, today=late)] == ["milestone"]
    cf.set_milestone_done(
        ref,
        label,
        1,
        date="2027-09-01",
        label="Lancement de l'expérimentation",
        actor=scenario.STAFF,
    )
    assert cf.due(within_days=0, today=late) == []
    cf.set_action_progress(ref, label, 1, "en cours", actor=scenario.STAFF)
    assert '"progress":"en cours"' in cf.snapshot(ref, "programme", label)
    with pytest.raises(ValidationError, match="progress"):
        cf.set_action_progress(ref, label, 1, "presque", actor=scenario.STAFF)


def test_a_draft_asked_after_the_final_document_is_the_final_one(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    final = next(d for d in cf.documents_of(ref) if d.status == "final")
    assert cf.render(ref, actor=scenario.STAFF) == final


def test_dates_must_be_written_in_full(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        cf.log_exchange(ref, date="20270110", kind="reunion", summary="x", actor=scenario.STAFF)


def test_a_feminine_title_matches_the_executive(cf: Coopflow) -> None:
    ref = scenario.in_deliberations(cf)
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    cf.set_signatory(
        ref,
        party="la-cali",
        first_name="Anne",
        last_name="Roux",
        title="Présidente",
        civility="Madame",
        actor=scenario.STAFF,
    )
    cf.fire(ref, "signer", scenario.ELECTED, data={"date_signature": scenario.SIGNED_ON})


def test_a_deputy_does_not_match_the_executive(cf: Coopflow) -> None:
    ref = scenario.in_deliberations(cf)
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    cf.set_signatory(
        ref,
        party="la-cali",
        first_name="Anne",
        last_name="Roux",
        title="Vice-présidente",
        civility="Madame",
        actor=scenario.STAFF,
    )
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "signer", scenario.ELECTED, data={"date_signature": scenario.SIGNED_ON})
    assert refused.value.reasons == (
        "the signatory of La Cali, Anne ROUX, is 'Vice-présidente', but its executive is "
        "'Président': name the executive, or the arrêté by which they delegated the signature",
    )


def test_opening_a_missing_sqlite_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    with pytest.raises(SchemaOutOfDateError, match="init"):
        Coopflow(f"sqlite:///{path}")
    assert not path.exists()


def test_a_failing_refusal_callback_does_not_hide_the_refusal(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)

    def broken(_: object) -> None:
        raise RuntimeError("mail server down")

    cf.on_refused(broken)
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "ouvrir_dialogue", scenario.STAFF)
    assert any("mail server down" in note for note in refused.value.__notes__)


def test_after_the_copil_indicator_targets_are_frozen_and_actuals_still_entered(
    cf: Coopflow,
) -> None:
    ref = scenario.signed(cf)
    label = scenario.with_programme(cf, ref)
    cf.fire(ref, "revue_cotech", scenario.STAFF, programme=label)
    cf.add_indicator(
        ref, label, 1, name="Voyageurs par jour", target="500", actor=scenario.STAFF
    )  # still editable
    cf.fire(
        ref, "approuver_copil", scenario.ELECTED, programme=label, data={"date_copil": "2027-03-30"}
    )
    version = cf.partnership(ref).version
    with pytest.raises(ValidationError, match="targets can no longer change"):
        cf.add_indicator(
            ref, label, 1, name="Voyageurs par jour", target="9999", actor=scenario.STAFF
        )
    with pytest.raises(ValidationError, match="targets can no longer change"):
        cf.add_indicator(
            ref,
            label,
            1,
            name="Voyageurs par jour",
            target="500",
            unit="trajets",
            actor=scenario.STAFF,
        )
    with pytest.raises(ValidationError, match="indicators can no longer change"):
        cf.add_indicator(ref, label, 1, name="Nouvel indicateur", target="1", actor=scenario.STAFF)
    assert cf.partnership(ref).version == version
    # The measured value, the unit left as it is (not given), is entered at any time.
    cf.add_indicator(
        ref, label, 1, name="Voyageurs par jour", target="500", actual="480", actor=scenario.STAFF
    )
    assert cf.detail(ref)["programmes"][0]["state"] == "approuve_copil"
    snapshot = json.loads(cf.snapshot(ref, "programme", label))
    (measured,) = snapshot["actions"][0]["indicators"]
    assert (measured["target"], measured["actual"], measured["unit"]) == (
        "500.00",
        "480.00",
        "voyageurs",
    )
