"""Deadlines that miss nothing (issue 15).

``due()`` lists, with how each date is computed (``Deadline.basis``, in French, and the same as
data): parties that have not deliberated (with the days waited since the approval), pending
délibérations, programmes still in preparation or awaiting the COPIL, protocol years short of
their COPIL meetings, protocols ending with or without a renewal engaged, overdue milestones;
and never anything of a partnership that has ended (expired, renewed, terminated, abandoned).
The marker of ended protocols (``Protocol.ended``) it starts from is kept by every path that
changes a partnership's state: the ORM fire, the Core fire, the workflow migration."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from coopflow import Coopflow, Deadline
from coopflow._db import create_owned_engine
from coopflow._domain.deadlines import KINDS, french_date
from coopflow.cli import cli
from coopflow.documents import french_date as documents_french_date
from coopflow.models import Partnership, Protocol
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from tests import scenario
from tests.scenario import ADMIN, ELECTED, LEGAL, STAFF

ENGLISH = Path(__file__).parent / "host" / "workflows_en"
NNBSP = "\u202f"
#: A day after the protocol's end (scenario.END, 31 December 2029): expirer may be fired.
AFTER_END = dt.date(2030, 1, 5)


# ----------------------------------------------------------------------------- helpers


def ended_marker(cf: Coopflow, reference: str) -> bool:
    with cf.engine.connect() as conn:
        return bool(
            conn.execute(
                select(Protocol.ended)
                .join(Partnership, Partnership.id == Protocol.partnership_id)
                .where(Partnership.reference == reference)
            ).scalar_one()
        )


def has_ended(cf: Coopflow, reference: str) -> bool:
    """What the workflow says of the partnership's state (final, or declaring ``ended``)."""
    p = cf.partnership(reference)
    wf = cf.workflows.get(p.workflow, p.workflow_version)
    return wf.states[p.state].final or wf.allows(p.state, "ended")


def inputs(cf: Coopflow, reference: str, event_name: str, **given: object) -> dict[str, object]:
    """Of ``given``, the inputs the partnership's workflow declares for the event (a version may
    ask for more: the notification of a termination)."""
    p = cf.partnership(reference)
    declared = {
        i.name for i in cf.workflows.get(p.workflow, p.workflow_version).events[event_name].inputs
    }
    return {name: value for name, value in given.items() if name in declared}


def terminate(cf: Coopflow, ref: str, today: dt.date = AFTER_END) -> None:
    data = inputs(
        cf,
        ref,
        "resilier",
        motif="Un motif d'intérêt général.",
        date_notification=today,
        date_effet=today + dt.timedelta(days=200),
    )
    cf.fire(ref, "resilier", ELECTED, data=data, today=today)


def expire(cf: Coopflow, ref: str, today: dt.date = AFTER_END) -> None:
    cf.fire(ref, "expirer", STAFF, data={"bilan": "Bilan final présenté."}, today=today)


def renew(cf: Coopflow, ref: str, today: dt.date = AFTER_END) -> None:
    cf.fire(ref, "renouveler", STAFF, data={"debut": "2030-01-01", "fin": "2033-12-31"})


def abandon(cf: Coopflow, ref: str, today: dt.date = AFTER_END) -> None:
    cf.fire(ref, "abandonner", STAFF, data={"motif": "Les conseils n'ont pas délibéré."})


#: How each partnership ends: the built-in event and the partnership it needs.
ENDINGS: dict[str, tuple[Callable[[Coopflow], str], Callable[..., None]]] = {
    "terminated": (scenario.signed, terminate),
    "expired": (scenario.signed, expire),
    "renewed": (scenario.signed, renew),
    "abandoned": (scenario.in_deliberations, abandon),
}


def entered_on(cf: Coopflow, ref: str) -> dt.date:
    """The day of the record that brought the partnership into its current state."""
    state = cf.partnership(ref).state
    entering = [
        e
        for e in cf.history(ref)
        if e.target_state == state and e.source_state not in (None, state)
    ]
    return entering[-1].at.astimezone(dt.UTC).date()


def approve_copil(cf: Coopflow, ref: str, label: str, day: dt.date) -> None:
    cf.fire(ref, "revue_cotech", STAFF, programme=label)
    cf.fire(ref, "approuver_copil", ELECTED, programme=label, data={"date_copil": day}, today=day)


def avenant_at_the_councils(cf: Coopflow, ref: str) -> int:
    """An avenant to the signed protocol, written, put to the councils (after the legal
    department's approval where the workflow asks for one); its number."""
    proposed = cf.fire(ref, "proposer_avenant", STAFF, data={"objet": "Ajout d'un axe culture"})
    number = int(proposed.record.data["avenant"])
    cf.add_amendment_change(
        ref, "completer", 2, text="Les Parties ajoutent un objectif culturel.", actor=STAFF
    )
    cf.set_amendment_motives(ref, "Le dialogue a fait émerger un enjeu culturel.", actor=STAFF)
    cf.fire(ref, "soumettre_avenant", STAFF)
    p = cf.partnership(ref)
    if not cf.workflows.get(p.workflow, p.workflow_version).allows(
        p.state, "amendment_deliberating"
    ):  # a legal review of the avenant first
        docs = [d for d in cf.documents_of(ref) if d.kind == "avenant"]
        sha = max(docs, key=lambda d: d.version).sha256
        cf.fire(ref, "approuver_avenant", LEGAL, data={"document_sha256": sha})
    return number


def of_kind(deadlines: list[Deadline], kind: str) -> list[Deadline]:
    assert kind in KINDS
    return [d for d in deadlines if d.kind == kind]


# ----------------------------------------------------------------------------- the marker


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_fire_into_an_ended_state_marks_the_protocol(cf: Coopflow, ending: str) -> None:
    build, end = ENDINGS[ending]
    ref = build(cf)
    assert not ended_marker(cf, ref) and not has_ended(cf, ref)
    end(cf, ref)
    assert has_ended(cf, ref), cf.partnership(ref).state
    assert ended_marker(cf, ref)
    assert cf.verify().ok  # the marker is no data the journal states


def test_the_core_path_and_a_hosts_session_mark_it_alike(migrated_url: str) -> None:
    with Coopflow(migrated_url) as own:
        assert own.workflows.unguarded("abandonner")  # own transactions: the Core path
        fast = scenario.in_deliberations(own, "la-cali")
        slow = scenario.in_deliberations(own, "ville-de-saintes")
        abandon(own, fast)
    engine = create_owned_engine(migrated_url)
    try:
        with Session(engine) as session:  # a host's Session: the ORM path
            host = Coopflow(session)
            abandon(host, slow)
            session.commit()
    finally:
        engine.dispose()
    with Coopflow(migrated_url) as cf:
        assert ended_marker(cf, fast) and ended_marker(cf, slow)
        assert cf.verify().ok


def test_a_partnership_ending_before_it_has_a_protocol(cf: Coopflow) -> None:
    ref = scenario.in_dialogue(cf)
    abandon(cf, ref)  # nothing to mark: the fire is the same
    assert has_ended(cf, ref)
    with cf.engine.connect() as conn:
        assert conn.execute(select(Protocol.id)).all() == []
    assert cf.verify().ok


def statements_of(cf: Coopflow, call: Callable[[], object]) -> list[str]:
    seen: list[str] = []

    def capture(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(cf.engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        event.remove(cf.engine, "before_cursor_execute", capture)
    return seen


def test_suspending_and_resuming_touch_no_protocol(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    in_force = cf.partnership(ref).state
    sent = statements_of(
        cf,
        lambda: (
            cf.fire(ref, "suspendre", STAFF, data={"motif": "élections municipales"}),
            cf.fire(ref, "reprendre", STAFF),
        ),
    )
    assert cf.partnership(ref).state == in_force
    assert [s for s in sent if "coopflow_protocol" in s] == []  # an ordinary fire: no cost
    assert not ended_marker(cf, ref)
    assert cf.verify().ok


def test_the_marker_is_written_with_the_fire_in_one_statement_on_postgresql(
    cf: Coopflow, backend: str
) -> None:
    ref = scenario.in_deliberations(cf)
    sent = statements_of(cf, lambda: abandon(cf, ref))
    touching = [s for s in sent if re.search(r"UPDATE coopflow_protocol\b", s)]
    assert len(touching) == 1
    if backend == "postgres":  # the partnership, its protocol and the record together
        assert "INSERT INTO coopflow_journal" in touching[0]
        assert "UPDATE coopflow_partnership" in touching[0]
    else:
        assert touching[0].lstrip().startswith("UPDATE coopflow_protocol")
    assert ended_marker(cf, ref)


def _next_version(cf: Coopflow, folder: Path) -> int:
    """A copy of the default cooperation workflow as a new version, in ``folder``."""
    current = cf.workflows.get("cooperation")
    version = current.version + 50
    text = Path(current.source).read_text("utf-8")
    text = re.sub(r"(?m)^version = \d+$", f"version = {version}", text, count=1)
    folder.mkdir()
    (folder / f"cooperation.v{version}.toml").write_text(text, "utf-8")
    return version


def test_a_workflow_migration_moves_the_marker_into_and_out_of_an_ended_state(
    migrated_url: str, tmp_path: Path
) -> None:
    with Coopflow(migrated_url) as cf:
        running, expired = scenario.signed(cf), scenario.signed(cf, "ville-de-saintes")
        expire(cf, expired)
        old = cf.workflows.get("cooperation")
        new_version = _next_version(cf, tmp_path / "wf")
    in_force = old.leaves_with("in_force")[0]
    ended = next(s for s in old.states_with("ended") if not old.states[s].final)
    with Coopflow(migrated_url, workflows_dir=tmp_path / "wf") as cf:
        assert ended_marker(cf, expired) and not ended_marker(cf, running)
        before = cf.due(within_days=30, today=AFTER_END)
        assert {d.reference for d in of_kind(before, "protocol_end")} == {running}
        cf.migrate_workflow(
            "cooperation",
            from_version=old.version,
            to_version=new_version,
            mapping={in_force: ended, ended: in_force},
            actor=ADMIN,
        )
        assert ended_marker(cf, running) and not ended_marker(cf, expired)
        after = cf.due(within_days=30, today=AFTER_END)
        assert {d.reference for d in after} == {expired}
        assert {d.reference for d in of_kind(after, "protocol_end")} == {expired}
        assert cf.verify().ok


# ----------------------------------------------------------------------------- kinds


def test_parties_that_have_not_deliberated_wait_since_the_approval(
    cf: Coopflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = scenario.in_deliberations(cf)
    approval = [e for e in cf.history(ref) if e.event == "approuver"][-1]
    approved_on = approval.at.astimezone(dt.UTC).date()
    today = approved_on + dt.timedelta(days=45)
    missing = of_kind(cf.due(within_days=30, today=today), "deliberation_missing")
    assert [
        (d.reference, d.party, d.due, d.basis_date, d.days_waited, d.amendment) for d in missing
    ] == [
        (ref, "bordeaux-metropole", approved_on, approved_on, 45, 0),
        (ref, "la-cali", approved_on, approved_on, 45, 0),
    ]
    assert missing[0].basis == (
        f"protocole approuvé le {documents_french_date(approved_on)}{NNBSP}: "
        "en attente depuis 45 jours"
    )
    assert "has not deliberated on the protocol" in missing[0].what
    one_day = of_kind(
        cf.due(within_days=0, today=approved_on + dt.timedelta(days=1)), "deliberation_missing"
    )
    assert one_day[0].days_waited == 1 and one_day[0].basis.endswith("en attente depuis 1 jour")

    cf.record_deliberation(
        ref,
        party="la-cali",
        number="2027-45",
        sitting_date=approved_on,
        sent_to_prefecture=approved_on,
        published=approved_on,
        actor=STAFF,
    )
    missing = of_kind(cf.due(within_days=30, today=today), "deliberation_missing")
    assert [d.party for d in missing] == ["bordeaux-metropole"]

    # While suspended the councils are not asked; resumed (20 days after the approval), the
    # wait still counts from the approval, not from the return.
    cf.fire(ref, "suspendre", STAFF, data={"motif": "élections municipales"})
    assert of_kind(cf.due(within_days=30, today=today), "deliberation_missing") == []
    later = approval.at + dt.timedelta(days=20)
    monkeypatch.setattr("coopflow._domain.firing.utcnow", lambda: later)
    resumed = cf.fire(ref, "reprendre", STAFF)
    assert resumed.record.at == later
    missing = of_kind(cf.due(within_days=30, today=today), "deliberation_missing")
    assert [(d.party, d.days_waited) for d in missing] == [("bordeaux-metropole", 45)]


def test_parties_that_have_not_deliberated_on_the_avenant(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    number = avenant_at_the_councils(cf, ref)
    since = entered_on(cf, ref)
    today = since + dt.timedelta(days=10)
    missing = of_kind(cf.due(within_days=0, today=today), "deliberation_missing")
    assert [(d.party, d.amendment, d.days_waited, d.due) for d in missing] == [
        ("bordeaux-metropole", number, 10, since),
        ("la-cali", number, 10, since),
    ]
    assert missing[0].basis == (
        f"avenant n°\u00a0{number} soumis aux conseils le {documents_french_date(since)}"
        f"{NNBSP}: en attente depuis 10 jours"
    )
    cf.record_deliberation(
        ref,
        party="la-cali",
        number="2027-810",
        sitting_date=since,
        sent_to_prefecture=since,
        published=since,
        amendment=number,
        actor=STAFF,
    )
    missing = of_kind(cf.due(within_days=0, today=today), "deliberation_missing")
    assert [(d.party, d.amendment) for d in missing] == [("bordeaux-metropole", number)]


def test_a_pending_deliberation_says_its_sitting_plus_15_days(cf: Coopflow) -> None:
    ref = scenario.in_deliberations(cf)
    cf.record_deliberation(
        ref,
        party="la-cali",
        number="2027-45",
        sitting_date="2027-02-11",
        sent_to_prefecture="2027-02-12",
        actor=STAFF,
    )
    [pending] = of_kind(cf.due(within_days=30, today=dt.date(2027, 2, 20)), "deliberation")
    assert (pending.due, pending.basis_date, pending.party, pending.number, pending.amendment) == (
        dt.date(2027, 2, 26),
        dt.date(2027, 2, 11),
        "la-cali",
        "2027-45",
        0,
    )
    assert pending.basis == "séance du 11\u00a0février\u00a02027 + 15 jours"
    # Beyond the horizon: not yet listed.
    assert of_kind(cf.due(within_days=30, today=dt.date(2027, 1, 1)), "deliberation") == []


def test_a_programme_still_in_preparation_as_its_period_approaches(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    label = scenario.with_programme(cf, ref)  # starts on 1 April 2027
    [draft] = cf.due(within_days=30, today=dt.date(2027, 3, 15))
    assert (draft.kind, draft.reference, draft.programme, draft.due) == (
        "programme_draft",
        ref,
        label,
        dt.date(2027, 4, 1),
    )
    assert (draft.period_start, draft.period_end) == (dt.date(2027, 4, 1), dt.date(2028, 3, 31))
    assert draft.basis == (
        f"début du programme {label} le 1er\u00a0avril\u00a02027{NNBSP}; "
        "programme encore en préparation"
    )
    assert cf.due(within_days=10, today=dt.date(2027, 3, 15)) == []  # starts after
    started = cf.due(within_days=0, today=dt.date(2027, 4, 10))  # started, still drafted
    assert [(d.kind, d.due) for d in started] == [("programme_draft", dt.date(2027, 4, 1))]
    cf.fire(ref, "revue_cotech", STAFF, programme=label)  # awaits the COPIL now
    awaiting = cf.due(within_days=30, today=dt.date(2027, 3, 15))
    assert [(d.kind, d.programme) for d in awaiting] == [("copil_approval", label)]
    assert awaiting[0].basis == f"début du programme {label} le 1er\u00a0avril\u00a02027"


def test_a_protocol_year_short_of_its_copil_meetings(cf: Coopflow) -> None:
    ref = scenario.signed(cf)  # two COPIL meetings a year, from 1 January 2027
    label = scenario.with_programme(cf, ref)
    approve_copil(cf, ref, label, dt.date(2027, 3, 30))
    [short] = of_kind(cf.due(within_days=0, today=dt.date(2028, 1, 10)), "annual_copil")
    assert (short.reference, short.due, short.protocol_year, short.held, short.expected) == (
        ref,
        dt.date(2027, 12, 31),
        1,
        1,
        2,
    )
    assert (short.period_start, short.period_end) == (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert short.basis == (
        "année 1 du protocole, du 1er\u00a0janvier\u00a02027 au 31\u00a0décembre\u00a02027"
        f"{NNBSP}: 1 COPIL tenu sur 2 prévus"
    )
    # The year not over and not ending within the horizon: not listed yet; ending within it: so.
    assert of_kind(cf.due(within_days=0, today=dt.date(2027, 12, 1)), "annual_copil") == []
    assert len(of_kind(cf.due(within_days=30, today=dt.date(2027, 12, 1)), "annual_copil")) == 1

    # A second COPIL that year, approving another programme: the year is complete.
    cf.add_programme(ref, "2027-bis", start="2027-06-01", end="2027-12-31", actor=STAFF)
    n = cf.add_action(
        ref, "2027-bis", axis=1, title="Atelier", lead="bordeaux-metropole", actor=STAFF
    )
    cf.add_indicator(ref, "2027-bis", n, name="Participants", target="30", actor=STAFF)
    approve_copil(cf, ref, "2027-bis", dt.date(2027, 10, 15))
    assert of_kind(cf.due(within_days=0, today=dt.date(2028, 1, 10)), "annual_copil") == []
    later = of_kind(cf.due(within_days=0, today=dt.date(2029, 1, 10)), "annual_copil")
    assert [(d.protocol_year, d.held) for d in later] == [(2, 0)]
    assert later[0].basis.endswith(f"{NNBSP}: 0 COPIL tenu sur 2 prévus")


def test_a_protocol_ending_with_no_renewal_engaged(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    [ending] = of_kind(cf.due(within_days=60, today=dt.date(2029, 11, 15)), "protocol_end")
    assert (ending.due, ending.successor, ending.period_start, ending.period_end) == (
        scenario.END,
        None,
        scenario.START,
        scenario.END,
    )
    assert ending.basis == (
        f"fin du protocole le 31\u00a0décembre\u00a02029{NNBSP}; aucun renouvellement engagé"
    )
    # Overdue (in force past its end, expiry not recorded): still listed.
    assert [d.due for d in of_kind(cf.due(within_days=0, today=AFTER_END), "protocol_end")] == [
        scenario.END
    ]
    # Renewed (the built-in lifecycle ends the protocol it renews): no longer listed.
    renew(cf, ref)
    assert [
        d for d in cf.due(within_days=60, today=dt.date(2029, 11, 15)) if d.reference == ref
    ] == []


RENEWING = """
[states.contract.states.renewing]
label = "In force, its renewal engaged"
capabilities = ["in_force"]

[events.engage_renewal]
from = "contract.in_force"
to = "contract.renewing"
roles = ["staff", "admin"]
effects = ["create_successor"]
inputs.debut = { type = "date", required = true }
inputs.fin = { type = "date", required = true }
"""


@pytest.fixture
def renewing(migrated_url: str, tmp_path: Path) -> Iterator[Coopflow]:
    """The English lifecycle with a renewal engaged while the protocol is still in force."""
    folder = tmp_path / "renewing"
    folder.mkdir()
    lifecycle = (ENGLISH / "lifecycle.v1.toml").read_text("utf-8")
    (folder / "lifecycle.v1.toml").write_text(lifecycle + RENEWING, "utf-8")
    (folder / "workplan.v1.toml").write_text((ENGLISH / "workplan.v1.toml").read_text("utf-8"))
    with Coopflow(migrated_url, workflows_dir=folder) as instance:
        yield instance


def english_in_force(cf: Coopflow) -> str:
    """A partnership of the English lifecycle, its protocol (2027-2029) signed."""
    scenario.add_parties(cf, "bordeaux-metropole", "la-cali")
    ref = cf.create_partnership(
        "Cooperation Bordeaux Métropole – La Cali",
        scale="espace_regional",
        parties=["bordeaux-metropole", "la-cali"],
        home="bordeaux-metropole",
        lead="bordeaux-metropole",
        responsible=STAFF.id,
        actor=STAFF,
        workflow="lifecycle",
    ).reference
    cf.log_exchange(ref, date="2026-09-15", kind="reunion", summary="First meeting", actor=STAFF)
    cf.fire(ref, "open_talks", STAFF)
    scenario.with_axes(cf, ref, ("bordeaux-metropole", "la-cali"))
    cf.fire(ref, "start_contract", STAFF)
    cf.set_protocol(
        ref,
        start=scenario.START,
        end=scenario.END,
        preamble=["Les Parties partagent un bassin de vie."],
        copil="Les élus des Parties.",
        cotech="Les services des Parties.",
        meetings_per_year=1,
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
    sha = cf.fire(ref, "submit_for_review", STAFF).documents[0].sha256
    cf.fire(ref, "approve", LEGAL, data={"document_sha256": sha})
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    cf.fire(ref, "sign", ELECTED, data={"date_signature": scenario.SIGNED_ON})
    return ref


def test_a_protocol_ending_with_its_renewal_engaged(renewing: Coopflow) -> None:
    cf = renewing
    ref = english_in_force(cf)
    engaged = cf.fire(
        ref, "engage_renewal", STAFF, data={"debut": "2030-01-01", "fin": "2033-12-31"}
    )
    successor = str(engaged.record.data["successor"])
    due = cf.due(within_days=30, today=dt.date(2029, 12, 15))
    assert of_kind(due, "protocol_end") == []
    [ending] = of_kind(due, "protocol_end_renewing")
    assert (ending.reference, ending.kind, ending.due, ending.successor) == (
        ref,
        "protocol_end_renewing",
        scenario.END,
        successor,
    )
    assert ending.basis == (
        f"fin du protocole le 31\u00a0décembre\u00a02029{NNBSP}; "
        f"renouvellement engagé ({successor})"
    )
    # The successor abandoned: no renewal is engaged any more.
    cf.fire(successor, "drop", STAFF, data={"motif": "Les exécutifs y renoncent."})
    due = cf.due(within_days=30, today=dt.date(2029, 12, 15))
    assert of_kind(due, "protocol_end_renewing") == []
    assert [(d.reference, d.successor) for d in of_kind(due, "protocol_end")] == [(ref, None)]


def test_an_overdue_milestone_says_its_date(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    label = scenario.with_programme(cf, ref)
    approve_copil(cf, ref, label, dt.date(2027, 3, 30))
    [late] = cf.due(within_days=0, today=dt.date(2027, 9, 2))
    assert (late.kind, late.programme, late.action, late.due, late.basis_date) == (
        "milestone",
        label,
        1,
        dt.date(2027, 9, 1),
        dt.date(2027, 9, 1),
    )
    assert late.basis == "jalon prévu le 1er\u00a0septembre\u00a02027"


# ----------------------------------------------------------------------------- exclusions


def _with_everything_due(cf: Coopflow, ending: str) -> tuple[str, dt.date, set[str]]:
    """A partnership ready for ``ending``, with something of each kind it can have due on the
    day returned; the kinds listed that day."""
    build, _ = ENDINGS[ending]
    ref = build(cf)
    if ending == "abandoned":  # at the councils: one délibération pending, one missing
        cf.record_deliberation(
            ref, party="la-cali", number="2027-45", sitting_date="2027-02-11", actor=STAFF
        )
        return ref, AFTER_END, {"deliberation", "deliberation_missing"}
    label = scenario.with_programme(cf, ref)
    approve_copil(cf, ref, label, dt.date(2027, 3, 30))  # its milestone overdue since
    cf.add_programme(ref, "2029", start="2029-04-01", end="2029-12-31", actor=STAFF)  # drafted
    return ref, AFTER_END, {"milestone", "programme_draft", "annual_copil", "protocol_end"}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_nothing_of_an_ended_partnership_is_listed(cf: Coopflow, ending: str) -> None:
    ref, today, kinds = _with_everything_due(cf, ending)
    before = cf.due(within_days=30, today=today)
    assert {d.kind for d in before} == kinds
    ENDINGS[ending][1](cf, ref, today)
    assert [d for d in cf.due(within_days=30, today=today) if d.reference == ref] == []
    # Even with a marker wrong (a partnership ended before coopflow kept it, say): the state
    # says the partnership has ended.
    with cf.engine.begin() as conn:
        conn.execute(
            update(Protocol)
            .where(
                Protocol.partnership_id.in_(
                    select(Partnership.id).where(Partnership.reference == ref)
                )
            )
            .values(ended=False)
        )
    assert [d for d in cf.due(within_days=30, today=today) if d.reference == ref] == []


def test_soonest_first_whatever_the_kind(cf: Coopflow) -> None:
    first = scenario.signed(cf)
    second = scenario.in_deliberations(cf, "ville-de-saintes")
    today = dt.date(2029, 12, 1)
    listed = cf.due(within_days=60, today=today)
    assert [d.due for d in listed] == sorted(d.due for d in listed)
    assert {d.reference for d in listed} == {first, second}
    assert all(d.basis for d in listed)


# ----------------------------------------------------------------------------- French


@pytest.mark.parametrize(
    "day",
    [dt.date(2027, 1, 1), dt.date(2027, 2, 11), dt.date(2028, 8, 15), dt.date(2029, 12, 31)],
)
def test_dates_are_written_as_the_documents_write_them(day: dt.date) -> None:
    assert french_date(day) == documents_french_date(day)


# ----------------------------------------------------------------------------- command line


def test_the_command_prints_the_basis_and_its_json_the_data(migrated_url: str) -> None:
    with Coopflow(migrated_url) as cf:
        ref = scenario.in_deliberations(cf)
        approval = [e for e in cf.history(ref) if e.event == "approuver"][-1]
    today = approval.at.astimezone(dt.UTC).date() + dt.timedelta(days=12)
    runner = CliRunner(env={"COOPFLOW_ACTOR": STAFF.id})
    base = ["--db", migrated_url, "due", "--within", "30", "--today", today.isoformat()]
    listed = runner.invoke(cli, [*base, "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert [(d["kind"], d["party"], d["days_waited"], d["amendment"]) for d in data] == [
        ("deliberation_missing", "bordeaux-metropole", 12, 0),
        ("deliberation_missing", "la-cali", 12, 0),
    ]
    assert data[0]["basis"].endswith("en attente depuis 12 jours")
    assert data[0]["basis_date"] == (today - dt.timedelta(days=12)).isoformat()
    table = runner.invoke(cli, base)
    assert table.exit_code == 0, table.output
    header, *rows = table.output.splitlines()
    assert header.split() == ["Due", "Reference", "Kind", "What", "Basis"]
    assert len(rows) == 2 and all("deliberation_missing" in r and "overdue" in r for r in rows)
    assert "en attente depuis 12 jours" in rows[0]


def test_a_withdrawn_avenants_deliberations_are_nobodys_deadline(cf: Coopflow) -> None:
    ref = scenario.signed(cf)
    number = scenario.avenant_for_the_councils(cf, ref)
    cf.record_deliberation(  # sat, neither sent to the prefecture nor published
        ref,
        party="la-cali",
        number="2028-555",
        sitting_date="2028-05-20",
        amendment=number,
        actor=scenario.STAFF,
    )
    today = dt.date(2028, 6, 1)
    pending = [d for d in cf.due(within_days=30, today=today) if d.number == "2028-555"]
    assert [(d.kind, d.amendment) for d in pending] == [("deliberation", number)]
    cf.fire(ref, "retirer_avenant", scenario.STAFF, data={"motif": "Rejeté par un conseil"})
    assert [d for d in cf.due(within_days=30, today=today) if d.number == "2028-555"] == []
    assert not [d for d in cf.due(within_days=30, today=today) if d.kind == "deliberation_missing"]
