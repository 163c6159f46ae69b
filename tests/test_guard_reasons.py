"""The reasons the lifecycle guards give when they refuse an event.

Each test drives a real partnership, through the public API, into the situation a guard refuses,
fires the event and checks every reason, word for word (the party, axis, action, indicator or
programme it names), and that the refusal wrote nothing: the states, the version, the journal
and the documents are as they were."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from coopflow import Actor, Coopflow, GuardFailed
from coopflow.workflows import BUILTIN_DIR

from tests import scenario
from tests.scenario import ADMIN, ELECTED, LEGAL, STAFF

PROTOCOL: dict[str, Any] = dict(
    start=scenario.START,
    end=scenario.END,
    preamble=["Les Parties partagent un bassin de vie et d'emploi."],
    copil="Les élus des Parties, deux fois par an.",
    cotech="Les services des Parties, chaque trimestre.",
    meetings_per_year=2,
    means="Le présent protocole n'a pas d'incidence financière propre.",
)

PORTO = dict(
    official_name="Municipalité de Porto",
    usual_name="Porto",
    nature="ETRANGER",
    deliberative_body="Assemblée municipale",
    executive_title="Président de la Chambre municipale",
    seat="Porto",
    country="Portugal",
    language="portugais",
    original_name="Município do Porto",
)


# ----------------------------------------------------------------------------- helpers


def footprint(cf: Coopflow, ref: str) -> tuple[object, ...]:
    """Everything a fire writes: states, version, journal records, documents."""
    info = cf.partnership(ref)
    programmes = tuple(
        (g["label"], g["state"], g["copil_date"]) for g in cf.detail(ref)["programmes"]
    )
    journal = tuple((r.seq, r.event, r.hash) for r in cf.history(ref))
    documents = tuple(d.sha256 for d in cf.documents_of(ref))
    return info.state, info.version, programmes, journal, documents


def refused(cf: Coopflow, ref: str, event: str, actor: Actor, **kwargs: Any) -> tuple[str, ...]:
    """Fire ``event``, expect a GuardFailed, check nothing was written; return its reasons."""
    before = footprint(cf, ref)
    with pytest.raises(GuardFailed) as raised:
        cf.fire(ref, event, actor, **kwargs)
    assert raised.value.event == event
    assert footprint(cf, ref) == before
    return raised.value.reasons


def in_dialogue(cf: Coopflow, *partners: str) -> str:
    """A partnership of Bordeaux Métropole and ``partners`` (registered already), in dialogue."""
    info = cf.create_partnership(
        "Coopération Bordeaux Métropole – " + ", ".join(partners),
        scale="espace_regional",
        parties=["bordeaux-metropole", *partners],
        home="bordeaux-metropole",
        lead="bordeaux-metropole",
        responsible=STAFF.id,
        actor=STAFF,
    )
    cf.log_exchange(
        info.reference, date="2026-09-15", kind="reunion", summary="Rencontre", actor=STAFF
    )
    cf.fire(info.reference, "ouvrir_dialogue", STAFF)
    return info.reference


def axis(
    cf: Coopflow,
    ref: str,
    title: str,
    *,
    committed: tuple[str, ...],
    staked: bool = True,
    objectives: tuple[str, ...] = ("Un objectif partagé",),
) -> int:
    n = cf.add_axis(ref, title, objectives=list(objectives), actor=STAFF)
    if staked:
        cf.add_stake(
            ref, axis=n, title=f"Enjeu : {title.lower()}", description="En atelier", actor=STAFF
        )
    for party in committed:
        cf.add_commitment(
            ref, axis=n, party=party, text=f"{party} s'engage sur l'axe {n}", actor=STAFF
        )
    return n


def contracting(cf: Coopflow, partner: str = "la-cali") -> str:
    """In drafting, with the three axes of the scenario but no protocol yet."""
    ref = scenario.in_dialogue(cf, partner)
    scenario.with_axes(cf, ref, ("bordeaux-metropole", partner))
    cf.fire(ref, "engager_contractualisation", STAFF)
    return ref


def sign(cf: Coopflow, ref: str, parties: tuple[str, ...]) -> None:
    """From drafting to a signed protocol (the signatories already named)."""
    cf.fire(ref, "soumettre_revue_juridique", STAFF)
    sha = scenario.latest_protocol_sha(cf, ref)
    cf.fire(ref, "approuver", LEGAL, data={"document_sha256": sha})
    scenario.record_deliberations(cf, ref, parties)
    cf.fire(ref, "signer", ELECTED, data={"date_signature": scenario.SIGNED_ON})


def to_copil(cf: Coopflow, ref: str, label: str) -> tuple[str, ...]:
    """Review ``label`` at the COTECH, then return why the COPIL may not approve it."""
    cf.fire(ref, "revue_cotech", STAFF, programme=label)
    return refused(
        cf, ref, "approuver_copil", ELECTED, programme=label, data={"date_copil": "2027-03-30"}
    )


def programme_state(cf: Coopflow, ref: str, label: str) -> str:
    (state,) = [g["state"] for g in cf.detail(ref)["programmes"] if g["label"] == label]
    return str(state)


# ----------------------------------------------------------------------------- dialogue


def test_engaging_without_any_axis_is_refused(cf: Coopflow) -> None:
    ref = scenario.in_dialogue(cf)
    assert refused(cf, ref, "engager_contractualisation", STAFF) == (
        "no cooperation axis defined yet",
    )


def test_engaging_with_axes_but_no_stake_is_refused(cf: Coopflow) -> None:
    ref = scenario.in_dialogue(cf)
    both = ("bordeaux-metropole", "la-cali")
    axis(cf, ref, "Mobilités", committed=both, staked=False)
    axis(cf, ref, "Tourisme", committed=both, staked=False)
    assert refused(cf, ref, "engager_contractualisation", STAFF) == (
        "no cooperation stake identified yet on any axis",
    )
    cf.add_stake(ref, axis=2, title="Une destination commune", actor=STAFF)
    done = cf.fire(ref, "engager_contractualisation", STAFF)
    assert done.target_state == "contractualisation.redaction"


def test_engaging_names_each_party_without_a_commitment_on_a_staked_axis(cf: Coopflow) -> None:
    scenario.add_parties(cf, "bordeaux-metropole", "la-cali", "ville-de-saintes")
    ref = in_dialogue(cf, "la-cali", "ville-de-saintes")
    axis(cf, ref, "Mobilités", committed=("bordeaux-metropole",))
    # La Cali commits only on an axis where no stake was identified: that does not count.
    axis(cf, ref, "Patrimoine", committed=("bordeaux-metropole", "la-cali"), staked=False)
    assert refused(cf, ref, "engager_contractualisation", STAFF) == (
        "no commitment from La Cali on an axis with an identified stake",
        "no commitment from Ville de Saintes on an axis with an identified stake",
    )
    cf.add_commitment(
        ref, axis=1, party="la-cali", text="Aménager des aires de covoiturage", actor=STAFF
    )
    assert refused(cf, ref, "engager_contractualisation", STAFF) == (
        "no commitment from Ville de Saintes on an axis with an identified stake",
    )


def test_engaging_needs_one_staked_axis_with_every_party(cf: Coopflow) -> None:
    ref = scenario.in_dialogue(cf)
    axis(cf, ref, "Mobilités", committed=("bordeaux-metropole",))
    axis(cf, ref, "Tourisme", committed=("la-cali",))
    assert refused(cf, ref, "engager_contractualisation", STAFF) == (
        "no single axis has both an identified stake and a commitment from every party",
    )
    cf.add_commitment(
        ref, axis=2, party="bordeaux-metropole", text="Promouvoir la destination", actor=STAFF
    )
    cf.fire(ref, "engager_contractualisation", STAFF)


# ----------------------------------------------------------------------------- protocol


def test_submitting_without_a_protocol_period_is_refused(cf: Coopflow) -> None:
    ref = contracting(cf)
    # With no protocol at all, what it lacks besides its period is named at once too.
    assert refused(cf, ref, "soumettre_revue_juridique", STAFF) == (
        "the protocol has no period yet",
        "the governance describes neither the COPIL nor the COTECH",
        "the protocol has no préambule: write one (coopflow protocol set --preamble), from the "
        "stakes the dialogue identified",
    )


def test_submitting_names_the_axis_count_and_an_axis_without_objective(cf: Coopflow) -> None:
    ref = scenario.in_dialogue(cf)
    axis(cf, ref, "Mobilités", committed=("bordeaux-metropole", "la-cali"), objectives=())
    cf.fire(ref, "engager_contractualisation", STAFF)
    cf.set_protocol(ref, **PROTOCOL, actor=STAFF)
    assert refused(cf, ref, "soumettre_revue_juridique", STAFF) == (
        "a protocol has 2 to 4 cooperation axes, this one has 1",
        "axis 1 (Mobilités) has no objective",
    )
    cf.add_axis(ref, "Mobilités", objectives=["Faciliter les trajets"], number=1, actor=STAFF)
    cf.add_axis(ref, "Tourisme", objectives=["Une destination commune"], actor=STAFF)
    cf.fire(ref, "soumettre_revue_juridique", STAFF)


def test_submitting_more_than_four_axes_is_refused(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)  # three axes
    cf.add_axis(ref, "Culture", objectives=["Croiser les saisons culturelles"], actor=STAFF)
    cf.add_axis(
        ref, "Transition écologique", objectives=["Partager les retours d'expérience"], actor=STAFF
    )
    assert refused(cf, ref, "soumettre_revue_juridique", STAFF) == (
        "a protocol has 2 to 4 cooperation axes, this one has 5",
    )


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        pytest.param({}, "the governance describes neither the COPIL nor the COTECH", id="none"),
        pytest.param(
            {"copil": PROTOCOL["copil"]}, "the governance does not describe the COTECH", id="copil"
        ),
        pytest.param(
            {"cotech": PROTOCOL["cotech"]},
            "the governance does not describe the COPIL",
            id="cotech",
        ),
    ],
)
def test_submitting_names_the_governance_body_not_described(
    cf: Coopflow, given: dict[str, str], reason: str
) -> None:
    ref = contracting(cf)
    cf.set_protocol(
        ref,
        start=scenario.START,
        end=scenario.END,
        preamble=["Un préambule."],
        **given,
        actor=STAFF,
    )
    assert refused(cf, ref, "soumettre_revue_juridique", STAFF) == (reason,)
    cf.set_protocol(ref, **PROTOCOL, actor=STAFF)
    cf.fire(ref, "soumettre_revue_juridique", STAFF)


def test_submitting_a_foreign_cooperation_needs_its_financial_commitments(cf: Coopflow) -> None:
    scenario.add_parties(cf, "bordeaux-metropole")
    cf.add_party("porto", **PORTO, actor=STAFF)
    ref = in_dialogue(cf, "porto")
    scenario.with_axes(cf, ref, ("bordeaux-metropole", "porto"))
    cf.fire(ref, "engager_contractualisation", STAFF)
    cf.set_protocol(ref, **PROTOCOL, actor=STAFF)
    # CGCT L.1115-1: the planned financial commitment of each party, not of one.
    cf.set_financial_commitment(ref, party="bordeaux-metropole", amount="90000", actor=STAFF)
    assert refused(cf, ref, "soumettre_revue_juridique", STAFF) == (
        "a cooperation with a foreign authority states each party's planned financial "
        "commitment (CGCT L.1115-1): none for Porto "
        f"(coopflow protocol money {ref} porto AMOUNT)",
    )
    cf.set_financial_commitment(ref, party="porto", amount=0, detail="accueil", actor=STAFF)
    cf.fire(ref, "soumettre_revue_juridique", STAFF)


def test_submitting_names_a_party_without_any_commitment(
    cf: Coopflow, migrated_url: str, tmp_path: Path
) -> None:
    # engager_contractualisation refuses a party without commitment, and none can be removed:
    # only a workflow migration brings such a partnership into drafting.
    ref = scenario.in_dialogue(cf)
    axis(cf, ref, "Mobilités", committed=("bordeaux-metropole",))
    axis(cf, ref, "Tourisme", committed=("bordeaux-metropole",))
    definitions = tmp_path / "workflows"
    definitions.mkdir()
    latest = (BUILTIN_DIR / "cooperation.v2.toml").read_text(encoding="utf-8")
    assert latest.count("version = 2") == 1
    (definitions / "cooperation.v3.toml").write_text(
        latest.replace("version = 2", "version = 3"), encoding="utf-8"
    )
    with Coopflow(migrated_url, workflows_dir=definitions) as v2:
        moved = v2.migrate_workflow(
            "cooperation",
            from_version=2,
            to_version=3,
            actor=ADMIN,
            mapping={"dialogue": "contractualisation.redaction"},
            references=[ref],
        )
        assert moved == [ref]
        v2.set_protocol(ref, **PROTOCOL, actor=STAFF)
        assert refused(v2, ref, "soumettre_revue_juridique", STAFF) == (
            "no commitment from La Cali",
        )
        v2.add_commitment(
            ref, axis=2, party="la-cali", text="Coordonner les offices de tourisme", actor=STAFF
        )
        v2.fire(ref, "soumettre_revue_juridique", STAFF)


# ----------------------------------------------------------------------------- signature


def test_signing_names_the_party_without_a_signatory(cf: Coopflow) -> None:
    parties = ("bordeaux-metropole", "la-cali", "ville-de-saintes")
    scenario.add_parties(cf, *parties)
    ref = in_dialogue(cf, "la-cali", "ville-de-saintes")
    scenario.with_axes(cf, ref, parties)
    cf.fire(ref, "engager_contractualisation", STAFF)
    cf.set_protocol(ref, **PROTOCOL, actor=STAFF)
    for party in ("bordeaux-metropole", "la-cali"):
        first, last, title, civility = scenario.SIGNATORIES[party]
        cf.set_signatory(
            ref,
            party=party,
            first_name=first,
            last_name=last,
            title=title,
            civility=civility,
            # the elected official signs as the metropolis' signatory (as in scenario)
            login=ELECTED.id if party == "bordeaux-metropole" else None,
            actor=STAFF,
        )
    cf.fire(ref, "soumettre_revue_juridique", STAFF)
    sha = scenario.latest_protocol_sha(cf, ref)
    cf.fire(ref, "approuver", LEGAL, data={"document_sha256": sha})
    scenario.record_deliberations(cf, ref, parties)
    signing = {"date_signature": scenario.SIGNED_ON}
    assert refused(cf, ref, "signer", ELECTED, data=signing) == (
        "no signatory for Ville de Saintes",
    )
    first, last, title, civility = scenario.SIGNATORIES["ville-de-saintes"]
    cf.set_signatory(
        ref,
        party="ville-de-saintes",
        first_name=first,
        last_name=last,
        title=title,
        civility=civility,
        actor=STAFF,
    )
    assert cf.fire(ref, "signer", ELECTED, data=signing).target_state == (
        "contractualisation.en_vigueur"
    )


# ----------------------------------------------------------------------------- expiry


def test_expiry_is_refused_before_the_protocol_ends(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    bilan = {"bilan": "Les trois axes ont donné lieu à des actions suivies."}
    for today in (scenario.SIGNED_ON, scenario.END - dt.timedelta(days=1), scenario.END):
        assert refused(cf, ref, "expirer", STAFF, data=bilan, today=today) == (
            "the protocol runs until 2029-12-31 inclusive",
        )
    done = cf.fire(ref, "expirer", STAFF, data=bilan, today=scenario.END + dt.timedelta(days=1))
    assert (done.source_state, done.target_state) == ("contractualisation.en_vigueur", "expire")
    assert cf.partnership(ref).state == "expire"
    assert cf.history(ref)[-1].event == "expirer"


# ----------------------------------------------------------------------------- programmes


def test_cotech_review_of_a_programme_without_action_is_refused(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    cf.add_programme(ref, "2027", start="2027-04-01", end="2027-12-31", actor=STAFF)
    assert refused(cf, ref, "revue_cotech", STAFF, programme="2027") == (
        "programme 2027 has no action",
    )
    assert programme_state(cf, ref, "2027") == "brouillon"
    cf.add_action(ref, "2027", axis=1, title="Navette", lead="la-cali", actor=STAFF)
    cf.fire(ref, "revue_cotech", STAFF, programme="2027")
    assert programme_state(cf, ref, "2027") == "revu_cotech"


def test_copil_approval_needs_the_protocol_in_force(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)
    label = scenario.with_programme(cf, ref)  # complete, inside the protocol's period
    assert to_copil(cf, ref, label) == (
        "the protocol is not in force (the partnership is contractualisation.redaction)",
    )
    assert programme_state(cf, ref, label) == "revu_cotech"


def test_copil_approval_needs_the_programme_inside_the_protocol_period(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)
    label = scenario.with_programme(cf, ref)  # 2027-04-01 – 2028-03-31
    # the protocol is shortened afterwards, while still in drafting, then signed
    cf.set_protocol(ref, start=scenario.START, end="2027-12-31", actor=STAFF)
    sign(cf, ref, ("bordeaux-metropole", "la-cali"))
    assert to_copil(cf, ref, label) == (
        "the programme's period 2027-04-01 – 2028-03-31 is not inside the protocol's "
        "2027-01-01 – 2027-12-31",
    )


def test_copil_approval_names_each_action_without_lead_or_indicator(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    label = scenario.with_programme(cf, ref)  # action 1 is complete
    cf.add_action(ref, label, axis=3, title="Salon des circuits courts", actor=STAFF)
    cf.add_action(ref, label, axis=2, title="Observatoire du tourisme", lead="la-cali", actor=STAFF)
    assert to_copil(cf, ref, label) == (
        "action 2 (Salon des circuits courts) has no lead party",
        "action 2 (Salon des circuits courts) has no indicator",
        "action 3 (Observatoire du tourisme) has no indicator",
    )
    cf.add_action(
        ref, label, axis=3, title="Salon des circuits courts", lead="la-cali", number=2, actor=STAFF
    )
    cf.add_indicator(ref, label, 2, name="Exposants", target="40", actor=STAFF)
    cf.add_indicator(ref, label, 3, name="Nuitées", target="10000", actor=STAFF)
    done = cf.fire(
        ref, "approuver_copil", ELECTED, programme=label, data={"date_copil": "2027-03-30"}
    )
    assert done.target_state == "approuve_copil"


def test_copil_approval_returns_every_reason_at_once(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)
    cf.add_programme(ref, "2027-2028", start="2027-04-01", end="2028-03-31", actor=STAFF)
    cf.add_action(ref, "2027-2028", axis=1, title="Navette Libourne – Bordeaux", actor=STAFF)
    cf.set_protocol(ref, start="2027-06-01", end=scenario.END, actor=STAFF)
    assert to_copil(cf, ref, "2027-2028") == (
        "the protocol is not in force (the partnership is contractualisation.redaction)",
        "the programme's period 2027-04-01 – 2028-03-31 is not inside the protocol's "
        "2027-06-01 – 2029-12-31",
        "action 1 (Navette Libourne – Bordeaux) has no lead party",
        "action 1 (Navette Libourne – Bordeaux) has no indicator",
    )


def test_assessment_names_each_indicator_not_measured(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    label = scenario.with_programme(cf, ref)  # action 1: "Voyageurs par jour"
    cf.add_indicator(
        ref, label, 1, name="Ponctualité", target="95", unit="%", actual="97", actor=STAFF
    )
    n = cf.add_action(
        ref, label, axis=2, title="Rencontres des offices", lead="la-cali", actor=STAFF
    )
    cf.add_indicator(ref, label, n, name="Participants", target="50", actor=STAFF)
    cf.fire(ref, "revue_cotech", STAFF, programme=label)
    cf.fire(ref, "approuver_copil", ELECTED, programme=label, data={"date_copil": "2027-03-30"})
    cf.fire(ref, "demarrer", STAFF, programme=label)
    bilan = {"bilan": "La navette a trouvé son public."}
    assert refused(cf, ref, "evaluer", STAFF, programme=label, data=bilan) == (
        "indicator 'Voyageurs par jour' of action 1 has no measured value",
        "indicator 'Participants' of action 2 has no measured value",
    )
    cf.add_indicator(
        ref, label, 1, name="Voyageurs par jour", target="400", actual="380", actor=STAFF
    )
    assert refused(cf, ref, "evaluer", STAFF, programme=label, data=bilan) == (
        "indicator 'Participants' of action 2 has no measured value",
    )
    cf.add_indicator(ref, label, n, name="Participants", target="50", actual="62", actor=STAFF)
    cf.fire(ref, "evaluer", STAFF, programme=label, data=bilan)
    assert programme_state(cf, ref, label) == "evalue"


# ----------------------------------------------------------------------------- events()


def test_events_report_the_same_reasons_as_a_refused_fire(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)
    label = scenario.with_programme(cf, ref)
    cf.add_action(ref, label, axis=2, title="Observatoire du tourisme", actor=STAFF)
    cf.fire(ref, "revue_cotech", STAFF, programme=label)
    reasons = refused(
        cf, ref, "approuver_copil", ELECTED, programme=label, data={"date_copil": "2027-03-30"}
    )
    assert reasons == (
        "the protocol is not in force (the partnership is contractualisation.redaction)",
        "action 2 (Observatoire du tourisme) has no lead party",
        "action 2 (Observatoire du tourisme) has no indicator",
    )
    statuses = {s.event: s for s in cf.events(ref, ELECTED, programme=label)}
    assert not statuses["approuver_copil"].available
    assert statuses["approuver_copil"].reasons == reasons
    # the same guard, listed for someone who may not fire it: the role first, then the guard
    staff = {s.event: s for s in cf.events(ref, STAFF, programme=label)}
    assert staff["approuver_copil"].reasons == (
        "role 'staff' may not fire it (allowed: elected, admin)",
        *reasons,
    )
    assert staff["reprendre_brouillon"].available
    assert staff["reprendre_brouillon"].reasons == ()

    # a guard that depends on the date: expiry, listed on a given day
    signed = scenario.signed(cf, partner="ville-de-saintes")
    early = {s.event: s for s in cf.events(signed, STAFF, today=dt.date(2029, 6, 30))}
    assert not early["expirer"].available
    assert early["expirer"].reasons == ("the protocol runs until 2029-12-31 inclusive",)
    late = {s.event: s for s in cf.events(signed, STAFF, today=dt.date(2030, 1, 2))}
    assert late["expirer"].available
    assert late["expirer"].reasons == ()
