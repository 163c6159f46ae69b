"""The evidence chain: data snapshots, rendering, and the stored documents.

A document is rendered from a snapshot of the database (see ``coopflow.documents.snapshot``)
and stored whole: bytes, SHA-256, the snapshot and its hash, the template's name and hash.
For a protocol, the *content* hash covers what the parties agree to (parties, axes, commitments,
governance, period...) and leaves out what happens after legal review (délibérations,
signatories, signature, status): legal approval names one document, and the protocol may be
deliberated and signed only while its content hash is still the approved one.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import _articles as articles
from . import _visas as visas
from ._canonical import canonical_json, iso_date, sha256_hex
from ._i18n import _
from ._validate import positive_int
from ._vocabulary import NATURES, SCALES, Kind
from .errors import NotFoundError, ValidationError
from .models import (
    Action,
    Amendment,
    Axis,
    Deliberation,
    Document,
    FinancialCommitment,
    Partnership,
    Party,
    Programme,
    Protocol,
    Signatory,
    aware,
    utcnow,
)

if TYPE_CHECKING:  # coopflow.documents imports WeasyPrint: only its types are needed here
    from coopflow._workflow import WorkflowSet
    from coopflow.documents import RenderedDocument
    from coopflow.documents.snapshot import (
        AmendmentSnapshot,
        Article,
        AvenantSnapshot,
        AxisSnapshot,
        ChangeSnapshot,
        Civility,
        ConsolidatedSnapshot,
        DeliberationSnapshot,
        FinancialCommitmentSnapshot,
        PartySnapshot,
        ProgrammeSnapshot,
        ProtocolSnapshot,
        SignatorySnapshot,
        Snapshot,
    )

# Keys of a protocol snapshot that are not part of its agreed content.
_EXECUTION_KEYS = frozenset(
    {"document_version", "status", "deliberations", "signatories", "signature", "amendments"}
)


def _status(final: bool) -> Literal["projet", "final"]:
    return "final" if final else "projet"


def content_sha256(snapshot: Mapping[str, Any]) -> str:
    """Hash of what a document says, leaving out its version, status and execution data."""
    content = {k: v for k, v in snapshot.items() if k not in _EXECUTION_KEYS}
    return sha256_hex(canonical_json(content))


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _civility(value: str | None) -> Civility | None:
    return "Madame" if value == "Madame" else "Monsieur" if value == "Monsieur" else None


def _article(value: str) -> Article:
    return cast("Article", value if value in ("le", "la", "l'", "les") else "")


def _change(stored: Mapping[str, Any]) -> ChangeSnapshot:
    """A stored change of an avenant, with every key a snapshot's change has."""
    return {
        "operation": stored.get("operation", articles.FREE),
        "article": stored.get("article"),
        "new_article": stored.get("new_article"),
        "title": stored.get("title"),
        "text": stored.get("text"),
    }


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """A stored document, without its bytes."""

    id: int
    reference: str
    kind: str
    subject: str
    version: int
    status: str
    sha256: str
    size: int
    snapshot_sha256: str
    content_sha256: str
    template_name: str
    template_sha256: str
    created_by: str
    created_at: dt.datetime

    @classmethod
    def of(cls, doc: Document, reference: str) -> DocumentInfo:
        return cls(
            id=doc.id,
            reference=reference,
            kind=doc.kind,
            subject=doc.subject,
            version=doc.version,
            status=doc.status,
            sha256=doc.sha256,
            size=doc.size,
            snapshot_sha256=doc.snapshot_sha256,
            content_sha256=doc.content_sha256,
            template_name=doc.template_name,
            template_sha256=doc.template_sha256,
            created_by=doc.created_by,
            created_at=aware(doc.created_at),
        )

    @property
    def filename(self) -> str:
        """The file name it is exported under: the reference and subject (a programme's label
        may hold any character) reduced to a safe set (``coopflow._files.safe_name``)."""
        from coopflow._files import safe_name

        reference = safe_name(self.reference, what="reference")
        subject = f"-{safe_name(self.subject, what='subject')}" if self.subject else ""
        return f"{reference}-{self.kind}{subject}-v{self.version}-{self.status}.pdf"


#: The longest render_timeout accepted, in seconds (a day), as ``coopflow.documents`` checks it.
LONGEST_RENDER_S = 86_400


def check_render_timeout(value: object, field: str = "render_timeout") -> float:
    """``value`` as the seconds one document may take to render: a number more than 0 and at
    most a day (checked here, before WeasyPrint is imported, so that ``Coopflow(...)`` refuses
    it at once and names ``field``)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 < value <= LONGEST_RENDER_S
    ):
        raise ValidationError(
            _("{value!r} is not a number of seconds more than 0 and at most {limit}").format(
                value=value, limit=LONGEST_RENDER_S
            ),
            field=field,
        )
    return float(value)


class DocumentStore:
    """Builds snapshots, renders them and stores the documents of one coopflow instance."""

    def __init__(
        self,
        template_dir: Path | None = None,
        *,
        max_pages: int | None = None,
        render_timeout: float | None = None,
        workflows: WorkflowSet | None = None,
    ) -> None:
        self._template_dir = template_dir
        #: The definitions, to ask a programme's state what it allows (``running``: the
        #: calendar marks the day of production).
        self.workflows = workflows
        #: The renderer's limits given (``max_pages``, ``max_seconds``): the others are its own.
        self._limits: dict[str, Any] = {}
        if max_pages is not None:
            self._limits["max_pages"] = max_pages
        if render_timeout is not None:
            self._limits["max_seconds"] = check_render_timeout(render_timeout)
        self._renderer: Any = None
        self._visas: visas.Visas | None = None
        self._lock = threading.Lock()
        #: Called (after commit) with each document produced; set by the Coopflow facade.
        self.on_produced: Callable[[DocumentInfo], None] | None = None

    def renderer(self) -> Any:
        """The renderer, built once (Jinja environment and fonts are reused across renders)."""
        with self._lock:
            if self._renderer is None:
                from coopflow.documents import Renderer

                self._renderer = Renderer(self._template_dir, **self._limits)
            return self._renderer

    # ------------------------------------------------------------------ snapshots

    @staticmethod
    def _party(party: Party, partnership: Partnership) -> PartySnapshot:
        return {
            "key": party.key,
            "official_name": party.official_name,
            "usual_name": party.usual_name,
            "nature": party.nature,
            "nature_label": NATURES.get(party.nature, party.nature),
            "siren": party.siren,
            "seat": party.seat,
            "deliberative_body": party.deliberative_body,
            "executive_title": party.executive_title,
            "executive_civility": _civility(party.executive_civility),
            "article": _article(party.article),
            "usual_article": _article(party.usual_article),
            "tribunal": party.tribunal,
            "country": party.country,
            "language": party.language,
            "original_name": party.original_name,
            "original_executive_title": party.original_executive_title,
            "original_deliberative_body": party.original_deliberative_body,
            "is_home": party.id == partnership.home_party_id,
            "is_lead": party.id == partnership.lead_party_id,
        }

    def _parties(self, session: Session, p: Partnership) -> list[PartySnapshot]:
        return [self._party(m.party, p) for m in p.members]

    @staticmethod
    def _keys(p: Partnership) -> dict[int, str]:
        return {m.party_id: m.party.key for m in p.members}

    def _deliberations(
        self, session: Session, p: Partnership, amendment: int | None = None
    ) -> list[DeliberationSnapshot]:
        keys = self._keys(p)
        order = {m.party_id: m.position for m in p.members}
        stmt = select(Deliberation).where(Deliberation.partnership_id == p.id)
        if amendment is not None:
            stmt = stmt.where(Deliberation.amendment == amendment)
        rows = sorted(session.scalars(stmt), key=lambda d: (d.amendment, order[d.party_id]))
        return [
            {
                "party_key": keys[d.party_id],
                "amendment": d.amendment,
                "number": d.number,
                "sitting_date": d.sitting_date.isoformat(),
                "sent_to_prefecture": iso_date(d.sent_to_prefecture),
                "published": iso_date(d.published),
                "executoire": d.executoire,
            }
            for d in rows
        ]

    def _signatories(self, session: Session, p: Partnership) -> list[SignatorySnapshot]:
        keys = self._keys(p)
        order = {m.party_id: m.position for m in p.members}
        rows = sorted(
            session.scalars(select(Signatory).where(Signatory.partnership_id == p.id)),
            key=lambda s: order[s.party_id],
        )
        return [
            {
                "party_key": keys[s.party_id],
                "civility": _civility(s.civility),
                "first_name": s.first_name,
                "last_name": s.last_name,
                "title": s.title,
                "delegation": {
                    "number": s.delegation_number,
                    "date": s.delegation_date.isoformat(),
                }
                if s.delegation_number is not None and s.delegation_date is not None
                else None,
            }
            for s in rows
        ]

    @staticmethod
    def _amendment(a: Amendment) -> AmendmentSnapshot:
        return {
            "number": a.number,
            "subject": a.subject,
            "motives": a.motives,
            "changes": [_change(c) for c in a.changes],
            "signed_on": iso_date(a.signed_on),
        }

    def signed_amendments(
        self, session: Session, p: Partnership, *, through: int | None = None
    ) -> list[AmendmentSnapshot]:
        """The signed avenants, in order (up to n° ``through``)."""
        stmt = (
            select(Amendment)
            .where(
                Amendment.partnership_id == p.id,
                Amendment.signed_on.is_not(None),
                Amendment.withdrawn_on.is_(None),  # a withdrawn avenant never counts as signed
            )
            .order_by(Amendment.number)
        )
        if through is not None:
            stmt = stmt.where(Amendment.number <= through)
        return [self._amendment(a) for a in session.scalars(stmt)]

    def visas(self) -> visas.Visas:
        """The organisation's visas (``visas.toml``), read once."""
        with self._lock:
            if self._visas is None:
                self._visas = visas.load(self._template_dir)
            return self._visas

    def _legal_visas(self, p: Partnership) -> list[str]:
        return visas.resolve(self.visas(), [m.party.nature for m in p.members], p.scale)

    def _money(self, session: Session, p: Partnership) -> list[FinancialCommitmentSnapshot]:
        keys = self._keys(p)
        order = {m.party_id: m.position for m in p.members}
        rows = sorted(
            session.scalars(
                select(FinancialCommitment).where(FinancialCommitment.partnership_id == p.id)
            ),
            key=lambda f: order.get(f.party_id, len(order)),
        )
        # A row for a party that is not a member (written in SQL) is verify's to name.
        return [
            {"party_key": keys[f.party_id], "amount": _amount(f.amount), "detail": f.detail}
            for f in rows
            if f.party_id in keys
        ]

    def _axes(self, session: Session, p: Partnership) -> list[AxisSnapshot]:
        keys = self._keys(p)
        axes = session.scalars(
            select(Axis).where(Axis.partnership_id == p.id).order_by(Axis.number)
        )
        return [
            {
                "number": a.number,
                "title": a.title,
                "objectives": list(a.objectives),
                "stakes": [{"title": s.title, "description": s.description} for s in a.stakes],
                "commitments": [
                    {"party_key": keys[c.party_id], "text": c.text} for c in a.commitments
                ],
            }
            for a in axes
        ]

    def protocol_snapshot(
        self, session: Session, p: Partnership, *, final: bool, version: int = 0
    ) -> ProtocolSnapshot:
        """The protocol as signed (or to be signed): the avenants amend it in the
        consolidated protocol (:meth:`consolidated_snapshot`), never in its own text."""
        proto = _protocol(session, p)
        snapshot: ProtocolSnapshot = {
            "kind": "protocole",
            "reference": p.reference,
            "document_version": version,
            "status": _status(final),
            "title": p.title,
            "scale": p.scale,
            "scale_label": SCALES[p.scale],
            "period": {
                "start": proto.period_start.isoformat(),
                "end": proto.period_end.isoformat(),
            },
            "visas": self._legal_visas(p),
            "preamble": list(proto.preamble),
            "governance": {
                "copil": proto.governance_copil,
                "cotech": proto.governance_cotech,
                "meetings_per_year": proto.meetings_per_year,
            },
            "means": proto.means,
            "financial_note": proto.financial_commitments,
            "financial_commitments": self._money(session, p),
            "prevailing_language": proto.prevailing_language,
            "parties": self._parties(session, p),
            "axes": self._axes(session, p),
            "deliberations": self._deliberations(session, p, 0),
            "signatories": self._signatories(session, p),
            "signature": {
                "place": proto.signature_place,
                "date": iso_date(proto.signature_date),
            },
            "amendments": [],
        }
        if proto.notice_months != 3:  # revision 0009's notice, stated only when not the default:
            snapshot["notice_months"] = proto.notice_months  # a snapshot before it keeps its hash
        return snapshot

    def consolidated_snapshot(
        self, session: Session, p: Partnership, through: int, *, final: bool, version: int = 0
    ) -> ConsolidatedSnapshot:
        """The protocol as its signed avenants up to n° ``through`` amended it.  Who signed it,
        and on which délibérations, are the signed protocol's (its stored final document's
        snapshot), not the signatories named since for an avenant."""
        amendments = self.signed_amendments(session, p, through=through)
        if not any(a["number"] == through for a in amendments):
            raise NotFoundError("signed avenant", through, within=p.reference)
        free = [a["number"] for a in amendments if articles.has_free(a["changes"])]
        if free:
            raise ValidationError(
                _(
                    "avenant n° {number} was written before changes aimed at articles (revision "
                    "0008): the protocol it amended cannot be consolidated"
                ).format(number=free[0]),
                field="subject",
            )
        protocol = self.protocol_snapshot(session, p, final=final, version=version)
        body: dict[str, Any] = {k: v for k, v in protocol.items() if k != "kind"}
        body.update(self._as_signed(session, p, protocol))
        return cast(
            "ConsolidatedSnapshot",
            {**body, "kind": "consolide", "through": through, "amendments": amendments},
        )

    def can_consolidate(self, session: Session, p: Partnership, through: int) -> bool:
        """Whether the signed avenants up to n° ``through`` all aim at articles."""
        return not any(
            articles.has_free(a["changes"])
            for a in self.signed_amendments(session, p, through=through)
        )

    def _as_signed(
        self, session: Session, p: Partnership, current: ProtocolSnapshot
    ) -> dict[str, Any]:
        """The parties, signatories, délibérations and signature of the signed protocol's
        stored snapshot, completed with today's fields a snapshot before revision 0008 lacks."""
        stored = session.scalar(
            select(Document.snapshot)
            .where(
                Document.partnership_id == p.id,
                Document.kind == "protocole",
                Document.status == "final",
            )
            .order_by(Document.version.desc())
            .limit(1)
        )
        if stored is None:
            return {}
        signed = json.loads(stored)
        today = {party["key"]: party for party in current["parties"]}
        return {
            "parties": [{**today.get(x["key"], {}), **x} for x in signed["parties"]],
            "signatories": [
                {"civility": None, "delegation": None, **x} for x in signed["signatories"]
            ],
            "deliberations": signed["deliberations"],
            "signature": signed["signature"],
        }

    def avenant_snapshot(
        self, session: Session, p: Partnership, number: int, *, final: bool, version: int = 0
    ) -> AvenantSnapshot:
        proto = _protocol(session, p)
        amendment = session.scalars(
            select(Amendment).where(Amendment.partnership_id == p.id, Amendment.number == number)
        ).one_or_none()
        if amendment is None:
            raise NotFoundError("avenant", number, within=p.reference)
        if amendment.withdrawn_on is not None:
            raise ValidationError(
                _(
                    "avenant n° {number} of {reference} was withdrawn on {date}: it is not "
                    "rendered again (its documents are kept)"
                ).format(
                    number=number,
                    reference=p.reference,
                    date=amendment.withdrawn_on.isoformat(),
                ),
                field="subject",
            )
        return {
            "kind": "avenant",
            "reference": p.reference,
            "document_version": version,
            "status": _status(final),
            "title": p.title,
            "period": {
                "start": proto.period_start.isoformat(),
                "end": proto.period_end.isoformat(),
            },
            "protocol_signed_on": iso_date(proto.signature_date),
            "visas": self._legal_visas(p),
            "amendment": self._amendment(amendment),
            "earlier_amendments": [
                a
                for a in self.signed_amendments(session, p, through=number - 1)
                if a["number"] < number
            ]
            if number > 1
            else [],
            "parties": self._parties(session, p),
            "deliberations": self._deliberations(session, p, number),
            "signatories": self._signatories(session, p),
            "signature": {"place": proto.signature_place, "date": iso_date(amendment.signed_on)},
        }

    def programme_snapshot(
        self, session: Session, p: Partnership, prog: Programme, *, final: bool, version: int = 0
    ) -> ProgrammeSnapshot:
        proto = _protocol(session, p)
        keys = self._keys(p)
        names = {m.party.key: m.party.usual_name or m.party.official_name for m in p.members}
        axes = {
            a.id: a
            for a in session.scalars(
                select(Axis).where(Axis.partnership_id == p.id).order_by(Axis.number)
            )
        }
        actions = session.scalars(
            select(Action).where(Action.programme_id == prog.id).order_by(Action.number)
        )
        return {
            "kind": "programme",
            "reference": p.reference,
            "document_version": version,
            "status": _status(final),
            "label": prog.label,
            "title": p.title,
            "period": {
                "start": prog.period_start.isoformat(),
                "end": prog.period_end.isoformat(),
            },
            "protocol_period": {
                "start": proto.period_start.isoformat(),
                "end": proto.period_end.isoformat(),
            },
            "protocol_signed_on": iso_date(proto.signature_date),
            "state": prog.state,
            "in_progress": self.workflows is not None
            and self.workflows.get(prog.workflow_name, prog.workflow_version).allows(
                prog.state, "running"
            ),
            "copil_date": iso_date(prog.copil_date),
            "parties": self._parties(session, p),
            "axes": [{"number": a.number, "title": a.title} for a in axes.values()],
            "actions": [
                {
                    "number": act.number,
                    "axis_number": axes[act.axis_id].number,
                    "title": act.title,
                    "objectives": act.objectives,
                    "lead_party_key": keys.get(act.lead_party_id) if act.lead_party_id else None,
                    "contact": act.contact,
                    "pilot": {
                        "name": act.pilot_name,
                        "function": act.pilot_function or "",
                        "email": act.pilot_email,
                    }
                    if act.pilot_name
                    else None,
                    "partners": list(act.partners),
                    "milestones": [
                        {"date": m.date.isoformat(), "label": m.label} for m in act.milestones
                    ],
                    "budget": [
                        {
                            "funder": b.funder,
                            "funder_name": names.get(b.funder, b.funder),
                            "party": b.funder in names,
                            "amount": _amount(b.amount),
                        }
                        for b in act.budget_lines
                    ],
                    "indicators": [
                        {
                            "name": i.name,
                            "unit": i.unit,
                            "target": _amount(i.target),
                            "actual": _amount(i.actual) if i.actual is not None else None,
                        }
                        for i in act.indicators
                    ],
                    "progress": act.progress,
                }
                for act in actions
            ],
        }

    # ------------------------------------------------------------------ storage

    def snapshot(
        self,
        session: Session,
        p: Partnership,
        kind: Kind,
        subject: str,
        *,
        final: bool,
        version: int = 0,
    ) -> Snapshot:
        """The snapshot of one document, as it would be rendered now."""
        if kind == "protocole":
            return self.protocol_snapshot(session, p, final=final, version=version)
        if kind in ("avenant", "consolide"):
            # The avenant's number (the consolidated protocol: the last avenant it includes).
            number = int(normal_subject(kind, subject))
            if kind == "avenant":
                return self.avenant_snapshot(session, p, number, final=final, version=version)
            return self.consolidated_snapshot(session, p, number, final=final, version=version)
        prog = session.scalars(
            select(Programme).where(Programme.partnership_id == p.id, Programme.label == subject)
        ).one_or_none()
        if prog is None:
            raise NotFoundError("programme", subject, within=p.reference)
        return self.programme_snapshot(session, p, prog, final=final, version=version)

    def latest(self, session: Session, p: Partnership, kind: str, subject: str) -> Document | None:
        return session.scalars(
            select(Document)
            .where(
                Document.partnership_id == p.id,
                Document.kind == kind,
                Document.subject == subject,
            )
            .order_by(Document.version.desc())
            .limit(1)
        ).one_or_none()

    def current_content_sha256(self, session: Session, p: Partnership) -> str:
        """Content hash of the protocol as the data stands now."""
        return content_sha256(self.protocol_snapshot(session, p, final=False))

    def current_avenant_content_sha256(self, session: Session, p: Partnership, number: int) -> str:
        """Content hash of avenant n° ``number``'s document as the data stands now (what its
        draft would say: what the legal department approves, and signing must still say)."""
        return content_sha256(self.avenant_snapshot(session, p, number, final=False))

    def plan(
        self, session: Session, p: Partnership, kind: Kind, subject: str, *, final: bool
    ) -> Document | DocumentPlan:
        """What producing a document would do now: the latest stored version when nothing
        changed, else the next version and the snapshot to render."""
        subject = normal_subject(kind, subject)
        latest = self.latest(session, p, kind, subject)
        renderer = self.renderer()
        status: Literal["draft", "final"] = "final" if final else "draft"
        if latest is not None and latest.status in (status, "final"):
            # Unchanged data gives the existing version back; a draft asked for after the final
            # document, with nothing changed since, is that final document.
            same = self.snapshot(
                session, p, kind, subject, final=latest.status == "final", version=latest.version
            )
            if latest.snapshot == canonical_json(
                same
            ) and latest.template_sha256 == renderer.template_sha256(kind):
                return latest
        version = (latest.version if latest is not None else 0) + 1
        snap = self.snapshot(session, p, kind, subject, final=final, version=version)
        # The moment the document is produced: its PDF's dates, and its created_at.
        moment = utcnow().replace(microsecond=0)
        return DocumentPlan(kind, subject, version, status, snap, canonical_json(snap), moment)

    def render(self, plan: DocumentPlan) -> RenderedDocument:
        """Render a planned document (WeasyPrint: no database work, no lock needed)."""
        renderer = self.renderer()
        with self._lock:
            rendered: RenderedDocument = renderer.render(
                plan.snapshot, produced_at=plan.produced_at
            )
        return rendered

    def store(
        self,
        session: Session,
        p: Partnership,
        plan: DocumentPlan,
        rendered: RenderedDocument,
        *,
        created_by: str,
        produced: list[DocumentInfo] | None = None,
    ) -> Document:
        """Store a rendered document; a final one supersedes every earlier version of the same
        kind and subject."""
        doc = Document(
            partnership_id=p.id,
            kind=plan.kind,
            subject=plan.subject,
            version=plan.version,
            template_name=rendered.template_name,
            template_sha256=rendered.template_sha256,
            snapshot=plan.snapshot_json,
            snapshot_sha256=sha256_hex(plan.snapshot_json),
            content_sha256=content_sha256(plan.snapshot),
            sha256=rendered.sha256,
            size=rendered.size,
            content=rendered.pdf,
            created_by=created_by,
            created_at=plan.produced_at,  # the moment its PDF says it was produced
            status=plan.status,
        )
        session.add(doc)
        session.flush()
        if plan.status == "final":
            # After the final version is stored: the database lets a status become superseded
            # only once a later final version exists.
            session.execute(
                update(Document)
                .where(
                    Document.partnership_id == p.id,
                    Document.kind == plan.kind,
                    Document.subject == plan.subject,
                    Document.version < plan.version,
                    Document.status != "superseded",
                )
                .values(status="superseded")
            )
        if produced is not None:
            produced.append(DocumentInfo.of(doc, p.reference))
        return doc

    def produce(
        self,
        session: Session,
        p: Partnership,
        kind: Kind,
        subject: str,
        *,
        final: bool,
        created_by: str,
        produced: list[DocumentInfo] | None = None,
    ) -> Document:
        """Render and store a document, or return the latest one if nothing changed, in the
        caller's transaction (an effect of a fire, under the partnership's lock)."""
        planned = self.plan(session, p, kind, subject, final=final)
        if isinstance(planned, Document):
            return planned
        rendered = self.render(planned)
        return self.store(session, p, planned, rendered, created_by=created_by, produced=produced)


@dataclass(frozen=True, slots=True)
class DocumentPlan:
    """A document to produce: its kind, subject, version, status and snapshot."""

    kind: Kind
    subject: str
    version: int
    status: Literal["draft", "final"]
    snapshot: Snapshot
    snapshot_json: str
    produced_at: dt.datetime  # UTC, to the second: the PDF's dates and the stored created_at


def normal_subject(kind: str, subject: str) -> str:
    """A document's subject as it is stored: an avenant's number (or, consolidated, the last
    avenant included) written ``"1"``, whether given as ``1``, ``" 1"`` or ``"01"``; a
    programme's label as given; none for the protocol."""
    if kind not in ("avenant", "consolide"):
        return subject
    text = str(subject).strip()
    if not text.isascii() or not text.isdigit():
        raise ValidationError(
            _("{subject!r} is not an avenant's number").format(subject=subject), field="subject"
        )
    return str(positive_int(text, "subject", maximum=999))


def _protocol(session: Session, p: Partnership) -> Protocol:
    proto = session.scalars(select(Protocol).where(Protocol.partnership_id == p.id)).one_or_none()
    if proto is None:
        raise ValidationError(
            _(
                "{reference} has no protocol yet: set its period first (coopflow protocol set)"
            ).format(reference=p.reference),
            field="protocol",
        )
    return proto
