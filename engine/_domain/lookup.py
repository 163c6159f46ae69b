"""Finding rows by their natural keys (reference, key, label, number); a missing one is a
NotFoundError naming what was looked for."""

from __future__ import annotations

from coopflow.errors import NotFoundError, ValidationError
from coopflow.models import Action, Axis, Partnership, Party, Programme
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

# Built once: SQLAlchemy caches the compiled form of a statement object.
BY_REFERENCE = select(Partnership).where(Partnership.reference == bindparam("reference"))


def find_partnership(session: Session, reference: str) -> Partnership:
    """The partnership with this reference (read, not locked: see :mod:`.locking`)."""
    found = session.scalars(BY_REFERENCE, {"reference": reference}).one_or_none()
    if found is None:
        raise NotFoundError("partnership", reference)
    return found


def find_party(session: Session, key: str) -> Party:
    found = session.scalars(select(Party).where(Party.key == key)).one_or_none()
    if found is None:
        raise NotFoundError("party", key)
    return found


def member(session: Session, p: Partnership, key: str, field: str) -> Party:
    party = find_party(session, key)
    if all(m.party_id != party.id for m in p.members):
        raise ValidationError(f"{key} is not a party to {p.reference}", field=field)
    return party


def find_programme(session: Session, p: Partnership, label: str) -> Programme:
    found = session.scalars(
        select(Programme).where(Programme.partnership_id == p.id, Programme.label == label)
    ).one_or_none()
    if found is None:
        raise NotFoundError("programme", f"{label} of {p.reference}")
    return found


def find_axis(session: Session, p: Partnership, number: int) -> Axis:
    found = session.scalars(
        select(Axis).where(Axis.partnership_id == p.id, Axis.number == number)
    ).one_or_none()
    if found is None:
        raise NotFoundError("axis", f"{number} of {p.reference}")
    return found


def find_action(session: Session, prog: Programme, number: int) -> Action:
    found = session.scalars(
        select(Action).where(Action.programme_id == prog.id, Action.number == number)
    ).one_or_none()
    if found is None:
        raise NotFoundError("action", f"{number} of programme {prog.label}")
    return found
