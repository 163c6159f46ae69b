"""A host application embeds coopflow: its own models, Alembic history and transactions."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import coopflow
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from coopflow import Actor, Coopflow, FireContext, FireResult, GuardFailed, Refusal
from coopflow._migrate import VERSION_TABLE
from coopflow.workflows import registry
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from tests import scenario

from .models import Contact, HostBase

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def host_alembic(engine: Engine, action: str, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "alembic"))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        getattr(command, action)(cfg, revision)


def version(engine: Engine, table: str) -> str | None:
    with engine.connect() as conn:
        if table not in inspect(conn).get_table_names():
            return None
        return conn.execute(text(f"SELECT version_num FROM {table}")).scalar()


def migrate_and_register(engine: Engine) -> None:
    """coopflow's tables at the current schema, and the scenarios' people registered."""
    coopflow.migrate(engine)
    with Coopflow(engine) as cf:
        scenario.register_people(cf)


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_both_histories_upgrade_and_downgrade_independently(host_engine: Engine) -> None:
    host_alembic(host_engine, "upgrade", "head")
    coopflow.migrate(host_engine)
    assert version(host_engine, "alembic_version") == "h001"
    assert version(host_engine, VERSION_TABLE) is not None
    assert {"crm_contact", "coopflow_partnership"} <= tables(host_engine)

    host_alembic(host_engine, "downgrade", "base")
    assert "crm_contact" not in tables(host_engine)
    assert "coopflow_partnership" in tables(host_engine)
    with Coopflow(host_engine) as cf:  # coopflow's schema is still current
        assert cf.parties() == []

    host_alembic(host_engine, "upgrade", "head")
    coopflow.downgrade_schema(host_engine, "base")
    assert "crm_contact" in tables(host_engine)
    assert not any(t.startswith("coopflow_") and t != VERSION_TABLE for t in tables(host_engine))
    assert version(host_engine, "alembic_version") == "h001"


def test_host_autogenerate_leaves_coopflow_tables_alone(host_engine: Engine) -> None:
    host_alembic(host_engine, "upgrade", "head")
    coopflow.migrate(host_engine)
    with host_engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": coopflow.alembic_include_object}
        )
        diff = compare_metadata(ctx, [HostBase.metadata, coopflow.metadata])
    assert diff == []


def _host_session_flow(engine: Engine, *, commit: bool) -> tuple[list[str], str]:
    fired: list[str] = []
    with Session(engine) as session:
        cf = Coopflow(session)
        cf.on_fired(lambda result: fired.append(result.event))
        scenario.add_parties(cf, "bordeaux-metropole", "la-cali")
        ref = cf.create_partnership(
            "Coopération",
            scale="espace_regional",
            parties=["bordeaux-metropole", "la-cali"],
            home="bordeaux-metropole",
            responsible="x",
            actor=scenario.STAFF,
        ).reference
        session.add(Contact(name="Élodie Roux", partnership_reference=ref))
        cf.fire(ref, "suspendre", scenario.STAFF, data={"motif": "pause"})
        assert fired == [], "callbacks wait for the host's commit"
        assert session.in_transaction(), "coopflow must not end the host's transaction"
        if commit:
            session.commit()
        else:
            session.rollback()
    return fired, ref


def test_shared_transaction_commits_with_the_host(host_engine: Engine) -> None:
    host_alembic(host_engine, "upgrade", "head")
    migrate_and_register(host_engine)
    fired, ref = _host_session_flow(host_engine, commit=True)
    assert fired == ["suspendre"]
    with Coopflow(host_engine) as cf:
        assert cf.partnership(ref).state == "suspendu"
        assert cf.verify().ok
    with Session(host_engine) as session:
        assert session.scalars(select(Contact.partnership_reference)).all() == [ref]


def test_host_rollback_undoes_coopflow_writes_and_calls_nothing(host_engine: Engine) -> None:
    host_alembic(host_engine, "upgrade", "head")
    migrate_and_register(host_engine)
    fired, _ = _host_session_flow(host_engine, commit=False)
    assert fired == []
    with Coopflow(host_engine) as cf:
        assert list(cf.partnerships()) == []
        assert cf.parties() == []


def test_refused_fire_inside_a_host_transaction_keeps_the_hosts_work(host_engine: Engine) -> None:
    host_alembic(host_engine, "upgrade", "head")
    migrate_and_register(host_engine)
    refused: list[Refusal] = []
    with Session(host_engine) as session:
        cf = Coopflow(session)
        cf.on_refused(refused.append)
        session.add(Contact(name="Avant"))
        ref = scenario.in_accueil(cf)
        with pytest.raises(GuardFailed):
            cf.fire(ref, "ouvrir_dialogue", scenario.STAFF)
        session.commit()
    assert [type(r.error) for r in refused] == [GuardFailed]
    assert refused[0].event == "ouvrir_dialogue"
    with Session(host_engine) as session:
        assert session.scalars(select(Contact.name)).all() == ["Avant"]


def test_callbacks_after_commit_only_with_an_engine(host_engine: Engine) -> None:
    migrate_and_register(host_engine)
    with Coopflow(host_engine) as cf:
        seen: list[tuple[str, str]] = []

        def check(result: FireResult) -> None:
            # the change is visible from another connection: the transaction has committed
            other = Coopflow(host_engine)
            seen.append((result.event, other.partnership(result.reference).state))

        cf.on_fired(check)
        ref = scenario.in_dialogue(cf)
        assert seen == [("ouvrir_dialogue", "dialogue")]
        with pytest.raises(GuardFailed):
            cf.fire(ref, "engager_contractualisation", scenario.STAFF)
        assert len(seen) == 1


def crm_has_contact(ctx: FireContext) -> Iterable[str]:
    count = ctx.session.scalar(
        select(Contact.id).where(Contact.partnership_reference == ctx.partnership.reference)
    )
    if count is None:
        yield "no CRM contact recorded for this partnership"


def test_custom_workflow_versions_side_by_side_and_migration(host_engine: Engine) -> None:
    host_alembic(host_engine, "upgrade", "head")
    migrate_and_register(host_engine)
    mine = registry.child()
    mine.guard("crm_has_contact")(crm_has_contact)
    staff = Actor("marie.dupont", "staff")
    with Coopflow(host_engine) as v1_only:
        old = scenario.in_dialogue(v1_only, workflow_version=1)  # started on the built-in v1
        still_v1 = scenario.in_accueil(v1_only, partner="ville-de-saintes", workflow_version=1)
    with Coopflow(host_engine, workflows_dir=HERE / "workflows", registry=mine) as cf:
        assert cf.workflows.get("cooperation").version == 3  # the host's, after the built-ins
        new = cf.create_partnership(
            "Nouvelle",
            scale="aire_metropolitaine",
            parties=["bordeaux-metropole", "la-cali"],
            home="bordeaux-metropole",
            responsible="x",
            actor=staff,
        )
        assert (new.workflow_version, new.state) == (3, "prospection")
        assert cf.partnership(old).workflow_version == 1
        # the host's own guard speaks through coopflow's refusal
        with pytest.raises(GuardFailed, match="no CRM contact"):
            cf.fire(new.reference, "engager_contractualisation", staff)
        with Session(host_engine) as session, session.begin():
            session.add(Contact(name="Élodie Roux", partnership_reference=new.reference))
        cf.fire(new.reference, "engager_contractualisation", staff)
        # v1 partnerships still run on v1
        cf.fire(old, "revenir_accueil", staff)
        # an explicit, journaled migration, by an admin, moves in-flight partnerships to v3
        mapping = {"accueil": "prospection", "dialogue": "prospection"}
        with pytest.raises(coopflow.PermissionDenied, match=r"workflow\.migrate"):
            cf.migrate_workflow(
                "cooperation", from_version=1, to_version=3, actor=staff, mapping=mapping
            )
        with pytest.raises(coopflow.ValidationError, match="map it"):
            cf.migrate_workflow("cooperation", from_version=1, to_version=3, actor=scenario.ADMIN)
        moved = cf.migrate_workflow(
            "cooperation",
            from_version=1,
            to_version=3,
            actor=scenario.ADMIN,
            mapping=mapping,
        )
        assert sorted(moved) == sorted([old, still_v1])
        assert cf.partnership(old).state == "prospection"
        assert cf.partnership(old).workflow_version == 3
        last = cf.history(old)[-1]
        assert (last.event, last.source_state, last.target_state) == (
            "migration",
            "accueil",
            "prospection",
        )
        assert last.data == {"from_version": 1, "to_version": 3}
        assert (last.actor, last.role) == (scenario.ADMIN.id, "admin")
        assert cf.verify().ok


@pytest.mark.slow
def test_usage_example_type_checks_strictly_and_runs(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        # the return code is asserted below, with the output
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(HERE / "usage.py"),
        ],
        check=False,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin"},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    from .usage import run

    outcome = run(f"sqlite:///{tmp_path / 'usage.db'}")
    assert outcome[0].endswith(": suspendre")
    assert outcome[1:] == ["suspendu"]
