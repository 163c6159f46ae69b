"""Documents as staff ask for them: rendering a draft (journaled), reading stored versions, the
snapshot a document would be made from, and the export folder for the legal department."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coopflow import _bundle as bundle
from coopflow import _journal
from coopflow._canonical import canonical_json, sha256_hex
from coopflow._context import Acting
from coopflow._documents import DocumentInfo, DocumentPlan, DocumentStore
from coopflow._domain import checkpoints
from coopflow._domain.lookup import find_partnership
from coopflow._files import OutputFolder, safe_name
from coopflow._i18n import _
from coopflow._vocabulary import KINDS, Kind
from coopflow.errors import NotFoundError, ValidationError
from coopflow.models import Document, JournalRecord, Partnership, Programme, Protocol, utcnow

if TYPE_CHECKING:
    from coopflow.documents import RenderedDocument
from sqlalchemy import select
from sqlalchemy.orm import Session


def plan(
    session: Session, documents: DocumentStore, reference: str, kind: Kind, subject: str
) -> tuple[int, DocumentInfo | DocumentPlan]:
    """What rendering the current draft would do, and the partnership's version it was
    planned on: the latest stored version when nothing changed, else the version to render
    and its snapshot."""
    if kind not in KINDS:
        raise ValidationError(
            _("unknown document kind {kind!r} (kinds: {kinds})").format(
                kind=kind, kinds=", ".join(KINDS)
            ),
            field="kind",
        )
    p = find_partnership(session, reference)
    planned = documents.plan(session, p, kind, subject, final=False)  # subject normalised
    if isinstance(planned, Document):
        return p.version, DocumentInfo.of(planned, reference)
    return p.version, planned


def store(
    session: Session,
    documents: DocumentStore,
    p: Partnership,
    planned: DocumentPlan,
    rendered: RenderedDocument,
    acting: Acting,
) -> tuple[DocumentInfo, list[DocumentInfo]]:
    """Store a rendered draft with its journal record (event ``document``), so that no stored
    document lacks one.  The caller holds the partnership's lock and has checked that the
    plan is still what the data says."""
    produced: list[DocumentInfo] = []
    doc = documents.store(session, p, planned, rendered, created_by=acting.login, produced=produced)
    journal_document(session, p, doc, acting)
    return DocumentInfo.of(doc, p.reference), produced


def journal_document(
    session: Session,
    p: Partnership,
    doc: Document,
    acting: Acting,
    *,
    at: dt.datetime | None = None,
) -> None:
    """The journal record (event ``document``) of a document stored outside a fire's own
    record: a rendered draft, or the consolidated protocol a signed avenant produces (``at``:
    the fire's moment, so that the journal's times never go back)."""
    _journal.append(
        session,
        p,
        _journal.RecordContent.of(
            event="document",
            source_state=p.state,
            target_state=p.state,
            acting=acting,
            at=at or utcnow(),
            data={"kind": doc.kind, "subject": doc.subject, "version": doc.version},
            workflow_name=p.workflow_name,
            workflow_version=p.workflow_version,
            document_sha256=doc.sha256,
        ),
    )
    p.updated_at = utcnow()


def documents_of(session: Session, reference: str) -> list[DocumentInfo]:
    """Every stored document of a partnership, by kind, subject and version."""
    p = find_partnership(session, reference)
    return [
        DocumentInfo.of(d, reference)
        for d in session.scalars(
            select(Document)
            .where(Document.partnership_id == p.id)
            .order_by(Document.kind, Document.subject, Document.version)
        )
    ]


def document_bytes(session: Session, sha256: str) -> bytes:
    pdf = session.scalar(select(Document.content).where(Document.sha256 == sha256).limit(1))
    if pdf is None:
        raise NotFoundError("document", sha256)
    return pdf


def snapshot(
    session: Session, documents: DocumentStore, reference: str, kind: Kind, subject: str
) -> str:
    """The canonical JSON snapshot a document would be rendered from now."""
    p = find_partnership(session, reference)
    return canonical_json(documents.snapshot(session, p, kind, subject, final=False))


def export(session: Session, reference: str, folder: Path, report: _journal.VerifyReport) -> Path:
    """Write the partnership's evidence bundle to ``folder`` (see :mod:`coopflow._bundle`):
    every stored PDF (the journal names each; the one the legal department approved is named
    ``...-approved.pdf``), the journal's records, the latest checkpoint that
    covers them with its signature and timestamp token, the proof tying the partnership's chain
    to it, and a JSON manifest (hashes, journal references, ``report``: today's verification).
    Names built from data are reduced to a safe set; nothing inside the folder is followed or
    overwritten (:class:`coopflow._files.OutputFolder`).  Returns the manifest's path."""
    p = find_partnership(session, reference)
    proto = session.scalars(select(Protocol).where(Protocol.partnership_id == p.id)).first()
    approved = proto.approved_document_sha256 if proto else None
    # Every document: the journal names each, and the bundle must hold all it names.
    docs = list(
        session.scalars(
            select(Document)
            .where(Document.partnership_id == p.id)
            .order_by(Document.kind, Document.subject, Document.version)
        )
    )
    labels = dict(
        session.execute(
            select(Programme.id, Programme.label).where(Programme.partnership_id == p.id)
        ).all()
    )
    records = list(
        session.scalars(
            select(JournalRecord)
            .where(JournalRecord.partnership_id == p.id)
            .order_by(JournalRecord.seq)
        )
    )
    base = safe_name(reference, what="reference")
    files: dict[str, bytes] = {}
    entries = []
    for d in docs:
        info = DocumentInfo.of(d, reference)
        # The version legal approved is named so, whatever came after it.
        name = (
            info.filename.replace(f"-{d.status}.pdf", "-approved.pdf")
            if d.sha256 == approved
            else info.filename
        )
        files[name] = d.content
        entries.append(
            {
                "file": name,
                "kind": d.kind,
                "subject": d.subject,
                "version": d.version,
                "status": d.status,
                "approved_by_legal": d.sha256 == approved,
                "sha256": d.sha256,
                "size": d.size,
                "snapshot_sha256": d.snapshot_sha256,
                "content_sha256": d.content_sha256,
                "journal": [
                    {"seq": r.seq, "event": r.event, "hash": r.hash}
                    for r in records
                    if r.document_sha256 == d.sha256
                ],
            }
        )
    journal = bundle.journal_json(
        reference,
        [
            bundle.record_json(r, labels[r.programme_id] if r.programme_id else None)
            for r in records
        ],
    )
    files[f"{base}-journal.json"] = journal
    anchor = checkpoints.covering(session, reference)
    evidence: dict[str, Any] = {"journal": f"{base}-journal.json", "checkpoint": None}
    if anchor is not None:
        signed = checkpoints.as_file(anchor)
        files[f"{base}-checkpoint.json"] = (signed.text(with_leaves=False) + "\n").encode()
        files[f"{base}-proof.json"] = bundle.proof_json(signed, reference)
        evidence.update(
            checkpoint=f"{base}-checkpoint.json",
            proof=f"{base}-proof.json",
            checkpoint_seq=signed.seq,
        )
    # What the database said at export, and of which templates: evidence of nothing itself,
    # but a file of the bundle whose hash the manifest holds.
    files[f"{base}-export.json"] = (
        json.dumps(
            {
                "format": bundle.FORMAT,
                "reference": reference,
                "verified": report.ok,
                "problems": [str(x) for x in report.problems],
                "warnings": list(report.warnings),
                "templates": {
                    e["file"]: {"name": d.template_name, "sha256": d.template_sha256}
                    for e, d in zip(entries, docs, strict=True)
                },
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    ).encode()
    evidence["export"] = f"{base}-export.json"
    # Everything in the manifest is what the evidence says (verify-bundle derives it again).
    manifest = {
        "format": bundle.FORMAT,
        "reference": reference,
        "title": p.title,
        "state": p.state,
        "database": checkpoints.database_id(session),
        "journal": {"records": p.journal_seq, "head": p.journal_head},
        "documents": entries,
        "evidence": evidence,
        "files": [{"file": name, "sha256": sha256_hex(data)} for name, data in files.items()],
    }
    manifest_name = f"{base}-manifest.json"
    files[manifest_name] = bundle.manifest_text(manifest).encode()  # written last
    with OutputFolder(folder) as out:
        out.write_all(files)
        return out.path / manifest_name
