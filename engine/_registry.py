"""The registries' own chains: every change to the actors and to the parties, hash-chained
as a partnership's journal is (one chain per registry, its head in ``coopflow_chain``), and
their verification against the registries as they stand.

A record's data holds the entry ``before`` and ``after`` the change (None when there was
none), so replaying a chain gives the registry it must equal.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ._canonical import canonical_json, sha256_hex, utc_iso
from ._context import Acting
from ._i18n import _
from ._journal import GENESIS, Problem
from ._vocabulary import ROLES
from .models import Chain, Party, RegisteredActor, RegistryRecord, utcnow

#: The registries that have a chain, and what one entry is called in a report.
CHAINS: Final[dict[str, str]] = {
    "actors": "actor",
    "parties": "party",
    "dialogues": "thematic dialogue",  # revision 0009: coopflow._domain.dialogues
}


def registry_hash(
    *,
    chain: str,
    seq: int,
    action: str,
    subject: str,
    actor: str,
    role: str,
    identified_by: str,
    db_login: str | None,
    at: dt.datetime,
    data: str,
    prev_hash: str,
) -> str:
    """The SHA-256 of the canonical JSON of everything a registry record says and of its place
    in its chain."""
    return sha256_hex(
        canonical_json(
            {
                "chain": chain,
                "seq": seq,
                "action": action,
                "subject": subject,
                "actor": actor,
                "role": role,
                "identified_by": identified_by,
                "db_login": db_login,
                "at": utc_iso(at),
                "data": data,
                "prev_hash": prev_hash,
            }
        )
    )


def _digest(rec: RegistryRecord) -> str:
    return registry_hash(
        chain=rec.chain,
        seq=rec.seq,
        action=rec.action,
        subject=rec.subject,
        actor=rec.actor,
        role=rec.role,
        identified_by=rec.identified_by,
        db_login=rec.db_login,
        at=rec.at,
        data=rec.data,
        prev_hash=rec.prev_hash,
    )


def append(
    session: Session,
    chain: str,
    acting: Acting,
    *,
    action: str,
    subject: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> RegistryRecord:
    """Add the next record of ``chain``, its head locked for the rest of the transaction (on
    SQLite the write lock is held already)."""
    head = session.scalars(select(Chain).where(Chain.name == chain).with_for_update()).one_or_none()
    if head is None:  # a registry chain is created with the schema; never by a write
        head = Chain(name=chain, seq=0, head=GENESIS)
        session.add(head)
    at = utcnow()
    data = canonical_json({"before": before, "after": after})
    record = RegistryRecord(
        chain=chain,
        seq=head.seq + 1,
        action=action,
        subject=subject,
        actor=acting.login,
        role=acting.role,
        identified_by=acting.identified_by,
        db_login=acting.db_login,
        at=at,
        data=data,
        prev_hash=head.head,
    )
    record.hash = _digest(record)
    session.add(record)
    session.flush()
    session.execute(
        update(Chain).where(Chain.name == chain).values(seq=record.seq, head=record.hash)
    )
    session.expire(head)
    return record


def actor_entry(row: RegisteredActor) -> dict[str, Any]:
    """What the actors' chain records of an actor."""
    return {
        "login": row.login,
        "full_name": row.full_name,
        "roles": [r for r in ROLES if r in row.roles],
        "active": row.active,
        "db_login": row.db_login,
    }


#: The party fields revision 0008 added: a record written before it does not hold them.
PARTY_FIELDS_0008: Final = (
    "article",
    "usual_article",
    "executive_civility",
    "tribunal",
    "country",
    "language",
    "original_name",
    "original_executive_title",
    "original_deliberative_body",
)


def party_defaults(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The fields revision 0008 added, as it filled them for a party registered before it
    (the articles and civility coopflow guessed until then, nothing else): what a parties'
    record written before 0008 implies of them.  The guesses are frozen as 0008 made them
    (``_ARTICLE_0008``, ``_civility_0008``): a later change of ``_vocabulary``'s defaults must
    not make every party registered before it look changed."""
    return {
        "article": _article_0008(entry.get("official_name")),
        "usual_article": _article_0008(entry.get("usual_name")),
        "executive_civility": _civility_0008(str(entry.get("executive_title") or "")),
        **dict.fromkeys(PARTY_FIELDS_0008[3:]),
    }


# Revision 0008's guesses, frozen (copied, not imported, from _vocabulary on purpose).
_ARTICLE_0008: Final = {
    **dict.fromkeys(("agglomération", "assemblée", "association", "établissement"), "l'"),
    **dict.fromkeys(("eurométropole", "office"), "l'"),
    **dict.fromkeys(("bureau", "comité", "conseil", "département", "parc", "pays"), "le"),
    **dict.fromkeys(("petr", "pôle", "syndicat"), "le"),
    **dict.fromkeys(("collectivité", "communauté", "commission", "commune"), "la"),
    **dict.fromkeys(("métropole", "municipalité", "province", "région", "ville"), "la"),
}


def _article_0008(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        return ""
    return _ARTICLE_0008.get(re.split(r"[\s'’-]", name.strip(), maxsplit=1)[0].lower(), "")


def _civility_0008(title: str) -> str | None:
    feminine = ("ente", "ère", "rice", "ointe", "ée", "elle", "esse", "ienne", "euse", "ète")
    masculine = ("ent", "er", "oint", "é", "eur", "et", "ien", "ef", "u")
    ordinals = {"premier": "Monsieur", "1er": "Monsieur", "première": "Madame", "1re": "Madame"}
    for raw in title.strip().split():
        word = raw.strip(",.").lower()
        if word in ordinals:
            return ordinals[word]
        if re.fullmatch(r"\d+(?:e|ème|eme)|second|seconde|deuxième|troisième|quatrième", word):
            continue
        last = word.rsplit("-", 1)[-1]
        if last.endswith((*feminine, "effe", "ue")):
            return "Madame"
        if last.endswith(masculine):
            return "Monsieur"
        return None
    return None


def party_entry(row: Party) -> dict[str, Any]:
    """What the parties' chain records of a party."""
    return {
        "key": row.key,
        "official_name": row.official_name,
        "usual_name": row.usual_name,
        "nature": row.nature,
        "siren": row.siren,
        "seat": row.seat,
        "deliberative_body": row.deliberative_body,
        "executive_title": row.executive_title,
        **{name: getattr(row, name) for name in PARTY_FIELDS_0008},
    }


def records(session: Session, chain: str) -> list[RegistryRecord]:
    return list(
        session.scalars(
            select(RegistryRecord).where(RegistryRecord.chain == chain).order_by(RegistryRecord.seq)
        )
    )


def _walk(chain: str, rows: list[RegistryRecord], head: Chain | None) -> Iterator[Problem]:
    prev = GENESIS
    for expected, rec in enumerate(rows, start=1):
        if rec.seq != expected:
            yield Problem(
                f"registry {chain}",
                expected,
                _("record {seq} is missing").format(seq=expected),
                "record_missing",
            )
            return
        if rec.prev_hash != prev:
            yield Problem(
                f"registry {chain}",
                rec.seq,
                _("does not follow the previous record"),
                "record_unchained",
            )
            return
        if _digest(rec) != rec.hash:
            yield Problem(
                f"registry {chain}",
                rec.seq,
                _("content does not match its hash (edited)"),
                "record_edited",
            )
            return
        prev = rec.hash
    seq, last = (head.seq, head.head) if head is not None else (0, GENESIS)
    if len(rows) != seq or prev != last:
        yield Problem(
            f"registry {chain}",
            None,
            _("the chain ends at record {chain} but its head names record {head}").format(
                chain=len(rows), head=seq
            ),
            "records_deleted",
        )


def _replayed(rows: Iterable[RegistryRecord]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for rec in rows:
        after = json.loads(rec.data)["after"]
        if after is None:
            state.pop(rec.subject, None)
        else:
            state[rec.subject] = after
    return state


def verify(session: Session) -> tuple[int, list[Problem]]:
    """Check the registry chains, then that the actors and the thematic dialogues are exactly
    what their chains say and that every party the parties' chain names is as it last
    recorded it.  Returns the number of records checked and the problems."""
    problems: list[Problem] = []
    count = 0
    heads = {c.name: c for c in session.scalars(select(Chain))}
    replays: dict[str, dict[str, Any]] = {}
    for chain in CHAINS:
        rows = records(session, chain)
        count += len(rows)
        broken = list(_walk(chain, rows, heads.get(chain)))
        problems.extend(broken)
        replays[chain] = _replayed(rows) if not broken else {}
    if not any(p.reference == "registry actors" for p in problems):
        current = {r.login: actor_entry(r) for r in session.scalars(select(RegisteredActor))}
        journaled = replays["actors"]
        for login in sorted(set(current) | set(journaled)):
            if current.get(login) != journaled.get(login):
                problems.append(
                    Problem(
                        "registry actors",
                        None,
                        _(
                            "actor {login} is not as the actors' journal last recorded it "
                            "(changed outside coopflow)"
                        ).format(login=login)
                        if login in journaled
                        else _(
                            "actor {login} has no journal record (added outside coopflow)"
                        ).format(login=login),
                        "entry_changed" if login in journaled else "entry_added",
                        login,
                    )
                )
    if not any(p.reference == "registry parties" for p in problems):
        parties = {r.key: party_entry(r) for r in session.scalars(select(Party))}
        for key, last in sorted(replays["parties"].items()):
            # A record written before revision 0008 implies the fields it added.
            recorded = {**party_defaults(last), **last} if "article" not in last else last
            if parties.get(key) != recorded:
                problems.append(
                    Problem(
                        "registry parties",
                        None,
                        _(
                            "party {party} is not as the parties' journal last recorded it "
                            "(changed outside coopflow)"
                        ).format(party=key),
                        "entry_changed",
                        key,
                    )
                )
    if not any(p.reference == "registry dialogues" for p in problems):
        from coopflow._domain import dialogues  # the domain writes through this module

        problems.extend(_compare_dialogues(dialogues.current(session), replays["dialogues"]))
    return count, problems


def _compare_dialogues(
    current: Mapping[str, Any], journaled: Mapping[str, Any]
) -> Iterator[Problem]:
    for subject in sorted(set(current) | set(journaled)):
        if current.get(subject) == journaled.get(subject):
            continue
        key, _sep, number = subject.partition("~")
        if subject not in journaled:
            code = "entry_added"
            message = (
                _(
                    "exchange {number} of thematic dialogue {dialogue} has no journal record "
                    "(added outside coopflow)"
                )
                if number
                else _(
                    "thematic dialogue {dialogue} has no journal record (added outside coopflow)"
                )
            )
        elif subject not in current:
            code = "entry_removed"
            message = (
                _(
                    "exchange {number} of thematic dialogue {dialogue} is missing (removed "
                    "outside coopflow)"
                )
                if number
                else _("thematic dialogue {dialogue} is missing (removed outside coopflow)")
            )
        else:
            code = "entry_changed"
            message = (
                _(
                    "exchange {number} of thematic dialogue {dialogue} is not as the dialogues' "
                    "journal last recorded it (changed outside coopflow)"
                )
                if number
                else _(
                    "thematic dialogue {dialogue} is not as the dialogues' journal last "
                    "recorded it (changed outside coopflow)"
                )
            )
        yield Problem(
            "registry dialogues", None, message.format(number=number, dialogue=key), code, subject
        )
