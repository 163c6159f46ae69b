"""Finding rows by their natural keys (reference, key, label, number); a missing one is a
NotFoundError naming what was looked for, and the closest existing ones when some are close.

Input is forgiving where it cannot be mistaken: a reference in any case
(``coop-2026-0001``), a party by its key, official name or usual name (accents and case aside,
``"la cali"``), an exchange kind with or without its accent (``réunion``).  What is ambiguous is
refused with the candidates; what is unknown, with the closest known values (difflib)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence

from coopflow._i18n import _
from coopflow._vocabulary import EXCHANGE_KINDS
from coopflow.errors import CoopflowError, NotFoundError, ValidationError
from coopflow.models import Action, Axis, Partnership, Party, Programme
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

# Built once: SQLAlchemy caches the compiled form of a statement object.
BY_REFERENCE = select(Partnership).where(Partnership.reference == bindparam("reference"))
_PARTY_NAMES = select(Party.id, Party.key, Party.official_name, Party.usual_name)

#: What :func:`fold` writes otherwise: ligatures and the typographic apostrophe.
FOLDED: dict[str, str] = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "’": "'", "ß": "ss"}
_TABLE = str.maketrans(FOLDED)


def fold(text: str) -> str:
    """``text`` without accents nor case, for comparing what people type with what is stored
    (``"Communauté d’agglomération"`` → ``"communaute d'agglomeration"``)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_TABLE))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def closest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to ``word`` (accents and case aside), best first."""
    by_fold: dict[str, str] = {}
    for candidate in candidates:
        by_fold.setdefault(fold(candidate), candidate)
    found = difflib.get_close_matches(fold(word), list(by_fold), n=n, cutoff=0.6)
    return [by_fold[f] for f in found]


def suggest(exc: CoopflowError, suggestions: Sequence[str]) -> CoopflowError:
    """``exc`` with its ``suggestions`` (a structured field, set even when empty) and a "did
    you mean" added to its message when there are any."""
    if "suggestions" in vars(exc):  # named already (the class's own is empty)
        return exc
    exc.suggestions = tuple(suggestions)
    if suggestions:
        exc.message = _("{message}; did you mean {choices}?").format(
            message=exc.message, choices=", ".join(suggestions)
        )
        exc.args = (exc.message,)
    return exc


def references_like(session: Session, reference: str) -> list[str]:
    """The stored references closest to ``reference``."""
    known = session.scalars(select(Partnership.reference)).all()
    return closest(reference, known)


def find_partnership(session: Session, reference: str) -> Partnership:
    """The partnership with this reference, in any case (read, not locked: see
    :mod:`.locking`); an unknown one is a NotFoundError naming the closest references."""
    found = session.scalars(BY_REFERENCE, {"reference": reference}).one_or_none()
    if found is None and isinstance(reference, str) and reference != reference.upper():
        found = session.scalars(BY_REFERENCE, {"reference": reference.upper()}).one_or_none()
    if found is None:
        raise suggest(NotFoundError("partnership", reference), references_like(session, reference))
    return found


def find_party(session: Session, key: str) -> Party:
    """The party with this key; else the one whose key, official name or usual name is
    ``key`` (accents and case aside), or the only one whose names hold it as whole words
    (``"Libournais"``; a part of a word, ``"cal"``, is never taken for a name).  Several are an
    ambiguous ValidationError naming them; none, a NotFoundError naming the closest."""
    found = session.scalars(select(Party).where(Party.key == key)).one_or_none()
    if found is not None:
        return found
    if not isinstance(key, str) or not key.strip():
        raise NotFoundError("party", key)
    wanted = fold(key)
    rows = session.execute(_PARTY_NAMES).all()
    names = {r.id: [fold(n) for n in (r.key, r.official_name, r.usual_name) if n] for r in rows}
    matches = [r for r in rows if wanted in names[r.id]]
    if not matches:  # whole words of one of its names ("Libournais"), never a part of a word
        words = _words(wanted)
        matches = [r for r in rows if words and any(_holds(n, words) for n in names[r.id])]
    if len(matches) == 1:
        party = session.get(Party, matches[0].id)
        assert party is not None
        return party
    if matches:
        error = ValidationError(
            _("{text!r} names several parties: {candidates}; give one of their keys").format(
                text=key, candidates=", ".join(sorted(r.key for r in matches))
            ),
            field="party",
        )
        error.candidates = tuple(sorted(r.key for r in matches))
        raise error
    known = [n for r in rows for n in (r.key, r.official_name, r.usual_name) if n]
    keys_of = {n: r.key for r in rows for n in (r.key, r.official_name, r.usual_name) if n}
    close = list(dict.fromkeys(keys_of[n] for n in closest(key, known)))
    raise suggest(NotFoundError("party", key), close)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text)


def _holds(name: str, words: list[str]) -> bool:
    """Whether ``words`` appear in ``name`` one after the other, each a whole word."""
    found = _words(name)
    return any(found[i : i + len(words)] == words for i in range(len(found) - len(words) + 1))


def member(session: Session, p: Partnership, key: str, field: str) -> Party:
    party = find_party(session, key)
    if all(m.party_id != party.id for m in p.members):
        raise ValidationError(
            _("{key} is not a party to {reference}").format(key=key, reference=p.reference),
            field=field,
        )
    return party


def exchange_kind(kind: object, field: str = "kind") -> str:
    """An exchange's kind, accents and case aside (``Réunion`` → ``reunion``); an unknown one
    is a ValidationError naming the closest kinds."""
    if isinstance(kind, str) and fold(kind) in EXCHANGE_KINDS:
        return fold(kind)
    close = closest(kind, EXCHANGE_KINDS) if isinstance(kind, str) else []
    choices = ", ".join(EXCHANGE_KINDS)
    message = (
        _("{value!r} is not one of: {choices}; did you mean {close}?").format(
            value=kind, choices=choices, close=", ".join(close)
        )
        if close
        else _("{value!r} is not one of: {choices}").format(value=kind, choices=choices)
    )
    error = ValidationError(message, field=field)
    error.suggestions = tuple(close)
    raise error


def find_programme(session: Session, p: Partnership, label: str) -> Programme:
    found = session.scalars(
        select(Programme).where(Programme.partnership_id == p.id, Programme.label == label)
    ).one_or_none()
    if found is None:
        labels = session.scalars(
            select(Programme.label).where(Programme.partnership_id == p.id)
        ).all()
        matching = [x for x in labels if fold(x) == fold(str(label))]
        if len(matching) == 1:
            return find_programme(session, p, matching[0])
        raise suggest(
            NotFoundError("programme", f"{label} of {p.reference}"), closest(str(label), labels)
        )
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
