"""Parties (collectivités): registering and updating them."""

from __future__ import annotations

from collections.abc import Mapping

from coopflow import _registry
from coopflow import _validate as v
from coopflow._context import Acting
from coopflow._domain.lookup import find_party
from coopflow._i18n import _
from coopflow._views import PartyInfo
from coopflow._vocabulary import (
    ARTICLES,
    CIVILITIES,
    NATURES,
    civility_of_title,
    guess_article,
)
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
    article: str | None = None,
    usual_article: str | None = None,
    executive_civility: str | None = None,
    tribunal: str | None = None,
    country: str | None = None,
    language: str | None = None,
    original_name: str | None = None,
    original_executive_title: str | None = None,
    original_deliberative_body: str | None = None,
    replace: bool = False,
) -> PartyInfo:
    """Create a party, or (``replace``) update the one with the same key.  Registering the same
    party again with the same fields changes nothing.

    ``article`` and ``usual_article`` default to what the names call for (``la`` Ville de
    Bordeaux, none for Bordeaux Métropole); ``executive_civility`` to what a gendered title says
    (``Présidente``).  A foreign authority (nature ``ETRANGER``) has no SIREN and needs its
    ``country`` and ``language``; the ``original_*`` names are its own-language ones, printed
    after the French designation."""
    clean_name = v.text(official_name, "official_name")
    clean_usual = v.optional_text(usual_name, "usual_name", max_length=200)
    clean_title = v.text(executive_title, "executive_title", max_length=200)
    civility = (
        v.choice(executive_civility, "executive_civility", CIVILITIES)
        if executive_civility is not None
        else civility_of_title(clean_title)
    )
    check_civility(civility, clean_title, "executive_title")
    fields = {
        "key": v.key(key, "key"),
        "official_name": clean_name,
        "usual_name": clean_usual,
        "nature": v.choice(nature, "nature", NATURES),
        "siren": v.siren(siren),
        "seat": v.optional_text(seat, "seat", max_length=200),
        "deliberative_body": v.text(deliberative_body, "deliberative_body", max_length=200),
        "executive_title": clean_title,
        "article": _article(article, clean_name, "article"),
        "usual_article": _usual_article(usual_article, clean_usual),
        "executive_civility": civility,
        "tribunal": _tribunal(tribunal),
        "country": v.optional_text(country, "country", max_length=100),
        "language": v.optional_text(language, "language", max_length=50),
        "original_name": v.optional_text(original_name, "original_name"),
        "original_executive_title": v.optional_text(
            original_executive_title, "original_executive_title", max_length=200
        ),
        "original_deliberative_body": v.optional_text(
            original_deliberative_body, "original_deliberative_body", max_length=200
        ),
    }
    _check_foreign(fields)
    if fields["siren"] is not None:
        other = session.scalars(
            select(Party).where(Party.siren == fields["siren"], Party.key != key)
        ).first()
        if other is not None:
            raise AlreadyExistsError("party with SIREN", fields["siren"], within=other.key)
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


#: What only a foreign authority has.
FOREIGN_ONLY = (
    "country",
    "language",
    "original_name",
    "original_executive_title",
    "original_deliberative_body",
)


def _article(value: str | None, name: str | None, field: str) -> str:
    """The article a name takes: the one given (checked), else the one its words call for."""
    if value is None:
        return guess_article(name)
    if not isinstance(value, str):
        raise ValidationError(
            _("expected an article, got {value!r}").format(value=value), field=field
        )
    clean = value.strip().lower().replace("’", "'")
    if clean == "l":
        clean = "l'"
    if clean in ("aucun", "none", "-"):
        clean = ""
    if clean not in ARTICLES:
        known = ", ".join(repr(a) for a in ARTICLES)
        raise ValidationError(
            _("{value!r} is not an article (one of {known})").format(value=value, known=known),
            field=field,
        )
    return clean


def check_civility(civility: str | None, title: str, field: str) -> None:
    """Refuse a title whose own gender contradicts the civility (``Président`` for Madame)."""
    implied = civility_of_title(title)
    if implied is not None and civility is not None and civility != implied:
        message = (
            _(
                "the title {title!r} is that of a woman, not of {civility}: give the title as it "
                "is held (Présidente, Vice-présidente...)"
            )
            if implied == "Madame"
            else _(
                "the title {title!r} is that of a man, not of {civility}: give the title as it "
                "is held (Présidente, Vice-présidente...)"
            )
        )
        raise ValidationError(message.format(title=title, civility=civility), field=field)


def _check_foreign(fields: Mapping[str, object]) -> None:
    if fields["nature"] == "ETRANGER":
        if fields["siren"] is not None:
            raise ValidationError(_("a foreign authority has no SIREN"), field="siren")
        for name in ("country", "language"):
            if fields[name] is None:
                raise ValidationError(
                    _(
                        "a foreign authority needs its {field} (the protocol's language clause "
                        "and its designation name them)"
                    ).format(field=name),
                    field=name,
                )
        return
    for name in FOREIGN_ONLY:
        if fields[name] is not None:
            raise ValidationError(
                _("only a foreign authority (nature ETRANGER) has a {field}").format(field=name),
                field=name,
            )


def _usual_article(value: str | None, usual_name: str | None) -> str:
    if usual_name is None:
        if value:
            raise ValidationError(
                _("a usual name's article needs the usual name"), field="usual_article"
            )
        return ""
    return _article(value, usual_name, "usual_article")


def _tribunal(value: str | None) -> str | None:
    """``tribunal administratif de Bordeaux``: the court named in the dispute clause."""
    clean = v.optional_text(value, "tribunal", max_length=200)
    if clean is None:
        return None
    clean = clean[:1].lower() + clean[1:]
    if not clean.startswith("tribunal administratif d"):
        raise ValidationError(
            _(
                "{value!r} is not a tribunal administratif: write it as the dispute clause names "
                "it (tribunal administratif de Bordeaux)"
            ).format(value=value),
            field="tribunal",
        )
    return clean


def party(session: Session, key: str) -> PartyInfo:
    return PartyInfo.of(find_party(session, key))


def parties(session: Session) -> list[PartyInfo]:
    """Every registered party, by key."""
    return [PartyInfo.of(p) for p in session.scalars(select(Party).order_by(Party.key))]
