"""The journal: append-only in the database itself, hash-chained, verified."""

from __future__ import annotations

import itertools
from pathlib import Path

import coopflow
import pytest
from coopflow import Coopflow
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from . import scenario


def _four_records(cf: Coopflow) -> str:
    """creation, the exchange logged ("change"), ouvrir_dialogue, revenir_accueil."""
    ref = scenario.in_dialogue(cf)
    cf.fire(ref, "revenir_accueil", scenario.STAFF, comment="Pause estivale")
    return ref


def test_chain_links_each_record_to_the_previous_one(cf: Coopflow) -> None:
    ref = _four_records(cf)
    records = cf.history(ref)
    assert [r.event for r in records] == [
        "creation",
        "change",
        "ouvrir_dialogue",
        "revenir_accueil",
    ]
    assert records[0].prev_hash == "0" * 64
    for before, after in itertools.pairwise(records):
        assert after.prev_hash == before.hash
    assert records[1].data["operation"] == "exchange.log"
    assert records[3].comment == "Pause estivale"
    assert records[3].actor == scenario.STAFF.id and records[3].role == "staff"
    assert records[3].at.tzinfo is not None
    report = cf.verify()
    # and the registries' own chains: who was registered, the parties
    registries = len(cf.registry_history("actors")) + len(cf.registry_history("parties"))
    assert registries == len(scenario.PEOPLE) + 1 + 2  # the admin, the people, two parties
    assert report.ok and report.records == 4 + registries and report.partnerships == 1


@pytest.mark.parametrize(
    "statement", ["UPDATE coopflow_journal SET comment = 'x'", "DELETE FROM coopflow_journal"]
)
def test_database_refuses_update_and_delete(cf: Coopflow, statement: str) -> None:
    ref = _four_records(cf)
    with pytest.raises(DBAPIError, match="append-only"), cf.engine.begin() as conn:
        conn.execute(text(statement))
    assert len(cf.history(ref)) == 4


def _drop_protection(cf: Coopflow) -> None:
    with cf.engine.begin() as conn:
        if cf.engine.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER coopflow_journal_append_only ON coopflow_journal"))
        else:
            conn.execute(text("DROP TRIGGER coopflow_journal_no_update"))
            conn.execute(text("DROP TRIGGER coopflow_journal_no_delete"))


def test_verify_names_the_first_edited_record(cf: Coopflow) -> None:
    ref = _four_records(cf)
    _drop_protection(cf)
    with cf.engine.begin() as conn:
        conn.execute(text("UPDATE coopflow_journal SET actor = 'mallory' WHERE seq = 2"))
    report = cf.verify()
    assert not report.ok
    assert report.first_broken is not None
    assert (report.first_broken.reference, report.first_broken.seq) == (ref, 2)
    assert "edited" in report.first_broken.message


def test_verify_detects_a_deleted_last_record(cf: Coopflow) -> None:
    ref = _four_records(cf)
    _drop_protection(cf)
    with cf.engine.begin() as conn:
        conn.execute(text("DELETE FROM coopflow_journal WHERE seq = 4"))
    problem = cf.verify(ref).first_broken
    assert problem is not None and problem.seq == 4
    assert "deleted" in problem.message


def test_verify_detects_a_deleted_middle_record(cf: Coopflow) -> None:
    ref = _four_records(cf)
    _drop_protection(cf)
    with cf.engine.begin() as conn:
        conn.execute(text("DELETE FROM coopflow_journal WHERE seq = 2"))
    problem = cf.verify(ref).first_broken
    assert problem is not None and problem.seq == 2
    assert "missing" in problem.message


def test_verify_detects_a_state_changed_behind_the_journal(cf: Coopflow) -> None:
    ref = _four_records(cf)
    with cf.engine.begin() as conn:
        conn.execute(text("UPDATE coopflow_partnership SET state = 'dialogue'"))
    problem = cf.verify(ref).first_broken
    assert problem is not None
    assert "differs from the journal" in problem.message


def test_a_chain_cannot_fork(cf: Coopflow) -> None:
    """Two records may not share a predecessor: the database refuses the second."""
    ref = _four_records(cf)
    # a copy of record 2 as its author wrote it (on PostgreSQL the author check passes), under
    # another seq: only the chain's uniqueness refuses it
    with (
        pytest.raises(DBAPIError, match=r"(?i)unique|duplicate|replacing a stored row"),
        cf.engine.begin() as conn,
    ):
        conn.execute(
            text(
                "INSERT INTO coopflow_journal (partnership_id, seq, event, target_state, actor,"
                " role, at, data, workflow_name, workflow_version, prev_hash, hash,"
                " identified_by, db_login)"
                " SELECT partnership_id, 99, event, target_state, actor, role, at, data,"
                " workflow_name, workflow_version, prev_hash, hash, identified_by, db_login"
                " FROM coopflow_journal WHERE seq = 2"
            )
        )
    assert len(cf.history(ref)) == 4


def test_a_read_only_sqlite_file_can_be_read_and_verified(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    coopflow.migrate(f"sqlite:///{path}")
    with Coopflow(f"sqlite:///{path}") as cf:
        scenario.register_people(cf)
        ref = scenario.in_drafting(cf)
        cf.render(ref, "protocole", actor=scenario.STAFF)
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    with Coopflow(read_only) as archive:
        assert archive.verify().ok
        assert archive.history(ref)[0].event == "creation"
        assert archive.partnership(ref).state == "contractualisation.redaction"
        assert [d.kind for d in archive.documents_of(ref)] == ["protocole"]
        assert archive.export(ref, tmp_path / "export", actor=scenario.STAFF).exists()
        before = archive.history(ref)
        with pytest.raises(coopflow.CoopflowError, match="read-only"):
            archive.fire(ref, "suspendre", scenario.STAFF, data={"motif": "x"})
        with pytest.raises(coopflow.CoopflowError, match="read-only"):
            archive.add_axis(ref, "Culture", actor=scenario.STAFF)
        assert archive.history(ref) == before
