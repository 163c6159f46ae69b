"""Parties (collectivités): registering and updating them."""

from __future__ import annotations

from coopflow import _registry
from coopflow import _validate as v
from coopflow._context import Acting
from coopflow._domain.lookup import find_party
from coopflow._views import PartyInfo
from coopflow._vocabulary import NATURES
from coopflow.errors import (
    AlreadyExistsError,
    ValidationError,
)
from coopflow.models import (
    Party,
    utcnow,
)
from sqlalchemy import select
from sqlalchemy.orm import Session


def put_party(
    session: Session,
    acting: Acting,
    *,
    key: str,
    official_name: str,
    nature: str,
    deliberative_body: str,
    executive_title: str,
    usual_name: str | None = None,
    siren: str | None = None,
    seat: str | None = None,
    replace: bool = False,
) -> PartyInfo:
    """Create a party, or (``replace``) update the one with the same key.  Registering the same
    party again with the same fields changes nothing."""
    fields = {
        "key": v.key(key, "key"),
        "official_name": v.text(official_name, "official_name"),
        "usual_name": v.optional_text(usual_name, "usual_name", max_length=200),
        "nature": v.choice(nature, "nature", NATURES),
        "siren": v.siren(siren),
        "seat": v.optional_text(seat, "seat", max_length=200),
        "deliberative_body": v.text(deliberative_body, "deliberative_body", max_length=200),
        "executive_title": v.text(executive_title, "executive_title", max_length=200),
    }
    if fields["nature"] == "ETRANGER" and fields["siren"] is not None:
        raise ValidationError("a foreign authority has no SIREN", field="siren")
    if fields["siren"] is not None:
        other = session.scalars(
            select(Party).where(Party.siren == fields["siren"], Party.key != key)
        ).first()
        if other is not None:
            raise AlreadyExistsError("party with SIREN", f"{fields['siren']} ({other.key})")
    existing = session.scalars(select(Party).where(Party.key == key)).one_or_none()
    if existing is not None:
        if not replace:
            unchanged = all(getattr(existing, k) == val for k, val in fields.items())
            if unchanged:
                return PartyInfo.of(existing)
            raise AlreadyExistsError("party", key)
        before = _registry.party_entry(existing)
        for k, val in fields.items():
            setattr(existing, k, val)
        session.flush()
        after = _registry.party_entry(existing)
        if after != before:
            _registry.append(
                session,
                "parties",
                acting,
                action="replace",
                subject=key,
                before=before,
                after=after,
            )
        return PartyInfo.of(existing)
    party = Party(**fields, created_at=utcnow())
    session.add(party)
    session.flush()
    _registry.append(
        session,
        "parties",
        acting,
        action="add",
        subject=key,
        before=None,
        after=_registry.party_entry(party),
    )
    return PartyInfo.of(party)


def party(session: Session, key: str) -> PartyInfo:
    return PartyInfo.of(find_party(session, key))


def parties(session: Session) -> list[PartyInfo]:
    """Every registered party, by key."""
    return [PartyInfo.of(p) for p in session.scalars(select(Party).order_by(Party.key))]
