"""The staff's calendar (``coopflow calendar --ics FILE``): an iCalendar file of what is dated
in the database, for the cooperation service's calendars.

What it holds, each a whole-day VEVENT:

* COPIL and COTECH meetings: the COPIL that approved each programme (``copil_date``), the
  COTECH's reviews (a programme entering a state the workflow declares ``awaiting_copil``,
  dated the day it was recorded, in Paris time), and the exchanges logged as a meeting of
  either committee (an exchange whose summary names the "comité de pilotage"/COPIL or the
  "comité technique"/COTECH);
* council sittings: one event per party and sitting day, listing the délibérations taken;
* protocol ends: the last day of each protocol;
* every deadline :meth:`coopflow.Coopflow.due` knows, of every kind, overdue or to come (as
  far ahead as ``due`` looks: ten years); a deadline that is a protocol's end is that
  protocol's end event, with its basis.

Each event has a UID made from what it is about, never from its date or wording (the kind,
the reference and the key of the thing: programme, party, délibération number, action...),
so a calendar that imports the file again updates its events rather than duplicating them; a
DTSTAMP (the moment of the export, UTC); a summary in French; a description with the
reference and the basis of the date; the deadline's kind among its CATEGORIES.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from ._views import Deadline
from .models import Deliberation, Exchange, JournalRecord, Partnership, Party, Programme, Protocol

if TYPE_CHECKING:
    from ._api import Coopflow

__all__ = ["CalendarEvent", "calendar_bytes", "calendar_events", "deadline_uid"]

DOMAIN: Final = "coopflow"
PRODID: Final = "-//coopflow//calendrier de la coopération territoriale//FR"

#: The summary of each kind of deadline, in French.
DEADLINE_SUMMARIES: Final[dict[str, str]] = {
    "protocol_end": "Fin du protocole {reference}",
    "protocol_end_renewing": "Fin du protocole {reference} (renouvellement engagé)",
    "annual_copil": "COPIL annuel à tenir – {reference}",
    "deliberation_missing": "Délibération attendue – {reference}",
    "deliberation": "Délibération à rendre exécutoire – {reference}",
    "programme_draft": "Programme en préparation – {reference}",
    "copil_approval": "Programme à approuver en COPIL – {reference}",
    "milestone": "Jalon dépassé – {reference}",
}
_PROTOCOL_ENDS: Final = ("protocol_end", "protocol_end_renewing")


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One whole-day event of the calendar."""

    uid: str
    day: dt.date
    summary: str
    description: str
    categories: tuple[str, ...]
    reference: str | None = None


def _uid(*parts: object) -> str:
    key = "|".join("" if p is None else str(p) for p in parts)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
    return f"{parts[0]}-{digest}@{DOMAIN}"


def deadline_uid(d: Deadline) -> str:
    """A deadline's UID: its kind and what it is about (the date left out, so a deadline whose
    date moves, a délibération still awaited, keeps its event)."""
    if d.kind in _PROTOCOL_ENDS:
        return _uid("protocol-end", d.reference)
    return _uid(
        "due",
        d.kind,
        d.reference,
        d.party,
        d.programme,
        d.action,
        d.number,
        d.amendment,
        d.protocol_year,
        d.basis_date if d.kind == "milestone" else None,
    )


def _plain(text: str) -> str:
    """Lowercase, without accents."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def committee(summary: str) -> str | None:
    """``COPIL`` or ``COTECH`` when an exchange's summary names that committee, else None."""
    plain = _plain(summary)
    if "copil" in plain or "comite de pilotage" in plain:
        return "COPIL"
    if "cotech" in plain or "comite technique" in plain:
        return "COTECH"
    return None


def _paris_day(moment: dt.datetime) -> dt.date:
    from zoneinfo import ZoneInfo

    from .models import aware

    return aware(moment).astimezone(ZoneInfo("Europe/Paris")).date()


def calendar_events(cf: Coopflow, *, today: dt.date | None = None) -> list[CalendarEvent]:
    """Every event of the calendar (see the module's docstring), by day then UID (``today``:
    the day deadlines are computed from; by default today)."""
    return _events(cf, today or dt.date.today())


def _french_date(day: dt.date) -> str:
    from coopflow.documents._french import french_date

    return french_date(day).replace("\u00a0", " ")


def _events(cf: Coopflow, today: dt.date) -> list[CalendarEvent]:
    from ._domain.deadlines import MAX_WITHIN_DAYS

    deadlines = cf.due(within_days=MAX_WITHIN_DAYS, today=today)
    ends = {d.reference: d for d in deadlines if d.kind in _PROTOCOL_ENDS}
    found: list[CalendarEvent] = []
    with cf._binding.read() as s:  # the facade's own session
        refs = {
            row.id: row.reference
            for row in s.execute(select(Partnership.id, Partnership.reference))
        }
        found.extend(_committees(s, refs, cf.workflows.programme_states_with("awaiting_copil")))
        found.extend(_sittings(s, refs))
        found.extend(_protocol_ends(s, refs, ends))
    found.extend(_deadlines(deadlines))
    events: dict[str, CalendarEvent] = {}
    for event in found:
        events.setdefault(event.uid, event)
    return sorted(events.values(), key=lambda e: (e.day, e.uid))


def _committees(s: Session, refs: dict[int, str], reviewed: list[str]) -> Iterator[CalendarEvent]:
    """The COPIL that approved each programme, the programme events of a committee, and the
    exchanges logged as a committee's meeting."""
    programmes = {pr.id: pr for pr in s.scalars(select(Programme))}
    for pr in programmes.values():
        if pr.copil_date is not None:
            ref = refs[pr.partnership_id]
            yield CalendarEvent(
                _uid("copil", ref, pr.label),
                pr.copil_date,
                f"COPIL – programme {pr.label} – {ref}",
                f"{ref} : comité de pilotage qui a approuvé le programme de travail "
                f"{pr.label} (du {_french_date(pr.period_start)} au "
                f"{_french_date(pr.period_end)}).",
                ("COPIL",),
                ref,
            )
    # A programme that enters a state awaiting the COPIL has been reviewed by the COTECH (the
    # workflows say which states those are: the capability ``awaiting_copil``).
    for rec in s.scalars(
        select(JournalRecord)
        .where(JournalRecord.programme_id.is_not(None))
        .where(JournalRecord.target_state.in_(reviewed))
        .order_by(JournalRecord.partnership_id, JournalRecord.seq)
    ):
        if rec.source_state in reviewed or rec.programme_id not in programmes:
            continue
        pr = programmes[rec.programme_id]
        ref = refs[rec.partnership_id]
        day = _paris_day(rec.at)
        yield CalendarEvent(
            _uid("cotech", ref, pr.label, rec.seq),
            day,
            f"COTECH – revue du programme {pr.label} – {ref}",
            f"{ref} : revue du programme de travail {pr.label} par le comité technique "
            f"(journal, enregistrement n° {rec.seq}, le {_french_date(day)}).",
            ("COTECH",),
            ref,
        )
    for ex in s.scalars(select(Exchange).order_by(Exchange.id)):
        which = committee(ex.summary)
        if which is not None:
            ref = refs[ex.partnership_id]
            yield CalendarEvent(
                _uid(which.lower(), ref, "exchange", ex.id),
                ex.date,
                f"{which} – {ref}",
                f"{ref} : {ex.summary} (échange consigné, {ex.kind}).",
                (which,),
                ref,
            )


def _sittings(s: Session, refs: dict[int, str]) -> Iterator[CalendarEvent]:
    """One event per party and sitting day, listing the délibérations taken."""
    parties = {p.id: p for p in s.scalars(select(Party))}
    sittings: dict[tuple[int, dt.date], list[Deliberation]] = defaultdict(list)
    for d in s.scalars(select(Deliberation).order_by(Deliberation.id)):
        sittings[d.party_id, d.sitting_date].append(d)
    for (party_id, day), taken in sorted(sittings.items(), key=lambda x: (x[0][1], x[0][0])):
        party = parties[party_id]
        name = party.usual_name or party.official_name
        listed = "; ".join(
            f"{refs[d.partnership_id]} : délibération n° {d.number} sur "
            + ("le protocole" if d.amendment == 0 else f"l'avenant n° {d.amendment}")
            for d in taken
        )
        yield CalendarEvent(
            _uid("sitting", party.key, day.isoformat()),
            day,
            f"Séance – {party.deliberative_body} – {name}",
            f"Séance du {_french_date(day)} ({party.deliberative_body} de {name}) : {listed}.",
            ("séance",),
            refs[taken[0].partnership_id],
        )


def _protocol_ends(
    s: Session, refs: dict[int, str], ends: dict[str, Deadline]
) -> Iterator[CalendarEvent]:
    """Each protocol's last day (with the deadline ``due`` gives it, if any)."""
    for protocol in s.scalars(select(Protocol)):
        ref = refs[protocol.partnership_id]
        deadline = ends.get(ref)
        end = _french_date(protocol.period_end)
        if deadline is None:
            basis, summary = f"fin du protocole le {end}", f"Fin du protocole {ref}"
            categories: tuple[str, ...] = ("fin de protocole",)
        else:
            basis = deadline.basis
            summary = DEADLINE_SUMMARIES[deadline.kind].format(reference=ref)
            categories = ("fin de protocole", deadline.kind)
        yield CalendarEvent(
            _uid("protocol-end", ref),
            protocol.period_end,
            summary,
            f"{ref} : protocole du {_french_date(protocol.period_start)} au {end}. Base : {basis}.",
            categories,
            ref,
        )


def _deadlines(deadlines: list[Deadline]) -> Iterator[CalendarEvent]:
    """Every deadline but the protocols' ends (those are the protocols' end events)."""
    taken: dict[str, int] = defaultdict(int)
    for d in deadlines:
        if d.kind in _PROTOCOL_ENDS:
            continue
        uid = deadline_uid(d)
        taken[uid] += 1
        if taken[uid] > 1:  # two milestones of one action on one day
            uid = uid.replace("@", f"-{taken[uid]}@", 1)
        summary = DEADLINE_SUMMARIES.get(d.kind, "Échéance – {reference}").format(
            reference=d.reference
        )
        detail = ", ".join(
            x
            for x in (
                f"partie {d.party}" if d.party else "",
                f"programme {d.programme}" if d.programme else "",
                f"action {d.action}" if d.action is not None else "",
                f"délibération n° {d.number}" if d.number else "",
            )
            if x
        )
        yield CalendarEvent(
            uid,
            d.due,
            summary,
            f"{d.reference}{' (' + detail + ')' if detail else ''} : échéance du "
            f"{_french_date(d.due)}. Base : {d.basis or d.kind}.",
            ("échéance", d.kind),
            d.reference,
        )


def calendar_bytes(events: list[CalendarEvent], *, stamp: dt.datetime | None = None) -> bytes:
    """The events as an iCalendar file (RFC 5545), each a whole-day VEVENT."""
    import icalendar

    moment = (stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Coopération territoriale")
    for e in events:
        event = icalendar.Event()
        event.add("uid", e.uid)
        event.add("dtstamp", moment)
        event.add("dtstart", e.day)
        event.add("dtend", e.day + dt.timedelta(days=1))
        event.add("summary", e.summary)
        event.add("description", e.description)
        event.add("categories", list(e.categories))
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data


def counts(events: list[CalendarEvent]) -> dict[str, Any]:
    """How many events of each category (what ``--json`` prints)."""
    found: dict[str, int] = defaultdict(int)
    for e in events:
        found[e.categories[0]] += 1
    return {"events": len(events), "by_category": dict(sorted(found.items()))}
