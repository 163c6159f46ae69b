"""PostgreSQL: the database knows who you are.

Two real logins are created for the test (a member of staff, a lawyer), registered as actors
with their database logins once coopflow's group roles are installed (with a prefix of the
test's own, dropped afterwards with the logins).  The staff login cannot fire or record an
approval through the API, the command line or a raw ``INSERT``; the legal login approves
through the command line with no ``--actor``; a host application's service login writes for
the actors it authenticates itself, and the journal records its login."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import coopflow
import pytest
from click.testing import CliRunner
from coopflow import Actor, Coopflow, PermissionDenied
from coopflow.cli import cli
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from . import scenario
from .conftest import new_database

pytestmark = pytest.mark.postgres

STAFF_ACTOR = Actor("sophie.staff", "staff")
LEGAL_ACTOR = Actor("luc.legal", "legal")


@dataclass
class Setting:
    cf: Coopflow  # as the tables' owner (the test's superuser)
    staff_url: str
    legal_url: str
    service_url: str
    staff_login: str
    legal_login: str
    service_login: str
    prefix: str
    reference: str
    sha: str


def _as(url: str, login: str) -> str:
    return make_url(url).set(username=login).render_as_string(hide_password=False)


@pytest.fixture
def setting(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Setting]:
    url = new_database("postgres", tmp_path, request)
    tag = uuid.uuid4().hex[:8]
    prefix = f"cft{tag}"
    logins = {k: f"cft{tag}_{k}_login" for k in ("staff", "legal", "service")}
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for login in logins.values():
            conn.execute(text(f'CREATE ROLE "{login}" LOGIN'))

    prepared: Setting | None = None
    try:
        prepared = _prepare(url, prefix, logins, admin)
        yield prepared
    finally:
        if prepared is not None:
            prepared.cf.close()
        _drop(admin, prefix, logins)


def _drop(admin: Engine, prefix: str, logins: dict[str, str]) -> None:
    """Drop the test's logins and group roles, and what they were granted."""
    groups = [f"{prefix}_{r}" for r in ("staff", "legal", "elected", "admin", "service")]
    with admin.connect() as conn:
        for role in [*logins.values(), *groups]:
            exists = conn.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
            ).scalar()
            if exists:
                conn.execute(text(f'DROP OWNED BY "{role}"'))
                conn.execute(text(f'DROP ROLE "{role}"'))
    admin.dispose()


def _prepare(url: str, prefix: str, logins: dict[str, str], admin: Engine) -> Setting:
    coopflow.migrate(url)
    cf = Coopflow(url)
    scenario.register_people(cf)
    assert len(cf.install_db_roles(prefix)) == 5
    cf.add_actor(
        STAFF_ACTOR.id, "Sophie", roles=["staff"], actor=scenario.ADMIN, db_login=logins["staff"]
    )
    cf.add_actor(
        LEGAL_ACTOR.id, "Luc", roles=["legal"], actor=scenario.ADMIN, db_login=logins["legal"]
    )
    with admin.connect() as conn:
        conn.execute(text(f'GRANT "{prefix}_service" TO "{logins["service"]}"'))
    ref = scenario.in_legal_review(cf)
    return Setting(
        cf,
        _as(url, logins["staff"]),
        _as(url, logins["legal"]),
        _as(url, logins["service"]),
        logins["staff"],
        logins["legal"],
        logins["service"],
        prefix,
        ref,
        scenario.latest_protocol_sha(cf, ref),
    )


def _member(s: Setting, login: str, group: str) -> bool:
    with s.cf.engine.connect() as conn:
        return bool(
            conn.execute(
                text("SELECT pg_has_role(:l, :g, 'MEMBER')"), {"l": login, "g": group}
            ).scalar()
        )


def test_actor_add_grant_and_revoke_keep_the_group_roles_of_a_login(setting: Setting) -> None:
    s = setting
    assert _member(s, s.legal_login, f"{s.prefix}_legal")
    assert not _member(s, s.staff_login, f"{s.prefix}_legal")
    s.cf.grant_role(STAFF_ACTOR.id, "elected", actor=scenario.ADMIN)
    assert _member(s, s.staff_login, f"{s.prefix}_elected")
    s.cf.revoke_role(STAFF_ACTOR.id, "elected", actor=scenario.ADMIN)
    assert not _member(s, s.staff_login, f"{s.prefix}_elected")
    s.cf.deactivate_actor(STAFF_ACTOR.id, actor=scenario.ADMIN)
    assert not _member(s, s.staff_login, f"{s.prefix}_staff")


def test_the_staff_login_cannot_approve_through_the_api(setting: Setting) -> None:
    s = setting
    with Coopflow(s.staff_url) as staff:
        for claimed in (LEGAL_ACTOR, scenario.LEGAL, Actor(STAFF_ACTOR.id, "legal")):
            with pytest.raises(PermissionDenied):
                staff.fire(s.reference, "approuver", claimed, data={"document_sha256": s.sha})
        # as themselves, in the role they hold, they may do staff work
        staff.add_stake(s.reference, axis=1, title="Un enjeu", actor=STAFF_ACTOR)
        assert staff.history(s.reference)[-1].db_login == s.staff_login
    assert s.cf.partnership(s.reference).state == "contractualisation.revue_juridique"


def _forged(s: Setting, actor: str, role: str, db_login: str) -> str:
    return (
        "INSERT INTO coopflow_journal (partnership_id, seq, event, source_state, target_state,"
        " actor, role, at, comment, data, workflow_name, workflow_version, document_sha256,"
        " identified_by, db_login, prev_hash, hash) SELECT id, journal_seq + 1, 'approuver',"
        " state, 'contractualisation.deliberations', "
        f"'{actor}', '{role}', now(), NULL, '{{}}', 'cooperation', 1, '{s.sha}', 'db_login',"
        f" '{db_login}', journal_head, repeat('f', 64) FROM coopflow_partnership"
        f" WHERE reference = '{s.reference}'"
    )


@pytest.mark.parametrize(
    ("actor", "role", "login", "says"),
    [
        ("luc.legal", "legal", "staff", "may not write for luc.legal"),
        ("luc.legal", "legal", "legal", "names database login"),  # db_login not the writer
        ("sophie.staff", "legal", "staff", "does not hold the role legal"),
        ("jean.martin", "legal", "staff", "may not write for jean.martin"),
        ("mallory", "legal", "staff", "not a registered actor"),
    ],
)
def test_a_raw_insert_of_an_approval_by_the_staff_login_is_refused_by_the_database(
    setting: Setting, actor: str, role: str, login: str, says: str
) -> None:
    s = setting
    engine = create_engine(s.staff_url, poolclass=NullPool)
    db_login = s.staff_login if login == "staff" else s.legal_login
    try:
        with pytest.raises(DBAPIError, match=says), engine.begin() as conn:
            conn.execute(text(_forged(s, actor, role, db_login)))
        for statement in (
            "UPDATE coopflow_journal SET actor = 'luc.legal'",
            "DELETE FROM coopflow_journal",
            'UPDATE coopflow_actor SET roles = \'["staff", "legal"]\'',
            "UPDATE coopflow_document SET content = ''",
        ):
            with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        engine.dispose()
    assert s.cf.verify().ok


def test_the_staff_login_cannot_approve_through_the_command_line(setting: Setting) -> None:
    s = setting
    runner = CliRunner()
    fire = ["fire", s.reference, "approuver", "--data", f"document_sha256={s.sha}"]
    for extra in ([], ["--actor", LEGAL_ACTOR.id], ["--role", "legal"]):
        result = runner.invoke(cli, ["--db", s.staff_url, *fire, *extra])
        assert result.exit_code == 1, result.output
    assert (
        "drop --actor"
        in runner.invoke(cli, ["--db", s.staff_url, *fire, "--actor", LEGAL_ACTOR.id]).output
    )
    assert s.cf.partnership(s.reference).state == "contractualisation.revue_juridique"


def test_the_legal_login_approves_through_the_command_line_with_no_actor(
    setting: Setting,
) -> None:
    s = setting
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            s.legal_url,
            "fire",
            s.reference,
            "approuver",
            "--data",
            f"document_sha256={s.sha}",
        ],
    )
    assert result.exit_code == 0, result.output
    record = s.cf.history(s.reference)[-1]
    assert (record.event, record.actor, record.role) == ("approuver", "luc.legal", "legal")
    assert (record.identified_by, record.db_login) == ("db_login", s.legal_login)
    assert s.cf.verify().ok


def test_an_unregistered_login_is_told_to_ask_an_admin(setting: Setting) -> None:
    s = setting
    result = CliRunner().invoke(cli, ["--db", s.service_url, "events", s.reference])
    assert result.exit_code == 1
    assert f"the database login {s.service_login} is not registered" in result.output


def test_a_host_service_login_writes_for_the_actors_it_authenticates(setting: Setting) -> None:
    s = setting
    with Coopflow(s.service_url) as host:
        host.fire(s.reference, "approuver", scenario.LEGAL, data={"document_sha256": s.sha})
        record = host.history(s.reference)[-1]
        assert (record.actor, record.identified_by, record.db_login) == (
            scenario.LEGAL.id,
            "host",
            s.service_login,
        )
        with pytest.raises(PermissionDenied, match="not a registered actor"):
            host.add_stake(s.reference, axis=1, title="x", actor=Actor("mallory", "staff"))


def test_the_legal_login_takes_a_checkpoint_and_cannot_undo_evidence(
    setting: Setting, tmp_path: Path
) -> None:
    """An application login (not the tables' owner) passes the protections' check, takes a
    checkpoint with the key it holds, and can neither remove a checkpoint nor move a
    document's status by hand."""
    from coopflow import CheckpointSettings
    from coopflow._checkpoint import new_key

    s = setting
    new_key(tmp_path / "legal.pem")
    with Coopflow(s.legal_url, checkpoints=CheckpointSettings(key=tmp_path / "legal.pem")) as cf:
        assert cf.protections() == []
        taken = cf.checkpoint(actor=LEGAL_ACTOR)
        assert taken is not None and taken.taken_by == LEGAL_ACTOR.id
        assert cf.verify(s.reference).checkpoint == taken.seq
        for statement in (
            "DELETE FROM coopflow_checkpoint",
            "UPDATE coopflow_checkpoint SET root = repeat('0', 64)",
            "UPDATE coopflow_document SET status = 'final'",
        ):
            with pytest.raises(DBAPIError), cf.engine.begin() as conn:
                conn.execute(text(statement))
        assert [c.seq for c in cf.checkpoints()] == [taken.seq]


def test_a_table_a_later_revision_adds_is_granted_to_the_group_roles(setting: Setting) -> None:
    """Roles installed before revision 0008: its table of planned financial commitments is
    written by the staff login as the others are (the migration grants it)."""
    s = setting
    ref = scenario.in_drafting(s.cf, "la-cali")
    url = s.cf.engine.url.render_as_string(hide_password=False)
    s.cf.engine.dispose()
    coopflow.downgrade_schema(url, "0007")
    coopflow.migrate(url)
    with Coopflow(s.staff_url) as staff:
        staff.set_financial_commitment(ref, party="la-cali", amount="45000", actor=STAFF_ACTOR)
        assert staff.history(ref)[-1].db_login == s.staff_login
    assert '"amount":"45000.00"' in s.cf.snapshot(ref)
