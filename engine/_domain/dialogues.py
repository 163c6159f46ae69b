"""Thematic dialogues: "un échange thématique pour plusieurs territoires".

A dialogue has a theme (alimentation, mobilités...), a home party (the metropolis that leads
it) and the territories taking part, each a registered party and, if it has one, the
partnership it belongs to.  Its exchanges are logged once for all the participants (each
participant's partnership shows them: :func:`exchanges_of`), the stakes it identifies are
recorded per territory, and the partnerships it leads to keep the link
(``Partnership.dialogue_id``; :func:`lead_to`).

Every change is journaled in the ``dialogues`` registry chain (``coopflow._registry``): the
dialogue itself is one subject (its theme, title, participants, stakes, closure), each of
its exchanges another (``<key>~<n>``, so that a record never repeats the exchanges before
it), and ``verify`` compares what the chain replays with the tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from coopflow import _registry
from coopflow import _validate as v
from coopflow._context import Acting
from coopflow._domain.lookup import find_partnership, find_party
from coopflow._i18n import _, ngettext
from coopflow._views import DialogueExchangeInfo, DialogueInfo, DialogueSummary
from coopflow._vocabulary import EXCHANGE_KINDS
from coopflow.errors import AlreadyExistsError, NotFoundError, ValidationError
from coopflow.models import (
    Dialogue,
    DialogueExchange,
    DialogueParticipant,
    DialogueStake,
    Partnership,
    PartnershipParty,
    Party,
    utcnow,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

CHAIN: Final = "dialogues"
#: At least two territories besides the home party: a dialogue with one is a partnership's.
MIN_PARTICIPANTS: Final = 2
MAX_PARTICIPANTS: Final = 200

#: One participant as given: a party key, or (party key, partnership reference or None).
Participant = str | tuple[str, str | None]


def find_dialogue(session: Session, key: str) -> Dialogue:
    found = session.scalars(select(Dialogue).where(Dialogue.key == key)).one_or_none()
    if found is None:
        raise NotFoundError("thematic dialogue", key)
    return found


def _lock(session: Session, key: str) -> Dialogue:
    """The dialogue, locked for the rest of the transaction (SQLite: the write lock)."""
    found = session.scalars(
        select(Dialogue).where(Dialogue.key == key).with_for_update()
    ).one_or_none()
    if found is None:
        raise NotFoundError("thematic dialogue", key)
    return found


def _open(d: Dialogue) -> None:
    if d.closed_on is not None:
        raise ValidationError(
            _(
                "the thematic dialogue {key} was closed on {date}: nothing more can be added to it"
            ).format(key=d.key, date=d.closed_on.isoformat()),
            field="dialogue",
        )


# ----------------------------------------------------------------------------- what is journaled


def _party_keys(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    return dict(session.execute(select(Party.id, Party.key).where(Party.id.in_(wanted))).all())


def _references(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(
        session.execute(
            select(Partnership.id, Partnership.reference).where(Partnership.id.in_(wanted))
        ).all()
    )


def _participants(session: Session, d: Dialogue) -> list[DialogueParticipant]:
    return list(
        session.scalars(
            select(DialogueParticipant)
            .where(DialogueParticipant.dialogue_id == d.id)
            .order_by(DialogueParticipant.position)
        )
    )


def _stakes(session: Session, d: Dialogue) -> list[DialogueStake]:
    return list(
        session.scalars(
            select(DialogueStake)
            .where(DialogueStake.dialogue_id == d.id)
            .order_by(DialogueStake.id)
        )
    )


def _exchanges(session: Session, dialogue_ids: Sequence[int]) -> list[DialogueExchange]:
    if not dialogue_ids:
        return []
    return list(
        session.scalars(
            select(DialogueExchange)
            .where(DialogueExchange.dialogue_id.in_(dialogue_ids))
            .order_by(DialogueExchange.dialogue_id, DialogueExchange.id)
        )
    )


def entry(session: Session, d: Dialogue) -> dict[str, Any]:
    """What the dialogues' chain records of a dialogue (its exchanges are subjects of their
    own)."""
    participants = _participants(session, d)
    stakes = _stakes(session, d)
    keys = _party_keys(
        session,
        [d.home_party_id, *(x.party_id for x in participants), *(s.party_id for s in stakes)],
    )
    refs = _references(session, (x.partnership_id for x in participants))
    return {
        "key": d.key,
        "theme": d.theme,
        "title": d.title,
        "home": keys[d.home_party_id],
        "responsible": d.responsible,
        "participants": [
            {
                "party": keys[x.party_id],
                "partnership": refs.get(x.partnership_id) if x.partnership_id else None,
            }
            for x in participants
        ],
        "stakes": [
            {"party": keys[s.party_id], "title": s.title, "description": s.description}
            for s in stakes
        ],
        "closed_on": d.closed_on.isoformat() if d.closed_on else None,
        "conclusion": d.conclusion,
    }


def exchange_subject(key: str, number: int) -> str:
    return f"{key}~{number}"


def exchange_entry(key: str, number: int, e: DialogueExchange) -> dict[str, Any]:
    return {
        "dialogue": key,
        "number": number,
        "date": e.date.isoformat(),
        "kind": e.kind,
        "summary": e.summary,
        "participants": e.participants,
        "logged_by": e.created_by,
    }


def current(session: Session) -> dict[str, Any]:
    """Every subject of the dialogues' chain as the tables hold it now (``verify``)."""
    found: dict[str, Any] = {}
    dialogues = list(session.scalars(select(Dialogue).order_by(Dialogue.id)))
    by_id = {d.id: d.key for d in dialogues}
    for d in dialogues:
        found[d.key] = entry(session, d)
    numbers: dict[int, int] = {}
    for e in _exchanges(session, list(by_id)):
        numbers[e.dialogue_id] = numbers.get(e.dialogue_id, 0) + 1
        key = by_id[e.dialogue_id]
        found[exchange_subject(key, numbers[e.dialogue_id])] = exchange_entry(
            key, numbers[e.dialogue_id], e
        )
    return found


def _journal(
    session: Session, acting: Acting, d: Dialogue, action: str, before: Mapping[str, Any] | None
) -> bool:
    """Record the dialogue's change, if it changed; says whether it did."""
    session.flush()
    after = entry(session, d)
    if after == before:
        return False
    _registry.append(
        session, CHAIN, acting, action=action, subject=d.key, before=before, after=after
    )
    return True


# ----------------------------------------------------------------------------- writing


def _participant(value: Participant, field: str) -> tuple[str, str | None]:
    if isinstance(value, str):
        return v.key(value, field), None
    if isinstance(value, tuple) and len(value) == 2:
        party, ref = value
        clean = v.optional_text(ref, f"{field}.partnership", max_length=40) if ref else None
        return v.key(party, field), clean
    raise ValidationError(
        _("{value!r} is not a participant (a party key, or a party key and a partnership)").format(
            value=value
        ),
        field=field,
    )


def _belongs(session: Session, party: Party, home: int, reference: str, field: str) -> int:
    """The partnership ``reference``, checked to hold ``party`` and the home party."""
    p = find_partnership(session, reference)
    members = set(
        session.scalars(
            select(PartnershipParty.party_id).where(PartnershipParty.partnership_id == p.id)
        )
    )
    if party.id not in members or home not in members:
        raise ValidationError(
            _(
                "{party} does not take part in a thematic dialogue through {reference}: the "
                "partnership must hold both it and the dialogue's home party"
            ).format(party=party.key, reference=reference),
            field=field,
        )
    return p.id


def open_dialogue(
    session: Session,
    acting: Acting,
    *,
    key: str,
    theme: str,
    title: str,
    home: str,
    participants: Sequence[Participant],
    responsible: str | None = None,
) -> DialogueInfo:
    """Open a thematic dialogue among ``participants`` (at least two territories besides the
    home party), or leave it as it is if it was opened with the same theme, title and home
    (a script applied again); the participants given are added to it."""
    clean_key = v.key(key, "key")
    fields = {
        "theme": v.text(theme, "theme", max_length=100),
        "title": v.text(title, "title"),
        "responsible": v.text(responsible or acting.login, "responsible", max_length=200),
    }
    home_party = find_party(session, v.key(home, "home"))
    if isinstance(participants, str) or not isinstance(participants, Sequence):
        raise ValidationError(_("must be a list of parties"), field="participants")
    given = [_participant(x, f"participants[{i}]") for i, x in enumerate(participants)]
    if len(given) > MAX_PARTICIPANTS:
        raise ValidationError(
            _("at most {count} territories take part").format(count=MAX_PARTICIPANTS),
            field="participants",
        )
    existing = session.scalars(
        select(Dialogue).where(Dialogue.key == clean_key).with_for_update()
    ).one_or_none()
    if existing is not None:
        same = (
            existing.theme == fields["theme"]
            and existing.title == fields["title"]
            and existing.home_party_id == home_party.id
        )
        if not same:
            raise AlreadyExistsError("thematic dialogue", clean_key)
        for i, (party, ref) in enumerate(given):
            _join(session, acting, existing, party, ref, f"participants[{i}]")
        return dialogue(session, clean_key)
    if len({party for party, _ in given}) < MIN_PARTICIPANTS:
        raise ValidationError(
            ngettext(
                "a thematic dialogue brings together at least {count} territory besides the home "
                "party (a dialogue with one is that partnership's own)",
                "a thematic dialogue brings together at least {count} territories besides the "
                "home party (a dialogue with one is that partnership's own)",
                MIN_PARTICIPANTS,
            ).format(count=MIN_PARTICIPANTS),
            field="participants",
        )
    d = Dialogue(key=clean_key, home_party_id=home_party.id, created_at=utcnow(), **fields)
    session.add(d)
    session.flush()
    for i, (party, ref) in enumerate(given):
        _add_participant(session, d, party, ref, f"participants[{i}]")
    _journal(session, acting, d, "open", None)
    return dialogue(session, clean_key)


def _add_participant(
    session: Session, d: Dialogue, key: str, reference: str | None, field: str
) -> bool:
    party = find_party(session, key)
    if party.id == d.home_party_id:
        raise ValidationError(
            _("{key} leads the thematic dialogue (its home party): it is not a participant").format(
                key=key
            ),
            field=field,
        )
    link = _belongs(session, party, d.home_party_id, reference, field) if reference else None
    row = session.get(DialogueParticipant, (d.id, party.id))
    if row is None:
        position: int = session.execute(
            select(func.coalesce(func.max(DialogueParticipant.position), 0)).where(
                DialogueParticipant.dialogue_id == d.id
            )
        ).scalar_one()
        session.add(
            DialogueParticipant(
                dialogue_id=d.id, party_id=party.id, partnership_id=link, position=position + 1
            )
        )
        return True
    if link is not None and row.partnership_id != link:
        row.partnership_id = link
        return True
    return False


def _join(
    session: Session, acting: Acting, d: Dialogue, key: str, reference: str | None, field: str
) -> None:
    before = entry(session, d)
    if _add_participant(session, d, key, reference, field):
        _open(d)  # a script applied again to a closed dialogue changes nothing: allowed
        _journal(session, acting, d, "join", before)


def add_participant(
    session: Session, acting: Acting, key: str, *, party: str, partnership: str | None = None
) -> DialogueInfo:
    """A territory joins the dialogue (through ``partnership``, the one it belongs to, if
    given: it must hold the territory and the home party); again, it changes nothing."""
    d = _lock(session, key)
    _open(d)
    clean, ref = _participant((party, partnership), "party")
    _join(session, acting, d, clean, ref, "party")
    return dialogue(session, key)


def add_stake(
    session: Session,
    acting: Acting,
    key: str,
    *,
    party: str,
    title: str,
    description: str = "",
) -> DialogueInfo:
    """A stake the dialogue identified for one of its territories (the same title again
    updates its description)."""
    d = _lock(session, key)
    _open(d)
    territory = find_party(session, v.key(party, "party"))
    if session.get(DialogueParticipant, (d.id, territory.id)) is None:
        raise ValidationError(
            _(
                "{party} does not take part in the thematic dialogue {key}: add it first "
                "(coopflow dialogue join {key} {party})"
            ).format(party=territory.key, key=key),
            field="party",
        )
    clean_title = v.text(title, "title")
    clean_description = (
        v.text(description, "description", max_length=5000, multiline=True) if description else ""
    )
    before = entry(session, d)
    row = session.scalars(
        select(DialogueStake).where(
            DialogueStake.dialogue_id == d.id,
            DialogueStake.party_id == territory.id,
            DialogueStake.title == clean_title,
        )
    ).one_or_none()
    if row is None:
        session.add(
            DialogueStake(
                dialogue_id=d.id,
                party_id=territory.id,
                title=clean_title,
                description=clean_description,
            )
        )
    else:
        row.description = clean_description
    _journal(session, acting, d, "stake", before)
    return dialogue(session, key)


def log_exchange(
    session: Session,
    acting: Acting,
    key: str,
    *,
    date: object,
    kind: str,
    summary: str,
    participants: str | None = None,
) -> DialogueExchangeInfo:
    """Log an exchange once for every participant (the same date, kind and summary again
    changes nothing)."""
    d = _lock(session, key)
    _open(d)
    when = v.date(date, "date")
    clean_kind = v.choice(kind, "kind", EXCHANGE_KINDS)
    clean_summary = v.text(summary, "summary", max_length=5000, multiline=True)
    clean_participants = v.optional_text(participants, "participants", max_length=2000)
    rows = _exchanges(session, [d.id])
    for number, row in enumerate(rows, start=1):
        if (row.date, row.kind, row.summary) == (when, clean_kind, clean_summary):
            return _exchange_info(d, number, row)
    row = DialogueExchange(
        dialogue_id=d.id,
        date=when,
        kind=clean_kind,
        summary=clean_summary,
        participants=clean_participants,
        created_by=acting.login,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    number = len(rows) + 1
    _registry.append(
        session,
        CHAIN,
        acting,
        action="exchange",
        subject=exchange_subject(d.key, number),
        before=None,
        after=exchange_entry(d.key, number, row),
    )
    return _exchange_info(d, number, row)


def close_dialogue(
    session: Session, acting: Acting, key: str, *, date: object, conclusion: str
) -> DialogueInfo:
    """Close the dialogue on ``date`` with what it concluded; nothing is added to it after."""
    d = _lock(session, key)
    _open(d)
    when = v.date(date, "date")
    if when < d.created_at.date():
        raise ValidationError(
            _("{date} is before the dialogue was opened ({opened})").format(
                date=when.isoformat(), opened=d.created_at.date().isoformat()
            ),
            field="date",
        )
    before = entry(session, d)
    d.closed_on = when
    d.conclusion = v.text(conclusion, "conclusion", max_length=5000, multiline=True)
    _journal(session, acting, d, "close", before)
    return dialogue(session, key)


def lead_to(
    session: Session, acting: Acting, key: str, p: Partnership, parties: Sequence[int]
) -> None:
    """Partnership ``p`` comes from the dialogue: it keeps the link, and its territories that
    took part in the dialogue through no partnership now belong to it.  Every party of ``p``
    other than the dialogue's home party must have taken part."""
    d = _lock(session, key)
    taking_part = {x.party_id: x for x in _participants(session, d)}
    strangers = [i for i in parties if i != d.home_party_id and i not in taking_part]
    if strangers:
        names = ", ".join(sorted(_party_keys(session, strangers).values()))
        raise ValidationError(
            _(
                "{parties} did not take part in the thematic dialogue {key}: a partnership that "
                "comes from it brings together its territories (coopflow dialogue join {key} ...)"
            ).format(parties=names, key=key),
            field="dialogue",
        )
    if d.home_party_id not in parties:
        raise ValidationError(
            _("the partnership does not hold the home party of the thematic dialogue {key}").format(
                key=key
            ),
            field="dialogue",
        )
    before = entry(session, d)
    p.dialogue_id = d.id
    for party_id in parties:
        row = taking_part.get(party_id)
        if row is not None and row.partnership_id is None:
            row.partnership_id = p.id
    _journal(session, acting, d, "partnership", before)


# ----------------------------------------------------------------------------- reading


def _exchange_info(d: Dialogue, number: int, e: DialogueExchange) -> DialogueExchangeInfo:
    return DialogueExchangeInfo(
        dialogue=d.key,
        theme=d.theme,
        number=number,
        date=e.date,
        kind=e.kind,
        summary=e.summary,
        participants=e.participants,
        logged_by=e.created_by,
    )


def dialogue(session: Session, key: str) -> DialogueInfo:
    d = find_dialogue(session, key)
    data = entry(session, d)
    numbered = [_exchange_info(d, n, e) for n, e in enumerate(_exchanges(session, [d.id]), 1)]
    partnerships = list(
        session.scalars(
            select(Partnership.reference)
            .where(Partnership.dialogue_id == d.id)
            .order_by(Partnership.reference)
        )
    )
    return DialogueInfo.of(data, exchanges=numbered, partnerships=partnerships)


def dialogues(
    session: Session, *, theme: str | None = None, party: str | None = None
) -> list[DialogueSummary]:
    """Every thematic dialogue (of ``theme``, or in which ``party`` takes part, or leads),
    by key."""
    query = select(Dialogue).order_by(Dialogue.key)
    if theme is not None:
        query = query.where(func.lower(Dialogue.theme) == v.text(theme, "theme").lower())
    if party is not None:
        found = find_party(session, v.key(party, "party"))
        joined = select(DialogueParticipant.dialogue_id).where(
            DialogueParticipant.party_id == found.id
        )
        query = query.where((Dialogue.id.in_(joined)) | (Dialogue.home_party_id == found.id))
    rows = list(session.scalars(query))
    counts = dict(
        session.execute(
            select(DialogueExchange.dialogue_id, func.count())
            .where(DialogueExchange.dialogue_id.in_([d.id for d in rows]))
            .group_by(DialogueExchange.dialogue_id)
        ).all()
    )
    members = dict(
        session.execute(
            select(DialogueParticipant.dialogue_id, func.count())
            .where(DialogueParticipant.dialogue_id.in_([d.id for d in rows]))
            .group_by(DialogueParticipant.dialogue_id)
        ).all()
    )
    return [
        DialogueSummary(
            key=d.key,
            theme=d.theme,
            title=d.title,
            participants=members.get(d.id, 0),
            exchanges=counts.get(d.id, 0),
            closed_on=d.closed_on,
        )
        for d in rows
    ]


def exchanges_of(session: Session, p: Partnership) -> list[DialogueExchangeInfo]:
    """The exchanges of the thematic dialogues ``p`` takes part in (as a participant's
    partnership, or as the partnership a dialogue led to), oldest first."""
    ids = set(
        session.scalars(
            select(DialogueParticipant.dialogue_id).where(
                DialogueParticipant.partnership_id == p.id
            )
        )
    )
    if p.dialogue_id is not None:
        ids.add(p.dialogue_id)
    found: list[DialogueExchangeInfo] = []
    by_id = {d.id: d for d in session.scalars(select(Dialogue).where(Dialogue.id.in_(ids)))}
    numbers: dict[int, int] = {}
    for e in _exchanges(session, sorted(ids)):
        numbers[e.dialogue_id] = numbers.get(e.dialogue_id, 0) + 1
        found.append(_exchange_info(by_id[e.dialogue_id], numbers[e.dialogue_id], e))
    return sorted(found, key=lambda x: (x.date, x.dialogue, x.number))


def dialogue_of(session: Session, p: Partnership) -> str | None:
    """The key of the dialogue ``p`` came from."""
    if p.dialogue_id is None:
        return None
    return session.scalar(select(Dialogue.key).where(Dialogue.id == p.dialogue_id))
