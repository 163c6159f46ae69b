"""Evidence that holds against the database's own users (issue 13): every attack an owner of
the tables could try, on SQLite and PostgreSQL, is refused by the database or named by
``verify`` — or, when the attacker rewrote every hash with coopflow's own code, by
``verify --against`` a checkpoint signed outside the database."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import coopflow
import pytest
from coopflow import CheckpointSettings, Coopflow, OutputError, ProtectionsOff, _protections
from coopflow._canonical import sha256_hex
from coopflow._checkpoint import new_key, read_file
from coopflow._journal import RecordContent
from coopflow.models import JournalRecord, Partnership, Programme
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests import scenario
from tests.tsa import TestTSA

# ----------------------------------------------------------------------------- set-up


@dataclass
class Legal:
    """The legal department's key (outside the database) and the TSA's root certificate."""

    key: Path
    public: str
    tsa_root: Path
    published: Path

    def settings(self, tsa: TestTSA) -> CheckpointSettings:
        return CheckpointSettings(
            key=self.key, tsa_url=tsa.url, tsa_roots=(self.tsa_root,), folder=self.published
        )


@pytest.fixture
def legal(tmp_path: Path, tsa: TestTSA) -> Legal:
    keys = tmp_path / "legal-keys"
    keys.mkdir()
    public = new_key(keys / "checkpoint.pem")
    root = keys / "tsa-root.pem"
    root.write_bytes(tsa.root_pem)
    return Legal(keys / "checkpoint.pem", public, root, tmp_path / "published")


@pytest.fixture
def anchored(migrated_url: str, legal: Legal, tsa: TestTSA) -> Iterator[Coopflow]:
    """A Coopflow whose checkpoints are signed with the legal department's key."""
    with Coopflow(migrated_url, checkpoints=legal.settings(tsa)) as cf:
        yield cf


Statement = str | tuple[str, dict[str, object]]


def owner_sql(cf: Coopflow, url: str, statements: list[Statement]) -> None:
    """What the tables' owner can do: switch every protection off, change anything, and put
    the protections back as they were (``coopflow protections repair``), so that nothing
    but the data says what happened."""
    if cf.engine.dialect.name == "sqlite":
        database = make_url(url).database
        assert database is not None
        raw = sqlite3.connect(database)  # foreign keys off: the sqlite3 shell's default
        with raw:
            for name in _protections.SQLITE_TRIGGERS:
                raw.execute(f"DROP TRIGGER {name}")
            for statement in statements:
                sql, params = statement if isinstance(statement, tuple) else (statement, {})
                raw.execute(sql, params)
        raw.close()
    else:
        with cf.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # no foreign keys
            for trigger in _protections.PG_TRIGGERS:
                conn.execute(text(f"ALTER TABLE {trigger.table} DISABLE TRIGGER {trigger.name}"))
            for statement in statements:
                sql, params = statement if isinstance(statement, tuple) else (statement, {})
                conn.execute(text(sql), params)
    cf.repair_protections()
    assert cf.protections() == []


def pid_of(cf: Coopflow, ref: str) -> int:
    with cf.engine.connect() as conn:
        return int(
            conn.execute(select(Partnership.id).where(Partnership.reference == ref)).scalar_one()
        )


def rewrite_from(cf: Coopflow, url: str, ref: str, seq: int, comment: str) -> None:
    """Change record ``seq``'s comment and recompute every later hash, the partnership's head
    included, with coopflow's own code: the chain is consistent again."""
    pid = pid_of(cf, ref)
    with cf.engine.connect() as conn:
        journal = JournalRecord.__table__
        rows = list(
            conn.execute(
                select(journal).where(journal.c.partnership_id == pid).order_by(journal.c.seq)
            ).mappings()
        )
        labels = dict(conn.execute(select(Programme.id, Programme.label)).all())
    statements = []
    prev = rows[seq - 2]["hash"] if seq > 1 else "0" * 64
    for row in rows[seq - 1 :]:
        rec = JournalRecord(**dict(row))
        if rec.seq == seq:
            rec.comment = comment
        rec.prev_hash = prev
        content = RecordContent.of_row(rec, labels.get(rec.programme_id))
        digest = content.digest(ref, rec.seq, prev)
        quoted = comment.replace("'", "''")
        statements.append(
            f"UPDATE coopflow_journal SET prev_hash = '{prev}', hash = '{digest}'"
            + (f", comment = '{quoted}'" if rec.seq == seq else "")
            + f" WHERE id = {rec.id}"
        )
        prev = digest
    statements.append(f"UPDATE coopflow_partnership SET journal_head = '{prev}' WHERE id = {pid}")
    # Two records may not share a predecessor, even for a moment: move them aside first.
    statements.insert(
        0,
        f"UPDATE coopflow_journal SET prev_hash = 'x' || id WHERE partnership_id = {pid} "
        f"AND seq >= {seq}",
    )
    owner_sql(cf, url, statements)


def problems(report: coopflow.VerifyReport) -> list[str]:
    return [str(p) for p in report.problems]


# ----------------------------------------------------------------------------- checkpoints


def test_a_checkpoint_is_signed_timestamped_stored_and_published(
    anchored: Coopflow, legal: Legal
) -> None:
    ref = scenario.signed(anchored)  # the signature took one already (after_signature)
    taken = anchored.checkpoints()
    assert [c.seq for c in taken] == [1]
    assert taken[0].timestamped and taken[0].tree_size == 3  # 1 partnership, 2 registries
    published = read_file(legal.published / "coopflow-checkpoint-000001.json")
    checked = published.check(trusted_keys=[legal.public], tsa_roots=[legal.tsa_root.read_bytes()])
    assert checked.key_trusted and checked.tsa_rooted and checked.timestamp is not None
    leaf = next(x for x in published.leaves if x.chain == f"partnership/{ref}")
    assert (leaf.seq, leaf.head) == (len(anchored.history(ref)), anchored.history(ref)[-1].hash)
    report = anchored.verify()
    assert report.ok and report.checkpoint == 1 and report.warnings == ()
    # Nothing moved: --if-needed takes none; a fire later, it does.
    assert anchored.checkpoint(actor=scenario.STAFF, if_needed=True) is None
    anchored.fire(ref, "suspendre", scenario.STAFF, data={"motif": "autre"})
    assert anchored.checkpoint(actor=scenario.STAFF, if_needed=True) is not None
    assert [c.seq for c in anchored.checkpoints()] == [1, 2]


def test_a_missing_recent_checkpoint_is_reported(cf: Coopflow) -> None:
    scenario.in_dialogue(cf)
    report = cf.verify()
    assert report.ok
    assert any("no checkpoint anchors this journal" in w for w in report.warnings)


def test_a_checkpoint_signed_with_another_key_is_refused(
    anchored: Coopflow, legal: Legal, tmp_path: Path
) -> None:
    scenario.signed(anchored)
    other = new_key(tmp_path / "mallory.pem")
    report = anchored.verify(
        against=legal.published / "coopflow-checkpoint-000001.json", trusted_keys=[other]
    )
    # the configured key is trusted too: the checkpoint verifies; with only Mallory's key...
    assert report.ok
    stranger = Coopflow(anchored.engine)
    found = stranger.verify(
        against=legal.published / "coopflow-checkpoint-000001.json", trusted_keys=[other]
    )
    assert not found.ok and "not a trusted key" in problems(found)[0]


def test_a_checkpoint_forged_by_the_attacker_is_refused(anchored: Coopflow, legal: Legal) -> None:
    """A checkpoint file whose statement was edited (the root changed) no longer matches its
    signature."""
    scenario.signed(anchored)
    path = legal.published / "coopflow-checkpoint-000001.json"
    value = json.loads(path.read_text("utf-8"))
    value["statement"]["root"] = "0" * 64
    value.pop("statement_sha256")
    forged = path.with_name("forged.json")
    forged.write_text(json.dumps(value), "utf-8")
    report = anchored.verify(against=forged)
    assert not report.ok
    assert "signature does not match the statement" in problems(report)[0]


# ----------------------------------------------------------------------------- the attacks


def test_a_rewritten_chain_is_named_against_a_checkpoint(
    anchored: Coopflow, migrated_url: str, legal: Legal
) -> None:
    """Record 3 edited and every later hash recomputed with coopflow's own code, the head
    pointer too: the chain is consistent, but not the one the checkpoint signed."""
    ref = scenario.signed(anchored)
    rewrite_from(anchored, migrated_url, ref, 3, "tout va bien")
    assert anchored.history(ref)[2].comment == "tout va bien"
    report = anchored.verify()  # the stored checkpoint is compared with
    assert not report.ok
    assert any(f"{ref} record" in p and "rewritten" in p for p in problems(report))
    # The attacker also deletes the stored checkpoints: the published file still says.
    owner_sql(anchored, migrated_url, ["DELETE FROM coopflow_checkpoint"])
    inner = anchored.verify()
    assert inner.ok, "the rewritten chain is consistent in itself"
    assert any("no checkpoint" in w for w in inner.warnings)
    against = anchored.verify(against=legal.published / "coopflow-checkpoint-000001.json")
    assert not against.ok
    named = [p for p in against.problems if p.reference == ref]
    assert named and "rewritten" in named[0].message, problems(against)


def test_a_truncated_tail_is_named_against_a_checkpoint(
    anchored: Coopflow, migrated_url: str, legal: Legal
) -> None:
    """The last records (the signature, then the legal approval's aftermath) cut off and the
    partnership's head set back to the record before: consistent, and named."""
    ref = scenario.signed(anchored)
    history = anchored.history(ref)
    keep = history[-4]
    pid = pid_of(anchored, ref)
    owner_sql(
        anchored,
        migrated_url,
        [
            f"DELETE FROM coopflow_journal WHERE partnership_id = {pid} AND seq > {keep.seq}",
            f"UPDATE coopflow_partnership SET journal_seq = {keep.seq}, journal_head = "
            f"'{keep.hash}', state = '{keep.target_state}' WHERE id = {pid}",
            "DELETE FROM coopflow_checkpoint",
        ],
    )
    against = anchored.verify(against=legal.published / "coopflow-checkpoint-000001.json")
    assert not against.ok
    assert any(
        p.reference == ref and p.seq == len(history) and "truncated" in p.message
        for p in against.problems
    ), problems(against)


def test_a_deleted_partnership_is_named_against_a_checkpoint(
    anchored: Coopflow, migrated_url: str, legal: Legal
) -> None:
    """A whole partnership deleted with its journal, documents and data."""
    gone = scenario.signed(anchored)
    kept = scenario.in_dialogue(anchored, "ville-de-saintes")
    anchored.checkpoint(actor=scenario.STAFF)
    pid = pid_of(anchored, gone)
    tables = [
        "coopflow_journal",
        "coopflow_document",
        "coopflow_deliberation",
        "coopflow_signatory",
        "coopflow_protocol",
        "coopflow_exchange",
        "coopflow_partnership_party",
    ]
    owner_sql(
        anchored,
        migrated_url,
        [
            *(f"DELETE FROM {t} WHERE partnership_id = {pid}" for t in tables),
            f"DELETE FROM coopflow_commitment WHERE axis_id IN (SELECT id FROM coopflow_axis "
            f"WHERE partnership_id = {pid})",
            f"DELETE FROM coopflow_stake WHERE axis_id IN (SELECT id FROM coopflow_axis "
            f"WHERE partnership_id = {pid})",
            f"DELETE FROM coopflow_axis WHERE partnership_id = {pid}",
            f"DELETE FROM coopflow_partnership WHERE id = {pid}",
            "DELETE FROM coopflow_checkpoint",
        ],
    )
    assert [p.reference for p in anchored.partnerships()] == [kept]
    assert anchored.verify().ok, "nothing is left in the database to say it existed"
    against = anchored.verify(against=legal.published / "coopflow-checkpoint-000002.json")
    assert [p.reference for p in against.problems] == [gone]
    assert "deleted" in against.problems[0].message


def test_a_forged_final_protocol_is_named(cf: Coopflow, migrated_url: str, tmp_path: Path) -> None:
    """A new document row, a copy of the signed protocol as 'v3 final' (its content could say
    anything): no journal record names it."""
    ref = scenario.signed(cf)
    pid = pid_of(cf, ref)
    signed = next(d for d in cf.documents_of(ref) if d.status == "final")
    forged = cf.document_bytes(signed.sha256) + b"% article 6: 10 000 000 EUR par an\n"
    columns = (
        "partnership_id, kind, subject, template_name, template_sha256, snapshot, "
        "snapshot_sha256, content_sha256, created_by, created_at"
    )
    owner_sql(
        cf,
        migrated_url,
        [
            (
                f"INSERT INTO coopflow_document (version, status, sha256, size, content, "
                f"{columns}) SELECT 3, 'final', :sha, :size, :content, {columns} FROM "
                f"coopflow_document WHERE partnership_id = {pid} AND version = 2",
                {"sha": sha256_hex(forged), "size": len(forged), "content": forged},
            ),
            f"UPDATE coopflow_document SET status = 'superseded' WHERE partnership_id = {pid} "
            "AND version = 2",
        ],
    )
    found = problems(cf.verify(ref))
    assert any("v3" in p and "named by no journal record" in p for p in found), found
    # ...and the export's manifest says so too.
    manifest = cf.export(ref, tmp_path / "export", actor=scenario.STAFF)
    content = json.loads((manifest.parent / f"{ref}-export.json").read_text("utf-8"))
    assert not content["verified"]
    assert any("named by no journal record" in p for p in content["problems"])


def test_a_status_change_is_refused_by_the_database_and_named_by_verify(
    cf: Coopflow, migrated_url: str
) -> None:
    ref = scenario.signed(cf)
    pid = pid_of(cf, ref)
    for status in ("superseded", "draft"):
        with pytest.raises(DBAPIError, match="status"), cf.engine.begin() as conn:
            conn.execute(
                text(
                    f"UPDATE coopflow_document SET status = '{status}' WHERE partnership_id = "
                    f"{pid} AND version = 2"
                )
            )
    with pytest.raises(DBAPIError, match="status"), cf.engine.begin() as conn:
        conn.execute(
            text(
                f"UPDATE coopflow_document SET status = 'final' WHERE partnership_id = {pid} "
                "AND version = 1"
            )
        )
    assert cf.verify(ref).ok
    # With the trigger off for a moment, the signed protocol hidden from the export:
    owner_sql(
        cf,
        migrated_url,
        [f"UPDATE coopflow_document SET status = 'superseded' WHERE partnership_id = {pid}"],
    )
    found = problems(cf.verify(ref))
    assert any("protocole v2 is 'superseded'" in p and "'final'" in p for p in found), found


def test_a_programme_state_changed_in_sql_is_named(cf: Coopflow, migrated_url: str) -> None:
    ref = scenario.in_drafting(cf)
    label = scenario.with_programme(cf, ref)
    owner_sql(cf, migrated_url, ["UPDATE coopflow_programme SET state = 'cloture'"])
    found = problems(cf.verify(ref))
    assert any(f"programme {label} is in state 'cloture'" in p for p in found), found


def test_a_partnership_state_changed_in_sql_is_named(cf: Coopflow, migrated_url: str) -> None:
    ref = scenario.in_dialogue(cf)
    owner_sql(
        cf, migrated_url, ["UPDATE coopflow_partnership SET state = 'contractualisation.signe'"]
    )
    assert any("differs from the journal" in p for p in problems(cf.verify(ref)))


def test_sqlite_insert_or_replace_cannot_destroy_a_record_or_a_pdf(
    cf: Coopflow, migrated_url: str
) -> None:
    if cf.engine.dialect.name != "sqlite":
        pytest.skip("INSERT OR REPLACE is SQLite's")
    ref = scenario.signed(cf)
    database = make_url(migrated_url).database
    assert database is not None
    before = [(d.version, d.sha256) for d in cf.documents_of(ref)]
    raw = sqlite3.connect(database)
    for statement in (
        "INSERT OR REPLACE INTO coopflow_journal SELECT * FROM coopflow_journal WHERE seq = 2",
        "REPLACE INTO coopflow_document (id, partnership_id, kind, subject, version, "
        "template_name, template_sha256, snapshot, snapshot_sha256, content_sha256, sha256, size,"
        " content, created_by, created_at, status) SELECT id, partnership_id, kind, subject, "
        "version, template_name, template_sha256, snapshot, snapshot_sha256, content_sha256, "
        "sha256, size, x'00', created_by, created_at, status FROM coopflow_document "
        "WHERE version = 2",
        "INSERT OR REPLACE INTO coopflow_registry_journal SELECT * FROM "
        "coopflow_registry_journal WHERE seq = 1",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="replacing a stored row"):
            raw.execute(statement)
    raw.close()
    assert [(d.version, d.sha256) for d in cf.documents_of(ref)] == before
    assert cf.verify().ok


# ----------------------------------------------------------------------------- protections off


def _switch_off(cf: Coopflow, how: str) -> None:
    with cf.engine.begin() as conn:
        if how == "dropped":
            name = (
                "coopflow_journal_no_update"
                if cf.engine.dialect.name == "sqlite"
                else ("coopflow_journal_append_only ON coopflow_journal")
            )
            conn.execute(text(f"DROP TRIGGER {name}"))
        elif how == "replaced" and cf.engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER coopflow_journal_no_update"))
            conn.execute(
                text(
                    "CREATE TRIGGER coopflow_journal_no_update BEFORE UPDATE ON coopflow_journal "
                    "BEGIN SELECT 1; END"
                )
            )
        elif how == "replaced":
            conn.execute(
                text(
                    "CREATE OR REPLACE FUNCTION coopflow_refuse_change() RETURNS trigger "
                    "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$"
                )
            )
        elif how == "disabled":
            conn.execute(
                text("ALTER TABLE coopflow_journal DISABLE TRIGGER coopflow_journal_append_only")
            )


@pytest.mark.parametrize("how", ["dropped", "replaced", "disabled"])
def test_protections_switched_off_are_named_and_nothing_is_written(
    migrated_url: str, how: str
) -> None:
    with Coopflow(migrated_url) as cf:
        if how == "disabled" and cf.engine.dialect.name == "sqlite":
            pytest.skip("SQLite cannot disable a trigger (only drop or replace it)")
        ref = scenario.in_dialogue(cf)
        _switch_off(cf, how)
        found = cf.protections()
        assert found, "switched off, and nobody noticed"
        report = cf.verify(ref)
        assert not report.ok
        assert any(
            p.reference == "database" and "protection off" in p.message for p in report.problems
        )
    # A fire on a new connection refuses to run, and says why; nothing is written.
    with Coopflow(migrated_url) as cf:
        length = len(cf.history(ref))
        with pytest.raises(ProtectionsOff, match="protections repair"):
            cf.fire(ref, "suspendre", scenario.STAFF, data={"motif": "autre"})
        assert len(cf.history(ref)) == length
    with pytest.raises(ProtectionsOff):
        coopflow.migrate(migrated_url)  # init refuses too
    with Coopflow(migrated_url) as cf:
        assert cf.repair_protections() == found
        cf.fire(ref, "suspendre", scenario.STAFF, data={"motif": "autre"})
        assert cf.verify(ref).ok


def test_replica_mode_does_not_switch_the_triggers_off(cf: Coopflow) -> None:
    if cf.engine.dialect.name != "postgresql":
        pytest.skip("session_replication_role is PostgreSQL's")
    ref = scenario.in_dialogue(cf)
    with cf.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("UPDATE coopflow_journal SET comment = 'x'"))
    with cf.engine.connect() as conn:
        conn.execute(text("SET session_replication_role = replica"))
        assert any("session_replication_role" in p for p in _protections.problems(conn))
        conn.execute(text("RESET session_replication_role"))
    assert cf.verify(ref).ok


# ----------------------------------------------------------------------------- idempotency keys


def test_a_comment_cannot_spoof_a_script_step(cf: Coopflow) -> None:
    """A comment holding ``[script:<name>#<step>]`` is only text: the step still runs."""
    ref = scenario.in_dialogue(cf)
    cf.fire(ref, "revenir_accueil", scenario.STAFF, comment="voir [script:plan#1] [script:plan#2]")
    cf.fire(ref, "ouvrir_dialogue", scenario.STAFF)
    assert cf.idempotency_keys(ref) == frozenset()
    info = cf.partnership(ref)
    lead = f'lead = "{info.lead}"' if info.lead else ""
    script = f"""
[script]
name = "plan"
actor = "marie.dupont"

[[partnerships]]
reference = "{ref}"
title = "{info.title}"
scale = "{info.scale}"
home = "{info.home}"
{lead}
parties = {json.dumps(list(info.parties))}

[[partnerships.steps]]
event = "revenir_accueil"

[[partnerships.steps]]
event = "ouvrir_dialogue"
"""
    report = coopflow.apply_script(cf, script)
    done = [o.item for o in report.outcomes if o.status == "done"]
    assert done == ["step 1", "step 2"], [(o.item, o.status, o.detail) for o in report.outcomes]
    assert cf.idempotency_keys(ref) == {"script:plan#1", "script:plan#2"}


def test_an_idempotency_key_fires_once(cf: Coopflow) -> None:
    ref = scenario.in_dialogue(cf)
    cf.fire(ref, "revenir_accueil", scenario.STAFF, idempotency_key="ticket-42")
    with pytest.raises(coopflow.AlreadyExistsError, match="ticket-42"):
        cf.fire(ref, "ouvrir_dialogue", scenario.STAFF, idempotency_key="ticket-42")
    assert cf.history(ref)[-1].idempotency_key == "ticket-42"
    # the database refuses a second record with the key, whoever writes it
    pid = pid_of(cf, ref)
    with pytest.raises(DBAPIError), cf.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE coopflow_journal SET idempotency_key = 'ticket-42' "
                f"WHERE partnership_id = {pid} AND seq = 1"
            )
        )


# ----------------------------------------------------------------------------- export paths


def test_export_reduces_names_from_data_and_stays_in_its_folder(
    cf: Coopflow, tmp_path: Path
) -> None:
    ref = scenario.in_drafting(cf)
    label = scenario.with_programme(cf, ref, label="2020/../../x")
    cf.render(ref, "programme", subject=label, actor=scenario.STAFF)
    out = tmp_path / "deep" / "export"
    manifest = cf.export(ref, out, actor=scenario.STAFF)
    written = {p.name for p in out.iterdir()}
    assert manifest.parent == out and all((out / name).is_file() for name in written)
    assert not (tmp_path / "x").exists() and not list(tmp_path.glob("*.pdf"))
    assert all("/" not in name and not name.startswith(".") for name in written)


def test_export_does_not_follow_a_link_nor_overwrite(cf: Coopflow, tmp_path: Path) -> None:
    ref = scenario.signed(cf)
    out = tmp_path / "export"
    out.mkdir()
    target = tmp_path / "precious.txt"
    target.write_text("mine", "utf-8")
    (out / f"{ref}-manifest.json").symlink_to(target)
    with pytest.raises(OutputError, match="symbolic link"):
        cf.export(ref, out, actor=scenario.STAFF)
    assert target.read_text("utf-8") == "mine"
    (out / f"{ref}-manifest.json").unlink()
    cf.export(ref, out, actor=scenario.STAFF)
    cf.export(ref, out, actor=scenario.STAFF)  # the same bundle again: nothing to overwrite
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    cf.fire(ref, "suspendre", scenario.STAFF, data={"motif": "autre"})
    with pytest.raises(OutputError, match="other content"):
        cf.export(ref, out, actor=scenario.STAFF)  # a newer journal: refused, not overwritten
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing written


# ----------------------------------------------------------------------------- the bundle


def test_a_bundle_verifies_offline_and_a_changed_byte_is_named(
    anchored: Coopflow, legal: Legal, tsa: TestTSA, tmp_path: Path
) -> None:
    ref = scenario.signed(anchored)
    out = tmp_path / "bundle"
    anchored.export(ref, out, actor=scenario.STAFF)
    anchored.close()  # no database from here on
    trusted = {"trusted_keys": [legal.public], "tsa_roots": [tsa.root_pem]}
    report = coopflow.verify_bundle(out, **trusted)
    assert report.ok, report.lines()
    assert report.anchored_records == 24 and report.anchored_at is not None
    assert report.warnings == []
    text_ = "\n".join(report.lines())
    assert "the bundle is intact" in text_ and "timestamped" in text_
    for name in sorted(p.name for p in out.iterdir()):
        path = out / name
        original = path.read_bytes()
        changed = bytearray(original)
        changed[len(changed) // 2] ^= 0x01
        path.write_bytes(bytes(changed))
        broken = coopflow.verify_bundle(out, **trusted)
        path.write_bytes(original)
        assert not broken.ok, f"one byte of {name} changed went unnoticed"
        assert any(name in p for p in broken.problems) or name.endswith("-manifest.json"), (
            name,
            broken.problems,
        )
    assert coopflow.verify_bundle(out, **trusted).ok


def test_a_bundle_whose_journal_was_rewritten_consistently_is_refused(
    anchored: Coopflow, tmp_path: Path, legal: Legal, tsa: TestTSA
) -> None:
    """The journal file and the manifest rewritten together with coopflow's own code (every
    hash recomputed): the checkpoint's proof no longer meets the journal."""
    from coopflow._canonical import sha256_hex
    from coopflow._journal import record_hash

    ref = scenario.signed(anchored)
    out = tmp_path / "bundle"
    manifest_path = anchored.export(ref, out, actor=scenario.STAFF)
    journal_path = out / f"{ref}-journal.json"
    journal = json.loads(journal_path.read_text("utf-8"))
    prev = "0" * 64
    for rec in journal["records"]:
        if rec["seq"] == 3:
            rec["comment"] = "tout va bien"
        rec["prev_hash"] = prev
        fields = {k: v for k, v in rec.items() if k not in ("hash", "at")}
        rec["hash"] = prev = record_hash(
            reference=ref, at=dt.datetime.fromisoformat(rec["at"]), **fields
        )
    journal_path.write_text(json.dumps(journal), "utf-8")
    manifest = json.loads(manifest_path.read_text("utf-8"))
    manifest["journal"]["head"] = prev
    for entry in manifest["files"]:
        if entry["file"] == journal_path.name:
            entry["sha256"] = sha256_hex(journal_path.read_bytes())
    manifest_path.write_text(json.dumps(manifest), "utf-8")
    report = coopflow.verify_bundle(out, trusted_keys=[legal.public], tsa_roots=[tsa.root_pem])
    assert not report.ok
    assert any(f"{ref}-proof.json" in p and "rewritten" in p for p in report.problems)


def test_a_signature_in_a_transaction_is_checkpointed_once_it_commits(
    anchored: Coopflow,
) -> None:
    """``coopflow apply`` signs inside one transaction: the checkpoint follows its commit (a
    dry run takes none)."""
    ref = scenario.in_deliberations(anchored)
    scenario.record_deliberations(anchored, ref, ("bordeaux-metropole", "la-cali"))
    sign = {"date_signature": scenario.SIGNED_ON, "lieu": "Libourne"}
    with anchored.transaction(dry_run=True) as tx:
        tx.fire(ref, "signer", scenario.ELECTED, data=sign)
    assert anchored.checkpoints() == []
    with anchored.transaction() as tx:
        tx.fire(ref, "signer", scenario.ELECTED, data=sign)
        assert anchored.checkpoints() == []  # not before the commit
    taken = anchored.checkpoints()
    assert [c.seq for c in taken] == [1] and taken[0].taken_by == scenario.ELECTED.id
    assert anchored.verify(ref).checkpoint == 1


def test_protections_switched_off_under_a_pooled_connection_are_noticed(
    cf: Coopflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection checked a while ago checks again: protections dropped while the pool
    kept it open stop the next write once the recheck is due."""
    ref = scenario.in_dialogue(cf)
    cf.fire(ref, "revenir_accueil", scenario.STAFF)  # the pooled connection is checked
    _switch_off(cf, "dropped")
    cf.fire(ref, "ouvrir_dialogue", scenario.STAFF)  # within the minute: not checked again
    monkeypatch.setattr(_protections, "RECHECK_SECONDS", 0.0)
    with pytest.raises(ProtectionsOff, match="is missing"):
        cf.fire(ref, "revenir_accueil", scenario.STAFF)
    cf.repair_protections()
    cf.fire(ref, "revenir_accueil", scenario.STAFF)


def test_a_checkpoint_that_cannot_be_published_is_stored_and_says_so(
    anchored: Coopflow, legal: Legal
) -> None:
    legal.published.mkdir()
    (legal.published / "coopflow-checkpoint-000001.json").write_text("someone else's", "utf-8")
    with pytest.raises(coopflow.EvidenceError, match="is stored, but was not published"):
        anchored.checkpoint(actor=scenario.STAFF)
    assert [c.seq for c in anchored.checkpoints()] == [1]
    assert (legal.published / "coopflow-checkpoint-000001.json").read_text("utf-8") == (
        "someone else's"
    )
    again = anchored.checkpoint(actor=scenario.STAFF)  # the next one is published
    assert again is not None and (legal.published / "coopflow-checkpoint-000002.json").is_file()


def test_a_bundle_cut_back_to_an_older_checkpoint_is_named_with_the_published_one(
    anchored: Coopflow, legal: Legal, tsa: TestTSA, tmp_path: Path
) -> None:
    """An old export (sealed by checkpoint 1) shown as today's: the published checkpoint 2
    sealed more of the chain than the bundle holds."""
    ref = scenario.signed(anchored)
    anchored.export(ref, tmp_path / "old", actor=scenario.STAFF)
    anchored.fire(ref, "suspendre", scenario.STAFF, data={"motif": "autre"})
    anchored.checkpoint(actor=scenario.STAFF)
    published = read_file(legal.published / "coopflow-checkpoint-000002.json")
    trusted = {"trusted_keys": [legal.public], "tsa_roots": [tsa.root_pem]}
    assert coopflow.verify_bundle(tmp_path / "old", **trusted).ok  # alone, it is consistent
    old = coopflow.verify_bundle(tmp_path / "old", **trusted, published=published)
    assert not old.ok and any("no. 2" in p and "cut short" in p for p in old.problems)
    anchored.export(ref, tmp_path / "new", actor=scenario.STAFF)
    assert coopflow.verify_bundle(tmp_path / "new", **trusted, published=published).ok
