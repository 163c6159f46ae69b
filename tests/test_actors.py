"""Who acts: the registry of actors, permission on every write, separation of duties, and every
data change journaled with its author (on SQLite and PostgreSQL).

The operation × role matrix is built from the permissions policy itself
(``workflows/permissions.toml``): each operation is tried by an actor holding each role alone,
and must be refused exactly for the roles the policy does not list."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from coopflow import (
    ROLES,
    Actor,
    AlreadyExistsError,
    Coopflow,
    CoopflowError,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from coopflow._permissions import OPERATIONS
from sqlalchemy import text

from . import scenario
from .scenario import ADMIN, ELECTED, LEGAL, STAFF

#: One actor per role, holding that role only.
BY_ROLE = {role: Actor(f"r-{role}", role) for role in ROLES}
_n = itertools.count(1)


def _unique(prefix: str) -> str:
    return f"{prefix}-{next(_n)}"


class World:
    """Partnerships at the stages the operations need."""

    def __init__(self, cf: Coopflow, tmp: Any) -> None:
        self.cf = cf
        self.tmp = tmp
        scenario.register(cf, *BY_ROLE.values())
        self.drafting = scenario.in_drafting(cf)
        cf.add_programme(self.drafting, "P", start="2027-04-01", end="2027-12-31", actor=STAFF)
        cf.add_action(self.drafting, "P", axis=1, title="Navette", actor=STAFF)
        cf.add_milestone(self.drafting, "P", 1, date="2027-06-01", label="Lancement", actor=STAFF)
        self.deliberating = scenario.in_deliberations(cf, "ville-de-saintes")
        self.amending = scenario.signed(cf)
        cf.fire(self.amending, "proposer_avenant", STAFF, data={"objet": "un nouvel axe"})


def _operations(w: World) -> dict[str, Callable[[Actor], object]]:
    cf, d = w.cf, w.drafting
    return {
        "party.put": lambda a: cf.add_party(
            _unique("partie"),
            "Commune test",
            nature="COMMUNE",
            deliberative_body="conseil municipal",
            executive_title="Maire",
            actor=a,
        ),
        "partnership.create": lambda a: cf.create_partnership(
            "Test",
            scale="espace_regional",
            parties=["bordeaux-metropole", "la-cali"],
            home="bordeaux-metropole",
            responsible=a.id,
            actor=a,
        ),
        "exchange.log": lambda a: cf.log_exchange(
            d, date="2026-10-02", kind="reunion", summary=_unique("Réunion"), actor=a
        ),
        "dialogue.manage": lambda a: cf.open_dialogue(
            _unique("dialogue"),
            theme="alimentation",
            title="Restauration collective",
            home="bordeaux-metropole",
            participants=["la-cali", "ville-de-saintes"],
            actor=a,
        ),
        "axis.put": lambda a: cf.add_axis(d, "Culture", number=1, actor=a),
        "stake.add": lambda a: cf.add_stake(d, axis=1, title=_unique("Enjeu"), actor=a),
        "commitment.add": lambda a: cf.add_commitment(
            d, axis=1, party="la-cali", text=_unique("Engagement"), actor=a
        ),
        "protocol.set": lambda a: cf.set_protocol(
            d, start=scenario.START, end=scenario.END, means=_unique("Moyens"), actor=a
        ),
        "deliberation.record": lambda a: cf.record_deliberation(
            w.deliberating,
            party="ville-de-saintes",
            number=_unique("2027"),
            sitting_date="2027-02-10",
            actor=a,
        ),
        "signatory.set": lambda a: cf.set_signatory(
            d,
            party="la-cali",
            first_name="Anne",
            last_name=_unique("Roux"),
            title="Présidente",
            civility="Madame",
            actor=a,
        ),
        "amendment.change": lambda a: cf.add_amendment_change(
            w.amending, "inserer", 4, title=_unique("Référents"), text="Un texte.", actor=a
        ),
        "programme.put": lambda a: cf.add_programme(
            d, _unique("Q"), start="2027-04-01", end="2027-12-31", actor=a
        ),
        "action.put": lambda a: cf.add_action(d, "P", axis=1, title=_unique("Action"), actor=a),
        "action.progress": lambda a: cf.set_action_progress(
            d, "P", 1, "en cours" if next(_n) % 2 else "à lancer", actor=a
        ),
        "milestone.add": lambda a: cf.add_milestone(
            d, "P", 1, date="2027-07-01", label=_unique("Étape"), actor=a
        ),
        "milestone.done": lambda a: cf.set_milestone_done(
            d, "P", 1, date="2027-06-01", label="Lancement", done=bool(next(_n) % 2), actor=a
        ),
        "budget.put": lambda a: cf.add_budget_line(
            d, "P", 1, funder=_unique("Région"), amount="100", actor=a
        ),
        "indicator.put": lambda a: cf.add_indicator(
            d, "P", 1, name=_unique("Indicateur"), target="10", actor=a
        ),
        "document.render": lambda a: cf.render(d, "programme", subject="P", actor=a),
        "document.export": lambda a: cf.export(w.amending, w.tmp / _unique("export"), actor=a),
        "workflow.migrate": lambda a: cf.migrate_workflow(
            "cooperation", from_version=1, to_version=1, actor=a, references=[d]
        ),
        "actor.manage": lambda a: cf.add_actor(
            _unique("new.person"), "Nouvelle Personne", roles=["staff"], actor=a
        ),
        "checkpoint.take": lambda a: cf.checkpoint(actor=a),  # signed, not timestamped
    }


@pytest.fixture
def world(cf: Coopflow, tmp_path: Any) -> World:
    from coopflow import CheckpointSettings
    from coopflow._checkpoint import new_key

    new_key(tmp_path / "checkpoint.pem")
    cf.checkpoint_settings = CheckpointSettings(key=tmp_path / "checkpoint.pem")
    return World(cf, tmp_path)


def test_the_matrix_covers_every_operation(world: World) -> None:
    assert set(_operations(world)) == set(OPERATIONS)


def test_every_operation_is_refused_to_every_role_the_policy_does_not_list(world: World) -> None:
    cf = world.cf
    operations = _operations(world)
    for name, roles in cf.policy.roles.items():
        for role, actor in BY_ROLE.items():
            before = [cf.partnership(r).version for r in (world.drafting, world.amending)]
            if role in roles:
                try:
                    operations[name](actor)
                except PermissionDenied as exc:
                    pytest.fail(f"{name} refused to {role}, which the policy allows: {exc}")
                except CoopflowError:
                    assert name == "workflow.migrate", name  # v1 -> v1: refused, not denied
                continue
            with pytest.raises(PermissionDenied) as info:
                operations[name](actor)
            assert info.value.role == role and info.value.actor == actor.id, name
            assert set(info.value.allowed_roles) == set(roles), name
            assert [cf.partnership(r).version for r in (world.drafting, world.amending)] == (
                before
            ), f"{name} by {role} was refused but wrote"


def test_a_role_not_held_is_refused_naming_the_actor_the_role_and_the_roles_held(
    cf: Coopflow,
) -> None:
    ref = scenario.in_legal_review(cf)
    sha = scenario.latest_protocol_sha(cf, ref)
    with pytest.raises(PermissionDenied) as info:
        cf.fire(ref, "approuver", Actor(STAFF.id, "legal"), data={"document_sha256": sha})
    assert info.value.actor == STAFF.id and info.value.role == "legal"
    assert info.value.held == ("staff",)
    assert "marie.dupont does not hold the role 'legal'" in str(info.value)
    with pytest.raises(PermissionDenied, match="does not hold the role 'legal'"):
        cf.add_axis(ref, "Axe", actor=Actor(STAFF.id, "legal"))
    assert cf.partnership(ref).state == "contractualisation.revue_juridique"


def test_an_unknown_or_deactivated_actor_is_refused_for_events_and_data_entry(
    cf: Coopflow,
) -> None:
    ref = scenario.in_accueil(cf)
    intern = Actor("intern.bob", "legal")
    with pytest.raises(PermissionDenied, match=r"intern.bob is not a registered actor"):
        cf.fire(ref, "suspendre", intern, data={"motif": "x"})
    with pytest.raises(PermissionDenied, match="not a registered actor"):
        cf.log_exchange(ref, date="2026-10-02", kind="visio", summary="x", actor=intern)
    cf.deactivate_actor(STAFF.id, actor=ADMIN)
    version = cf.partnership(ref).version
    with pytest.raises(PermissionDenied, match=r"marie.dupont is deactivated"):
        cf.fire(ref, "suspendre", STAFF, data={"motif": "x"})
    with pytest.raises(PermissionDenied, match="deactivated"):
        cf.log_exchange(ref, date="2026-10-02", kind="visio", summary="x", actor=STAFF)
    with pytest.raises(PermissionDenied, match="deactivated"):
        cf.events(ref, STAFF)
    assert cf.partnership(ref).version == version
    cf.activate_actor(STAFF.id, actor=ADMIN)
    cf.fire(ref, "suspendre", STAFF, data={"motif": "x"})


def test_without_a_role_the_first_role_held_that_may_do_it_is_used(cf: Coopflow) -> None:
    both = Actor("claire.martin", None)
    cf.add_actor(both.id, "Claire Martin", roles=["legal", "staff"], actor=ADMIN)
    ref = scenario.in_accueil(cf)
    cf.log_exchange(ref, date="2026-10-02", kind="visio", summary="Visio", actor=both)
    assert cf.history(ref)[-1].role == "staff"  # exchange.log: staff or admin
    with pytest.raises(PermissionDenied) as info:
        cf.fire(ref, "resilier", both, data={"motif": "x", "date_effet": "2027-01-01"})
    assert "holds staff, legal" in str(info.value)


@pytest.mark.parametrize(
    ("login", "what"),
    [
        ("claire.martin\u200b", "U+200B"),  # zero-width space
        ("claire.martin\n", "U+000A"),
        (" claire.martin", "U+0020"),
        ("claire\u00admartin", "U+00AD"),  # soft hyphen
        ("claire\u202emartin", "U+202E"),  # bidirectional override
        ("clаire.martin", "not a login"),  # Cyrillic а
        ("", "not a login"),
    ],
)
def test_a_look_alike_login_is_refused_and_never_a_second_person(
    cf: Coopflow, login: str, what: str
) -> None:
    cf.add_actor("claire.martin", "Claire Martin", roles=["legal"], actor=ADMIN)
    with pytest.raises(ValidationError, match=what.replace("+", r"\+")):
        cf.add_actor(login, "Claire Martin", roles=["legal"], actor=ADMIN)
    with pytest.raises(ValidationError):
        cf.fire(scenario.in_accueil(cf), "suspendre", Actor(login, "staff"), data={"motif": "x"})
    assert [a.login for a in cf.actors()].count("claire.martin") == 1


def test_logins_are_unique_case_folded_and_a_database_login_is_one_persons(
    cf: Coopflow,
) -> None:
    cf.add_actor("claire.martin", "Claire Martin", roles=["legal"], actor=ADMIN, db_login="cm")
    with pytest.raises(AlreadyExistsError, match=r"claire.martin"):
        cf.add_actor("Claire.Martin", "Claire Martin", roles=["legal"], actor=ADMIN)
    with pytest.raises(AlreadyExistsError, match="database login cm"):
        cf.add_actor("jean", "Jean", roles=["staff"], actor=ADMIN, db_login="cm")
    with pytest.raises(ValidationError, match="invisible"):
        cf.add_actor("sophie", "Sophie\u200b Roux", roles=["staff"], actor=ADMIN)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda cf: cf.add_party(
                "la-cali\n",
                "X",
                nature="CA",
                deliberative_body="c",
                executive_title="P",
                actor=STAFF,
            ),
            "key",
        ),
        (
            lambda cf: cf.add_party(
                "la-cali\u200b",
                "X",
                nature="CA",
                deliberative_body="c",
                executive_title="P",
                actor=STAFF,
            ),
            "key",
        ),
        (
            lambda cf: cf.add_party(
                "autre",
                "La Cali\u00ad",
                nature="CA",
                deliberative_body="c",
                executive_title="P",
                actor=STAFF,
            ),
            "official_name",
        ),
        (lambda cf: cf.partnership("COOP-2026-0001\n"), "reference"),
    ],
)
def test_keys_and_references_have_no_trailing_newline_or_invisible_character(
    cf: Coopflow, call: Callable[[Coopflow], object], field: str
) -> None:
    scenario.in_accueil(cf)
    with pytest.raises((ValidationError, NotFoundError)) as info:
        call(cf)
    if isinstance(info.value, ValidationError):
        assert info.value.field == field
    assert {p.key for p in cf.parties()} == {"bordeaux-metropole", "la-cali"}


def test_the_last_active_admin_cannot_be_removed(cf: Coopflow) -> None:
    with pytest.raises(ValidationError, match="last active admin"):
        cf.deactivate_actor(ADMIN.id, actor=ADMIN)
    with pytest.raises(ValidationError, match="only role"):
        cf.revoke_role(ADMIN.id, "admin", actor=ADMIN)
    with pytest.raises(ValidationError, match="already has actors"):
        cf.register_first_admin("mallory", "Mallory")


def test_every_registry_change_is_journaled_and_an_actor_edited_in_sql_is_named(
    cf: Coopflow,
) -> None:
    cf.add_actor("claire.martin", "Claire Martin", roles=["legal"], actor=ADMIN)
    cf.grant_role("claire.martin", "staff", actor=ADMIN)
    cf.revoke_role("claire.martin", "staff", actor=ADMIN)
    cf.deactivate_actor("claire.martin", actor=ADMIN)
    history = cf.registry_history("actors")
    mine = [r for r in history if r["subject"] == "claire.martin"]
    assert [r["action"] for r in mine] == ["add", "grant", "revoke", "deactivate"]
    assert all(r["actor"] == "admin" and r["role"] == "admin" for r in mine)
    assert mine[1]["before"]["roles"] == ["legal"]
    assert mine[1]["after"]["roles"] == ["staff", "legal"]  # in the order of coopflow.ROLES
    assert mine[3]["after"]["active"] is False
    assert cf.verify().ok
    with cf.engine.begin() as conn:
        conn.execute(
            text("UPDATE coopflow_actor SET roles = :r, active = :a WHERE login = 'claire.martin'"),
            {"r": '["legal"]', "a": True},
        )
    problems = [str(p) for p in cf.verify().problems]
    assert any("claire.martin" in p and "outside coopflow" in p for p in problems), problems
    with cf.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO coopflow_actor (login, login_key, full_name, roles, active, "
                "created_at) VALUES ('mallory', 'mallory', 'M', '[\"legal\"]', :t, '2026-01-01')"
            ),
            {"t": True},
        )
    problems = [str(p) for p in cf.verify().problems]
    assert any("mallory has no journal record" in p for p in problems), problems


def test_separation_of_duties_the_submitter_and_the_content_editors_cannot_approve(
    cf: Coopflow,
) -> None:
    lawyer = Actor("luc.legal", "legal")
    cf.add_actor("claire.martin", "Claire Martin", roles=["staff", "legal"], actor=ADMIN)
    cf.add_actor(lawyer.id, "Luc Legal", roles=["legal"], actor=ADMIN)
    ref = scenario.in_drafting(cf)
    cf.fire(ref, "soumettre_revue_juridique", Actor("claire.martin", "staff"))
    sha = scenario.latest_protocol_sha(cf, ref)
    with pytest.raises(PermissionDenied, match="submitted this version"):
        cf.fire(ref, "approuver", Actor("claire.martin", "legal"), data={"document_sha256": sha})
    with pytest.raises(PermissionDenied, match="needs one of the roles staff, admin"):
        cf.add_stake(ref, axis=1, title="x", actor=Actor(lawyer.id, None))  # legal may not
    # whoever edited the content since the last approval cannot approve it either
    cf.add_actor("anne.editor", "Anne", roles=["staff", "legal"], actor=ADMIN)
    cf.add_stake(ref, axis=1, title="Autre enjeu", actor=Actor("anne.editor", "staff"))
    cf.fire(ref, "demander_modifications", LEGAL, data={"motif": "rendu à revoir"})
    cf.fire(ref, "soumettre_revue_juridique", STAFF)
    sha = scenario.latest_protocol_sha(cf, ref)
    with pytest.raises(PermissionDenied, match="changed the protocol's content"):
        cf.fire(ref, "approuver", Actor("anne.editor", "legal"), data={"document_sha256": sha})
    assert cf.partnership(ref).state == "contractualisation.revue_juridique"
    cf.fire(ref, "approuver", LEGAL, data={"document_sha256": sha})
    assert cf.partnership(ref).state == "contractualisation.deliberations"


def test_an_elected_official_signs_as_their_own_signatory_only(cf: Coopflow) -> None:
    other = Actor("autre.elu", "elected")
    scenario.register(cf, other)
    ref = scenario.in_deliberations(cf)
    scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    data = {"date_signature": scenario.SIGNED_ON}
    with pytest.raises(PermissionDenied, match=r"autre.elu is not a signatory"):
        cf.fire(ref, "signer", other, data=data)
    result = cf.fire(ref, "signer", ELECTED, data=data)
    assert result.record.data["signed_for"] == {
        "party": "bordeaux-metropole",
        "name": "Claire Lefèvre",
    }
    assert result.record.actor == ELECTED.id


def test_every_data_entry_writes_one_record_naming_its_author_and_values(
    cf: Coopflow,
) -> None:
    ref = scenario.in_drafting(cf)
    version, seq = cf.partnership(ref).version, len(cf.history(ref))
    cf.add_commitment(ref, axis=1, party="la-cali", text="Ouvrir un guichet commun", actor=STAFF)
    history = cf.history(ref)
    assert len(history) == seq + 1 and cf.partnership(ref).version == version + 1
    record = history[-1]
    assert (record.event, record.actor, record.role, record.identified_by) == (
        "change",
        "marie.dupont",
        "staff",
        "host",
    )
    assert record.data["operation"] == "commitment.add"
    assert record.data["changes"] == [
        {
            "entity": "commitment",
            "key": {"axis": 1, "party": "la-cali", "text": "Ouvrir un guichet commun"},
            "before": None,
            "after": {},
        }
    ]
    assert set(record.data["sha256"]) == {"protocol"}
    cf.add_axis(ref, "Mobilités douces", number=1, actor=STAFF)
    change = cf.history(ref)[-1].data["changes"][0]
    assert change["before"]["title"] == "Accueil des habitants et mobilités"
    assert change["after"]["title"] == "Mobilités douces"
    assert "title 'Accueil des habitants et mobilités' -> 'Mobilités douces'" in (
        cf.history(ref)[-1].summary
    )
    # the same entry again changes nothing: no record, same version
    cf.add_axis(ref, "Mobilités douces", number=1, actor=STAFF)
    assert len(cf.history(ref)) == seq + 2
    assert cf.verify().ok


@pytest.mark.parametrize(
    ("statement", "names"),
    [
        ("UPDATE coopflow_axis SET title = 'Axe réécrit'", "protocol's content"),
        ("UPDATE coopflow_commitment SET text = '10 000 000 € par an'", "protocol's content"),
        ("UPDATE coopflow_protocol SET means = 'Tout'", "protocol's content"),
        ("UPDATE coopflow_signatory SET last_name = 'Usurpateur'", "signatories"),
        ("UPDATE coopflow_indicator SET target = 9999", "programme P"),
        ("UPDATE coopflow_exchange SET summary = 'réécrit'", "exchanges"),
    ],
)
def test_verify_names_a_content_row_edited_in_sql(cf: Coopflow, statement: str, names: str) -> None:
    ref = scenario.in_drafting(cf)
    cf.add_programme(ref, "P", start="2027-04-01", end="2027-12-31", actor=STAFF)
    cf.add_action(ref, "P", axis=1, title="Navette", actor=STAFF)
    cf.add_indicator(ref, "P", 1, name="Voyageurs", target="400", actor=STAFF)
    assert cf.verify().ok
    with cf.engine.begin() as conn:
        conn.execute(text(statement))
    problems = [str(p) for p in cf.verify().problems]
    assert any(names in p and "outside coopflow" in p for p in problems), problems


def test_verify_names_a_programme_inserted_in_sql(cf: Coopflow) -> None:
    ref = scenario.in_drafting(cf)
    with cf.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO coopflow_programme (partnership_id, label, period_start, period_end,"
                " workflow_name, workflow_version, state, created_at) SELECT id, 'X', "
                "'2027-04-01', '2027-12-31', 'programme', 1, 'brouillon', '2026-01-01' "
                "FROM coopflow_partnership WHERE reference = :ref"
            ),
            {"ref": ref},
        )
    problems = [str(p) for p in cf.verify().problems]
    assert any("programme X has no journal record" in p for p in problems), problems


def test_a_party_changed_in_sql_is_named(cf: Coopflow) -> None:
    scenario.in_accueil(cf)
    with cf.engine.begin() as conn:
        conn.execute(
            text("UPDATE coopflow_party SET official_name = 'Autre' WHERE key = 'la-cali'")
        )
    problems = [str(p) for p in cf.verify().problems]
    assert any("party la-cali" in p for p in problems), problems
