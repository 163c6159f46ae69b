"""Every refusal names what to do (issue 16): each reason a built-in guard gives carries a stable
code and, where a command fixes it, a ``coopflow`` command line that the command line really
has (its groups, commands and options) and the API call; every reason of a step comes at once,
from every guard of the event; an event is found whatever its case, an unknown one names the
closest known ones, and a programme's event fired without ``--programme`` names the programmes
it could be fired on.  The French text of a reason comes from the catalog."""

from __future__ import annotations

import ast
import datetime as dt
import re
import shlex
from pathlib import Path
from typing import Any

import click
import coopflow
import pytest
from click.testing import CliRunner
from coopflow import Coopflow, CoopflowError, GuardFailed, UnknownEventError
from coopflow._i18n import catalog, language
from coopflow.cli import commands
from coopflow.errors import ProgrammeRequired, Reason

from tests import scenario
from tests.scenario import ELECTED, LEGAL, STAFF

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
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
#: What a reason's fix is when there is one (the rest depends on a date, or on the world).
FIXED_BY_A_COMMAND = {
    "no_exchange",
    "no_axis",
    "no_stake",
    "no_commitment_on_staked_axis",
    "no_axis_shared_by_every_party",
    "no_protocol_period",
    "axis_without_objective",
    "no_commitment",
    "no_governance",
    "no_governance_cotech",
    "no_preamble",
    "no_tribunal",
    "no_financial_commitment",
    "not_the_latest_document",
    "protocol_changed_since_render",
    "protocol_changed_since_approval",
    "no_deliberation",
    "deliberation_not_executoire",
    "no_signatory",
    "signatory_not_the_executive",
    "avenant_without_change",
    "avenant_without_motives",
    "programme_without_action",
    "programme_outside_the_protocol",
    "action_without_lead",
    "action_without_indicator",
    "indicator_not_measured",
    "termination_effect_in_the_past",
    "termination_notice_too_short",
    "role_not_allowed",
}


# ----------------------------------------------------------------------------- helpers


def reasons_of(cf: Coopflow, ref: str, event: str, actor: Any, **kwargs: Any) -> tuple[Reason, ...]:
    with pytest.raises(GuardFailed) as raised:
        cf.fire(ref, event, actor, **kwargs)
    return raised.value.reasons


def is_blank(value: str) -> bool:
    """A word the person replaces: in capitals (YYYY-MM-DD, TEXT, AAAA-MM-JJ, NUMÉRO)."""
    return value == value.upper() and any(c.isalpha() for c in value)


def check_command(line: str) -> click.Command:
    """Parse ``line`` as the command line would: its group and command exist, every option it
    gives is one of the command's, every required option and argument is there, nothing is
    left over, and every value that is not a blank converts to its option's type."""
    words = shlex.split(line)
    assert words[0] == "coopflow", line
    command: click.Command = commands()
    words = words[1:]
    path = ["coopflow"]
    while isinstance(command, click.Group):
        assert words, f"{line}: names a group, not a command"
        found = command.commands.get(words[0])
        assert found is not None, f"{line}: no command {words[0]!r} in {' '.join(path)}"
        path.append(words.pop(0))
        command = found
    ctx = click.Context(command, info_name=" ".join(path))
    parser = command.make_parser(ctx)
    try:
        values, extra, _order = parser.parse_args(list(words))
    except click.UsageError as exc:
        pytest.fail(f"{line}: {exc.format_message()}")
    assert extra == [], f"{line}: left over {extra}"
    for param in command.params:
        if param.required:
            assert values.get(param.name) is not None, f"{line}: {param.name} is required"
        given = values.get(param.name)
        if given is None:
            continue
        for value in given if isinstance(given, (list, tuple)) else [given]:
            if isinstance(value, str) and not is_blank(value):
                param.type.convert(value, param, ctx)
    return command


def check_reasons(reasons: tuple[Reason, ...] | list[Reason]) -> set[str]:
    """Every reason is a Reason with a code; each code :data:`FIXED_BY_A_COMMAND` names its
    command (a real one) and its call; the codes seen."""
    seen = set()
    for reason in reasons:
        assert isinstance(reason, Reason), reason
        assert CODE.match(reason.code), (reason, reason.code)
        seen.add(reason.code)
        if reason.code in FIXED_BY_A_COMMAND:
            assert reason.command, reason
        if reason.command:
            check_command(reason.command)
        if reason.call is not None:
            assert reason.call.startswith("Coopflow."), reason.call
            method = reason.call.split("(")[0].removeprefix("Coopflow.")
            assert callable(getattr(Coopflow, method, None)), reason.call
    return seen


def in_dialogue(cf: Coopflow, *partners: str) -> str:
    info = cf.create_partnership(
        "Coopération Bordeaux Métropole – " + ", ".join(partners),
        scale="espace_regional",
        parties=["bordeaux-metropole", *partners],
        home="bordeaux-metropole",
        lead="bordeaux-metropole",
        responsible=STAFF.id,
        actor=STAFF,
    )
    cf.log_exchange(info.reference, date="2026-09-15", kind="reunion", summary="Re", actor=STAFF)
    cf.fire(info.reference, "ouvrir_dialogue", STAFF)
    return info.reference


def without_tribunal(cf: Coopflow) -> None:
    """Bordeaux Métropole registered again, its tribunal forgotten."""
    fields = dict(scenario.PARTIES["bordeaux-metropole"])
    del fields["tribunal"]
    fields["executive_title"] = "Présidente"
    cf.add_party("bordeaux-metropole", **fields, replace=True, actor=STAFF)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- codes, commands


def test_every_reason_of_the_builtin_guards_is_a_reason_with_a_code() -> None:
    """Read in the source: each Reason the guards (and firing) build names a literal code."""
    for path in (ROOT / "workflows" / "_builtin.py", ROOT / "engine" / "_domain" / "firing.py"):
        built = [
            node
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Reason"
        ]
        assert built, path
        for node in built:
            code = next((k.value for k in node.keywords if k.arg == "code"), None)
            assert isinstance(code, ast.Constant), f"{path}:{node.lineno}: no literal code"
            assert CODE.match(code.value), f"{path}:{node.lineno}: {code.value!r}"
        # Nothing else is yielded by a guard: every ``yield`` gives a Reason (or a helper's).
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s+yield [fr]?[\"'(]", source, re.M), path


def test_the_checker_refuses_what_the_command_line_does_not_have() -> None:
    check_command(
        "coopflow exchange log COOP-2027-0001 --date YYYY-MM-DD --kind reunion --summary TEXT"
    )
    for wrong in (
        "coopflow exchange note COOP-2027-0001",  # no such command
        "coopflow exchange log COOP-2027-0001 --on 2027-01-01 --kind reunion --summary x",
        "coopflow render COOP-2027-0001 --kind protocol",  # not one of its choices
        "coopflow exchange log COOP-2027-0001 --kind reunion --summary x",  # --date required
        "coopflow axis add COOP-2027-0001 Titre en trop",  # one argument left over
        "coopflow axis",  # a group
    ):
        with pytest.raises((AssertionError, click.BadParameter, pytest.fail.Exception)):
            check_command(wrong)


def test_every_reason_of_the_lifecycle_names_its_code_command_and_call(cf: Coopflow) -> None:
    seen: set[str] = set()
    # accueil: no exchange
    scenario.add_parties(cf, "bordeaux-metropole", "la-cali", "ville-de-saintes")
    ref = scenario.in_accueil(cf)
    seen |= check_reasons(reasons_of(cf, ref, "ouvrir_dialogue", STAFF))
    # dialogue: no axis; then an axis without stake; then no axis shared by every party
    cf.log_exchange(ref, date="2026-09-15", kind="reunion", summary="Re", actor=STAFF)
    cf.fire(ref, "ouvrir_dialogue", STAFF)
    seen |= check_reasons(reasons_of(cf, ref, "engager_contractualisation", STAFF))
    cf.add_axis(ref, "Mobilités douces", actor=STAFF)
    cf.add_commitment(ref, axis=1, party="la-cali", text="Des aires", actor=STAFF)
    seen |= check_reasons(reasons_of(cf, ref, "engager_contractualisation", STAFF))
    cf.add_stake(ref, axis=1, title="Les trajets", actor=STAFF)
    seen |= check_reasons(reasons_of(cf, ref, "engager_contractualisation", STAFF))
    n = cf.add_axis(ref, "Tourisme", objectives=["Une destination"], actor=STAFF)
    cf.add_stake(ref, axis=n, title="La destination", actor=STAFF)
    cf.add_commitment(ref, axis=n, party="bordeaux-metropole", text="Promouvoir", actor=STAFF)
    seen |= check_reasons(reasons_of(cf, ref, "engager_contractualisation", STAFF))
    cf.add_commitment(ref, axis=n, party="la-cali", text="Coordonner", actor=STAFF)
    cf.fire(ref, "engager_contractualisation", STAFF)
    # drafting: no protocol, an axis without objective, no court, one governance body
    without_tribunal(cf)
    cf.add_axis(ref, "A", objectives=["a"], actor=STAFF)
    cf.add_axis(ref, "B", objectives=["b"], actor=STAFF)
    cf.add_axis(ref, "C", objectives=["c"], actor=STAFF)
    seen |= check_reasons(reasons_of(cf, ref, "soumettre_revue_juridique", STAFF))
    cf.set_protocol(ref, start=scenario.START, end=scenario.END, copil="COPIL", actor=STAFF)
    seen |= check_reasons(reasons_of(cf, ref, "soumettre_revue_juridique", STAFF))
    # the role: listed, with the role that may
    seen |= check_reasons([r for s in cf.events(ref, LEGAL) for r in s.reasons])  # type: ignore[misc]
    assert {"no_exchange", "no_axis", "no_stake", "no_axis_shared_by_every_party"} <= seen
    assert {"no_protocol_period", "axis_count", "axis_without_objective"} <= seen
    assert {"no_governance", "no_governance_cotech", "no_preamble", "no_tribunal"} <= seen
    assert {"no_commitment_on_staked_axis", "role_not_allowed"} <= seen


def test_the_reasons_of_review_deliberations_and_signature_name_their_fix(cf: Coopflow) -> None:
    seen: set[str] = set()
    ref = scenario.in_legal_review(cf)
    seen |= check_reasons(
        reasons_of(cf, ref, "approuver", LEGAL, data={"document_sha256": "0" * 64})
    )
    cf.set_protocol(ref, start=scenario.START, end=scenario.END, means="Autres.", actor=STAFF)
    seen |= check_reasons(
        reasons_of(
            cf,
            ref,
            "approuver",
            LEGAL,
            data={"document_sha256": scenario.latest_protocol_sha(cf, ref)},
        )
    )
    cf.render(ref, actor=STAFF)
    cf.fire(
        ref, "approuver", LEGAL, data={"document_sha256": scenario.latest_protocol_sha(cf, ref)}
    )
    cf.record_deliberation(
        ref, party="bordeaux-metropole", number="2027-120", sitting_date="2027-02-10", actor=STAFF
    )
    cf.set_signatory(
        ref,
        party="la-cali",
        first_name="Étienne",
        last_name="Marchal",
        title="Conseiller",
        civility="Monsieur",
        actor=STAFF,
    )
    future = scenario.TODAY + dt.timedelta(days=1)
    signing = reasons_of(cf, ref, "signer", STAFF, data={"date_signature": future})
    seen |= check_reasons(signing)
    early = reasons_of(cf, ref, "signer", STAFF, data={"date_signature": "2026-12-01"})
    seen |= check_reasons(early)
    cf.set_protocol(ref, start=scenario.START, end=scenario.END, means="Encore.", actor=STAFF)
    seen |= check_reasons(reasons_of(cf, ref, "signer", STAFF, data={"date_signature": future}))
    assert {"not_the_latest_document", "protocol_changed_since_render"} <= seen
    assert {"no_deliberation", "deliberation_not_executoire", "signatory_not_the_executive"} <= seen
    assert {"signature_in_the_future", "signature_outside_the_period"} <= seen
    assert "protocol_changed_since_approval" in seen
    # the délibération to complete: its number and sitting filled in, the rest to give
    (fix,) = [r.command for r in signing if r.code == "deliberation_not_executoire"]
    assert fix == (
        f"coopflow deliberation record {ref} --party bordeaux-metropole --number 2027-120 "
        "--sitting-date 2027-02-10 --sent-to-prefecture YYYY-MM-DD --published YYYY-MM-DD"
    )


def test_the_reasons_of_avenants_programmes_and_termination_name_their_fix(
    cf: Coopflow,
) -> None:
    seen: set[str] = set()
    ref = scenario.signed(cf)
    # programmes
    cf.add_programme(ref, "2027", start="2027-04-01", end="2027-12-31", actor=STAFF)
    seen |= check_reasons(reasons_of(cf, ref, "revue_cotech", STAFF, programme="2027"))
    cf.add_action(ref, "2027", axis=1, title="Navette", objectives="Tester", actor=STAFF)
    cf.fire(ref, "revue_cotech", STAFF, programme="2027")
    copil = reasons_of(
        cf, ref, "approuver_copil", ELECTED, programme="2027", data={"date_copil": "2028-12-01"}
    )
    seen |= check_reasons(copil)
    (lead,) = [r.command for r in copil if r.code == "action_without_lead"]
    assert lead == (
        f"coopflow action add {ref} 2027 --axis 1 --title Navette --objectives Tester "
        "--lead PARTY --number 1"
    )
    # a programme no longer inside its protocol's period (shortened while in drafting)
    drafting = scenario.in_drafting(cf, "ville-de-saintes")
    scenario.with_programme(cf, drafting, "2027")  # 2027-04-01 – 2028-03-31
    cf.set_protocol(drafting, start=scenario.START, end="2027-12-31", actor=STAFF)
    cf.fire(drafting, "revue_cotech", STAFF, programme="2027")
    outside = reasons_of(
        cf,
        drafting,
        "approuver_copil",
        ELECTED,
        programme="2027",
        data={"date_copil": "2027-03-30"},
    )
    seen |= check_reasons(outside)
    (redate,) = [r.command for r in outside if r.code == "programme_outside_the_protocol"]
    assert redate == (f"coopflow programme add {drafting} 2027 --start 2027-04-01 --end 2027-12-31")
    label = scenario.with_programme(cf, ref)
    cf.fire(ref, "revue_cotech", STAFF, programme=label)
    cf.fire(ref, "approuver_copil", ELECTED, programme=label, data={"date_copil": "2027-03-30"})
    cf.fire(ref, "demarrer", STAFF, programme=label)
    evaluation = reasons_of(cf, ref, "evaluer", STAFF, programme=label, data={"bilan": "Bien."})
    seen |= check_reasons(evaluation)
    assert [r.command for r in evaluation] == [
        f"coopflow indicator set {ref} {label} 1 --name 'Voyageurs par jour' --target 400.00 "
        "--unit voyageurs --actual VALUE"
    ]
    # termination: in the past, then without the notice
    for data in (
        {"motif": "Intérêt général", "date_notification": "2028-06-01", "date_effet": "2028-06-15"},
        {"motif": "Intérêt général", "date_notification": "2028-06-30", "date_effet": "2028-07-15"},
    ):
        seen |= check_reasons(reasons_of(cf, ref, "resilier", ELECTED, data=data))
    # avenant: no change, no exposé des motifs
    cf.fire(ref, "proposer_avenant", STAFF, data={"objet": "Un axe culture"})
    seen |= check_reasons(reasons_of(cf, ref, "soumettre_avenant", STAFF))
    assert {"programme_without_action", "programme_outside_the_protocol"} <= seen
    assert {"action_without_lead", "action_without_indicator", "indicator_not_measured"} <= seen
    assert {"copil_in_the_future", "termination_effect_in_the_past"} <= seen
    assert {"termination_notice_too_short", "avenant_without_change"} <= seen
    assert "avenant_without_motives" in seen


def test_a_foreign_cooperation_names_the_command_of_each_missing_commitment(cf: Coopflow) -> None:
    scenario.add_parties(cf, "bordeaux-metropole")
    cf.add_party("porto", **PORTO, actor=STAFF)  # type: ignore[arg-type]
    ref = in_dialogue(cf, "porto")
    scenario.with_axes(cf, ref, ("bordeaux-metropole", "porto"))
    cf.fire(ref, "engager_contractualisation", STAFF)
    cf.set_protocol(
        ref,
        start=scenario.START,
        end=scenario.END,
        preamble=["P"],
        copil="C",
        cotech="T",
        actor=STAFF,
    )
    reasons = reasons_of(cf, ref, "soumettre_revue_juridique", STAFF)
    check_reasons(reasons)
    assert [(r.code, r.command, r.call) for r in reasons] == [
        (
            "no_financial_commitment",
            f"coopflow protocol money {ref} {key} AMOUNT",
            f"Coopflow.set_financial_commitment({ref!r}, party={key!r}, amount=..., actor=...)",
        )
        for key in ("bordeaux-metropole", "porto")
    ]


# ----------------------------------------------------------------------------- all at once


def test_the_protocol_step_gives_every_reason_at_once(cf: Coopflow) -> None:
    scenario.add_parties(cf, "bordeaux-metropole", "la-cali")
    without_tribunal(cf)
    ref = in_dialogue(cf, "la-cali")
    n = cf.add_axis(ref, "Mobilités", actor=STAFF)  # no objective
    cf.add_stake(ref, axis=n, title="Les trajets", actor=STAFF)
    for party in ("bordeaux-metropole", "la-cali"):
        cf.add_commitment(ref, axis=n, party=party, text="S'engage", actor=STAFF)
    cf.fire(ref, "engager_contractualisation", STAFF)
    reasons = reasons_of(cf, ref, "soumettre_revue_juridique", STAFF)
    assert [r.code for r in reasons] == [
        "no_protocol_period",
        "axis_count",
        "axis_without_objective",
        "no_governance",
        "no_preamble",
        "no_tribunal",
    ]
    assert reasons[0] == "the protocol has no period yet"
    assert reasons[1].command == f"coopflow axis add {ref} TITLE --objective TEXT"
    assert reasons[0].command == f"coopflow protocol set {ref} --start YYYY-MM-DD --end YYYY-MM-DD"
    assert reasons[2].command == (f"coopflow axis add {ref} Mobilités --number 1 --objective TEXT")
    assert reasons[2].call == (
        f"Coopflow.add_axis({ref!r}, 'Mobilités', objectives=..., actor=..., number=1)"
    )
    # the court: the party registered again with every field it has, and its tribunal
    assert reasons[5].command == (
        "coopflow party add bordeaux-metropole --official-name 'Bordeaux Métropole' "
        "--nature METRO --siren 243300316 --seat Bordeaux --deliberative-body "
        "'conseil métropolitain' --executive-title Présidente --executive-civility Madame "
        "--article '' --usual-article '' --tribunal 'tribunal administratif de ...' --replace"
    )
    # fixing them as told leaves nothing to refuse
    cf.set_protocol(
        ref,
        start=scenario.START,
        end=scenario.END,
        copil="C",
        cotech="T",
        preamble=["P"],
        actor=STAFF,
    )
    cf.add_axis(ref, "Mobilités", objectives=["Des trajets"], number=1, actor=STAFF)
    cf.add_axis(ref, "Tourisme", objectives=["Une destination"], actor=STAFF)
    cf.add_party(
        "bordeaux-metropole",
        **{**scenario.PARTIES["bordeaux-metropole"], "executive_title": "Présidente"},  # type: ignore[arg-type]
        replace=True,
        actor=STAFF,
    )
    assert cf.fire(ref, "soumettre_revue_juridique", STAFF).target_state == (
        "contractualisation.revue_juridique"
    )


def test_a_refused_fire_gives_the_reasons_of_every_guard_of_the_event(cf: Coopflow) -> None:
    ref = scenario.in_deliberations(cf)
    cf.set_protocol(ref, start=scenario.START, end=scenario.END, means="Autres.", actor=STAFF)
    cf.record_deliberation(
        ref, party="bordeaux-metropole", number="2027-120", sitting_date="2027-02-10", actor=STAFF
    )
    cf.set_signatory(
        ref,
        party="la-cali",
        first_name="Étienne",
        last_name="Marchal",
        title="Conseiller",
        civility="Monsieur",
        actor=STAFF,
    )
    future = scenario.TODAY + dt.timedelta(days=1)
    reasons = reasons_of(cf, ref, "signer", STAFF, data={"date_signature": future})
    # approval_still_valid, deliberations_executoire, signatories_match, signature_date_valid
    assert [r.code for r in reasons] == [
        "protocol_changed_since_approval",
        "deliberation_not_executoire",
        "no_deliberation",
        "signatory_not_the_executive",
        "signature_in_the_future",
    ]
    statuses = {s.event: s for s in cf.events(ref, STAFF)}
    assert [r.code for r in statuses["signer"].reasons] == [  # type: ignore[attr-defined]
        "protocol_changed_since_approval",
        "deliberation_not_executoire",
        "no_deliberation",
        "signatory_not_the_executive",
    ]


# ----------------------------------------------------------------------------- events


def test_a_programme_event_without_programme_names_the_programmes(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    with pytest.raises(UnknownEventError) as raised:
        cf.fire(ref, "revue_cotech", STAFF)
    assert isinstance(raised.value, ProgrammeRequired)  # an UnknownEventError, with its data
    assert (raised.value.code, raised.value.programmes) == ("programme_required", ())
    assert raised.value.message == (
        "revue_cotech is an event of the programme workflow, and "
        f"{ref} has no programme yet: open one (coopflow programme add {ref} LABEL --start "
        "YYYY-MM-DD --end YYYY-MM-DD), then give --programme"
    )
    cf.add_programme(ref, "2027", start="2027-04-01", end="2027-12-31", actor=STAFF)
    with pytest.raises(UnknownEventError) as raised:
        cf.fire(ref, "REVUE_COTECH", STAFF)
    assert raised.value.message == (
        "revue_cotech is an event of the programme workflow: give --programme 2027 "
        f"(coopflow fire {ref} revue_cotech --programme 2027)"
    )
    cf.add_programme(ref, "2028", start="2028-01-01", end="2028-12-31", actor=STAFF)
    with pytest.raises(UnknownEventError) as raised:
        cf.fire(ref, "revue_cotech", STAFF)
    assert isinstance(raised.value, ProgrammeRequired)
    assert raised.value.programmes == ("2027", "2028")
    assert raised.value.message == (
        "revue_cotech is an event of the programme workflow: give --programme, one of 2027, "
        f"2028 (coopflow fire {ref} revue_cotech --programme PROGRAMME)"
    )
    # and the other way round: a partnership's event fired on a programme
    with pytest.raises(UnknownEventError) as raised:
        cf.fire(ref, "proposer_avenant", STAFF, programme="2027", data={"objet": "Culture"})
    assert raised.value.message == (
        "proposer_avenant is an event of the partnership, not of its programmes: fire it "
        f"without --programme (coopflow fire {ref} proposer_avenant)"
    )
    assert cf.partnership(ref).state == "contractualisation.en_vigueur"


def test_the_command_line_names_the_programmes_of_a_programme_event(tmp_path: Path) -> None:
    # SQLite: the command line acts as --actor (on PostgreSQL it is the database login).
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    coopflow.migrate(url)
    with Coopflow(url) as cf:
        scenario.register_people(cf)
        ref = scenario.signed(cf)
        cf.add_programme(ref, "2027", start="2027-04-01", end="2027-12-31", actor=STAFF)
        cf.add_programme(ref, "2028", start="2028-01-01", end="2028-12-31", actor=STAFF)
    result = CliRunner().invoke(
        commands(), ["--db", url, "fire", ref, "revue_cotech", "--actor", STAFF.id]
    )
    assert result.exit_code == 1, result.output
    assert "give --programme, one of 2027, 2028" in result.output
    assert "unknown event" not in result.output


def test_an_unknown_event_names_the_closest_known_ones(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)
    with pytest.raises(UnknownEventError) as raised:
        cf.fire(ref, "ouvrir_dialog", STAFF)
    assert raised.value.message.startswith(
        "unknown event 'ouvrir_dialog' in workflow cooperation v2 (known: ouvrir_dialogue, "
    )
    assert raised.value.message.endswith("); did you mean ouvrir_dialogue?")
    assert raised.value.suggestions == ("ouvrir_dialogue",)  # type: ignore[attr-defined]
    with pytest.raises(UnknownEventError) as raised:
        cf.fire(ref, "soumetre_revue", STAFF)
    assert "; did you mean soumettre_revue_juridique, " in raised.value.message
    with pytest.raises(UnknownEventError, match="unknown event 'fly'") as raised:
        cf.fire(ref, "fly", STAFF)
    assert "did you mean" not in raised.value.message
    assert raised.value.suggestions == ()  # type: ignore[attr-defined]
    assert cf.history(ref)[-1].event == "creation"


def test_event_names_are_case_insensitive(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)
    cf.log_exchange(ref, date="2026-09-15", kind="reunion", summary="Re", actor=STAFF)
    done = cf.fire(ref, "OUVRIR_DIALOGUE", STAFF)
    assert done.target_state == "dialogue"
    cf.fire(ref, "Suspendre", STAFF, data={"motif": "Élections"})  # no guard, no effect
    cf.fire(ref, "reprendre", STAFF)
    assert [r.event for r in cf.history(ref)][-3:] == ["ouvrir_dialogue", "suspendre", "reprendre"]
    scenario.with_axes(cf, ref, ("bordeaux-metropole", "la-cali"))
    cf.fire(ref, "Engager-Contractualisation", STAFF)
    with pytest.raises(GuardFailed) as raised:
        cf.fire(ref, "SOUMETTRE_REVUE_JURIDIQUE", STAFF)
    assert raised.value.event == "soumettre_revue_juridique"
    assert cf.history(ref)[-1].event == "engager_contractualisation"


# ----------------------------------------------------------------------------- French


def test_a_reason_reads_in_french(cf: Coopflow) -> None:
    catalog.cache_clear()  # the catalog as compiled now
    ref = scenario.in_accueil(cf)
    with language("fr"), pytest.raises(GuardFailed) as raised:
        cf.fire(ref, "ouvrir_dialogue", STAFF)
    (reason,) = raised.value.reasons
    assert reason == (
        "aucun échange consigné : consignez au moins un échange (réunion, courrier, atelier)"
    )
    assert reason.code == "no_exchange"
    assert reason.command == (
        f"coopflow exchange log {ref} --date AAAA-MM-JJ --kind reunion --summary TEXTE"
    )
    with language("fr"), pytest.raises(CoopflowError) as unknown:
        cf.fire(ref, "ouvrir_dialog", STAFF)
    assert unknown.value.message.endswith(" ; vouliez-vous dire ouvrir_dialogue ?")
