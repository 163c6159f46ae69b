"""The role matrix: every event of every built-in workflow, for every role.

The role is checked before the state, so a partnership in accueil (and a programme in
brouillon) is enough to see, for each (event, role), whether the role may fire it."""

from __future__ import annotations

import pytest
from coopflow import (
    ROLES,
    Actor,
    Coopflow,
    CoopflowError,
    PermissionDenied,
    ValidationError,
)
from coopflow._workflow import load_folder
from coopflow.workflows import BUILTIN_DIR, registry

from . import scenario

WORKFLOWS = load_folder(BUILTIN_DIR, registry)
MATRIX = [
    (wf.name, event.name, role, role in event.roles)
    for wf in WORKFLOWS
    for event in wf.events.values()
    for role in ROLES
]
#: Who fires in each role: registered, each with that one role.
SOMEONE = {role: Actor(f"someone-{role}", role) for role in ROLES}


def test_matrix_covers_every_event_and_role() -> None:
    events = sum(len(wf.events) for wf in WORKFLOWS)
    assert len(MATRIX) == events * len(ROLES)
    # a few rules of the domain, stated explicitly
    allowed = {(w, e, r) for w, e, r, ok in MATRIX if ok}
    assert ("cooperation", "approuver", "legal") in allowed
    assert ("cooperation", "approuver", "staff") not in allowed
    assert ("cooperation", "resilier", "staff") not in allowed
    assert ("programme", "approuver_copil", "elected") in allowed
    assert ("programme", "approuver_copil", "legal") not in allowed


def test_role_matrix(cf: Coopflow) -> None:
    scenario.register(cf, *SOMEONE.values())
    ref = scenario.in_accueil(cf)
    for workflow, event, role, ok in MATRIX:
        if workflow == "programme":
            continue  # checked in test_programme_role_matrix, which needs a programme
        before = cf.partnership(ref).version
        try:
            cf.fire(ref, event, SOMEONE[role])
        except PermissionDenied as exc:
            denied: PermissionDenied | None = exc
        except CoopflowError:
            denied = None
        else:
            pytest.fail(f"{event} should not succeed from accueil")
        if denied is not None:
            assert not ok, f"{role} should be allowed to fire {event}"
            assert denied.role == role
            assert role in str(denied)
        else:
            assert ok, f"{role} may not fire {event}, the refusal must say so"
        assert cf.partnership(ref).version == before


def test_programme_role_matrix(cf: Coopflow) -> None:
    scenario.register(cf, *SOMEONE.values())
    ref = scenario.in_drafting(cf)
    cf.add_programme(ref, "2027-2028", start="2027-04-01", end="2028-03-31", actor=scenario.STAFF)
    for workflow, event, role, ok in MATRIX:
        if workflow != "programme":
            continue
        try:
            cf.fire(ref, event, SOMEONE[role], programme="2027-2028")
        except PermissionDenied:
            assert not ok, f"{role} should be allowed to fire {event}"
        except CoopflowError:
            assert ok
        else:
            pytest.fail(f"{event} should not succeed on an empty programme")


def test_unknown_role_is_a_validation_error(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)
    with pytest.raises(ValidationError, match="unknown role 'mayor'"):
        cf.fire(ref, "ouvrir_dialogue", Actor("x", "mayor"))
    with pytest.raises(ValidationError, match="unknown role"):
        cf.events(ref, Actor("x", "mayor"))


def test_events_lists_availability_and_reasons_per_actor(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)
    staff = {s.event: s for s in cf.events(ref, scenario.STAFF)}
    assert set(staff) == {"ouvrir_dialogue", "suspendre", "abandonner"}
    assert not staff["ouvrir_dialogue"].available
    assert staff["ouvrir_dialogue"].reasons == (
        "no exchange logged yet: log at least one exchange (meeting, letter, workshop)",
    )
    assert staff["suspendre"].available
    assert [i.name for i in staff["suspendre"].inputs] == ["motif"]
    legal = {s.event: s for s in cf.events(ref, scenario.LEGAL)}
    assert not legal["suspendre"].available
    assert legal["suspendre"].reasons == ("role 'legal' may not fire it (allowed: staff, admin)",)
