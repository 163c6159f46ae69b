"""Random sequences of events, actors and roles through the cooperation workflow (hypothesis).

Each example opens a fresh partnership and drives it with data entry (exchanges, axes with
stakes and commitments, the protocol, signatories, délibérations) and fires of events by any
role, including a role that does not exist.  A model predicts each outcome where the definition
and the guards make it predictable.  At every step the invariants are checked: only an allowed
role ever fires, dialogue is never entered without an exchange nor contractualisation without
an axis carrying a stake and every party's commitment, the state is a leaf state of the
definition and the journal's last target, the documents are those the journal names, and the
chain verifies.

The steps are drawn by one rule (``act``), with weights, rather than one rule per kind of step:
hypothesis's swarm testing would otherwise switch whole rules off in most examples and the
partnership would rarely get past accueil."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable
from typing import ClassVar, TypeVar

from coopflow import (
    ROLES,
    Actor,
    Coopflow,
    CoopflowError,
    GuardFailed,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
)
from coopflow._workflow import PREVIOUS, load_folder
from coopflow.workflows import BUILTIN_DIR, registry
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests import scenario

COOP = load_folder(BUILTIN_DIR, registry).get("cooperation")
PARTIES = ("bordeaux-metropole", "la-cali")
ANY_ROLE = (*ROLES, "mayor")
ELECTED = Actor("someone-elected", "elected")  # who fires in role elected
EDITABLE = (
    "accueil",
    "dialogue",
    "contractualisation.redaction",
    "contractualisation.revue_juridique",
    "contractualisation.deliberations",
)
# Guards whose verdict the model computes; the others (documents, délibérations, dates) are
# only checked for consistency with the outcome.
PREDICTED_GUARDS = {"has_exchange", "stakes_and_commitments"}
BACKWARD = {"suspendre", "revenir_accueil", "demander_modifications", "resoumettre_revue_juridique"}
STEPS = (
    *["fire_from_here"] * 5,
    "fire_anything",
    "log_exchange",
    "add_axis",
    "set_protocol",
    "set_signatories",
    "record_deliberations",
)
_numbers = itertools.count(1)
T = TypeVar("T")


def _attempt(call: Callable[[], T]) -> tuple[T | None, CoopflowError | None]:
    """Run ``call``: its result, or the CoopflowError it raised (checked by the caller)."""
    try:
        return call(), None
    except CoopflowError as exc:
        return None, exc


def _within(state: str, ancestor: str) -> bool:
    return state == ancestor or state.startswith(ancestor + ".")


class CooperationMachine(RuleBasedStateMachine):
    cf: ClassVar[Coopflow]

    def __init__(self) -> None:
        super().__init__()
        self.ref = f"COOP-PBT-{next(_numbers):04d}"
        self.cf.create_partnership(
            "Coopération aléatoire",
            scale="espace_regional",
            parties=list(PARTIES),
            home="bordeaux-metropole",
            responsible="hypothesis",
            actor=scenario.STAFF,
            reference=self.ref,
        )
        self.state = "accueil"
        self.records = 1
        self.exchanges = 0
        self.summaries: set[str] = set()  # an exchange logged again is a no-op
        self.axes: list[tuple[bool, frozenset[str]]] = []  # (has a stake, committed parties)
        self.suspended_from: str | None = None
        self.documents: set[str] = set()
        self.deliberated_on: str | None = None  # the document the délibérations name
        self.protocol_set = False
        # each party's signatory, by the login registered as them (None: named, no login)
        self.signatories: dict[str, str | None] = {}

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        step = data.draw(st.sampled_from(STEPS), label="step")
        getattr(self, step)(data)

    # ------------------------------------------------------------------ data entry

    def _entered(self, enter: Callable[[], object], *, also_in: tuple[str, ...] = ()) -> bool:
        """Run a data entry: it must succeed exactly when the state allows editing."""
        editable = any(_within(self.state, s) for s in (*EDITABLE, *also_in))
        _, error = _attempt(enter)
        if error is not None:
            assert not editable, f"refused in {self.state}: {error}"
            assert isinstance(error, ValidationError) and error.field == "state", error
            return False
        assert editable, f"content edited in state {self.state}"
        return True

    def log_exchange(self, data: st.DataObject) -> None:
        summary = data.draw(st.sampled_from(["Réunion", "Atelier", "Visite <b>technique</b>"]))
        final = self.state in COOP.final_states()
        _, error = _attempt(
            lambda: self.cf.log_exchange(
                self.ref, date="2026-10-01", kind="reunion", summary=summary, actor=scenario.STAFF
            )
        )
        if error is not None:
            assert final and isinstance(error, ValidationError) and error.field == "state", error
            return
        assert not final, f"exchange logged in {self.state}"
        self.exchanges += 1
        if summary not in self.summaries:  # a data entry that changes something: one record
            self.summaries.add(summary)
            self.records += 1

    def add_axis(self, data: st.DataObject) -> None:
        stake = data.draw(st.booleans() | st.just(True), label="stake")
        committed = data.draw(
            st.just(frozenset(PARTIES)) | st.frozensets(st.sampled_from(PARTIES)),
            label="committed",
        )

        def add() -> None:
            number = self.cf.add_axis(
                self.ref, "Mobilités", objectives=["Relier les territoires"], actor=scenario.STAFF
            )
            if stake:
                self.cf.add_stake(
                    self.ref, axis=number, title="Enjeu de mobilité", actor=scenario.STAFF
                )
            for party in sorted(committed):
                self.cf.add_commitment(
                    self.ref, axis=number, party=party, text="S'engage", actor=scenario.STAFF
                )

        if self._entered(add):
            self.axes.append((stake, committed))
            self.records += 1 + int(stake) + len(committed)  # the axis, its stake, commitments

    def set_protocol(self, data: st.DataObject) -> None:
        entered = self._entered(
            lambda: self.cf.set_protocol(
                self.ref,
                start=scenario.START,
                end=scenario.END,
                copil="Les élus des Parties.",
                cotech="Les services des Parties.",
                actor=scenario.STAFF,
            )
        )
        if entered and not self.protocol_set:  # always the same text: journaled once
            self.protocol_set = True
            self.records += 1

    def set_signatories(self, data: st.DataObject) -> None:
        # the metropolis' signatory registered as the elected actor, or not: only then may the
        # elected actor sign
        linked = data.draw(st.booleans(), label="linked")
        logins = {
            party: ELECTED.id if linked and party == PARTIES[0] else None for party in PARTIES
        }

        def name() -> None:
            for party in PARTIES:
                first, last, title, civility = scenario.SIGNATORIES[party]
                self.cf.set_signatory(
                    self.ref,
                    party=party,
                    first_name=first,
                    last_name=last,
                    title=title,
                    civility=civility,
                    login=logins[party],
                    actor=scenario.STAFF,
                )

        if self._entered(name, also_in=("contractualisation.avenant",)):
            # each signatory that changed is journaled
            self.records += sum(
                1 for p in PARTIES if p not in self.signatories or self.signatories[p] != logins[p]
            )
            self.signatories = logins

    def record_deliberations(self, data: st.DataObject) -> None:
        allowed = self.state == "contractualisation.deliberations"
        _, error = _attempt(lambda: scenario.record_deliberations(self.cf, self.ref, PARTIES))
        if error is not None:
            assert not allowed, error
            assert isinstance(error, ValidationError) and error.field == "state", error
            return
        assert allowed, f"délibération recorded in {self.state}"
        # each délibération that changed is journaled: all of them, the first time and after
        # a new approval (they then name the newly approved document)
        approved = self.cf.detail(self.ref)["approved_document_sha256"]
        if approved != self.deliberated_on:
            self.records += len(PARTIES)
            self.deliberated_on = approved

    # ------------------------------------------------------------------ events

    def fire_anything(self, data: st.DataObject) -> None:
        """Any event, by any role, from wherever the partnership is."""
        event = data.draw(st.sampled_from(sorted(COOP.events)), label="event")
        role = data.draw(st.sampled_from(ANY_ROLE), label="role")
        self._fire(event, role, data.draw(st.booleans(), label="with_inputs"))

    def fire_from_here(self, data: st.DataObject) -> None:
        """An event leaving the current state (to a state that is not final), mostly by a role
        allowed to fire it."""
        events = sorted(e.name for e in COOP.events_from(self.state))
        if not events:
            return
        # ending the partnership ends the example's interest: leave that to fire_anything;
        # going back or pausing is allowed, going forward three times likelier
        going_on = [e for e in events if COOP.events[e].target not in COOP.final_states()]
        forward = [e for e in going_on if e not in BACKWARD]
        event = data.draw(st.sampled_from(forward * 3 + going_on or events), label="event")
        role = data.draw(
            st.sampled_from(COOP.events[event].roles) | st.sampled_from(ANY_ROLE), label="role"
        )
        self._fire(event, role, data.draw(st.just(True) | st.booleans(), label="with_inputs"))

    def _inputs(self, event: str) -> dict[str, object]:
        values: dict[str, object] = {}
        for spec in COOP.events[event].inputs:
            if spec.type == "date":
                values[spec.name] = dt.date(2027, 3, 20)
            elif spec.type == "sha256":
                docs = [d for d in self.cf.documents_of(self.ref) if d.kind == "protocole"]
                values[spec.name] = max(docs, key=lambda d: d.version).sha256 if docs else "0" * 64
            else:
                values[spec.name] = "Motif <i>saisi</i> {{ 7*7 }}"
        return values

    def _guards_pass(self, event: str) -> bool | None:
        """The model's verdict on the event's guards (None: not predicted)."""
        guards = set(COOP.events[event].guards)
        if not guards <= PREDICTED_GUARDS:
            return None
        ok = True
        if "has_exchange" in guards:
            ok = ok and self.exchanges > 0
        if "stakes_and_commitments" in guards:
            ok = ok and any(stake and parties >= set(PARTIES) for stake, parties in self.axes)
        return ok

    def _fire(self, event: str, role: str, with_inputs: bool) -> None:
        ev = COOP.events[event]
        source = self.state
        from_here = any(_within(source, s) for s in ev.sources)
        missing = any(i.required for i in ev.inputs) and not with_inputs
        values = self._inputs(event) if with_inputs else {}
        signs_as_self = role in ev.own_signature
        signatory = Actor(f"someone-{role}", role).id in self.signatories.values()
        result, error = _attempt(
            lambda: self.cf.fire(self.ref, event, Actor(f"someone-{role}", role), data=values)
        )
        if error is not None:
            # refused: for the first reason the definition gives, in the order fire checks
            if role not in ROLES:
                assert isinstance(error, ValidationError) and error.field == "role", error
            elif role not in ev.roles:
                assert isinstance(error, PermissionDenied) and error.role == role, error
            elif not from_here:
                assert isinstance(error, TransitionNotAllowed), error
                assert error.state == source, error
            elif signs_as_self and not signatory:
                assert isinstance(error, PermissionDenied), error
                assert "is not a signatory" in str(error), error
            elif missing:
                assert isinstance(error, ValidationError), error
                assert (error.field or "").startswith("data."), error
            else:
                assert isinstance(error, GuardFailed), error
                assert error.reasons and all(error.reasons), "a refusal gives its reasons"
                assert self._guards_pass(event) is not True, f"{event} refused: {error}"
            return
        assert result is not None
        # it went through: everything that allows it must hold
        assert role in ev.roles, f"{role} fired {event}"
        assert from_here, f"{event} fired from {source}"
        assert signatory or not signs_as_self, f"{role} signed, not a signatory"
        assert not missing
        assert self._guards_pass(event) is not False, f"{event} fired, its guards should refuse"
        expected = COOP.run(source, event, self.suspended_from if ev.target == PREVIOUS else None)
        assert result.target_state == expected
        if event == "suspendre":
            self.suspended_from = source
        self.state = expected
        self.records += 1
        if result.record.document_sha256:
            self.documents.add(result.record.document_sha256)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def journal_tells_the_state(self) -> None:
        info = self.cf.partnership(self.ref)
        assert info.state == self.state
        assert info.state in COOP.states and not COOP.states[info.state].children
        history = self.cf.history(self.ref)
        assert len(history) == self.records
        assert history[-1].target_state == info.state
        for record in history[1:]:
            if record.event == "deliberation":  # data entry, journaled: any role may do it
                assert (
                    record.target_state == record.source_state == "contractualisation.deliberations"
                )
                assert record.document_sha256 in self.documents, record
            elif record.event == "change":  # data entry, by the one who entered it
                assert record.target_state == record.source_state, record
                assert (record.actor, record.role) == (scenario.STAFF.id, "staff"), record
                assert record.data["operation"] and record.data["changes"], record
            else:
                assert record.role in COOP.events[record.event].roles, record
        if any(r.target_state == "dialogue" for r in history):
            assert self.exchanges > 0
        report = self.cf.verify(self.ref)
        assert report.ok, report.problems
        assert {d.sha256 for d in self.cf.documents_of(self.ref)} == self.documents


def test_random_sequences_keep_every_invariant(cf: Coopflow) -> None:
    """15 examples of up to 30 steps each, on one database (each example its own partnership)."""
    scenario.add_parties(cf, *PARTIES)
    scenario.register(cf, *(Actor(f"someone-{role}", role) for role in ROLES))
    CooperationMachine.cf = cf
    run_state_machine_as_test(
        CooperationMachine,
        settings=settings(
            # more on demand: COOPFLOW_STATEFUL_EXAMPLES=200 pytest tests/robustness
            max_examples=int(os.environ.get("COOPFLOW_STATEFUL_EXAMPLES", "15")),
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
