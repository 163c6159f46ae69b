"""Tampering with the evidence: the database refuses the direct changes it can refuse, and
``verify`` detects, and names, what was changed once the protections are dropped."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import coopflow
import pytest
from coopflow import Coopflow, DocumentInfo
from coopflow._canonical import canonical_json, sha256_hex
from coopflow._documents import content_sha256
from coopflow._journal import record_hash
from coopflow.documents import Renderer
from coopflow.models import Deliberation, Document, JournalRecord, Protocol
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests import scenario
from tests.conftest import BACKENDS, new_database

from .support import dump

JOURNAL = JournalRecord.__table__
DOCUMENTS = Document.__table__
CONTENT_COLUMNS = [
    c.name for c in DOCUMENTS.columns if c.name not in ("id", "status")
]  # everything but the status, which moves draft -> final -> superseded


def _drop_protection(cf: Coopflow) -> None:
    """What someone with the database owner's rights can do."""
    with cf.engine.begin() as conn:
        if cf.engine.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER coopflow_journal_append_only ON coopflow_journal"))
            conn.execute(text("DROP TRIGGER coopflow_document_immutable ON coopflow_document"))
            # and the check that a record's author is the login writing it
            conn.execute(text("DROP TRIGGER coopflow_journal_author ON coopflow_journal"))
        else:
            for name in (
                "journal_no_update",
                "journal_no_delete",
                "document_no_update",
                "document_no_delete",
            ):
                conn.execute(text(f"DROP TRIGGER coopflow_{name}"))


def _execute(cf: Coopflow, statement: Any, **params: Any) -> None:
    with cf.engine.begin() as conn:
        conn.execute(text(statement) if isinstance(statement, str) else statement, params)


def _problems(cf: Coopflow, ref: str | None = None) -> list[str]:
    return [str(p) for p in cf.verify(ref).problems]


def _evidence_ok(cf: Coopflow, ref: str | None = None) -> bool:
    """Nothing but the protections dropped by the test is reported."""
    return all(p.reference == "database" for p in cf.verify(ref).problems)


def _four_records(cf: Coopflow) -> str:
    """creation, the exchange logged ("change"), ouvrir_dialogue, revenir_accueil."""
    ref = scenario.in_dialogue(cf)
    cf.fire(ref, "revenir_accueil", scenario.STAFF, comment="Pause estivale")
    return ref


def _protocol_docs(cf: Coopflow, ref: str) -> dict[int, DocumentInfo]:
    return {d.version: d for d in cf.documents_of(ref) if d.kind == "protocole"}


# -------------------------------------------------------------------- what the database refuses


def test_database_refuses_changing_any_journal_column(cf: Coopflow) -> None:
    """Every column of a journal record is refused an UPDATE, and a record its DELETE."""
    ref = _four_records(cf)
    for column in JOURNAL.columns:
        if column.name == "id":
            continue
        with pytest.raises(DBAPIError, match="append-only"), cf.engine.begin() as conn:
            conn.execute(text(f"UPDATE coopflow_journal SET {column.name} = {column.name}"))
    with pytest.raises(DBAPIError, match="append-only"), cf.engine.begin() as conn:
        conn.execute(text("DELETE FROM coopflow_journal WHERE seq = 3"))
    assert len(cf.history(ref)) == 4 and cf.verify().ok


def test_database_refuses_changing_a_stored_documents_content(cf: Coopflow) -> None:
    """Every content column of a stored document is refused an UPDATE, and a document its
    DELETE; only the status may change."""
    ref = scenario.in_legal_review(cf)
    for column in CONTENT_COLUMNS:
        with pytest.raises(DBAPIError, match="append-only"), cf.engine.begin() as conn:
            conn.execute(text(f"UPDATE coopflow_document SET {column} = {column}"))
    with pytest.raises(DBAPIError, match="append-only"), cf.engine.begin() as conn:
        conn.execute(text("DELETE FROM coopflow_document"))
    # only the status moves
    _execute(cf, "UPDATE coopflow_document SET status = status")
    assert len(cf.documents_of(ref)) == 1 and cf.verify().ok


@pytest.mark.parametrize("table", ["coopflow_journal", "coopflow_document"])
def test_database_refuses_emptying_the_journal_or_the_documents(cf: Coopflow, table: str) -> None:
    """PostgreSQL's TRUNCATE skips row triggers; SQLite's equivalent is an unqualified DELETE."""
    ref = scenario.in_legal_review(cf)
    before = cf.history(ref)
    statement = (
        f"TRUNCATE {table}" if cf.engine.dialect.name == "postgresql" else f"DELETE FROM {table}"
    )
    with pytest.raises(DBAPIError, match="append-only"), cf.engine.begin() as conn:
        conn.execute(text(statement))
    assert cf.verify().ok
    assert cf.history(ref) == before and cf.documents_of(ref) != []


# -------------------------------------------------------------------- the journal


EDITS: dict[str, Any] = {
    "event": "approuver",
    "source_state": "contractualisation.redaction",
    "target_state": "contractualisation.en_vigueur",
    "actor": "mallory",
    "role": "admin",
    "at": lambda at: at + dt.timedelta(microseconds=1),
    "comment": "ajouté après coup",
    "data": '{"motif":"autre"}',
    "workflow_version": lambda version: version + 1,
    "document_sha256": "f" * 64,
    "hash": "0" * 64,
}


def test_verify_names_each_edited_journal_field(cf: Coopflow) -> None:
    """Each field of record 2 edited in turn (then restored): verify names record 2 as edited."""
    ref = _four_records(cf)
    _drop_protection(cf)
    with cf.engine.connect() as conn:
        row = conn.execute(select(JOURNAL).where(JOURNAL.c.seq == 2)).mappings().one()
    for column, value in EDITS.items():
        new = value(row[column]) if callable(value) else value
        _execute(cf, update(JOURNAL).where(JOURNAL.c.id == row["id"]).values({column: new}))
        problem = cf.verify(ref).first_broken
        assert problem is not None, f"editing {column} went unnoticed"
        assert (problem.reference, problem.seq) == (ref, 2), (column, str(problem))
        assert "edited" in problem.message, (column, str(problem))
        _execute(cf, update(JOURNAL).where(JOURNAL.c.id == row["id"]).values({column: row[column]}))
        assert _evidence_ok(cf, ref), f"restoring {column}"


def test_verify_names_a_record_that_no_longer_follows(cf: Coopflow) -> None:
    """A record whose predecessor's hash was changed: verify names it."""
    ref = _four_records(cf)
    _drop_protection(cf)
    _execute(cf, "UPDATE coopflow_journal SET prev_hash = :h WHERE seq = 3", h="1" * 64)
    problem = cf.verify(ref).first_broken
    assert problem is not None and problem.seq == 3
    assert "does not follow" in problem.message


def test_verify_names_a_deleted_first_record(cf: Coopflow) -> None:
    """The creation record deleted: verify names record 1 as missing."""
    ref = _four_records(cf)
    _drop_protection(cf)
    _execute(cf, "DELETE FROM coopflow_journal WHERE seq = 1")
    problem = cf.verify(ref).first_broken
    assert problem is not None and (problem.seq, problem.message) == (1, "record 1 is missing")


def test_verify_names_a_forged_record_appended_to_a_chain(cf: Coopflow) -> None:
    """A record added at the end, with a correct hash chained to the last one, but which the
    partnership's head (its last record) does not know: it is the first broken one."""
    ref = _four_records(cf)
    _drop_protection(cf)
    last = cf.history(ref)[-1]
    at = dt.datetime.now(dt.UTC)
    forged = dict(
        seq=last.seq + 1,
        event="ouvrir_dialogue",
        source_state="accueil",
        target_state="dialogue",
        actor="mallory",
        role="staff",
        at=at,
        comment=None,
        data="{}",
        workflow_name="cooperation",
        workflow_version=1,
        document_sha256=None,
        prev_hash=last.hash,
    )
    digest = record_hash(reference=ref, programme=None, **forged)
    with cf.engine.begin() as conn:
        pid = conn.execute(
            text("SELECT id FROM coopflow_partnership WHERE reference = :r"), {"r": ref}
        ).scalar_one()
        conn.execute(JOURNAL.insert().values(partnership_id=pid, hash=digest, **forged))
    problem = cf.verify(ref).first_broken
    assert problem is not None
    assert problem.seq == last.seq + 1, str(problem)
    assert "deleted" not in problem.message, str(problem)


def test_verify_detects_a_partnership_row_deleted_behind_its_journal(
    cf: Coopflow, migrated_url: str
) -> None:
    """Deleting a partnership row (foreign keys off: the sqlite3 shell's default; on
    PostgreSQL, a superuser's replica mode) leaves its journal records without their chain's
    owner: verify must say so instead of reporting everything fine."""
    kept = scenario.in_dialogue(cf)
    gone = scenario.in_accueil(cf, "ville-de-saintes")
    with cf.engine.connect() as conn:
        pid = conn.execute(
            text("SELECT id FROM coopflow_partnership WHERE reference = :r"), {"r": gone}
        ).scalar_one()
    statements = [
        f"DELETE FROM coopflow_partnership_party WHERE partnership_id = {pid}",
        f"DELETE FROM coopflow_partnership WHERE id = {pid}",
    ]
    if cf.engine.dialect.name == "sqlite":
        database = make_url(migrated_url).database
        assert database is not None
        raw = sqlite3.connect(database)
        with raw:
            for statement in statements:
                raw.execute(statement)
        raw.close()
    else:
        with cf.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in statements:
                conn.execute(text(statement))
    assert [p.reference for p in cf.partnerships()] == [kept]
    report = cf.verify()
    assert not report.ok, "a whole partnership disappeared and verify reports nothing"


def test_verify_detects_a_partnership_state_changed_behind_the_journal(cf: Coopflow) -> None:
    """The state changed by hand, with no journal record: verify says it differs."""
    ref = _four_records(cf)
    _execute(cf, "UPDATE coopflow_partnership SET state = 'contractualisation.en_vigueur'")
    assert any("differs from the journal" in p for p in _problems(cf, ref))


def test_verify_detects_a_programme_state_changed_behind_the_journal(cf: Coopflow) -> None:
    """A programme's state is journaled like the partnership's: moving it to "cloture" by hand
    (no COPIL approval, no assessment) must not verify."""
    ref = scenario.in_drafting(cf)
    label = scenario.with_programme(cf, ref)
    cf.fire(ref, "revue_cotech", scenario.STAFF, programme=label)
    assert cf.verify(ref).ok
    _execute(cf, "UPDATE coopflow_programme SET state = 'cloture'")
    assert not cf.verify(ref).ok, "programme state changed behind its journal went unnoticed"


def test_verify_detects_a_renamed_programme(cf: Coopflow) -> None:
    """A programme's label is part of its records' hashes."""
    ref = scenario.in_drafting(cf)
    label = scenario.with_programme(cf, ref)
    cf.fire(ref, "revue_cotech", scenario.STAFF, programme=label)
    # the first record naming it: the programme's creation (a "change" record)
    first = next(e for e in cf.history(ref) if e.programme == label)
    assert first.event == "change"
    _execute(cf, "UPDATE coopflow_programme SET label = '2027-2029'")
    problem = cf.verify(ref).first_broken
    assert problem is not None and problem.seq == first.seq and "edited" in problem.message


# -------------------------------------------------------------------- documents


@dataclass
class Signed:
    """A signed partnership (draft v1 approved, final v2 signed), its protections dropped."""

    cf: Coopflow
    url: str
    ref: str
    draft: DocumentInfo
    final: DocumentInfo

    def problems(self) -> str:
        return " | ".join(_problems(self.cf, self.ref))


@pytest.fixture(scope="module", params=BACKENDS)
def signed_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Signed]:
    """Built once per backend; each test tampers, and the ``signed`` fixture restores."""
    url = new_database(str(request.param), tmp_path_factory.mktemp("tampering"), request)
    coopflow.migrate(url)
    with Coopflow(url) as cf:
        scenario.register_people(cf)
        ref = scenario.signed(cf)
        docs = _protocol_docs(cf, ref)
        _drop_protection(cf)
        yield Signed(cf, url, ref, docs[1], docs[2])


@pytest.fixture
def signed(signed_db: Signed) -> Iterator[Signed]:
    """The signed partnership, verified before the test and restored row by row after it."""
    assert _evidence_ok(signed_db.cf)
    tables = (DOCUMENTS, Protocol.__table__, Deliberation.__table__)
    with signed_db.cf.engine.connect() as conn:
        saved = {t: [dict(r) for r in conn.execute(select(t)).mappings()] for t in tables}
    original = dump(signed_db.url)
    yield signed_db
    with signed_db.cf.engine.begin() as conn:
        for table, rows in saved.items():
            for row in rows:
                conn.execute(update(table).where(table.c.id == row["id"]).values(row))
    assert dump(signed_db.url) == original


def test_verify_detects_swapped_document_bytes(signed: Signed) -> None:
    """The signed PDF's bytes replaced by the draft's, its SHA-256 left: verify names it."""
    draft_pdf = signed.cf.document_bytes(signed.draft.sha256)
    _execute(
        signed.cf,
        update(DOCUMENTS)
        .where(DOCUMENTS.c.sha256 == signed.final.sha256)
        .values(content=draft_pdf),
    )
    assert "document protocole v2: bytes do not match their SHA-256" in signed.problems()


def test_verify_detects_a_document_swapped_with_consistent_hashes(signed: Signed) -> None:
    """The signed PDF replaced by another one, rendered from doctored data, with its SHA-256,
    size, snapshot and hashes all consistent: the journal and the protocol still name the
    original, which is missing."""
    with signed.cf.engine.connect() as conn:
        stored = conn.execute(
            select(DOCUMENTS.c.snapshot).where(DOCUMENTS.c.sha256 == signed.final.sha256)
        ).scalar_one()
    snap = {**json.loads(stored), "means": "Un million d'euros par an."}
    doctored = Renderer().render(snap)
    _execute(
        signed.cf,
        update(DOCUMENTS)
        .where(DOCUMENTS.c.sha256 == signed.final.sha256)
        .values(
            content=doctored.pdf,
            sha256=doctored.sha256,
            size=doctored.size,
            snapshot=canonical_json(snap),
            snapshot_sha256=sha256_hex(canonical_json(snap)),
            content_sha256=content_sha256(snap),
        ),
    )
    problems = signed.problems()
    assert f"names document {signed.final.sha256}, which is missing" in problems
    assert "the signed protocol document is missing" in problems


def test_verify_detects_a_changed_snapshot_of_the_approved_document(signed: Signed) -> None:
    """The data snapshot stored with the document the legal department approved, changed."""
    _execute(
        signed.cf,
        "UPDATE coopflow_document SET snapshot = replace(snapshot, 'Libourne', 'Lormont')"
        " WHERE sha256 = :sha",
        sha=signed.draft.sha256,
    )
    assert "document protocole v1: stored snapshot was changed" in signed.problems()


def test_verify_detects_a_changed_snapshot_with_its_hash(signed: Signed) -> None:
    """The approved document's stored snapshot and its hash changed together: the snapshot
    embedded in the PDF no longer matches."""
    with signed.cf.engine.connect() as conn:
        snapshot = conn.execute(
            select(DOCUMENTS.c.snapshot).where(DOCUMENTS.c.sha256 == signed.draft.sha256)
        ).scalar_one()
    changed = snapshot.replace("Libourne", "Lormont")
    assert changed != snapshot
    _execute(
        signed.cf,
        update(DOCUMENTS)
        .where(DOCUMENTS.c.sha256 == signed.draft.sha256)
        .values(snapshot=changed, snapshot_sha256=sha256_hex(changed)),
    )
    assert "document protocole v1: embedded snapshot differs" in signed.problems()


def test_verify_detects_an_approval_pointing_at_other_content(signed: Signed) -> None:
    """The protocol's approved content hash changed: the approval and the signature no longer
    match their documents."""
    _execute(signed.cf, "UPDATE coopflow_protocol SET approved_content_sha256 = :h", h="a" * 64)
    problems = signed.problems()
    assert "the approved protocol document was swapped" in problems
    assert "the signed protocol differs from the approved content" in problems


def test_verify_detects_the_approved_document_swapped_for_another_version(signed: Signed) -> None:
    """The approval redirected to the final document: its content hash is the approved one,
    but the journal's approval record names the draft."""
    _execute(
        signed.cf,
        "UPDATE coopflow_protocol SET approved_document_sha256 = :h",
        h=signed.final.sha256,
    )
    assert not signed.cf.verify(signed.ref).ok, "the approval now names another document"


def test_verify_detects_the_signed_protocol_pointing_at_the_draft(signed: Signed) -> None:
    """The protocol's "signed document" redirected to the approved draft (same agreed content,
    but not the document that was signed): the journal's signature record names another."""
    _execute(
        signed.cf,
        "UPDATE coopflow_protocol SET signed_document_sha256 = :h",
        h=signed.draft.sha256,
    )
    assert signed.cf.detail(signed.ref)["signed_document_sha256"] == signed.draft.sha256
    assert not signed.cf.verify(signed.ref).ok, "the signed protocol now names the draft"


def test_verify_detects_a_deliberation_redirected_to_another_document(signed: Signed) -> None:
    """A délibération edited to name another document than the approved protocol the parties
    signed (as if the council had approved a different version)."""
    _execute(
        signed.cf,
        "UPDATE coopflow_deliberation SET document_sha256 = :h WHERE amendment = 0",
        h="b" * 64,
    )
    assert (
        f"names document {'b' * 64}, not the approved protocol the parties signed"
        in signed.problems()
    )


def test_verify_detects_a_deliberation_whose_number_or_dates_were_edited(signed: Signed) -> None:
    """The journal states each délibération as recorded: a number or a date edited in the table
    afterwards no longer matches it."""
    _execute(
        signed.cf,
        "UPDATE coopflow_deliberation SET number = '2027-999', published = NULL "
        "WHERE amendment = 0 AND number = '2027-121'",
    )
    assert (
        "délibération n° 2027-999 of la-cali differs from its journal record (number, published)"
        in signed.problems()
    )
