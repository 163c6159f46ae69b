"""The journal: append-only, hash-chained records of every fired event, and their verification.

Each partnership has one chain.  A record's hash is the SHA-256 of the canonical JSON of its
content, which includes the previous record's hash (64 zeros for the first record).  The
partnership row keeps the sequence number and hash of its last record, so a deleted or
truncated tail is detected as surely as an edited row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Insert, Table, Update, bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ._canonical import canonical_json, iso_date, sha256_hex, utc_iso
from ._context import Acting
from ._i18n import _, ngettext
from ._views import JournalEntry
from .errors import ConcurrentModificationError, DocumentError
from .models import (
    Deliberation,
    Document,
    JournalRecord,
    Partnership,
    Programme,
    Protocol,
)

GENESIS = "0" * 64
T = TypeVar("T")


def record_hash(
    *,
    reference: str,
    seq: int,
    programme: str | None,
    event: str,
    source_state: str | None,
    target_state: str,
    actor: str,
    role: str,
    at: dt.datetime,
    comment: str | None,
    data: str,
    workflow_name: str,
    workflow_version: int,
    document_sha256: str | None,
    prev_hash: str,
    identified_by: str | None = None,
    db_login: str | None = None,
    idempotency_key: str | None = None,
) -> str:
    """The hash of a journal record: the SHA-256 of the canonical JSON of everything it says
    and of its place in its partnership's chain (reference, ``seq``, ``prev_hash``).

    ``identified_by``, ``db_login`` (revision 0006) and ``idempotency_key`` (0007) are hashed
    when set: a record written before they existed keeps its hash."""
    content: dict[str, Any] = {
        "reference": reference,
        "seq": seq,
        "programme": programme,
        "event": event,
        "source_state": source_state,
        "target_state": target_state,
        "actor": actor,
        "role": role,
        "at": utc_iso(at),
        "comment": comment,
        "data": data,
        "workflow": [workflow_name, workflow_version],
        "document_sha256": document_sha256,
        "prev_hash": prev_hash,
    }
    if identified_by is not None:
        content["identified_by"] = identified_by
    if db_login is not None:
        content["db_login"] = db_login
    if idempotency_key is not None:
        content["idempotency_key"] = idempotency_key
    return sha256_hex(canonical_json(content))


@dataclass(frozen=True, slots=True)
class RecordContent:
    """What one journal record says, apart from its place in the chain (reference, sequence
    number, previous hash): the one definition both the writers (:func:`append`,
    :func:`advance`) and :func:`verify` hash through :func:`record_hash`.

    ``data`` is the record's data as stored: the canonical JSON text (build a record from a
    mapping with :meth:`of`)."""

    event: str
    source_state: str | None
    target_state: str
    actor: str
    role: str
    at: dt.datetime
    data: str
    workflow_name: str
    workflow_version: int
    comment: str | None = None
    document_sha256: str | None = None
    programme: str | None = None  # the programme's label, for a programme's event
    identified_by: str | None = None
    db_login: str | None = None
    idempotency_key: str | None = None  # the script step that fired it

    @classmethod
    def of(
        cls,
        *,
        event: str,
        source_state: str | None,
        target_state: str,
        acting: Acting,
        at: dt.datetime,
        data: Mapping[str, Any],
        workflow_name: str,
        workflow_version: int,
        comment: str | None = None,
        document_sha256: str | None = None,
        programme: str | None = None,
        idempotency_key: str | None = None,
    ) -> RecordContent:
        """A record by ``acting`` whose data is given as a mapping (stored as its canonical
        JSON)."""
        return cls(
            event=event,
            source_state=source_state,
            target_state=target_state,
            actor=acting.login,
            role=acting.role,
            at=at,
            data=canonical_json(dict(data)),
            workflow_name=workflow_name,
            workflow_version=workflow_version,
            comment=comment,
            document_sha256=document_sha256,
            programme=programme,
            identified_by=acting.identified_by,
            db_login=acting.db_login,
            idempotency_key=idempotency_key,
        )

    @classmethod
    def of_row(cls, rec: JournalRecord, programme: str | None) -> RecordContent:
        """The content of a stored record (``programme``: the label its programme_id names)."""
        return cls(
            event=rec.event,
            source_state=rec.source_state,
            target_state=rec.target_state,
            actor=rec.actor,
            role=rec.role,
            at=rec.at,
            data=rec.data,
            workflow_name=rec.workflow_name,
            workflow_version=rec.workflow_version,
            comment=rec.comment,
            document_sha256=rec.document_sha256,
            programme=programme,
            identified_by=rec.identified_by,
            db_login=rec.db_login,
            idempotency_key=rec.idempotency_key,
        )

    def digest(self, reference: str, seq: int, prev_hash: str) -> str:
        """The record's hash at position ``seq`` of ``reference``'s chain after ``prev_hash``."""
        return record_hash(
            reference=reference,
            seq=seq,
            programme=self.programme,
            event=self.event,
            source_state=self.source_state,
            target_state=self.target_state,
            actor=self.actor,
            role=self.role,
            at=self.at,
            comment=self.comment,
            data=self.data,
            workflow_name=self.workflow_name,
            workflow_version=self.workflow_version,
            document_sha256=self.document_sha256,
            prev_hash=prev_hash,
            identified_by=self.identified_by,
            db_login=self.db_login,
            idempotency_key=self.idempotency_key,
        )


@dataclass(frozen=True, slots=True)
class ChainHead:
    """Where a partnership's chain stands: what a write to it must know of the partnership row
    (read under its lock)."""

    id: int
    reference: str
    version: int
    journal_seq: int
    journal_head: str

    @classmethod
    def of(cls, p: Partnership) -> ChainHead:
        return cls(p.id, p.reference, p.version, p.journal_seq, p.journal_head)


def _next_record(
    head: ChainHead, content: RecordContent, programme: Programme | None
) -> dict[str, Any]:
    """The column values of the partnership's next journal record, its hash included (all
    but ``partnership_id``)."""
    assert content.programme == (programme.label if programme is not None else None)
    return _values(head, content, programme.id if programme is not None else None)


def _values(head: ChainHead, content: RecordContent, programme_id: int | None) -> dict[str, Any]:
    seq = head.journal_seq + 1
    return {
        "seq": seq,
        "event": content.event,
        "source_state": content.source_state,
        "target_state": content.target_state,
        "actor": content.actor,
        "role": content.role,
        "at": content.at,
        "comment": content.comment,
        "data": content.data,
        "workflow_name": content.workflow_name,
        "workflow_version": content.workflow_version,
        "document_sha256": content.document_sha256,
        "identified_by": content.identified_by,
        "db_login": content.db_login,
        "idempotency_key": content.idempotency_key,
        "prev_hash": head.journal_head,
        "hash": content.digest(head.reference, seq, head.journal_head),
        "programme_id": programme_id,
    }


def first_record(reference: str, content: RecordContent) -> dict[str, Any]:
    """The column values of a new partnership's first record (all but ``partnership_id``)."""
    return _values(ChainHead(0, reference, 1, 0, GENESIS), content, None)


def append(
    session: Session,
    partnership: Partnership,
    content: RecordContent,
    *,
    programme: Programme | None = None,
) -> JournalRecord:
    """Add the next record of the partnership's chain (the caller holds the partnership's lock),
    through the unit of work: for a partnership created in the same flush, a migration, a data
    entry or a render."""
    values = _next_record(ChainHead.of(partnership), content, programme)
    record = JournalRecord(partnership=partnership, **values)
    session.add(record)
    partnership.journal_seq = values["seq"]
    partnership.journal_head = values["hash"]
    return record


_PARTNERSHIP = cast(Table, Partnership.__table__)
_JOURNAL = cast(Table, JournalRecord.__table__)
_PROTOCOL = cast(Table, Protocol.__table__)
_ADVANCED = ("version", "journal_seq", "journal_head", "updated_at")
_RECORD_COLUMNS = [c.name for c in _JOURNAL.c if c.name != "id"]
#: The partnership's protocol marked ended or not (a fire into or out of an ended state):
#: SQLite's statement, run after the partnership's UPDATE.
_MARK_ENDED = (
    update(_PROTOCOL)
    .where(_PROTOCOL.c.partnership_id == bindparam("_id"))
    .values(ended=bindparam("protocol_ended"))
)


def _advance_statements(with_state: bool, marks_ended: bool) -> tuple[Update, Insert, Insert]:
    """The versioned UPDATE of the partnership, the INSERT of its next record, and both in one
    statement (PostgreSQL: the INSERT selects from the UPDATE's RETURNING, so it inserts
    nothing when the version changed; with ``marks_ended``, one more UPDATE in the same
    statement sets the protocol's ``ended`` marker for the row the first one changed).  Built
    once: compiled forms are cached and values travel as parameters."""
    changes: dict[str, Any] = {name: bindparam(name) for name in _ADVANCED}
    if with_state:
        changes["state"] = bindparam("state")
    advance = (
        update(_PARTNERSHIP)
        .where(
            _PARTNERSHIP.c.id == bindparam("_id"), _PARTNERSHIP.c.version == bindparam("_version")
        )
        .values(changes)
    )
    record = insert(_JOURNAL)
    moved = advance.returning(_PARTNERSHIP.c.id).cte("coopflow_moved")
    # The record's values are bound under other names: execution parameters named like the
    # partnership's columns would otherwise be added to the UPDATE's SET clause.
    columns = [
        moved.c.id
        if name == "partnership_id"
        else bindparam(f"record_{name}", type_=_JOURNAL.c[name].type)
        for name in _RECORD_COLUMNS
    ]
    chosen = select(*columns).select_from(moved)
    if marks_ended:
        marked = (
            update(_PROTOCOL)
            .where(_PROTOCOL.c.partnership_id == moved.c.id)
            .values(ended=bindparam("protocol_ended"))
            .cte("coopflow_marked")
        )
        chosen = chosen.add_cte(marked)
    both = (
        insert(_JOURNAL)
        .from_select(_RECORD_COLUMNS, chosen)
        .execution_options(preserve_rowcount=True)  # the driver's count of inserted rows
    )
    return advance, record, both


_STATEMENTS = {
    (with_state, marks_ended): _advance_statements(with_state, marks_ended)
    for with_state in (True, False)
    for marks_ended in (True, False)
}


def advance_on(
    connection: Connection,
    head: ChainHead,
    content: RecordContent,
    *,
    state: str | None,
    programme_id: int | None = None,
    ended: bool | None = None,
) -> tuple[JournalEntry, dict[str, Any]]:
    """A fire's writes on ``connection``, whose transaction holds the partnership's lock: the
    versioned UPDATE of the partnership (its ``state`` unless None, its version and journal
    head) and the INSERT of the next record — one statement on PostgreSQL (one round trip),
    two on SQLite (no round trip to save).  ``ended`` (None: leave it) is the protocol's
    ``ended`` marker when the fire enters or leaves a state in which the partnership has
    ended: on PostgreSQL part of the same statement, on SQLite one more.

    A concurrent change of the version raises ConcurrentModificationError.  Returns the record
    as the API shows it, and the partnership's new column values."""
    values = _values(head, content, programme_id)
    changes: dict[str, Any] = {
        "version": head.version + 1,
        "journal_seq": values["seq"],
        "journal_head": values["hash"],
        "updated_at": content.at,
    }
    if state is not None:
        changes["state"] = state
    advance, record, both = _STATEMENTS[(state is not None, ended is not None)]
    where = {"_id": head.id, "_version": head.version}
    if connection.dialect.name == "postgresql":
        record_values = {f"record_{name}": value for name, value in values.items()}
        marker = {} if ended is None else {"protocol_ended": ended}
        inserted = connection.execute(both, {**changes, **where, **record_values, **marker})
        if inserted.rowcount != 1:
            raise ConcurrentModificationError(head.reference, _("its version changed"))
    else:
        if connection.execute(advance, {**changes, **where}).rowcount != 1:
            raise ConcurrentModificationError(head.reference, _("its version changed"))
        connection.execute(record, {"partnership_id": head.id, **values})
        if ended is not None:
            connection.execute(_MARK_ENDED, {"_id": head.id, "protocol_ended": ended})
    entry = JournalEntry.of_values(values, head.reference, content.programme)
    return entry, changes


def advance(
    session: Session,
    partnership: Partnership,
    content: RecordContent,
    *,
    state: str | None,
    programme: Programme | None = None,
    ended: bool | None = None,
) -> JournalEntry:
    """:func:`advance_on` for a partnership loaded in ``session`` (the ORM path of a fire):
    Core statements on the session's connection, cheaper than the unit of work; the loaded
    partnership (and its protocol, if loaded) is brought up to date without being marked
    dirty."""
    assert content.programme == (programme.label if programme is not None else None)
    entry, changes = advance_on(
        session.connection(),
        ChainHead.of(partnership),
        content,
        state=state,
        programme_id=programme.id if programme is not None else None,
        ended=ended,
    )
    for name, value in changes.items():
        set_committed_value(partnership, name, value)
    if ended is not None:
        for loaded in list(session.identity_map.values()):
            if isinstance(loaded, Protocol) and loaded.partnership_id == partnership.id:
                set_committed_value(loaded, "ended", ended)
    return entry


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing that does not verify: where (``reference``, and ``seq``, the journal record,
    when one is named), what (``code``, stable, for hosts: ``record_edited``,
    ``document_missing``...; ``subject``, what the problem is about when it is not the record
    itself: ``protocol v2``, a délibération's number...) and ``message``, in the language of
    the moment it was found."""

    reference: str
    seq: int | None
    message: str
    #: A stable, machine-readable name of the problem (hosts read it, never the message).
    code: str = "broken"
    #: What the problem is about, when it is not the record: a document (``protocol v2``), a
    #: délibération (its number), a programme (its label)...
    subject: str | None = None

    def __str__(self) -> str:
        if self.seq:
            return _("{reference} record {seq}: {message}").format(
                reference=self.reference, seq=self.seq, message=self.message
            )
        return _("{reference}: {message}").format(reference=self.reference, message=self.message)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What :func:`verify` checked and what it found broken (the first break of each chain)."""

    partnerships: int
    records: int
    documents: int
    problems: tuple[Problem, ...] = field(default=())
    #: What is not broken but should be seen to (no recent checkpoint, an untrusted key...).
    warnings: tuple[str, ...] = field(default=())
    #: The checkpoint today's chains were shown to extend, if any (its sequence number).
    checkpoint: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_broken(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def summary(self) -> str:
        """What was verified, in one line, in the current language (``ok: 3 partnerships, 41
        journal records and 6 documents verified, extending checkpoint 12``); with problems,
        how many."""
        if self.problems:
            return ngettext("{n} problem found", "{n} problems found", len(self.problems)).format(
                n=len(self.problems)
            )
        counts = {
            "partnerships": ngettext(
                "{n} partnership", "{n} partnerships", self.partnerships
            ).format(n=self.partnerships),
            "records": ngettext("{n} journal record", "{n} journal records", self.records).format(
                n=self.records
            ),
            "documents": ngettext("{n} document", "{n} documents", self.documents).format(
                n=self.documents
            ),
        }
        if self.checkpoint is not None:
            return _(
                "ok: {partnerships}, {records} and {documents} verified, extending checkpoint "
                "{checkpoint}"
            ).format(checkpoint=self.checkpoint, **counts)
        return _("ok: {partnerships}, {records} and {documents} verified").format(**counts)

    def lines(self) -> list[str]:
        """The report as a person reads it, in the current language: the summary, each
        problem (``broken: ...``), each warning (``warning: ...``)."""
        return (
            [self.summary()]
            + [_("broken: {problem}").format(problem=problem) for problem in self.problems]
            + [_("warning: {message}").format(message=warning) for warning in self.warnings]
        )


def verify(
    session: Session,
    partnerships: Iterable[Partnership],
    content: Callable[[Session, Partnership, list[JournalRecord]], Iterable[Problem]] | None = None,
) -> VerifyReport:
    """Recompute every chain and document hash; name the first broken record of each chain.
    ``content`` checks each partnership's data against its (verified) journal."""
    problems: list[Problem] = []
    n_partnerships = n_records = n_documents = 0
    for p in partnerships:
        n_partnerships += 1
        programmes = session.execute(
            select(Programme.id, Programme.label, Programme.state).where(
                Programme.partnership_id == p.id
            )
        ).all()
        labels = {pid: label for pid, label, _state in programmes}
        states = {pid: state for pid, _label, state in programmes}
        records = list(
            session.scalars(
                select(JournalRecord)
                .where(JournalRecord.partnership_id == p.id)
                .order_by(JournalRecord.seq)
            )
        )
        n_records += len(records)
        chain_problems = list(_verify_chain(p, records, labels, states))
        problems.extend(chain_problems)
        docs = list(session.scalars(select(Document).where(Document.partnership_id == p.id)))
        n_documents += len(docs)
        problems.extend(_verify_documents(session, p, records, docs))
        problems.extend(_verify_deliberations(session, p, records))
        if content is not None and not any(x.reference == p.reference for x in chain_problems):
            problems.extend(content(session, p, records))
    return VerifyReport(n_partnerships, n_records, n_documents, tuple(problems))


def _verify_chain(
    p: Partnership,
    records: list[JournalRecord],
    labels: dict[int, str],
    states: dict[int, str],
) -> Iterable[Problem]:
    prev = GENESIS
    last_state: str | None = None
    programme_states: dict[int, str] = {}
    for expected_seq, rec in enumerate(records, start=1):
        if rec.seq != expected_seq:
            yield Problem(
                p.reference,
                expected_seq,
                _("record {seq} is missing").format(seq=expected_seq),
                "record_missing",
            )
            return
        if rec.prev_hash != prev:
            yield Problem(
                p.reference,
                rec.seq,
                _("does not follow the previous record's hash"),
                "record_unchained",
            )
            return
        label = labels.get(rec.programme_id) if rec.programme_id is not None else None
        digest = RecordContent.of_row(rec, label).digest(p.reference, rec.seq, rec.prev_hash)
        if digest != rec.hash:
            yield Problem(
                p.reference,
                rec.seq,
                _("content does not match its hash (edited)"),
                "record_edited",
            )
            return
        prev = rec.hash
        if rec.programme_id is None:
            last_state = rec.target_state
        else:
            programme_states[rec.programme_id] = rec.target_state
    if len(records) > p.journal_seq:
        yield Problem(
            p.reference,
            p.journal_seq + 1,
            _("is not in the partnership's chain, which ends at record {last} (added)").format(
                last=p.journal_seq
            ),
            "record_added",
        )
    elif p.journal_seq != len(records) or p.journal_head != prev:
        yield Problem(
            p.reference,
            len(records) + 1,
            _(
                "the chain ends at record {chain} but the partnership's last record is "
                "{last} (records deleted)"
            ).format(chain=len(records), last=p.journal_seq),
            "records_deleted",
        )
    elif last_state is not None and last_state != p.state:
        yield Problem(
            p.reference,
            None,
            _("state {state!r} differs from the journal's {journaled!r}").format(
                state=p.state, journaled=last_state
            ),
            "state_differs",
        )
    for pid, journaled in programme_states.items():
        if states.get(pid) != journaled:
            yield Problem(
                p.reference,
                None,
                _(
                    "programme {programme} is in state {state!r}, the journal's is {journaled!r}"
                ).format(
                    programme=labels.get(pid, pid), state=states.get(pid), journaled=journaled
                ),
                "programme_state_differs",
                str(labels.get(pid, pid)),
            )


def _verify_documents(  # noqa: PLR0912 - one check per kind of evidence
    session: Session, p: Partnership, records: list[JournalRecord], docs: list[Document]
) -> Iterable[Problem]:
    from coopflow.documents import extract_snapshot

    by_sha = {d.sha256: d for d in docs}
    for doc in docs:
        name = f"{doc.kind} v{doc.version}"
        content = doc.content
        if sha256_hex(content) != doc.sha256 or len(content) != doc.size:
            yield Problem(
                p.reference,
                None,
                _("document {document}: bytes do not match their SHA-256").format(document=name),
                "document_bytes_changed",
                name,
            )
            continue
        if sha256_hex(doc.snapshot) != doc.snapshot_sha256:
            yield Problem(
                p.reference,
                None,
                _("document {document}: stored snapshot was changed").format(document=name),
                "document_snapshot_changed",
                name,
            )
            continue
        try:
            embedded = canonical_json(extract_snapshot(content))
        except DocumentError as exc:
            yield Problem(
                p.reference,
                None,
                _("document {document}: unreadable ({error})").format(document=name, error=exc),
                "document_unreadable",
                name,
            )
            continue
        if embedded != doc.snapshot:
            yield Problem(
                p.reference,
                None,
                _("document {document}: embedded snapshot differs").format(document=name),
                "document_snapshot_differs",
                name,
            )
    named = {rec.document_sha256 for rec in records if rec.document_sha256 is not None}
    for rec in records:
        if rec.document_sha256 is not None and rec.document_sha256 not in by_sha:
            yield Problem(
                p.reference,
                rec.seq,
                _("names document {sha256}, which is missing").format(sha256=rec.document_sha256),
                "document_missing",
                rec.document_sha256,
            )
    for doc in docs:
        if doc.sha256 not in named:
            yield Problem(
                p.reference,
                None,
                _(
                    "document {document} ({sha256}…) is named by no journal record (added "
                    "outside coopflow)"
                ).format(document=f"{doc.kind} v{doc.version}", sha256=doc.sha256[:12]),
                "document_added",
                f"{doc.kind} v{doc.version}",
            )
    # Documents the journal does not name take no part in what the others' statuses must be.
    journaled = [
        (d, d.kind, d.subject, d.version, json.loads(d.snapshot)) for d in docs if d.sha256 in named
    ]
    for doc, expected in expected_statuses(journaled).items():
        if doc.status != expected:
            yield Problem(
                p.reference,
                None,
                _(
                    "document {document} is {status!r}, but its journal makes it {expected!r} "
                    "(status changed outside coopflow)"
                ).format(
                    document=f"{doc.kind} v{doc.version}", status=doc.status, expected=expected
                ),
                "document_status_changed",
                f"{doc.kind} v{doc.version}",
            )
    proto = session.scalars(select(Protocol).where(Protocol.partnership_id == p.id)).one_or_none()
    if proto is not None and proto.approved_document_sha256 is not None:
        approved = by_sha.get(proto.approved_document_sha256)
        if approved is None:
            yield Problem(
                p.reference,
                None,
                _("the approved protocol document is missing"),
                "approved_document_missing",
                proto.approved_document_sha256,
            )
        elif approved.content_sha256 != proto.approved_content_sha256:
            yield Problem(
                p.reference,
                None,
                _("the approved protocol document was swapped"),
                "approved_document_swapped",
                f"{approved.kind} v{approved.version}",
            )
        signing = next(
            (r for r in reversed(records) if "approved_document_sha256" in json.loads(r.data)),
            None,
        )
        if signing is not None and (
            signing.document_sha256 != proto.signed_document_sha256
            or json.loads(signing.data)["approved_document_sha256"]
            != proto.approved_document_sha256
        ):
            yield Problem(
                p.reference,
                signing.seq,
                _(
                    "the protocol's approved or signed document is not the one this signature "
                    "record names"
                ),
                "signature_record_differs",
            )
        if proto.signed_document_sha256 is not None:
            signed = by_sha.get(proto.signed_document_sha256)
            if signed is None:
                yield Problem(
                    p.reference,
                    None,
                    _("the signed protocol document is missing"),
                    "signed_document_missing",
                    proto.signed_document_sha256,
                )
            elif signed.content_sha256 != proto.approved_content_sha256:
                yield Problem(
                    p.reference,
                    None,
                    _("the signed protocol differs from the approved content"),
                    "signed_document_differs",
                    f"{signed.kind} v{signed.version}",
                )
            for number, deliberated in session.execute(
                select(Deliberation.number, Deliberation.document_sha256).where(
                    Deliberation.partnership_id == p.id, Deliberation.amendment == 0
                )
            ):
                if deliberated != proto.approved_document_sha256:
                    yield Problem(
                        p.reference,
                        None,
                        _(
                            "délibération n° {number} names document {sha256}, not the "
                            "approved protocol the parties signed"
                        ).format(number=number, sha256=deliberated),
                        "deliberation_document_differs",
                        number,
                    )


def expected_statuses(
    docs: Iterable[tuple[T, str, str, int, Mapping[str, Any]]],
) -> dict[T, str]:
    """The status each document must have, by its key: ``final`` or ``draft`` as it was
    produced (its snapshot, which the journal names through the PDF that embeds it, says
    which), and ``superseded`` once a later final version of the same kind and subject exists.

    ``docs``: (key, kind, subject, version, snapshot) of each document (``verify`` from the
    stored rows, ``verify-bundle`` from the PDFs)."""
    latest_final: dict[tuple[str, str], int] = {}
    produced: dict[T, tuple[str, str, int, str]] = {}
    for key, kind, subject, version, snapshot in docs:
        status = "final" if snapshot.get("status") == "final" else "draft"
        produced[key] = (kind, subject, version, status)
        if status == "final":
            latest_final[(kind, subject)] = max(latest_final.get((kind, subject), 0), version)
    return {
        key: "superseded" if version < latest_final.get((kind, subject), 0) else status
        for key, (kind, subject, version, status) in produced.items()
    }


_DELIBERATION_FIELDS = ("number", "sitting_date", "sent_to_prefecture", "published")


def _verify_deliberations(
    session: Session, p: Partnership, records: list[JournalRecord]
) -> Iterable[Problem]:
    """Each délibération as its last journal record states it (number, dates, document).

    Délibérations recorded before coopflow journaled them have no record and are not compared.
    """
    journaled: dict[tuple[str, int], tuple[JournalRecord, dict[str, Any]]] = {}
    for rec in records:
        if rec.event == "deliberation":
            data = json.loads(rec.data)
            journaled[(data["party"], data["amendment"])] = (rec, data)
    if not journaled:
        return
    keys = {m.party_id: m.party.key for m in p.members}
    rows = {
        (keys[d.party_id], d.amendment): d
        for d in session.scalars(select(Deliberation).where(Deliberation.partnership_id == p.id))
    }
    for (party, amendment), (rec, data) in journaled.items():
        row = rows.get((party, amendment))
        if row is None:
            yield Problem(
                p.reference,
                rec.seq,
                _("délibération n° {number} of {party} is missing").format(
                    number=data["number"], party=party
                ),
                "deliberation_missing",
                str(data["number"]),
            )
            continue
        stored = {
            "number": row.number,
            "sitting_date": row.sitting_date.isoformat(),
            "sent_to_prefecture": iso_date(row.sent_to_prefecture),
            "published": iso_date(row.published),
        }
        changed = [name for name in _DELIBERATION_FIELDS if stored[name] != data[name]]
        if row.document_sha256 != rec.document_sha256:
            changed.append("document")
        if changed:
            yield Problem(
                p.reference,
                rec.seq,
                _(
                    "délibération n° {number} of {party} differs from its journal record ({fields})"
                ).format(number=row.number, party=party, fields=", ".join(changed)),
                "deliberation_differs",
                row.number,
            )


def orphans(session: Session) -> list[Problem]:
    """The journal records whose partnership row is gone, by partnership id."""
    found = session.execute(
        select(JournalRecord.partnership_id, func.count())
        .where(
            ~select(Partnership.id).where(Partnership.id == JournalRecord.partnership_id).exists()
        )
        .group_by(JournalRecord.partnership_id)
        .order_by(JournalRecord.partnership_id)
    ).all()
    return [
        Problem(
            f"partnership #{pid}",
            None,
            ngettext(
                "{n} journal record whose partnership row is missing",
                "{n} journal records whose partnership row is missing",
                n,
            ).format(n=n),
            "orphan_records",
        )
        for pid, n in found
    ]
