"""Dates that cannot lie: no sitting, transmission, publication, signature or COPIL in the
future; a signature inside the protocol's period; a délibération attached to the version
approved by its sitting; a foreign authority's own decision; a termination that gives the
protocol's notice unless the parties agree.

Today is ``scenario.TODAY`` (2028-06-30) unless a test moves it (``scenario.pin_today``, or a
fire's ``today=``)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import coopflow
import pytest
from click.testing import CliRunner
from coopflow import Coopflow, GuardFailed, ValidationError
from coopflow._domain import firing
from coopflow.cli import cli
from coopflow.workflows._builtin import add_months

from tests import scenario
from tests.scenario import ELECTED, LEGAL, STAFF

PARTIES = ("bordeaux-metropole", "la-cali")


def _deliberations(cf: Coopflow, ref: str) -> list[coopflow.JournalEntry]:
    return [e for e in cf.history(ref) if e.event == "deliberation"]


# ------------------------------------------------------------------ délibérations


def test_a_deliberations_dates_are_not_in_the_future(
    cf: Coopflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = scenario.in_deliberations(cf)
    scenario.pin_today(monkeypatch, dt.date(2027, 2, 11))
    before = len(cf.history(ref))

    def record(**dates: str) -> None:
        cf.record_deliberation(ref, party="la-cali", number="2027-31", actor=STAFF, **dates)

    for field, dates in (
        ("sitting_date", {"sitting_date": "2027-02-12"}),
        ("sent_to_prefecture", {"sitting_date": "2027-02-10", "sent_to_prefecture": "2027-02-12"}),
        ("published", {"sitting_date": "2027-02-10", "published": "2027-02-12"}),
    ):
        with pytest.raises(ValidationError) as refused:
            record(**dates)
        assert refused.value.field == field
        assert refused.value.message == (
            f"{field}: 2027-02-12 is in the future (today is 2027-02-11): a délibération is "
            "recorded once its council has sat, and each date once it is past"
        )
    with pytest.raises(ValidationError, match="before the sitting of 2027-02-10") as early:
        record(sitting_date="2027-02-10", published="2027-02-09")
    assert early.value.field == "published"
    assert len(cf.history(ref)) == before  # nothing recorded
    record(sitting_date="2027-02-11", sent_to_prefecture="2027-02-11", published="2027-02-11")
    assert _deliberations(cf, ref)[-1].data["executoire"] is True


def test_a_deliberation_is_on_the_version_approved_by_its_sitting(
    cf: Coopflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: the protocol changed after the councils deliberated and was approved
    again; a délibération entered again is not moved onto the newer version, and signing asks
    the council to deliberate again."""
    ref = scenario.in_legal_review(cf)
    first = scenario.latest_protocol_sha(cf, ref)

    def approve(sha: str, on: dt.date) -> None:
        # The journal dates the approval: the legal department approves on ``on``.
        at = dt.datetime.combine(on, dt.time(10), tzinfo=dt.UTC)
        with monkeypatch.context() as m:
            m.setattr(firing, "utcnow", lambda: at)
            cf.fire(ref, "approuver", LEGAL, data={"document_sha256": sha})

    def record(party: str, number: str, sitting: str) -> str | None:
        day = dt.date.fromisoformat(sitting)
        cf.record_deliberation(
            ref,
            party=party,
            number=number,
            sitting_date=day,
            sent_to_prefecture=day + dt.timedelta(days=2),
            published=day + dt.timedelta(days=3),
            actor=STAFF,
        )
        return _deliberations(cf, ref)[-1].document_sha256

    approve(first, dt.date(2027, 1, 15))
    assert record("la-cali", "2027-31", "2027-02-10") == first
    cf.add_commitment(ref, axis=1, party="la-cali", text="Ouvrir ses données", actor=STAFF)
    cf.fire(ref, "resoumettre_revue_juridique", STAFF)
    second = scenario.latest_protocol_sha(cf, ref)
    approve(second, dt.date(2027, 3, 1))
    # Entered after the second approval, sitting before it: on the first version.
    assert record("bordeaux-metropole", "2027-140", "2027-02-20") == first
    # La Cali's entered again with its number corrected: still the sitting of 10 February.
    assert record("la-cali", "2027-031", "2027-02-10") == first
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "signer", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    again = [r for r in refused.value.reasons if "must deliberate again" in r]
    assert len(again) == 2
    assert all(first in r and second in r for r in again)
    assert (
        "délibération n° 2027-031 of La Cali (sitting of 2027-02-10) approved document"
        in (again[1])
    )
    # The councils deliberate again, after the second approval.
    assert record("la-cali", "2027-52", "2027-03-05") == second
    assert record("bordeaux-metropole", "2027-190", "2027-03-06") == second
    cf.fire(ref, "signer", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    assert cf.partnership(ref).state == "contractualisation.en_vigueur"


def test_the_same_deliberation_entered_again_keeps_its_version(cf: Coopflow) -> None:
    """Completing a délibération's dates never moves it onto a version approved since."""
    ref = scenario.in_deliberations(cf)
    first = scenario.latest_protocol_sha(cf, ref)
    cf.record_deliberation(
        ref, party="la-cali", number="2027-31", sitting_date="2027-02-10", actor=STAFF
    )
    cf.add_commitment(ref, axis=1, party="la-cali", text="Ouvrir ses données", actor=STAFF)
    cf.fire(ref, "resoumettre_revue_juridique", STAFF)
    cf.fire(
        ref, "approuver", LEGAL, data={"document_sha256": scenario.latest_protocol_sha(cf, ref)}
    )
    cf.record_deliberation(
        ref,
        party="la-cali",
        number="2027-31",
        sitting_date="2027-02-10",
        sent_to_prefecture="2027-02-12",
        published="2027-02-13",
        actor=STAFF,
    )
    completed = _deliberations(cf, ref)[-1]
    assert (completed.data["published"], completed.document_sha256) == ("2027-02-13", first)


def _foreign_partnership(cf: Coopflow) -> str:
    """A decentralised cooperation with the Municipalité de Porto, approved by legal."""
    scenario.add_parties(cf, "bordeaux-metropole")
    cf.add_party(
        "porto",
        "Municipalité de Porto",
        nature="ETRANGER",
        article="la",
        usual_name="Porto",
        country="Portugal",
        language="portugais",
        original_name="Município do Porto",
        deliberative_body="Assemblée municipale",
        original_deliberative_body="Assembleia Municipal",
        executive_title="Président de la Chambre municipale",
        original_executive_title="Presidente da Câmara Municipal",
        executive_civility="Monsieur",
        actor=STAFF,
    )
    parties = ("bordeaux-metropole", "porto")
    ref = cf.create_partnership(
        "Coopération décentralisée entre Bordeaux Métropole et Porto",
        scale="france_europe",
        parties=list(parties),
        home="bordeaux-metropole",
        responsible=STAFF.id,
        actor=STAFF,
    ).reference
    cf.log_exchange(ref, date="2026-04-14", kind="visio", summary="Premier échange", actor=STAFF)
    cf.fire(ref, "ouvrir_dialogue", STAFF)
    scenario.with_axes(cf, ref, parties)
    cf.fire(ref, "engager_contractualisation", STAFF)
    cf.set_protocol(
        ref,
        start=scenario.START,
        end=scenario.END,
        preamble=["Deux villes portuaires du patrimoine mondial."],
        copil="Les exécutifs, une fois par an.",
        cotech="Les services, deux fois par an.",
        means="Chaque Partie prend en charge ses missions.",
        actor=STAFF,
    )
    for party, amount in (("bordeaux-metropole", "90000"), ("porto", "75000")):
        cf.set_financial_commitment(ref, party=party, amount=amount, actor=STAFF)
    first, last, title, civility = scenario.SIGNATORIES["bordeaux-metropole"]
    cf.set_signatory(
        ref,
        party="bordeaux-metropole",
        first_name=first,
        last_name=last,
        title=title,
        civility=civility,
        login=ELECTED.id,
        actor=STAFF,
    )
    cf.set_signatory(
        ref,
        party="porto",
        first_name="Rui",
        last_name="Moreira",
        title="Président de la Chambre municipale",
        civility="Monsieur",
        actor=STAFF,
    )
    cf.fire(ref, "soumettre_revue_juridique", STAFF)
    cf.fire(
        ref, "approuver", LEGAL, data={"document_sha256": scenario.latest_protocol_sha(cf, ref)}
    )
    return ref


def test_a_foreign_authoritys_approval_is_its_own_bodys_decision(cf: Coopflow) -> None:
    ref = _foreign_partnership(cf)
    with pytest.raises(ValidationError, match="no French prefecture") as refused:
        cf.record_deliberation(
            ref,
            party="porto",
            number="AM-2027-12",
            sitting_date="2027-02-15",
            sent_to_prefecture="2027-02-16",
            actor=STAFF,
        )
    assert refused.value.field == "sent_to_prefecture"
    cf.record_deliberation(
        ref, party="porto", number="AM-2027-12", sitting_date="2027-02-15", actor=STAFF
    )
    decision = _deliberations(cf, ref)[-1]
    assert decision.data["foreign_decision"] is True and decision.data["executoire"] is True
    assert "exécutoire" in decision.summary and "not exécutoire" not in decision.summary
    cf.record_deliberation(
        ref,
        party="bordeaux-metropole",
        number="2027-80",
        sitting_date="2027-02-05",
        sent_to_prefecture="2027-02-07",
        published="2027-02-08",
        actor=STAFF,
    )
    assert "foreign_decision" not in _deliberations(cf, ref)[-1].data
    # No prefecture asked of Porto; its decision takes effect on its own date.
    with pytest.raises(GuardFailed) as early:
        cf.fire(ref, "signer", ELECTED, data={"date_signature": "2027-02-14"})
    assert early.value.reasons == (
        "the decision n° AM-2027-12 of Porto's Assemblée municipale takes effect on 2027-02-15, "
        "after the signature date 2027-02-14",
    )
    signed = cf.fire(ref, "signer", ELECTED, data={"date_signature": "2027-02-20"})
    assert signed.target_state == "contractualisation.en_vigueur"
    snapshot = json.loads(cf.snapshot(ref))
    porto = next(d for d in snapshot["deliberations"] if d["party_key"] == "porto")
    assert (porto["executoire"], porto["sent_to_prefecture"]) == (True, None)
    assert cf.verify().ok


# ------------------------------------------------------------------ signatures and COPIL


def test_a_signature_is_not_in_the_future_nor_outside_the_period(cf: Coopflow) -> None:
    ref = scenario.in_deliberations(cf)
    scenario.record_deliberations(cf, ref, PARTIES)
    with pytest.raises(GuardFailed) as future:
        cf.fire(
            ref,
            "signer",
            ELECTED,
            data={"date_signature": scenario.SIGNED_ON},
            today=dt.date(2027, 3, 19),
        )
    assert future.value.reasons == (
        "the signature date 2027-03-20 is in the future (today is 2027-03-19): record the "
        "signature once it has taken place",
    )
    with pytest.raises(GuardFailed) as outside:
        cf.fire(ref, "signer", ELECTED, data={"date_signature": "2026-12-31"})
    # Every reason at once: outside the period, and before the délibérations are exécutoire.
    assert outside.value.reasons == (
        "délibération n° 2027-120 of Bordeaux Métropole becomes exécutoire on 2027-02-13, after "
        "the signature date 2026-12-31",
        "délibération n° 2027-121 of La Cali becomes exécutoire on 2027-02-13, after the "
        "signature date 2026-12-31",
        "the signature date 2026-12-31 is outside the protocol's period 2027-01-01 – "
        "2029-12-31: sign within it, or change the period (which goes back through legal "
        "review)",
    )
    late = dt.date(2030, 1, 2)
    with pytest.raises(GuardFailed, match="outside the protocol's period"):
        cf.fire(ref, "signer", ELECTED, data={"date_signature": late}, today=late)
    signed = cf.fire(ref, "signer", ELECTED, data={"date_signature": "2027-02-13"})
    assert signed.target_state == "contractualisation.en_vigueur"


def test_a_copil_date_is_not_in_the_future(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    label = scenario.with_programme(cf, ref)
    cf.fire(ref, "revue_cotech", STAFF, programme=label)
    with pytest.raises(GuardFailed) as refused:
        cf.fire(ref, "approuver_copil", ELECTED, programme=label, data={"date_copil": "2028-07-01"})
    assert refused.value.reasons == (
        "the COPIL date 2028-07-01 is in the future (today is 2028-06-30): record the approval "
        "once the COPIL has met",
    )
    approved = cf.fire(
        ref, "approuver_copil", ELECTED, programme=label, data={"date_copil": "2028-06-30"}
    )
    assert approved.target_state == "approuve_copil"


# ------------------------------------------------------------------ termination


def test_months_of_notice_are_calendar_months() -> None:
    assert add_months(dt.date(2028, 6, 1), 3) == dt.date(2028, 9, 1)
    assert add_months(dt.date(2028, 11, 30), 3) == dt.date(2029, 2, 28)
    assert add_months(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)  # a leap year
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2028, 10, 31), 12) == dt.date(2029, 10, 31)
    assert add_months(dt.date(2028, 12, 15), 2) == dt.date(2029, 2, 15)


def test_a_unilateral_termination_gives_the_protocols_notice(cf: Coopflow) -> None:
    ref = scenario.signed(cf)

    def refused(**data: object) -> tuple[str, ...]:
        with pytest.raises(GuardFailed) as caught:
            cf.fire(ref, "resilier", ELECTED, data={"motif": "Intérêt général", **data})
        return caught.value.reasons

    with pytest.raises(ValidationError, match="resilier needs date_notification"):
        cf.fire(ref, "resilier", ELECTED, data={"motif": "x", "date_effet": "2028-12-01"})
    assert refused(date_notification="2028-07-01", date_effet="2028-12-01") == (
        "the termination cannot be notified in the future (2028-07-01, today is 2028-06-30): "
        "record it once it has been notified to the parties",
    )
    assert refused(date_notification="2028-06-01", date_effet="2028-08-31") == (
        "a unilateral termination gives the notice the protocol states (3 months): notified on "
        "2028-06-01, it takes effect on 2028-09-01 at the earliest, not 2028-08-31; if the "
        "parties agree to end it sooner, record a termination by mutual agreement "
        "(commun_accord)",
    )
    assert refused(date_notification="2028-06-20", date_effet="2028-06-10") == (
        "the termination cannot take effect in the past (2028-06-10)",
        "the termination would take effect on 2028-06-10, before it was notified (2028-06-20)",
    )
    done = cf.fire(
        ref,
        "resilier",
        ELECTED,
        data={
            "motif": "Réorganisation des compétences",
            "date_notification": "2028-06-01",
            "date_effet": "2028-09-01",
        },
    )
    assert done.target_state == "resilie"
    assert (done.record.data["termination"], done.record.data["notice_months"]) == (
        "unilateral",
        3,
    )
    assert cf.history(ref)[-1].summary == (
        "resilier: contractualisation.en_vigueur -> resilie (unilateral termination notified "
        "on 2028-06-01, effective 2028-09-01 after 3 months' notice)"
    )


def test_the_notice_is_the_one_the_protocol_states(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)
    cf.set_protocol(ref, start=scenario.START, end=scenario.END, notice_months=1, actor=STAFF)
    cf.fire(ref, "soumettre_revue_juridique", STAFF)
    cf.fire(
        ref, "approuver", LEGAL, data={"document_sha256": scenario.latest_protocol_sha(cf, ref)}
    )
    scenario.record_deliberations(cf, ref, PARTIES)
    cf.fire(ref, "signer", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    notified = {"motif": "Intérêt général", "date_notification": "2028-06-01"}
    with pytest.raises(GuardFailed, match=r"\(1 month\): notified on 2028-06-01, it takes effect"):
        cf.fire(ref, "resilier", ELECTED, data={**notified, "date_effet": "2028-06-30"})
    done = cf.fire(ref, "resilier", ELECTED, data={**notified, "date_effet": "2028-07-01"})
    assert done.record.data["notice_months"] == 1


def test_a_termination_by_mutual_agreement_is_recorded_as_such(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    data = {"motif": "Les Parties en conviennent", "date_notification": "2028-06-15"}
    with pytest.raises(ValidationError, match="must be true or false") as unclear:
        cf.fire(
            ref,
            "resilier",
            ELECTED,
            data={**data, "date_effet": "2028-07-01", "commun_accord": "peut-être"},
        )
    assert unclear.value.field == "data.commun_accord"
    done = cf.fire(
        ref, "resilier", ELECTED, data={**data, "date_effet": "2028-07-01", "commun_accord": "oui"}
    )
    assert done.target_state == "resilie"
    assert done.record.data["commun_accord"] is True
    assert done.record.data["termination"] == "mutual"
    assert "notice_months" not in done.record.data
    assert cf.history(ref)[-1].summary.endswith(
        "(terminated by mutual agreement, effective 2028-07-01)"
    )
    assert cf.verify().ok


# ------------------------------------------------------------------ at the command line


def test_the_date_rules_at_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'coopflow.db'}"
    coopflow.migrate(url)
    with Coopflow(url) as cf:
        scenario.register_people(cf)
        ref = scenario.in_deliberations(cf)
    runner = CliRunner()

    def run(*args: str, actor: coopflow.Actor = STAFF) -> tuple[int, str]:
        assert actor.role is not None
        result = runner.invoke(cli, ["--db", url, *args, "--actor", actor.id, "--role", actor.role])
        return result.exit_code, result.stderr

    code, err = run(
        "deliberation",
        "record",
        ref,
        "--party",
        "la-cali",
        "--number",
        "2028-77",
        "--sitting-date",
        "2028-07-01",
    )
    assert code == 2
    assert (
        "sitting_date: 2028-07-01 is in the future (today is 2028-06-30): a délibération is "
        "recorded once its council has sat" in err
    )
    for party in PARTIES:
        code, err = run(
            "deliberation",
            "record",
            ref,
            "--party",
            party,
            "--number",
            f"2027-{party[:4]}",
            "--sitting-date",
            "2027-02-10",
            "--sent-to-prefecture",
            "2027-02-12",
            "--published",
            "2027-02-13",
        )
        assert code == 0, err
    code, err = run("fire", ref, "signer", "--data", "date_signature=2028-07-01", actor=ELECTED)
    assert code == 1
    assert "the signature date 2028-07-01 is in the future (today is 2028-06-30)" in err
    code, err = run("fire", ref, "signer", "--data", "date_signature=2027-03-20", actor=ELECTED)
    assert code == 0, err
    code, err = run(
        "fire",
        ref,
        "resilier",
        "--data",
        "motif=Les Parties en conviennent",
        "--data",
        "date_notification=2028-06-15",
        "--data",
        "date_effet=2028-07-01",
        "--data",
        "commun_accord=oui",
        actor=ELECTED,
    )
    assert code == 0, err
    with Coopflow(url) as cf:
        assert cf.history(ref)[-1].data["termination"] == "mutual"
