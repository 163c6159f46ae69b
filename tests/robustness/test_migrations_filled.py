"""Upgrading a database that holds a realistic history: every row of every table is kept.

The database is created at the first revision ("0001") and filled, as coopflow filled it then
(the rows are stored: ``tests/stored.py``), with partnerships at every stage: in accueil with
exchanges, suspended in dialogue, abandoned, in legal review (a draft document), signed with an
approved, running programme (final documents, superseded versions, milestones, budget lines,
indicators) and an avenant being drafted.  After the upgrade to head the full dump is identical
(the columns and tables it adds aside), the evidence verifies, the database still refuses
changes to the journal and the documents, and every partnership can go on."""

from __future__ import annotations

import json
from collections.abc import Iterator

import coopflow
import pytest
from coopflow import Coopflow
from coopflow._db import normalise_url
from coopflow.errors import GuardFailed
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests import scenario, stored

from .support import Dump, check_evidence, dump, row_count

#: The partnerships of the stored fill, by the stage it left them at.
REFS = {
    "accueil": "COOP-2026-0001",
    "suspended": "COOP-2026-0002",
    "abandoned": "COOP-2026-0003",
    "review": "COOP-2026-0004",
    "signed": "COOP-2026-0005",
}


def _as_before(after: Dump, before: Dump) -> Dump:
    """``after`` reduced to the tables and columns ``before`` had (an upgrade adds some), with
    the one value an upgrade rewrites read back: revision 0008 structures an avenant's changes,
    each paragraph written before becoming ``{"operation": "libre", "text": ...}``."""
    kept: Dump = {}
    for table, rows in before.items():
        names = {name for row in rows[:1] for name, _ in row}
        kept[table] = [
            tuple(
                (name, _free_paragraphs(value) if (table, name) == _CHANGES else value)
                for name, value in row
                if name in names or not rows
            )
            for row in after.get(table, [])
        ]
    return kept


_CHANGES = ("coopflow_amendment", "changes")


def _free_paragraphs(value: object) -> object:
    """An avenant's changes as revision 0007 stored them, if all of them are free paragraphs."""
    changes = json.loads(value) if isinstance(value, str) else value
    if not isinstance(changes, list) or not all(
        isinstance(c, dict) and c.get("operation") == "libre" for c in changes
    ):
        return value
    paragraphs = [c["text"] for c in changes]
    return json.dumps(paragraphs) if isinstance(value, str) else paragraphs


def _check_filled(before: dict[str, list[object]]) -> None:
    """The fill is as rich as intended (so that "every row kept" means something)."""
    for table in (
        "coopflow_party",
        "coopflow_partnership",
        "coopflow_partnership_party",
        "coopflow_exchange",
        "coopflow_axis",
        "coopflow_stake",
        "coopflow_commitment",
        "coopflow_protocol",
        "coopflow_deliberation",
        "coopflow_signatory",
        "coopflow_amendment",
        "coopflow_programme",
        "coopflow_action",
        "coopflow_milestone",
        "coopflow_budget_line",
        "coopflow_indicator",
        "coopflow_document",
        "coopflow_journal",
    ):
        assert before[table], f"{table} is empty"
    assert len(before["coopflow_document"]) == 4  # two protocol drafts, the final, the programme


def _still_protected(cf: Coopflow) -> None:
    for statement in (
        "UPDATE coopflow_journal SET actor = 'mallory'",
        "DELETE FROM coopflow_journal",
        "UPDATE coopflow_document SET content = content",
        "DELETE FROM coopflow_document",
    ):
        with pytest.raises(DBAPIError, match="append-only"), cf.engine.begin() as conn:
            conn.execute(text(statement))


def _goes_on(cf: Coopflow, refs: dict[str, str]) -> None:
    scenario.register_people(cf)  # the registry revision 0006 adds is empty: who may act
    cf.fire(refs["accueil"], "ouvrir_dialogue", scenario.STAFF)
    cf.fire(refs["suspended"], "reprendre", scenario.STAFF)
    assert cf.partnership(refs["suspended"]).state == "dialogue"
    cf.fire(refs["review"], "demander_modifications", scenario.LEGAL, data={"motif": "Art. 6"})
    # The avenant drafted before revision 0008 holds a free paragraph: it goes to the councils
    # once written again aimed at an article, with its exposé des motifs.
    with pytest.raises(GuardFailed, match="does not aim at an article") as refused:
        cf.fire(refs["signed"], "soumettre_avenant", scenario.STAFF)
    assert any("exposé des motifs" in reason for reason in refused.value.reasons)
    cf.remove_amendment_change(refs["signed"], 1, actor=scenario.STAFF)
    cf.add_amendment_change(
        refs["signed"], "completer", 2, text="Un axe « culture » est ajouté.", actor=scenario.STAFF
    )
    cf.set_amendment_motives(refs["signed"], "Le dialogue culturel.", actor=scenario.STAFF)
    cf.fire(refs["signed"], "soumettre_avenant", scenario.STAFF)
    assert cf.partnership(refs["signed"]).state == "contractualisation.avenant.deliberations"
    check_evidence(cf)


def test_upgrading_a_filled_database_keeps_every_row(db_url: str) -> None:
    """0001 -> head: the full dump is unchanged, foreign keys hold, the triggers still refuse
    changes, and every partnership goes on."""
    stored.load(db_url)
    before = dump(db_url)
    _check_filled(before)

    coopflow.migrate(db_url)

    assert _as_before(dump(db_url), before) == before
    with Coopflow(db_url) as cf:
        check_evidence(cf)
        _still_protected(cf)
        if cf.engine.dialect.name == "sqlite":
            with cf.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        _goes_on(cf, REFS)


def test_downgrading_and_upgrading_again_keeps_every_row(db_url: str) -> None:
    """0001 -> head -> 0001 -> head on the filled database: the full dump is unchanged at each
    step (what the upgrade adds aside)."""
    stored.load(db_url)
    before = dump(db_url)
    coopflow.migrate(db_url)
    coopflow.downgrade_schema(db_url, "0001")
    assert dump(db_url) == before
    coopflow.migrate(db_url)
    assert _as_before(dump(db_url), before) == before
    with Coopflow(db_url) as cf:
        check_evidence(cf)
        _still_protected(cf)
    assert row_count(before) > 80


@pytest.fixture
def host_engine(db_url: str) -> Iterator[Engine]:
    engine = create_engine(normalise_url(db_url))
    if engine.dialect.name == "sqlite":
        coopflow.configure_sqlite(engine)  # what coopflow asks a host to do on SQLite
    yield engine
    engine.dispose()


def test_upgrading_a_filled_database_through_a_hosts_session(
    db_url: str, host_engine: Engine
) -> None:
    """A host embedding coopflow upgrades it inside its own Session (``Coopflow.migrate``)."""
    stored.load(db_url)
    before = dump(db_url)

    with Session(host_engine) as session:
        Coopflow(session, check=False).migrate()
        session.commit()

    assert _as_before(dump(db_url), before) == before
    with Coopflow(db_url) as cf:
        check_evidence(cf)
        _goes_on(cf, REFS)
