"""What a guard or an effect is given when an event is checked or fired."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Partnership, Party, Programme, Protocol

if TYPE_CHECKING:
    from ._documents import DocumentInfo, DocumentStore
    from ._workflow import EventDef, Workflow


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a registered login, the role they act in (one they hold: staff, legal,
    elected or admin; None lets coopflow take the first role they hold that the operation
    allows), and how they were identified (``host`` when a host application that
    authenticates its users passes them; the command line says how it knew).

    Every write checks the actor against the registry: registered, active, holding the role,
    and the role allowed to do what is asked (:class:`coopflow.PermissionDenied` otherwise)."""

    id: str
    role: str | None = None
    identified_by: str = "host"


@dataclass(frozen=True, slots=True)
class Acting:
    """An actor as the registry admitted them for one write: what the journal records of who
    acted (login, role, how they were identified, the database login that wrote it)."""

    login: str
    role: str
    identified_by: str
    db_login: str | None

    @property
    def actor(self) -> Actor:
        return Actor(self.login, self.role, self.identified_by)


def party_name(party: Party) -> str:
    """The name used in messages: the usual name when there is one."""
    return party.usual_name or party.official_name


@dataclass
class FireContext:
    """The state of one fire (or one availability check) handed to guards and effects.

    ``data`` holds the event's inputs, already validated and converted (dates are ``date``);
    when guards run to list available events, inputs are not known and ``data`` is empty.
    Effects may set ``document_sha256`` (recorded in the journal), add to ``record`` (the
    journal record's data) and append to ``produced`` the documents they store.  What a state
    allows is asked of the workflow by capability: ``ctx.partnership_workflow.allows(
    ctx.partnership.state, "in_force")``, never by the state's name."""

    session: Session
    partnership: Partnership
    workflow: Workflow
    event: EventDef
    actor: Actor
    data: dict[str, Any]
    comment: str | None
    today: dt.date
    documents: DocumentStore
    #: The partnership's workflow (``workflow`` itself, unless the event is a programme's).
    partnership_workflow: Workflow
    programme: Programme | None = None
    checking_only: bool = False
    document_sha256: str | None = None
    record: dict[str, Any] = field(default_factory=dict)
    produced: list[DocumentInfo] = field(default_factory=list)
    #: Who fires, as the registry admitted them (None while only checking).
    acting: Acting | None = None
    #: The moment the fire's record states (None while only checking).
    now: dt.datetime | None = None

    def parties(self) -> list[Party]:
        """The partnership's parties, in the order they are named."""
        return [m.party for m in self.partnership.members]

    def in_state_with(self, capability: str) -> bool:
        """Whether the partnership's current state declares ``capability``."""
        return self.partnership_workflow.allows(self.partnership.state, capability)

    def protocol(self) -> Protocol | None:
        return self.session.scalars(
            select(Protocol).where(Protocol.partnership_id == self.partnership.id)
        ).one_or_none()
