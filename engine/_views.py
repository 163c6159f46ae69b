"""Plain, immutable results returned by the API (never live ORM objects)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ._context import Actor
from ._documents import DocumentInfo
from ._i18n import _, ngettext
from ._vocabulary import DEFAULT_WORKFLOW
from .errors import CoopflowError
from .models import JournalRecord, Party, aware


@dataclass(frozen=True, slots=True)
class PartyInfo:
    key: str
    official_name: str
    usual_name: str | None
    nature: str
    siren: str | None
    seat: str | None
    deliberative_body: str
    executive_title: str
    article: str = ""
    usual_article: str = ""
    executive_civility: str | None = None
    tribunal: str | None = None
    country: str | None = None
    language: str | None = None
    original_name: str | None = None
    original_executive_title: str | None = None
    original_deliberative_body: str | None = None

    @classmethod
    def of(cls, party: Party) -> PartyInfo:
        return cls(
            key=party.key,
            official_name=party.official_name,
            usual_name=party.usual_name,
            nature=party.nature,
            siren=party.siren,
            seat=party.seat,
            deliberative_body=party.deliberative_body,
            executive_title=party.executive_title,
            article=party.article,
            usual_article=party.usual_article,
            executive_civility=party.executive_civility,
            tribunal=party.tribunal,
            country=party.country,
            language=party.language,
            original_name=party.original_name,
            original_executive_title=party.original_executive_title,
            original_deliberative_body=party.original_deliberative_body,
        )

    @property
    def name(self) -> str:
        return self.usual_name or self.official_name


@dataclass(frozen=True, slots=True)
class NewPartnership:
    """A partnership to open, as :meth:`coopflow.Coopflow.create_partnership` takes it (its
    reference given: a batch names its own).  Used by
    :meth:`coopflow.Coopflow.create_partnerships`."""

    reference: str
    title: str
    scale: str
    parties: tuple[str, ...]
    home: str
    responsible: str
    lead: str | None = None
    workflow: str = DEFAULT_WORKFLOW
    workflow_version: int | None = None


@dataclass(frozen=True, slots=True)
class PartnershipInfo:
    """A partnership as listed: its lifecycle position and parties."""

    reference: str
    title: str
    scale: str
    state: str
    version: int
    workflow: str
    workflow_version: int
    responsible: str
    home: str
    lead: str | None
    parties: tuple[str, ...]
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class JournalEntry:
    reference: str
    seq: int
    programme: str | None
    event: str
    source_state: str | None
    target_state: str
    actor: str
    role: str
    at: dt.datetime
    comment: str | None
    data: dict[str, Any]
    workflow: str
    workflow_version: int
    document_sha256: str | None
    prev_hash: str
    hash: str
    #: How the actor was identified, and the database login that wrote the record (None for
    #: records written before coopflow recorded them).
    identified_by: str | None = None
    db_login: str | None = None
    #: The script step that fired it (``<script>#<step>``), for a record ``coopflow apply``
    #: wrote (revision 0007).
    idempotency_key: str | None = None

    @property
    def summary(self) -> str:
        """What the record says, in words (see :func:`coopflow._views.describe`)."""
        return describe(self)

    @classmethod
    def of(cls, rec: JournalRecord, reference: str, programme: str | None) -> JournalEntry:
        """A stored record as the API shows it."""
        return cls.of_values(
            {name: getattr(rec, name) for name in RECORD_FIELDS}, reference, programme
        )

    @classmethod
    def of_values(
        cls, values: Mapping[str, Any], reference: str, programme: str | None
    ) -> JournalEntry:
        """A record as the API shows it, from its column values (as written or stored)."""
        return cls(
            reference=reference,
            seq=values["seq"],
            programme=programme,
            event=values["event"],
            source_state=values["source_state"],
            target_state=values["target_state"],
            actor=values["actor"],
            role=values["role"],
            at=aware(values["at"]),
            comment=values["comment"],
            data=json.loads(values["data"]),
            workflow=values["workflow_name"],
            workflow_version=values["workflow_version"],
            document_sha256=values["document_sha256"],
            prev_hash=values["prev_hash"],
            hash=values["hash"],
            identified_by=values.get("identified_by"),
            db_login=values.get("db_login"),
            idempotency_key=values.get("idempotency_key"),
        )


#: The columns of a stored journal record that the API shows (and an evidence bundle holds).
RECORD_FIELDS = (
    "seq",
    "identified_by",
    "db_login",
    "idempotency_key",
    "event",
    "source_state",
    "target_state",
    "actor",
    "role",
    "at",
    "comment",
    "data",
    "workflow_name",
    "workflow_version",
    "document_sha256",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True, slots=True)
class FireResult:
    """What a successful fire did."""

    reference: str
    event: str
    programme: str | None
    source_state: str
    target_state: str
    version: int
    record: JournalEntry
    documents: tuple[DocumentInfo, ...]


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused attempt to fire an event (the error says why)."""

    reference: str
    event: str
    actor: Actor
    programme: str | None
    error: CoopflowError


@dataclass(frozen=True, slots=True)
class FinalDocument:
    """A final document (signed protocol, signed avenant, approved programme) and its bytes."""

    info: DocumentInfo
    pdf: bytes


@dataclass(frozen=True, slots=True)
class EventInputInfo:
    name: str
    type: str
    required: bool
    label: str


@dataclass(frozen=True, slots=True)
class EventStatus:
    """Whether an actor can fire an event now, and if not, every reason why."""

    event: str
    label: str
    target: str
    roles: tuple[str, ...]
    inputs: tuple[EventInputInfo, ...]
    available: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Deadline:
    """Something due soon (or overdue): ``due`` is the date it is due.

    ``kind`` is one of :data:`coopflow._domain.deadlines.KINDS`; ``what`` says it in a line;
    ``basis`` says, in French for the staff who read it, how ``due`` is computed ("séance du
    20 novembre 2026 + 15 jours"), and ``basis_date`` is the date it is computed from.  The
    other fields say the same as data (None where a kind has no such thing), so that a host
    never parses the texts: the ``party`` (its key), the ``programme`` (its label) and the
    ``action`` (its number), the délibération's ``number`` and the ``amendment`` it approves
    (0: the protocol itself), the ``days_waited`` since the councils were asked to deliberate,
    the protocol year (``protocol_year``, 1 for the first) or the period concerned
    (``period_start``/``period_end``: the protocol's, the programme's or the protocol year's),
    the COPIL meetings ``held`` and ``expected`` in that year, and the ``successor``
    partnership that renews the protocol."""

    reference: str
    kind: str
    due: dt.date
    what: str
    basis: str = ""
    basis_date: dt.date | None = None
    party: str | None = None
    programme: str | None = None
    action: int | None = None
    number: str | None = None
    amendment: int | None = None
    days_waited: int | None = None
    protocol_year: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    held: int | None = None
    expected: int | None = None
    successor: str | None = None


def as_jsonable(value: Any) -> Any:
    """A view (or list of views) as JSON-compatible data."""
    if isinstance(value, list | tuple):
        return [as_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: as_jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: as_jsonable(v) for k, v in value.items()}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


@dataclass(frozen=True, slots=True)
class ActorInfo:
    """A registered actor."""

    login: str
    full_name: str
    roles: tuple[str, ...]
    active: bool
    db_login: str | None


def _values_text(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{name} {value!r}" for name, value in values.items() if value is not None)


def _change_text(change: Mapping[str, Any]) -> str:
    key = ", ".join(f"{name} {value!r}" for name, value in change["key"].items())
    what = f"{change['entity']} ({key})" if key else str(change["entity"])
    before, after = change.get("before"), change.get("after")
    if before is None:
        values = _values_text(after or {})
        if values:
            return _("{what} added: {values}").format(what=what, values=values)
        return _("{what} added").format(what=what)
    if after is None:
        return _("{what} removed (was {values})").format(what=what, values=_values_text(before))
    moved = {
        name: (before.get(name), after.get(name))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }
    return _("{what} changed: {changes}").format(
        what=what,
        changes="; ".join(f"{name} {old!r} -> {new!r}" for name, (old, new) in moved.items()),
    )


def describe(entry: JournalEntry) -> str:
    """A journal record in words, in the current language: a data change names each entity,
    its values before and after; an event its states."""
    data = entry.data
    if entry.event == "change":
        return f"{data.get('operation')}: " + "; ".join(
            _change_text(c) for c in data.get("changes", [])
        )
    if entry.event == "deliberation":
        return (
            _("délibération n° {number} of {party} (sitting {sitting_date}), exécutoire")
            if data.get("executoire")
            else _(
                "délibération n° {number} of {party} (sitting {sitting_date}), not exécutoire yet"
            )
        ).format(
            number=data.get("number"),
            party=data.get("party"),
            sitting_date=data.get("sitting_date"),
        )
    if entry.event == "creation":
        return _("partnership opened in {state}").format(state=entry.target_state)
    if entry.event == "document":
        return (
            _("document {kind} v{version} stored")
            .format(kind=data.get("kind", ""), version=data.get("version", ""))
            .strip()
        )
    if entry.source_state == entry.target_state:
        moved = _("{event} (state {state})").format(event=entry.event, state=entry.target_state)
    else:
        moved = f"{entry.event}: {entry.source_state} -> {entry.target_state}{_outcome(data)}"
    if entry.programme:
        return _("programme {programme}: {moved}").format(programme=entry.programme, moved=moved)
    return moved


def _outcome(data: Mapping[str, Any]) -> str:
    """What an avenant's withdrawal or a termination records, in words (workflow v2)."""
    if data.get("withdrawn") is True:
        return " " + _("(avenant n° {avenant} withdrawn: {motif})").format(
            avenant=data.get("avenant"), motif=data.get("motif")
        )
    if data.get("termination") == "mutual":
        return " " + _("(terminated by mutual agreement, effective {date})").format(
            date=data.get("date_effet")
        )
    if data.get("termination") == "unilateral":
        return " " + ngettext(
            "(unilateral termination notified on {notified}, effective {date} after {n} "
            "month's notice)",
            "(unilateral termination notified on {notified}, effective {date} after {n} "
            "months' notice)",
            _int(data.get("notice_months")),
        ).format(
            notified=data.get("date_notification"),
            date=data.get("date_effet"),
            n=data.get("notice_months"),
        )
    return ""


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 2


@dataclass(frozen=True, slots=True)
class CheckpointInfo:
    """A stored checkpoint, as the API shows it."""

    seq: int
    at: dt.datetime
    tree_size: int
    root: str
    sha256: str
    key_id: str
    algorithm: str
    timestamped: bool
    tsa_url: str | None
    taken_by: str


@dataclass(frozen=True, slots=True)
class DialogueExchangeInfo:
    """An exchange of a thematic dialogue (logged once for all its participants)."""

    dialogue: str
    theme: str
    number: int
    date: dt.date
    kind: str
    summary: str
    participants: str | None
    logged_by: str


@dataclass(frozen=True, slots=True)
class DialogueParticipantInfo:
    party: str
    partnership: str | None  # the partnership it takes part through, if any


@dataclass(frozen=True, slots=True)
class DialogueStakeInfo:
    party: str
    title: str
    description: str


@dataclass(frozen=True, slots=True)
class DialogueSummary:
    key: str
    theme: str
    title: str
    participants: int
    exchanges: int
    closed_on: dt.date | None


@dataclass(frozen=True, slots=True)
class DialogueInfo:
    """A thematic dialogue: its territories, stakes, exchanges and the partnerships it led
    to."""

    key: str
    theme: str
    title: str
    home: str
    responsible: str
    participants: tuple[DialogueParticipantInfo, ...]
    stakes: tuple[DialogueStakeInfo, ...]
    exchanges: tuple[DialogueExchangeInfo, ...]
    partnerships: tuple[str, ...]  # those that came from it
    closed_on: dt.date | None
    conclusion: str | None

    @classmethod
    def of(
        cls,
        data: Mapping[str, Any],
        *,
        exchanges: list[DialogueExchangeInfo],
        partnerships: list[str],
    ) -> DialogueInfo:
        return cls(
            key=data["key"],
            theme=data["theme"],
            title=data["title"],
            home=data["home"],
            responsible=data["responsible"],
            participants=tuple(DialogueParticipantInfo(**x) for x in data["participants"]),
            stakes=tuple(DialogueStakeInfo(**x) for x in data["stakes"]),
            exchanges=tuple(exchanges),
            partnerships=tuple(partnerships),
            closed_on=dt.date.fromisoformat(data["closed_on"]) if data["closed_on"] else None,
            conclusion=data["conclusion"],
        )
