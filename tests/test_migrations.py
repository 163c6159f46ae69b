"""Migrations build exactly the models' schema, round-trip, and leave a host's Alembic alone."""

from __future__ import annotations

import coopflow
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from coopflow import Coopflow, SchemaOutOfDateError
from coopflow._db import normalise_url
from coopflow._migrate import VERSION_TABLE, head_revision
from coopflow.models import metadata
from sqlalchemy import create_engine, inspect, text

from tests import scenario, stored


def _diff(url: str) -> list[object]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_object": lambda obj, name, type_, *_: (
                        type_ != "table"
                        or ((name or "").startswith("coopflow_") and name != VERSION_TABLE)
                    ),
                },
            )
            return list(compare_metadata(ctx, metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(normalise_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_build_the_models_schema(migrated_url: str) -> None:
    assert _diff(migrated_url) == []
    assert {t.name for t in metadata.sorted_tables} | {VERSION_TABLE} == _tables(migrated_url)


def test_upgrade_downgrade_upgrade_round_trip(db_url: str) -> None:
    coopflow.migrate(db_url)
    coopflow.downgrade_schema(db_url, "base")
    assert _tables(db_url) <= {VERSION_TABLE}
    coopflow.migrate(db_url)
    assert _diff(db_url) == []
    with Coopflow(db_url) as cf:
        scenario.register_people(cf)  # the registry went with the downgrade
        cf.add_party(
            "bordeaux-metropole",
            "Bordeaux Métropole",
            nature="METRO",
            deliberative_body="conseil métropolitain",
            executive_title="Président",
            actor=scenario.STAFF,
        )
        assert [p.key for p in cf.parties()] == ["bordeaux-metropole"]


def test_opening_a_database_that_is_behind_names_the_command(db_url: str) -> None:
    with pytest.raises(SchemaOutOfDateError) as info:
        Coopflow(db_url)
    assert info.value.current is None
    assert info.value.head == head_revision()
    assert "init" in info.value.command and "coopflow --db" in str(info.value)


def test_own_version_table_leaves_a_hosts_alembic_version_alone(db_url: str) -> None:
    engine = create_engine(normalise_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('host_rev_1')"))
    coopflow.migrate(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            "host_rev_1"
        )
        assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == (
            head_revision()
        )
    engine.dispose()


def test_migrate_is_idempotent(migrated_url: str) -> None:
    coopflow.migrate(migrated_url)
    assert _diff(migrated_url) == []


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            present = set(inspect(engine).get_table_names())
            return {
                t.name: conn.execute(text(f"SELECT count(*) FROM {t.name}")).scalar_one()
                for t in metadata.sorted_tables
                if t.name in present
            }
    finally:
        engine.dispose()


def test_upgrading_a_filled_database_keeps_every_row(db_url: str) -> None:
    """Created at the first revision and filled (by the coopflow of that time: the rows are
    stored, ``tests/stored.py``), then upgraded: SQLite's table rebuilds must not
    cascade-delete child rows (axes' stakes and commitments, partnerships' members...)."""
    stored.load(db_url)
    before = _counts(db_url)
    assert before["coopflow_stake"] >= 3
    assert before["coopflow_commitment"] >= 6
    assert before["coopflow_journal"] >= 20
    coopflow.migrate(db_url)
    after = _counts(db_url)
    assert {name: after[name] for name in before} == before
    assert _diff(db_url) == []
    with Coopflow(db_url) as cf:
        assert cf.verify().ok
        assert cf.partnership("COOP-2026-0002").state == "suspendu"
        scenario.register_people(cf)  # revision 0006 adds the registry, empty
        cf.fire("COOP-2026-0002", "reprendre", scenario.STAFF)
        assert cf.partnership("COOP-2026-0002").state == "dialogue"
