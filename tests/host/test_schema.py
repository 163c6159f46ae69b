"""coopflow in a PostgreSQL schema of its own, beside a host application's tables.

The host's connections keep their own search_path (here the test's schema); coopflow is told
``schema=`` and its tables, version table, triggers and queries live there, in every way coopflow
can be given the database: a URL, the host's Engine, the host's Session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import coopflow
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from coopflow import Actor, Coopflow, ValidationError
from coopflow._db import normalise_url
from coopflow._migrate import VERSION_TABLE
from coopflow.cli import cli
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests import scenario
from tests.conftest import new_database

from .models import Contact
from .test_host import host_alembic


@pytest.fixture
def host_url(tmp_path: object, request: pytest.FixtureRequest) -> str:
    """The host's database: a PostgreSQL schema of the test's own on its search_path."""
    return new_database("postgres", tmp_path, request)  # type: ignore[arg-type]


@pytest.fixture
def host_engine(host_url: str) -> Iterator[Engine]:
    engine = create_engine(normalise_url(host_url))
    yield engine
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    engine.dispose()


@pytest.fixture
def schema(postgres_admin: str) -> Iterator[str]:
    """The name of coopflow's schema (created by coopflow.migrate), dropped afterwards."""
    name = f"cf_{uuid.uuid4().hex[:12]}"
    yield name
    admin = create_engine(postgres_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    admin.dispose()


def tables_in(engine: Engine, schema: str | None) -> set[str]:
    return set(inspect(engine).get_table_names(schema=schema))


def the_database_login(cf: Coopflow) -> Actor:
    """After ``coopflow init`` on PostgreSQL the first admin is the database login connected,
    and only that actor may act through it: it takes the staff role too, to enter data."""
    db_login, registered = cf.whoami()
    assert db_login is not None and registered == db_login
    assert [a.login for a in cf.actors()] == [db_login]
    cf.grant_role(db_login, "staff", actor=Actor(db_login, "admin"))
    return Actor(db_login, "staff")


def in_accueil_as(cf: Coopflow, me: Actor) -> str:
    """``scenario.in_accueil``, entered by ``me``."""
    for key in ("bordeaux-metropole", "la-cali"):
        cf.add_party(key, **scenario.PARTIES[key], actor=me)  # type: ignore[arg-type]
    return cf.create_partnership(
        "Coopération Bordeaux Métropole – la-cali",
        scale="espace_regional",
        parties=["bordeaux-metropole", "la-cali"],
        home="bordeaux-metropole",
        lead="bordeaux-metropole",
        responsible=me.id,
        actor=me,
    ).reference


def search_path(session: Session) -> str:
    return str(session.execute(text("SHOW search_path")).scalar_one())


@pytest.mark.postgres
def test_tables_versions_and_triggers_live_in_coopflows_schema(
    host_engine: Engine, schema: str
) -> None:
    host_alembic(host_engine, "upgrade", "head")
    coopflow.migrate(host_engine, schema=schema)

    assert tables_in(host_engine, None) == {"crm_contact", "alembic_version"}
    mine = tables_in(host_engine, schema)
    assert VERSION_TABLE in mine
    assert mine - {VERSION_TABLE} == set(coopflow.metadata.tables)
    # no drift between the migrations and the models, in the schema (reflection needs an
    # engine whose default schema is coopflow's)
    inside = create_engine(
        host_engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    )
    with inside.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": lambda _o, name, *_: name != VERSION_TABLE}
        )
        diff = compare_metadata(ctx, coopflow.metadata)
    inside.dispose()
    assert diff == []

    with Coopflow(host_engine, schema=schema) as cf:
        scenario.register_people(cf)
        ref = scenario.signed(cf)
        assert cf.partnership(ref).state == "contractualisation.en_vigueur"
        assert cf.verify().ok
        # the append-only triggers were created in the schema and guard its journal
        with pytest.raises(DBAPIError, match="append-only"), cf.engine.begin() as conn:
            conn.execute(text("UPDATE coopflow_journal SET comment = 'x'"))
    # the host's own engine still does not see coopflow's tables
    with host_engine.connect() as conn:
        assert conn.execute(text("SHOW search_path")).scalar_one() == search_path_of(host_engine)

    coopflow.downgrade_schema(host_engine, "base", schema=schema)
    assert tables_in(host_engine, schema) == {VERSION_TABLE}
    assert tables_in(host_engine, None) == {"crm_contact", "alembic_version"}


def search_path_of(engine: Engine) -> str:
    url = engine.url
    options = str(url.query["options"])
    return options.removeprefix("-csearch_path=")


@pytest.mark.postgres
def test_a_url_with_a_schema_and_the_cli(host_url: str, schema: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", host_url, "--schema", schema, "init"])
    assert result.exit_code == 0, result.output
    migrated, registered = result.output.rstrip().splitlines()
    assert migrated.endswith(f"(schema {schema})")
    assert "registered as the first admin" in registered
    with Coopflow(host_url, schema=schema) as cf:
        me = the_database_login(cf)
        ref = in_accueil_as(cf, me)
        cf.log_exchange(
            ref, date="2026-09-15", kind="reunion", summary="Première rencontre", actor=me
        )
        cf.fire(ref, "ouvrir_dialogue", me)
    shown = runner.invoke(
        cli, ["--db", host_url, "--schema", schema, "partnership", "show", ref, "--json"]
    )
    assert shown.exit_code == 0, shown.output
    assert '"dialogue"' in shown.output
    # without the schema, the database has no coopflow tables: the error says what to run
    missing = runner.invoke(cli, ["--db", host_url, "partnership", "list"])
    assert missing.exit_code == 1
    assert "init" in missing.output
    with pytest.raises(coopflow.SchemaOutOfDateError, match=f"--schema {schema}_other init"):
        Coopflow(host_url, schema=f"{schema}_other")


@pytest.mark.postgres
@pytest.mark.parametrize("commit", [True, False])
def test_the_hosts_session_shares_its_transaction_and_keeps_its_path(
    host_engine: Engine, schema: str, commit: bool
) -> None:
    host_alembic(host_engine, "upgrade", "head")
    coopflow.migrate(host_engine, schema=schema)
    with Coopflow(host_engine, schema=schema) as registrar:
        scenario.register_people(registrar)
    fired: list[str] = []
    with Session(host_engine) as session:
        before = search_path(session)
        cf = Coopflow(session, schema=schema)
        cf.on_fired(lambda result: fired.append(result.event))
        ref = scenario.in_dialogue(cf)
        session.add(Contact(name="Élodie Roux", partnership_reference=ref))
        session.flush()  # the host's table, through the host's own path
        assert search_path(session) == before, "coopflow gives the host its path back"
        assert fired == []
        if commit:
            session.commit()
        else:
            session.rollback()
    assert fired == (["ouvrir_dialogue"] if commit else [])
    with Coopflow(host_engine, schema=schema) as cf:
        assert [p.reference for p in cf.partnerships()] == ([ref] if commit else [])
    with Session(host_engine) as session:
        contacts = session.scalars(select(Contact.partnership_reference)).all()
    assert contacts == ([ref] if commit else [])


@pytest.mark.postgres
def test_a_refused_call_in_the_hosts_session_restores_its_path(
    host_engine: Engine, schema: str
) -> None:
    coopflow.migrate(host_engine, schema=schema)
    with Session(host_engine) as session:
        before = search_path(session)
        cf = Coopflow(session, schema=schema)
        scenario.register_people(cf)
        ref = scenario.in_accueil(cf)
        with pytest.raises(coopflow.GuardFailed):
            cf.fire(ref, "ouvrir_dialogue", scenario.STAFF)
        assert search_path(session) == before
        session.commit()
    with Coopflow(host_engine, schema=schema) as cf:
        assert cf.partnership(ref).state == "accueil"


@pytest.mark.postgres
@pytest.mark.postgres
@pytest.mark.parametrize(
    ("name", "message"),
    [("Coop", "not a schema name"), ("1coop", "not a schema name"), ('a"b', "not a schema name")],
)
def test_bad_schema_names_are_refused_before_anything_is_written(
    host_engine: Engine, name: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        coopflow.migrate(host_engine, schema=name)
    assert caught.value.field == "schema"
    assert tables_in(host_engine, None) == set()


def test_a_schema_is_refused_on_sqlite(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/coopflow.db"
    with pytest.raises(ValidationError, match="PostgreSQL option"):
        coopflow.migrate(url, schema="coop")
    with pytest.raises(ValidationError, match="PostgreSQL option"):
        Coopflow(url, schema="coop", check=False)


@pytest.mark.postgres
def test_a_schema_never_falls_back_on_coopflows_tables_elsewhere_on_the_path(
    host_url: str, host_engine: Engine, schema: str
) -> None:
    """coopflow's tables already in the host's schema (first on its path) do not pass for
    those of a new ``--schema``: init creates them there, and writes land there."""
    coopflow.migrate(host_url)  # coopflow's tables in the host's own schema
    with Coopflow(host_url) as there:
        scenario.register_people(there)
        scenario.add_parties(there, "bordeaux-metropole")
    with pytest.raises(coopflow.SchemaOutOfDateError, match=f"--schema {schema} init"):
        Coopflow(host_url, schema=schema)
    result = CliRunner().invoke(cli, ["--db", host_url, "--schema", schema, "init"])
    assert result.exit_code == 0, result.output
    assert VERSION_TABLE in tables_in(host_engine, schema)
    assert "coopflow_partnership" in tables_in(host_engine, schema)
    with Coopflow(host_url, schema=schema) as cf:
        assert cf.parties() == []  # not the host schema's
        # nor its registry: init registered the first admin in the new schema
        ref = in_accueil_as(cf, the_database_login(cf))
    with host_engine.connect() as conn:
        placed = conn.execute(
            text(f'SELECT count(*) FROM "{schema}".coopflow_partnership WHERE reference = :r'),
            {"r": ref},
        ).scalar()
        elsewhere = conn.execute(text("SELECT count(*) FROM coopflow_partnership")).scalar()
    assert (placed, elsewhere) == (1, 0)
