"""The registry of actors at the command line: ``init`` registering the first admin, ``actor
add|grant|revoke|deactivate|activate`` (admins only, each change journaled), ``actor list`` and
``actor history``, and who may act: an unregistered actor, a role not held, a deactivated actor,
the submitter approving their own version, an elected official who is no signatory."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from coopflow import Coopflow
from sqlalchemy import create_engine, text

from tests import scenario
from tests.conftest import new_database

from .conftest import Invoke, dump, run_coopflow
from .test_commands import ok, one_error

#: The environment of a command run by the OS login ``camille.os`` (``getpass.getuser()``
#: reads LOGNAME first), with no COOPFLOW_ACTOR.
AS_OS_LOGIN = {"LOGNAME": "camille.os", "COOPFLOW_ACTOR": None, "COOPFLOW_ROLE": None}
BY_ADMIN = ("--actor", scenario.ADMIN.id)


def actors(invoke: Invoke, **kwargs: object) -> dict[str, dict[str, object]]:
    listed = json.loads(ok(invoke("actor", "list", "--json", **kwargs)).out)
    return {a["login"]: a for a in listed}


def history(invoke: Invoke, *args: str, **kwargs: object) -> list[dict[str, object]]:
    return json.loads(ok(invoke("actor", "history", *args, "--json", **kwargs)).out)


# ---------------------------------------------------------------------- init: the first admin


def test_init_registers_the_actor_given_as_the_first_admin(
    invoke_bare: Invoke, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    first = ok(invoke_bare("--db", url, "init", "--actor", "claire.admin", "--name", "Claire A."))
    assert first.out.splitlines()[1].startswith("claire.admin registered as the first admin")
    listed = json.loads(ok(invoke_bare("--db", url, "actor", "list", "--json")).out)
    assert listed == [
        {
            "login": "claire.admin",
            "full_name": "Claire A.",
            "roles": ["admin"],
            "active": True,
            "db_login": None,
        }
    ]
    records = json.loads(ok(invoke_bare("--db", url, "actor", "history", "--json")).out)
    assert [(r["seq"], r["action"], r["subject"], r["actor"], r["role"]) for r in records] == [
        (1, "add", "claire.admin", "claire.admin", "admin")
    ]
    assert records[0]["identified_by"] == "option"

    # On a registry that is no longer empty, init upgrades the schema and registers nobody.
    again = ok(invoke_bare("--db", url, "init", "--actor", "someone.else"))
    assert len(again.out.splitlines()) == 1 and "registered" not in again.out
    assert json.loads(ok(invoke_bare("--db", url, "actor", "list", "--json")).out) == listed

    # The first admin registers the others.
    ok(
        invoke_bare(
            *("--db", url, "actor", "add", "marie.dupont", "--name", "Marie Dupont"),
            *("--role", "staff", "--actor", "claire.admin"),
        )
    )
    one_error(
        invoke_bare(
            *("--db", url, "actor", "add", "intrus", "--name", "Intrus", "--role", "admin"),
            *("--actor", "someone.else"),
        ),
        1,
        "someone.else is not a registered actor",
    )


def test_init_registers_the_os_login_by_default(invoke_bare: Invoke, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    run = ok(invoke_bare("--db", url, "init", env=AS_OS_LOGIN))
    assert "camille.os registered as the first admin" in run.out
    listed = json.loads(ok(invoke_bare("--db", url, "actor", "list", "--json")).out)
    assert [(a["login"], a["full_name"], a["roles"]) for a in listed] == [
        ("camille.os", "camille.os", ["admin"])
    ]
    # With no --actor, every later command is the OS login's too.
    added = ok(
        invoke_bare(
            *("--db", url, "actor", "add", "marie.dupont", "--name", "Marie Dupont"),
            *("--role", "staff"),
            env=AS_OS_LOGIN,
        )
    )
    assert added.out == "marie.dupont (Marie Dupont): staff; active\n"
    records = json.loads(ok(invoke_bare("--db", url, "actor", "history", "--json")).out)
    assert [(r["actor"], r["identified_by"]) for r in records] == [
        ("camille.os", "os_login"),
        ("camille.os", "os_login"),
    ]


def test_init_as_a_user_runs_it_takes_the_actor_from_the_environment(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "LOGNAME": "camille.os",
        "COOPFLOW_ACTOR": "paul.admin",
        "COOPFLOW_LANG": "en",  # the environment given replaces the suite's
    }
    url = f"sqlite:///{tmp_path / 'new.db'}"
    run = run_coopflow("--db", url, "init", cwd=tmp_path, env=env)
    assert run.code == 0, run.err
    assert "paul.admin registered as the first admin" in run.out
    with Coopflow(url) as cf:
        assert [(a.login, a.roles) for a in cf.actors()] == [("paul.admin", ("admin",))]
        assert cf.registry_history("actors")[0]["identified_by"] == "environment"


@pytest.mark.postgres
def test_init_on_postgresql_registers_the_database_login(
    invoke_bare: Invoke, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = new_database("postgres", tmp_path, request)
    engine = create_engine(url)
    with engine.connect() as conn:
        login = conn.execute(text("SELECT session_user")).scalar()
    engine.dispose()
    assert isinstance(login, str)
    one_error(
        invoke_bare("--db", url, "init", "--actor", f"not-{login}"),
        2,
        f"on PostgreSQL the first admin is your database login {login}",
    )
    run = ok(invoke_bare("--db", url, "init", "--name", "Owner"))
    assert f"{login} registered as the first admin" in run.out
    listed = json.loads(ok(invoke_bare("--db", url, "actor", "list", "--json")).out)
    assert [(a["login"], a["roles"], a["db_login"]) for a in listed] == [(login, ["admin"], login)]
    # On PostgreSQL you act as your database login: naming someone else is refused.
    one_error(
        invoke_bare(
            "--db",
            url,
            "actor",
            "add",
            "x",
            "--name",
            "X",
            "--role",
            "staff",
            "--actor",
            "marie.dupont",
        ),
        1,
        f"you are connected as {login}",
    )
    ok(invoke_bare("--db", url, "actor", "add", "x", "--name", "X", "--role", "staff"))
    records = json.loads(ok(invoke_bare("--db", url, "actor", "history", "--json")).out)
    assert [(r["subject"], r["actor"], r["identified_by"], r["db_login"]) for r in records] == [
        (login, login, "db_login", login),
        ("x", login, "db_login", login),
    ]


@pytest.mark.postgres
def test_db_roles_install_creates_the_group_roles(
    invoke_bare: Invoke, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = new_database("postgres", tmp_path, request)
    prefix = f"cfc{uuid.uuid4().hex[:8]}"
    groups = [f"{prefix}_{r}" for r in ("staff", "legal", "elected", "admin", "service")]
    admin = create_engine(url, isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with admin.connect() as conn:
            for role in groups:
                found = text("SELECT 1 FROM pg_roles WHERE rolname = :r")
                if conn.execute(found, {"r": role}).scalar():
                    conn.execute(text(f'DROP OWNED BY "{role}"'))
                    conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()

    request.addfinalizer(drop)
    ok(invoke_bare("--db", url, "init"))
    run = ok(invoke_bare("--db", url, "db-roles", "install", "--prefix", prefix))
    assert run.out == f"group roles ready: {', '.join(groups)}\n"
    with admin.connect() as conn:
        found = conn.execute(
            text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p ORDER BY rolname"),
            {"p": f"{prefix}\\_%"},
        ).scalars()
        assert sorted(found) == sorted(groups)
    ok(invoke_bare("--db", url, "db-roles", "install", "--prefix", prefix))  # again: a no-op


# ---------------------------------------------------------------------- managing the registry


def test_an_admin_manages_the_registry_and_every_change_is_journaled(invoke: Invoke) -> None:
    start = len(history(invoke))
    added = ok(
        invoke(
            *("actor", "add", "bob.martin", "--name", "Bob Martin"),
            *("--role", "staff", "--role", "legal", *BY_ADMIN),
        )
    )
    assert added.out == "bob.martin (Bob Martin): staff, legal; active\n"
    assert ok(invoke("actor", "grant", "bob.martin", "elected", *BY_ADMIN)).out == (
        "bob.martin (Bob Martin): staff, legal, elected; active\n"
    )
    ok(invoke("actor", "revoke", "bob.martin", "legal", *BY_ADMIN))
    assert ok(invoke("actor", "deactivate", "bob.martin", *BY_ADMIN)).out == (
        "bob.martin (Bob Martin): staff, elected; deactivated\n"
    )
    assert actors(invoke)["bob.martin"] == {
        "login": "bob.martin",
        "full_name": "Bob Martin",
        "roles": ["staff", "elected"],
        "active": False,
        "db_login": None,
    }
    ok(invoke("actor", "activate", "bob.martin", *BY_ADMIN))
    assert actors(invoke)["bob.martin"]["active"] is True

    records = history(invoke)[start:]
    assert [(r["action"], r["subject"], r["actor"], r["role"]) for r in records] == [
        ("add", "bob.martin", "admin", "admin"),
        ("grant", "bob.martin", "admin", "admin"),
        ("revoke", "bob.martin", "admin", "admin"),
        ("deactivate", "bob.martin", "admin", "admin"),
        ("activate", "bob.martin", "admin", "admin"),
    ]
    before, after = records[2]["before"], records[2]["after"]
    assert isinstance(before, dict) and isinstance(after, dict)
    assert sorted(before["roles"]) == ["elected", "legal", "staff"]
    assert sorted(after["roles"]) == ["elected", "staff"]
    assert all(r["identified_by"] == "option" for r in records)
    assert ok(invoke("verify")).out.startswith("ok: ")  # the registry's chain holds

    # Granting a role held, or activating an active actor, changes nothing and journals nothing.
    ok(invoke("actor", "grant", "bob.martin", "staff", *BY_ADMIN))
    ok(invoke("actor", "activate", "bob.martin", *BY_ADMIN))
    assert len(history(invoke)) == start + 5

    table = ok(invoke("actor", "list")).out.splitlines()
    assert table[0].split() == ["Login", "Name", "Roles", "Active", "Database", "login"]
    assert any(line.startswith("bob.martin ") for line in table)
    text_history = ok(invoke("actor", "history")).out.splitlines()
    assert text_history[0].split()[:5] == ["Seq", "At", "(Paris", "time)", "Action"]
    assert "deactivate" in text_history[-2].split() and "admin (admin)" in text_history[-2]


def test_the_parties_registry_has_its_history_too(invoke: Invoke) -> None:
    from .test_commands import add_parties

    add_parties(invoke)
    records = history(invoke, "--registry", "parties")
    assert [(r["action"], r["subject"], r["actor"], r["role"]) for r in records] == [
        ("add", "bordeaux-metropole", "marie.dupont", "staff"),
        ("add", "la-cali", "marie.dupont", "staff"),
    ]
    assert records[0]["identified_by"] == "environment"  # COOPFLOW_ACTOR
    one_error(invoke("actor", "history", "--registry", "people"), 2, "'people' is not one of")


@pytest.mark.parametrize(
    "args",
    [
        ("actor", "add", "bob.martin", "--name", "Bob", "--role", "admin"),
        ("actor", "grant", "marie.dupont", "admin"),
        ("actor", "revoke", "jean.martin", "legal"),
        ("actor", "deactivate", "admin"),
        ("actor", "activate", "marie.dupont"),
    ],
    ids=["add", "grant", "revoke", "deactivate", "activate"],
)
def test_a_non_admin_is_refused_and_nothing_is_written(
    invoke: Invoke, sqlite_url: str, args: tuple[str, ...]
) -> None:
    before = dump(sqlite_url)
    one_error(invoke(*args), 1, "marie.dupont may not", "admin", "marie.dupont holds staff")
    one_error(
        invoke(*args, env={"COOPFLOW_ACTOR": "intern.bob"}),
        1,
        "intern.bob is not a registered actor",
    )
    assert dump(sqlite_url) == before


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (("actor", "add", "marie.dupont", "--name", "M", "--role", "staff"), 1, "already exists"),
        (("actor", "grant", "nobody", "legal"), 1, "actor nobody not found"),
        (("actor", "revoke", "marie.dupont", "staff"), 2, "only role: deactivate them instead"),
        (("actor", "revoke", "marie.dupont", "legal"), 2, "does not hold the role 'legal'"),
        (("actor", "grant", "marie.dupont", "chef"), 2, "'chef' is not one of"),
        (("actor", "add", "bob.martin", "--name", "Bob"), 2, "Missing option '--role'"),
    ],
    ids=["twice", "unknown", "last-role", "role-not-held", "unknown-role", "no-role"],
)
def test_bad_registry_changes_are_one_line_and_write_nothing(
    invoke: Invoke, sqlite_url: str, args: tuple[str, ...], code: int, fragment: str
) -> None:
    before = dump(sqlite_url)
    one_error(invoke(*args, *BY_ADMIN), code, fragment)
    assert dump(sqlite_url) == before


# ---------------------------------------------------------------------- who may act


@pytest.fixture
def in_review(sqlite_url: str) -> tuple[str, str]:
    """A partnership marie.dupont submitted for legal review: its reference and the SHA-256 of
    the version to approve."""
    with Coopflow(sqlite_url) as cf:
        ref = scenario.in_legal_review(cf)
        return ref, scenario.latest_protocol_sha(cf, ref)


def test_the_issues_example_who_may_approve(
    invoke: Invoke, sqlite_url: str, in_review: tuple[str, str]
) -> None:
    ref, sha = in_review
    approve = ("fire", ref, "approuver", "--data", f"document_sha256={sha}")
    before = dump(sqlite_url)
    one_error(
        invoke(*approve, "--actor", "intern.bob", "--role", "legal"),
        1,
        "intern.bob may not approuver: intern.bob is not a registered actor",
        "coopflow actor add intern.bob",
    )
    one_error(
        invoke(*approve, "--actor", "marie.dupont", "--role", "legal"),
        1,
        "marie.dupont does not hold the role 'legal' (holds staff",
        "coopflow actor grant marie.dupont legal",
    )
    one_error(
        invoke(*approve, "--actor", "marie.dupont"),  # no --role: the roles held cannot
        1,
        "it needs one of the roles legal, and marie.dupont holds staff",
    )
    assert dump(sqlite_url) == before

    # Deactivated, the lawyer may not act; active again, they approve (their one role).
    ok(invoke("actor", "deactivate", scenario.LEGAL.id, *BY_ADMIN))
    one_error(
        invoke(*approve, "--actor", scenario.LEGAL.id, "--role", "legal"),
        1,
        f"{scenario.LEGAL.id} is deactivated",
    )
    ok(invoke("actor", "activate", scenario.LEGAL.id, *BY_ADMIN))
    ok(invoke(*approve, "--actor", scenario.LEGAL.id))
    last = json.loads(ok(invoke("history", ref, "--json")).out)[-1]
    assert (last["event"], last["actor"], last["role"]) == ("approuver", "jean.martin", "legal")


def test_whoever_submitted_may_not_approve(
    invoke: Invoke, sqlite_url: str, in_review: tuple[str, str]
) -> None:
    ref, sha = in_review
    ok(invoke("actor", "grant", "marie.dupont", "legal", *BY_ADMIN))
    before = dump(sqlite_url)
    run = invoke("fire", ref, "approuver", "--role", "legal", "--data", f"document_sha256={sha}")
    one_error(run, 1, "marie.dupont submitted this version", "separation of duties")
    assert dump(sqlite_url) == before
    ok(
        invoke(
            *("fire", ref, "approuver", "--data", f"document_sha256={sha}"),
            env={"COOPFLOW_ACTOR": scenario.LEGAL.id},
        )
    )


def test_an_elected_official_signs_only_as_a_signatory(
    invoke: Invoke, sqlite_url: str, in_review: tuple[str, str]
) -> None:
    ref, sha = in_review
    with Coopflow(sqlite_url) as cf:
        cf.fire(ref, "approuver", scenario.LEGAL, data={"document_sha256": sha})
        scenario.record_deliberations(cf, ref, ("bordeaux-metropole", "la-cali"))
    sign = ("fire", ref, "signer", "--data", "date_signature=2027-03-20")
    before = dump(sqlite_url)
    one_error(
        invoke(*sign, "--actor", "jean-marc.lacoste"),
        1,
        f"jean-marc.lacoste is not a signatory of {ref}",
        "--login jean-marc.lacoste",
    )
    assert dump(sqlite_url) == before
    # La Cali's signatory is now the registered elected official jean-marc.lacoste.
    ok(
        invoke(
            *("signatory", "set", ref, "--party", "la-cali", "--first-name", "Jean-Marc"),
            *("--last-name", "Lacoste", "--title", "Président", "--civility", "Monsieur"),
            *("--login", "jean-marc.lacoste"),
        )
    )
    signed = json.loads(ok(invoke(*sign, "--actor", "jean-marc.lacoste", "--json")).out)
    assert signed["target_state"] == "contractualisation.en_vigueur"
    last = json.loads(ok(invoke("history", ref, "--json")).out)[-1]
    assert (last["event"], last["actor"], last["role"]) == (
        "signer",
        "jean-marc.lacoste",
        "elected",
    )
