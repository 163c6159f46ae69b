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
    """Who fires an event, and in which role (staff, legal, elected or admin).

    coopflow does not authenticate: the host or the command line asserts the actor."""

    id: str
    role: str


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
