"""What follows legal review: délibérations, signatories, the changes of an avenant."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

from coopflow import _articles as articles
from coopflow import _journal
from coopflow import _validate as v
from coopflow._canonical import iso_date
from coopflow._context import Acting
from coopflow._domain.editing import assign, require
from coopflow._domain.lookup import member
from coopflow._domain.parties import check_civility
from coopflow._i18n import N_, _
from coopflow._vocabulary import CIVILITIES, RECORD_KINDS
from coopflow._workflow import WorkflowSet
from coopflow.errors import NotFoundError, ValidationError
from coopflow.models import (
    Amendment,
    Deliberation,
    Document,
    FinancialCommitment,
    JournalRecord,
    Partnership,
    Protocol,
    RegisteredActor,
    Signatory,
    aware,
    utcnow,
)
from sqlalchemy import select
from sqlalchemy.orm import Session


def _registered(session: Session, login: str) -> str:
    """The registered login a signatory is linked to (the elected official who signs)."""
    clean = v.login(login, "login")
    found = session.scalar(
        select(RegisteredActor.login).where(RegisteredActor.login_key == v.login_key(clean))
    )
    if found is None:
        raise NotFoundError("actor", clean)
    return found


def _entry_today() -> dt.date:
    """The day a data entry is made (UTC, as the journal's times): what a délibération's dates
    may not come after."""
    return utcnow().date()


def _approvals(
    session: Session, workflows: WorkflowSet, p: Partnership, effect: str, amendment: int
) -> list[tuple[dt.date, str]]:
    """When the legal department approved which document, oldest first: the day (UTC) of each
    journal record whose event, in the definition it was fired under, has ``effect``
    (``approve_protocol``; ``approve_amendment`` for avenant n° ``amendment``), and the
    document it names.  A record of a definition no longer loaded is passed over."""
    approving: dict[tuple[str, int], set[str]] = {}
    found: list[tuple[dt.date, str]] = []
    for at, event, data, sha256, name, version in session.execute(
        select(
            JournalRecord.at,
            JournalRecord.event,
            JournalRecord.data,
            JournalRecord.document_sha256,
            JournalRecord.workflow_name,
            JournalRecord.workflow_version,
        )
        .where(
            JournalRecord.partnership_id == p.id,
            JournalRecord.programme_id.is_(None),
            JournalRecord.document_sha256.is_not(None),
            JournalRecord.event.not_in(tuple(RECORD_KINDS)),
        )
        .order_by(JournalRecord.seq)
    ):
        key = (name, version)
        if key not in approving:
            try:
                wf = workflows.get(name, version)
            except ValidationError:
                approving[key] = set()
            else:
                approving[key] = {e.name for e in wf.events.values() if effect in e.effects}
        if sha256 is None or event not in approving[key]:
            continue
        if amendment and json.loads(data).get("avenant") != amendment:
            continue
        found.append((aware(at).date(), sha256))
    return found


def _deliberated_on(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    row: Deliberation | None,
    *,
    number: str,
    sitting: dt.date,
    amendment: int,
    current: str | None,
) -> str | None:
    """The document a délibération deliberated on.

    - The same act recorded again (same number, same sitting) keeps the document it was
      recorded with: completing its dates never moves it to a version approved since.
    - Otherwise, the version the legal department had approved last on or before its sitting
      (the approval's day is its journal record's): a council that sat before a new approval
      deliberated on the version before it, and signing then asks it to deliberate again.
    - A sitting before any approval was recorded (a history entered after the fact, as the
      demo does: the journal dates approvals when they are entered) is taken to be on
      ``current``, the version approved now (for an avenant under workflow v1, which has no
      approval: its latest document)."""
    if (
        row is not None
        and row.document_sha256 is not None
        and row.number == number
        and row.sitting_date == sitting
    ):
        return row.document_sha256
    effect = "approve_amendment" if amendment else "approve_protocol"
    before = [
        sha for day, sha in _approvals(session, workflows, p, effect, amendment) if day <= sitting
    ]
    return before[-1] if before else current


def _check_dates(
    sitting: dt.date, sent: dt.date | None, published: dt.date | None, today: dt.date
) -> None:
    for field, value in (
        ("sitting_date", sitting),
        ("sent_to_prefecture", sent),
        ("published", published),
    ):
        if value is not None and value > today:
            raise ValidationError(
                _(
                    "{date} is in the future (today is {today}): a délibération is recorded "
                    "once its council has sat, and each date once it is past"
                ).format(date=value.isoformat(), today=today.isoformat()),
                field=field,
            )
    for field, value in (("sent_to_prefecture", sent), ("published", published)):
        if value is not None and value < sitting:
            raise ValidationError(
                _("{date} is before the sitting of {sitting}").format(
                    date=value.isoformat(), sitting=sitting.isoformat()
                ),
                field=field,
            )


def put_deliberation(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    *,
    party: str,
    number: str,
    sitting_date: object,
    sent_to_prefecture: object = None,
    published: object = None,
    amendment: int = 0,
    acting: Acting,
    today: dt.date | None = None,
) -> Deliberation:
    """Record (or complete) a party's délibération on the protocol or on avenant n° amendment.

    Its dates are not in the future (``today``: the day of the entry by default), and the
    transmission and publication not before the sitting.  A foreign authority's approval is
    the decision of its own body: no French prefecture receives it (``sent_to_prefecture`` is
    refused; ``published`` may be given), and it is in force on its own date.

    A change is journaled (event ``deliberation``) with the document the council deliberated
    on (:func:`_deliberated_on`): the protocol version, or the avenant's, the legal department
    had approved by its sitting (an avenant under workflow v1: its latest version)."""
    who = member(session, p, party, "party")
    if amendment == 0:
        require(workflows, p, "deliberating", N_("recording a délibération"))
        current = session.scalar(
            select(Protocol.approved_document_sha256).where(Protocol.partnership_id == p.id)
        )
    else:
        require(
            workflows, p, "amendment_deliberating", N_("recording a délibération on an avenant")
        )
        open_amendment = session.scalars(
            select(Amendment).where(
                Amendment.partnership_id == p.id,
                Amendment.number == amendment,
                Amendment.signed_on.is_(None),
                Amendment.withdrawn_on.is_(None),
            )
        ).one_or_none()
        if open_amendment is None:
            raise ValidationError(
                _("avenant n° {number} is not open").format(number=amendment), field="amendment"
            )
        current = open_amendment.approved_document_sha256 or session.scalar(
            select(Document.sha256)
            .where(
                Document.partnership_id == p.id,
                Document.kind == "avenant",
                Document.subject == str(amendment),
            )
            .order_by(Document.version.desc())
            .limit(1)
        )
    sitting = v.date(sitting_date, "sitting_date")
    sent = v.optional_date(sent_to_prefecture, "sent_to_prefecture")
    pub = v.optional_date(published, "published")
    foreign = who.nature == "ETRANGER"
    if foreign and sent is not None:
        raise ValidationError(
            _(
                "{party} is a foreign authority: its approval is the decision of its own body "
                "({body}), which no French prefecture receives; leave sent_to_prefecture out"
            ).format(party=who.usual_name or who.official_name, body=who.deliberative_body),
            field="sent_to_prefecture",
        )
    _check_dates(sitting, sent, pub, today or _entry_today())
    clean_number = v.text(number, "number", max_length=64)
    row = session.scalars(
        select(Deliberation).where(
            Deliberation.partnership_id == p.id,
            Deliberation.party_id == who.id,
            Deliberation.amendment == amendment,
        )
    ).one_or_none()
    document = _deliberated_on(
        session,
        workflows,
        p,
        row,
        number=clean_number,
        sitting=sitting,
        amendment=amendment,
        current=current,
    )
    if row is None:
        row = Deliberation(partnership_id=p.id, party_id=who.id, amendment=amendment)
        session.add(row)
    changed = assign(
        p,
        row,
        number=clean_number,
        sitting_date=sitting,
        sent_to_prefecture=sent,
        published=pub,
        document_sha256=document,
        foreign_decision=foreign,
    )
    if changed:
        data: dict[str, object] = {
            "party": who.key,
            "amendment": amendment,
            "number": clean_number,
            "sitting_date": sitting.isoformat(),
            "sent_to_prefecture": iso_date(sent),
            "published": iso_date(pub),
            "executoire": foreign or (sent is not None and pub is not None),
        }
        if foreign:  # revision 0009: stated only when it is one
            data["foreign_decision"] = True
        _journal.append(
            session,
            p,
            _journal.RecordContent.of(
                event="deliberation",
                source_state=p.state,
                target_state=p.state,
                acting=acting,
                at=utcnow(),
                comment=None,
                data=data,
                workflow_name=p.workflow_name,
                workflow_version=p.workflow_version,
                document_sha256=document,
            ),
        )
    session.flush()
    return row


def put_signatory(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    *,
    party: str,
    first_name: str,
    last_name: str,
    title: str,
    civility: str,
    login: str | None = None,
    delegation_number: str | None = None,
    delegation_date: object = None,
) -> Signatory:
    """Name who signs for a party: its executive, or (``delegation_*``: the arrêté's number and
    date) the elected official the executive delegated the signature to."""
    require(workflows, p, "signatories_editable", N_("naming a signatory"))
    who = member(session, p, party, "party")
    row = session.scalars(
        select(Signatory).where(Signatory.partnership_id == p.id, Signatory.party_id == who.id)
    ).one_or_none()
    clean_title = v.text(title, "title", max_length=200)
    clean_civility = v.choice(civility, "civility", CIVILITIES)
    check_civility(clean_civility, clean_title, "title")
    number = v.optional_text(delegation_number, "delegation_number", max_length=64)
    date = v.optional_date(delegation_date, "delegation_date")
    if (number is None) != (date is None):
        missing = "delegation_date" if date is None else "delegation_number"
        raise ValidationError(
            _(
                "a signature by delegation cites the arrêté de délégation by its number and its "
                "date"
            ),
            field=missing,
        )
    if number is not None and _fold_title(clean_title) == _fold_title(who.executive_title):
        raise ValidationError(
            _(
                "{title!r} is the executive's own title: the executive signs without "
                "delegation (give the delegated official's office)"
            ).format(title=clean_title),
            field="title",
        )
    values = {
        "first_name": v.text(first_name, "first_name", max_length=100),
        "last_name": v.text(last_name, "last_name", max_length=100),
        "title": clean_title,
        "civility": clean_civility,
        "login": _registered(session, login) if login is not None else None,
        "delegation_number": number,
        "delegation_date": date,
    }
    if row is None:
        row = Signatory(partnership_id=p.id, party_id=who.id)
        session.add(row)
    assign(p, row, **values)
    session.flush()
    return row


def _fold_title(title: str) -> str:
    """A title without case, accents or the feminine e: "Présidente" is "president"."""
    folded = unicodedata.normalize("NFKD", title.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c)).strip()
    return plain.removesuffix("e")


def _drafted(session: Session, workflows: WorkflowSet, p: Partnership) -> Amendment:
    require(workflows, p, "amendment_drafting", N_("changing an avenant"))
    return session.scalars(
        select(Amendment)
        .where(
            Amendment.partnership_id == p.id,
            Amendment.signed_on.is_(None),
            Amendment.withdrawn_on.is_(None),
        )
        .order_by(Amendment.number.desc())
        .limit(1)
    ).one()


def add_amendment_change(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    *,
    operation: str,
    article: object,
    text: str | None = None,
    title: str | None = None,
) -> Amendment:
    """Add a change to the avenant being drafted, aimed at an article of the protocol as the
    signed avenants and this one's earlier changes left it (``coopflow._articles``): a change
    aimed at an article it does not have, or no longer has, is refused."""
    row = _drafted(session, workflows, p)
    clean_operation = v.choice(operation, "operation", tuple(articles.OPERATIONS))
    number = articles.article_number(article)
    if clean_operation == "abroger":
        if text is not None and str(text).strip():
            raise ValidationError(_("a repeal writes no text in"), field="text")
        clean_text = None
    else:
        clean_text = v.text(text, "text", max_length=10_000, multiline=True)
    clean_title = v.optional_text(title, "title")
    if clean_operation == "inserer" and clean_title is None:
        raise ValidationError(_("an inserted article needs a title"), field="title")
    if clean_operation in ("completer", "abroger") and clean_title is not None:
        raise ValidationError(
            _("a change that {operation}s keeps the title").format(operation=clean_operation),
            field="title",
        )
    state = articles.consolidate(_foreign(p), _amendments(session, p, before=row.number))
    touched = articles.apply_avenant(state, row.number, row.changes, _change_label)
    new = None
    if clean_operation == "inserer":
        # After 4 when 4-1 exists is after 4-1: the wording says where it goes.
        number, new = articles.insertion_point(state, number)
    change: dict[str, object] = {
        "operation": clean_operation,
        "article": number,
        "new_article": new,
        "title": clean_title,
        "text": clean_text,
    }
    if change in row.changes:
        return row  # the same change again: nothing to do
    articles.apply_change(state, change, row.number, "", touched)
    row.changes = [*row.changes, change]
    session.flush()
    return row


def remove_amendment_change(
    session: Session, workflows: WorkflowSet, p: Partnership, *, number: int
) -> Amendment:
    """Remove change n° ``number`` (from 1, as listed) of the avenant being drafted.  The
    articles the later changes insert are numbered again (removing the insertion of 4-1 makes
    the next one 4-1); an avenant changes no article it inserts, so nothing else aims at
    them."""
    row = _drafted(session, workflows, p)
    index = v.positive_int(number, "number", maximum=max(len(row.changes), 1)) - 1
    if index >= len(row.changes):
        raise ValidationError(
            _("avenant n° {number} lists no change yet").format(number=row.number),
            field="number",
        )
    state = articles.consolidate(_foreign(p), _amendments(session, p, before=row.number))
    touched: set[str] = set()
    kept: list[dict[str, object]] = []
    for i, stored in enumerate(row.changes):
        if i == index:
            continue
        change = dict(stored)
        if change.get("operation") == "inserer":
            # After the article it was inserted after, or after its base if that one goes.
            after = str(change.get("article"))
            if after not in {a.number for a in state}:
                after = str(articles.sort_key(after)[0])
            change["article"], change["new_article"] = articles.insertion_point(state, after)
        articles.apply_change(state, change, row.number, _change_label(len(kept)), touched)
        kept.append(change)
    row.changes = kept
    session.flush()
    return row


def _change_label(index: int) -> str:
    return f"change {index + 1}"


def set_amendment_motives(
    session: Session, workflows: WorkflowSet, p: Partnership, *, text: str
) -> Amendment:
    """Set the exposé des motifs of the avenant being drafted."""
    row = _drafted(session, workflows, p)
    assign(p, row, motives=v.text(text, "text", max_length=10_000, multiline=True))
    session.flush()
    return row


def _foreign(p: Partnership) -> bool:
    return any(m.party.nature == "ETRANGER" for m in p.members)


def _amendments(
    session: Session, p: Partnership, *, before: int
) -> list[tuple[int, list[dict[str, object]]]]:
    """The signed avenants before n° ``before``, with their changes, in order."""
    rows = session.scalars(
        select(Amendment)
        .where(
            Amendment.partnership_id == p.id,
            Amendment.number < before,
            Amendment.signed_on.is_not(None),
        )
        .order_by(Amendment.number)
    )
    return [(a.number, list(a.changes)) for a in rows]


def remove_financial_commitment(
    session: Session, workflows: WorkflowSet, p: Partnership, *, party: str
) -> None:
    """Remove a party's planned financial commitment (entered for the wrong party)."""
    require(workflows, p, "content_editable", N_("changing the financial commitments"))
    who = member(session, p, party, "party")
    row = session.scalars(
        select(FinancialCommitment).where(
            FinancialCommitment.partnership_id == p.id, FinancialCommitment.party_id == who.id
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError("financial commitment", who.key, within=p.reference)
    session.delete(row)
    session.flush()


def put_financial_commitment(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    *,
    party: str,
    amount: object,
    detail: str = "",
) -> FinancialCommitment:
    """Set a party's planned financial commitment over the protocol's period (CGCT L.1115-1
    asks it of every party of a cooperation with a foreign authority)."""
    require(workflows, p, "content_editable", N_("changing the financial commitments"))
    who = member(session, p, party, "party")
    clean_amount = v.amount(amount, "amount")
    clean_detail = v.optional_text(detail, "detail", max_length=2000) or ""
    row = session.scalars(
        select(FinancialCommitment).where(
            FinancialCommitment.partnership_id == p.id, FinancialCommitment.party_id == who.id
        )
    ).one_or_none()
    if row is None:
        row = FinancialCommitment(partnership_id=p.id, party_id=who.id)
        session.add(row)
    assign(p, row, amount=clean_amount, detail=clean_detail)
    session.flush()
    return row
