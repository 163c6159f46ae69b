"""Deadlines (``due``): what falls due soon, or is overdue, across every partnership.

What counts is asked of the workflow definitions by capability (``in_force``, ``deliberating``,
``amendment_deliberating``, ``drafting``; for programmes ``programme_editable``,
``awaiting_copil``, ``running``), never by a state's name, so a host's own workflows are covered
as well as the built-in ones.  A partnership that has ended (a final state, or one declaring
``ended``: expired, renewed, terminated, abandoned) has nothing due, whatever of it was left
open (a programme left running, a délibération never published).

**Flat in the number of partnerships.**  Every query starts from the *live* partnerships: those
whose protocol has not ended (``NOT coopflow_protocol.ended``, the partial index
``ix_coopflow_protocol_running_end``, whose size is the contracts under way, not history), and
those drafting a protocol not written yet (the state index).  Their rows are then reached by
key, a chunk of ids at a time: délibérations, programmes, their actions and milestones, the
parties, the avenants, the journal.  So what ended partnerships, accueil, dialogue and history
hold is never visited, and no plan depends on the planner's statistics
(``tests/test_query_plans.py`` explains each statement; ``tests/benchmarks`` measures 100,000
partnerships against 1,000).

How each date is computed (``Deadline.basis``, in French):

==========================  ==============================================================
kind                        due
==========================  ==============================================================
``protocol_end``            the protocol's last day (in force, no renewal engaged)
``protocol_end_renewing``   the same, when a successor partnership (its renewal, not ended)
                            exists: listed apart, for the successor must be signed in time
``annual_copil``            the last day of a protocol year (from ``period_start``, yearly)
                            that has passed or ends within the horizon with fewer COPIL
                            meetings held (programmes' ``copil_date`` in that year, distinct
                            days) than ``meetings_per_year``
``deliberation_missing``    a party of a partnership whose councils deliberate (on the
                            protocol, or on the avenant in progress) has no délibération
                            recorded: due since the journal record that put it to the
                            councils (for the protocol, the legal department's approval; a
                            return from suspension does not count); ``days_waited`` since
``deliberation``            a délibération not exécutoire yet: its sitting + 15 days
``programme_draft``         a programme still in preparation (``programme_editable``, not
                            awaiting the COPIL): its first day, within the horizon or past
``copil_approval``          a programme awaiting the COPIL's approval: its first day
``milestone``               a milestone of a running programme, not done, past its date
==========================  ==============================================================
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from coopflow._domain.firing import has_ended
from coopflow._i18n import N_, _, ngettext
from coopflow._views import Deadline
from coopflow._vocabulary import RECORD_KINDS
from coopflow._workflow import PREVIOUS, Workflow, WorkflowSet
from coopflow.errors import ValidationError
from coopflow.models import (
    PROTOCOL_RUNNING,
    Action,
    Amendment,
    Deliberation,
    JournalRecord,
    Milestone,
    Partnership,
    PartnershipParty,
    Party,
    Programme,
    Protocol,
    aware,
)
from sqlalchemy import Executable, Integer, bindparam, select
from sqlalchemy.orm import Session

MAX_WITHIN_DAYS = 3660  # ten years ahead: a protocol lasts at most ten
#: Days after its sitting by which a délibération should be exécutoire (sent to the
#: prefecture and published): the deadline of the ``deliberation`` kind.
EXECUTOIRE_DAYS: Final = 15

KINDS: Final[dict[str, str]] = {
    "protocol_end": N_("the protocol ends (or has ended) and no renewal is engaged"),
    "protocol_end_renewing": N_("the protocol ends; a successor partnership renews it"),
    "annual_copil": N_("a protocol year with fewer COPIL meetings held than the protocol provides"),
    "deliberation_missing": N_("a party has not deliberated on what was put to the councils"),
    "deliberation": N_("a délibération is not exécutoire yet"),
    "programme_draft": N_("a programme is still in preparation as its period approaches"),
    "copil_approval": N_("a programme awaits the COPIL's approval"),
    "milestone": N_("a milestone of a running programme is past its date"),
}
"""What each ``Deadline.kind`` says (shown with ``_()``)."""

_CHUNK = 500  # ids per statement: far below SQLite's limit on bound parameters
_IDS = bindparam("ids", type_=Integer, expanding=True)
_NBSP, _NNBSP = "\u00a0", "\u202f"  # inside dates; before ; and : (French typography)

# ----------------------------------------------------------------------------- statements
# After the live set, each statement reads one table by key (the ids of the rows before):
# no join, no filter a planner could prefer to drive from another index (the partial index
# of every open milestone, say, which holds those that ended partnerships left open).

#: The partnerships whose protocol has not ended (the partial index of running protocols:
#: ``models.PROTOCOL_RUNNING`` is the index's own condition, ``ended = 0`` / ``NOT ended``).
_RUNNING = (
    select(
        Partnership.id,
        Partnership.reference,
        Partnership.state,
        Partnership.workflow_name,
        Partnership.workflow_version,
        Partnership.predecessor_id,
        Protocol.period_start,
        Protocol.period_end,
        Protocol.meetings_per_year,
    )
    .select_from(Protocol)
    .join(Partnership, Partnership.id == Protocol.partnership_id)
    .where(PROTOCOL_RUNNING)
)
#: Partnerships drafting their protocol (one may have programmes before its protocol).
_DRAFTING = select(
    Partnership.id,
    Partnership.reference,
    Partnership.state,
    Partnership.workflow_name,
    Partnership.workflow_version,
    Partnership.predecessor_id,
).where(Partnership.state.in_(bindparam("states", expanding=True)))
_PROGRAMMES = select(
    Programme.id,
    Programme.partnership_id,
    Programme.label,
    Programme.state,
    Programme.workflow_name,
    Programme.workflow_version,
    Programme.period_start,
    Programme.period_end,
    Programme.copil_date,
).where(Programme.partnership_id.in_(_IDS))
_DELIBERATIONS = select(
    Deliberation.partnership_id,
    Deliberation.party_id,
    Deliberation.amendment,
    Deliberation.number,
    Deliberation.sitting_date,
    Deliberation.sent_to_prefecture,
    Deliberation.published,
    Deliberation.foreign_decision,
).where(Deliberation.partnership_id.in_(_IDS))
_ACTIONS = select(Action.id, Action.programme_id, Action.number).where(
    Action.programme_id.in_(_IDS)
)
# ``done`` is read, not filtered (a filter on it would offer the open milestones' index).
_MILESTONES = select(Milestone.action_id, Milestone.date, Milestone.label, Milestone.done).where(
    Milestone.action_id.in_(_IDS), Milestone.date < bindparam("today")
)
_MEMBERS = select(PartnershipParty.partnership_id, PartnershipParty.party_id).where(
    PartnershipParty.partnership_id.in_(_IDS)
)
_PARTY_KEYS = select(Party.id, Party.key).where(Party.id.in_(_IDS))
#: The avenants withdrawn: their délibérations are nobody's deadline any more.
_WITHDRAWN_AMENDMENTS = select(Amendment.partnership_id, Amendment.number).where(
    Amendment.partnership_id.in_(_IDS), Amendment.withdrawn_on.is_not(None)
)
#: The avenants not signed nor withdrawn: the one in progress is the last of them.
_OPEN_AMENDMENTS = select(Amendment.partnership_id, Amendment.number).where(
    Amendment.partnership_id.in_(_IDS),
    Amendment.signed_on.is_(None),
    Amendment.withdrawn_on.is_(None),
)
#: The records of fired events that entered a state (not the data entries, délibérations,
#: documents and migrations the journal also holds).
_ENTERING = select(
    JournalRecord.partnership_id,
    JournalRecord.seq,
    JournalRecord.event,
    JournalRecord.target_state,
    JournalRecord.at,
).where(
    JournalRecord.partnership_id.in_(_IDS),
    JournalRecord.programme_id.is_(None),
    JournalRecord.source_state.is_not(None),
    JournalRecord.source_state != JournalRecord.target_state,
    JournalRecord.event.not_in(sorted(RECORD_KINDS)),
)


def _each(
    session: Session, statement: Executable, ids: Iterable[int], **params: Any
) -> Iterator[Any]:
    """The rows of ``statement`` for ``ids``, a chunk of them at a time (Core rows: what is
    read is plain values, no ORM entity)."""
    ordered = sorted(set(ids))
    connection = session.connection()
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        yield from connection.execute(statement, {"ids": chunk, **params}).all()


# ----------------------------------------------------------------------------- French


@functools.cache
def _months() -> tuple[str, ...]:
    # Babel (as coopflow.documents' french_date), imported when a deadline is first written.
    from babel.dates import format_date

    return tuple(format_date(dt.date(2000, m, 1), "MMMM", locale="fr_FR") for m in range(1, 13))


def french_date(day: dt.date) -> str:
    """``20 novembre 2026``, ``1er janvier 2027`` (no-break spaces), as the documents write
    dates (``coopflow.documents.french_date``, which loads the renderer: not for a listing)."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number}{_NBSP}{_months()[day.month - 1]}{_NBSP}{day.year}"


def _plural(count: int) -> str:
    return "s" if count >= 2 else ""


def _waited(days: int) -> str:
    if days <= 0:
        return "en attente depuis aujourd'hui"
    return f"en attente depuis {days} jour{_plural(days)}"


# ----------------------------------------------------------------------------- the live set


@dataclass(slots=True)
class _Live:
    """A partnership that has not ended, with its protocol's period when it has one."""

    id: int
    reference: str
    state: str
    workflow: Workflow
    predecessor_id: int | None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    meetings_per_year: int = 0
    copil_dates: set[dt.date] = field(default_factory=set)

    def allows(self, capability: str) -> bool:
        return self.workflow.allows(self.state, capability)


class _Definitions:
    """The workflow definitions rows name, looked up once each (None: not loaded here)."""

    def __init__(self, workflows: WorkflowSet) -> None:
        self._workflows = workflows
        self._known: dict[tuple[str, int], Workflow | None] = {}

    def get(self, name: str, version: int) -> Workflow | None:
        key = (name, version)
        if key not in self._known:
            try:
                self._known[key] = self._workflows.get(name, version)
            except ValidationError:
                self._known[key] = None  # a host's definition this instance was not given
        return self._known[key]


def _live(session: Session, workflows: WorkflowSet, known: _Definitions) -> dict[int, _Live]:
    found: dict[int, _Live] = {}

    def admit(row: Any) -> _Live | None:
        wf = known.get(row.workflow_name, row.workflow_version)
        if wf is None or wf.subject != "partnership" or has_ended(wf, row.state):
            return None  # has ended (a marker not set yet), or a definition not loaded
        live = _Live(row.id, row.reference, row.state, wf, row.predecessor_id)
        found[row.id] = live
        return live

    connection = session.connection()
    for row in connection.execute(_RUNNING):
        live = admit(row)
        if live is not None:
            live.period_start, live.period_end = row.period_start, row.period_end
            live.meetings_per_year = row.meetings_per_year
    drafting = workflows.partnership_states_with("drafting")
    if drafting:
        for drafted in connection.execute(_DRAFTING, {"states": drafting}):
            if drafted.id not in found:
                admit(drafted)
    return found


# ----------------------------------------------------------------------------- due


def due(
    session: Session, workflows: WorkflowSet, *, within_days: int, today: dt.date
) -> list[Deadline]:
    """What falls due within ``within_days`` of ``today`` (and what is overdue), soonest first,
    each with how its date is computed (:data:`KINDS`, and the module's table): protocols
    ending (with or without a renewal engaged), protocol years short of their COPIL meetings,
    parties that have not deliberated, délibérations not yet exécutoire, programmes still in
    preparation or awaiting COPIL approval, milestones past their date in running programmes.
    Nothing of a partnership that has ended."""
    if isinstance(within_days, bool) or not isinstance(within_days, int):
        raise ValidationError(_("must be a whole number of days"), field="within_days")
    if not 0 <= within_days <= MAX_WITHIN_DAYS:
        raise ValidationError(
            _("{days} is not between 0 and {most} days").format(
                days=within_days, most=MAX_WITHIN_DAYS
            ),
            field="within_days",
        )
    try:
        horizon = today + dt.timedelta(days=within_days)
    except OverflowError:
        raise ValidationError(
            _("{today} + {days} days is past the last date").format(
                today=today.isoformat(), days=within_days
            ),
            field="today",
        ) from None
    known = _Definitions(workflows)
    live = _live(session, workflows, known)
    found: list[Deadline] = []
    running = _programmes(session, known, live, horizon, found)
    found.extend(_milestones(session, running, today))
    found.extend(_protocol_ends(live, horizon))
    found.extend(_annual_copils(live, horizon))
    found.extend(_deliberations(session, live, horizon, today))
    return sorted(found, key=_order)


def _order(d: Deadline) -> tuple[Any, ...]:
    return (
        d.due,
        d.reference,
        d.kind,
        d.amendment or 0,
        d.party or "",
        d.programme or "",
        d.action or 0,
        d.protocol_year or 0,
        d.number or "",
    )


def _programmes(
    session: Session,
    known: _Definitions,
    live: dict[int, _Live],
    horizon: dt.date,
    found: list[Deadline],
) -> dict[int, tuple[_Live, str]]:
    """Programmes in preparation or awaiting the COPIL (into ``found``), the COPIL dates of
    each partnership; returns the running programmes (id: partnership, label)."""
    running: dict[int, tuple[_Live, str]] = {}
    for row in _each(session, _PROGRAMMES, live):
        p = live[row.partnership_id]
        if row.copil_date is not None:
            p.copil_dates.add(row.copil_date)
        wf = known.get(row.workflow_name, row.workflow_version)
        if wf is None:
            continue
        if wf.allows(row.state, "running"):
            running[row.id] = (p, row.label)
        if row.period_start > horizon:
            continue
        if wf.allows(row.state, "awaiting_copil"):
            kind, basis = "copil_approval", ""
            what = _("programme {label} awaits COPIL approval (starts {start})")
        elif wf.allows(row.state, "programme_editable"):
            kind = "programme_draft"
            what = _("programme {label} is still in preparation (starts {start})")
            basis = f"{_NNBSP}; programme encore en préparation"
        else:
            continue
        starts = f"début du programme {row.label} le {french_date(row.period_start)}"
        found.append(
            Deadline(
                p.reference,
                kind,
                row.period_start,
                what.format(label=row.label, start=row.period_start),
                basis=starts + basis,
                basis_date=row.period_start,
                programme=row.label,
                period_start=row.period_start,
                period_end=row.period_end,
            )
        )
    return running


def _milestones(
    session: Session, running: dict[int, tuple[_Live, str]], today: dt.date
) -> Iterator[Deadline]:
    actions = {
        action_id: (programme_id, number)
        for action_id, programme_id, number in _each(session, _ACTIONS, running)
    }
    for action_id, when, what, done in _each(session, _MILESTONES, actions, today=today):
        if done:
            continue
        programme_id, action_no = actions[action_id]
        p, label = running[programme_id]
        yield Deadline(
            p.reference,
            "milestone",
            when,
            _("programme {label}, action {action}: {milestone} (due {date})").format(
                label=label, action=action_no, milestone=what, date=when
            ),
            basis=f"jalon prévu le {french_date(when)}",
            basis_date=when,
            programme=label,
            action=action_no,
        )


def _protocol_ends(live: dict[int, _Live], horizon: dt.date) -> Iterator[Deadline]:
    successors: dict[int, _Live] = {}
    for p in sorted(live.values(), key=lambda p: p.reference):
        if p.predecessor_id is not None:
            successors.setdefault(p.predecessor_id, p)
    for p in live.values():
        end = p.period_end
        if end is None or end > horizon or not p.allows("in_force"):
            continue
        ends = f"fin du protocole le {french_date(end)}"
        successor = successors.get(p.id)
        if successor is None:
            kind, what = "protocol_end", _("the protocol ends on {date}").format(date=end)
            basis = f"{ends}{_NNBSP}; aucun renouvellement engagé"
        else:
            kind = "protocol_end_renewing"
            what = _("the protocol ends on {date}; its renewal {reference} is under way").format(
                date=end, reference=successor.reference
            )
            basis = f"{ends}{_NNBSP}; renouvellement engagé ({successor.reference})"
        yield Deadline(
            p.reference,
            kind,
            end,
            what,
            basis=basis,
            basis_date=end,
            period_start=p.period_start,
            period_end=end,
            successor=successor.reference if successor is not None else None,
        )


def _add_years(day: dt.date, years: int) -> dt.date | None:
    """``day`` ``years`` later (29 February: the 28th); None past the last date."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        try:
            return day.replace(year=day.year + years, day=28)
        except ValueError:
            return None


def _annual_copils(live: dict[int, _Live], horizon: dt.date) -> Iterator[Deadline]:
    for p in live.values():
        start, end, expected = p.period_start, p.period_end, p.meetings_per_year
        if start is None or end is None or expected <= 0 or not p.allows("in_force"):
            continue
        year = 0
        while True:
            first = _add_years(start, year)
            if first is None or first > end:
                break
            following = _add_years(start, year + 1)
            last = end if following is None else min(following - dt.timedelta(days=1), end)
            if last > horizon:
                break
            year += 1
            held = sum(1 for d in p.copil_dates if first <= d <= last)
            if held >= expected:
                continue
            yield Deadline(
                p.reference,
                "annual_copil",
                last,
                ngettext(
                    "protocol year {year} ({start} – {end}): {held} of {expected} COPIL "
                    "meeting held",
                    "protocol year {year} ({start} – {end}): {held} of {expected} COPIL "
                    "meetings held",
                    expected,
                ).format(year=year, start=first, end=last, held=held, expected=expected),
                basis=(
                    f"année {year} du protocole, du {french_date(first)} au "
                    f"{french_date(last)}{_NNBSP}: {held} COPIL tenu{_plural(held)} sur "
                    f"{expected} prévu{_plural(expected)}"
                ),
                basis_date=last,
                protocol_year=year,
                period_start=first,
                period_end=last,
                held=held,
                expected=expected,
            )


def _deliberations(
    session: Session, live: dict[int, _Live], horizon: dt.date, today: dt.date
) -> list[Deadline]:
    """Délibérations not exécutoire yet, and the parties that have not deliberated."""
    recorded: dict[int, set[tuple[int, int]]] = defaultdict(set)  # (party, amendment)
    pending = []
    withdrawn = {tuple(row) for row in _each(session, _WITHDRAWN_AMENDMENTS, live)}
    for row in _each(session, _DELIBERATIONS, live):
        recorded[row.partnership_id].add((row.party_id, row.amendment))
        if (row.partnership_id, row.amendment) in withdrawn:
            continue
        executoire = row.foreign_decision or (
            row.sent_to_prefecture is not None and row.published is not None
        )  # a foreign authority's decision is never pending
        if not executoire and row.sitting_date <= horizon:
            pending.append(row)
    asked = _asked(session, live)
    missing = [
        (pid, party_id, amendment)
        for pid, party_id in _each(session, _MEMBERS, asked)
        for amendment in asked[pid]
        if (party_id, amendment) not in recorded[pid]
    ]
    keys = dict(
        _each(session, _PARTY_KEYS, {r.party_id for r in pending} | {m[1] for m in missing})
    )
    found = [
        Deadline(
            live[row.partnership_id].reference,
            "deliberation",
            row.sitting_date + dt.timedelta(days=EXECUTOIRE_DAYS),
            _("délibération n° {number} is not exécutoire yet").format(number=row.number),
            basis=f"séance du {french_date(row.sitting_date)} + {EXECUTOIRE_DAYS} jours",
            basis_date=row.sitting_date,
            party=keys[row.party_id],
            number=row.number,
            amendment=row.amendment,
        )
        for row in pending
    ]
    if missing:
        since = _put_to_councils(session, live, asked)
        found.extend(
            _missing(live[pid], keys[party_id], amendment, since.get(pid), today)
            for pid, party_id, amendment in missing
        )
    return found


def _asked(session: Session, live: dict[int, _Live]) -> dict[int, list[int]]:
    """For each partnership whose councils deliberate: what they deliberate on (0: the
    protocol; n: avenant n° n, the one in progress)."""
    asked: dict[int, list[int]] = {}
    amending: list[int] = []
    for p in live.values():
        if p.allows("deliberating"):
            asked.setdefault(p.id, []).append(0)
        if p.allows("amendment_deliberating"):
            amending.append(p.id)
    in_progress: dict[int, int] = {}
    for pid, number in _each(session, _OPEN_AMENDMENTS, amending):
        in_progress[pid] = max(number, in_progress.get(pid, 0))
    for pid, number in in_progress.items():
        asked.setdefault(pid, []).append(number)
    return asked


def _put_to_councils(
    session: Session, live: dict[int, _Live], asked: dict[int, list[int]]
) -> dict[int, dt.date]:
    """When each partnership entered the state in which its councils deliberate: the last
    journal record that entered it, a return to a previous state (from suspension) aside."""
    entered: dict[int, tuple[int, dt.datetime]] = {}
    for pid, seq, event, target, at in _each(session, _ENTERING, asked):
        p = live[pid]
        ev = p.workflow.events.get(event)
        if target != p.state or ev is None or ev.target == PREVIOUS:
            continue
        if pid not in entered or seq > entered[pid][0]:
            entered[pid] = (seq, at)
    return {pid: aware(at).date() for pid, (_, at) in entered.items()}


def _missing(
    p: _Live, party: str, amendment: int, since: dt.date | None, today: dt.date
) -> Deadline:
    subject = (
        "protocole approuvé"
        if amendment == 0
        else f"avenant n°{_NBSP}{amendment} soumis aux conseils"
    )
    if since is None:
        return Deadline(
            p.reference,
            "deliberation_missing",
            today,
            (
                _("{party} has not deliberated on the protocol")
                if amendment == 0
                else _("{party} has not deliberated on avenant n° {number}")
            ).format(party=party, number=amendment),
            basis=f"{subject} (le journal ne dit pas quand){_NNBSP}: en attente",
            party=party,
            amendment=amendment,
        )
    waited = max(0, (today - since).days)
    return Deadline(
        p.reference,
        "deliberation_missing",
        since,
        (
            ngettext(
                "{party} has not deliberated on the protocol (waiting for {days} day)",
                "{party} has not deliberated on the protocol (waiting for {days} days)",
                waited,
            )
            if amendment == 0
            else ngettext(
                "{party} has not deliberated on avenant n° {number} (waiting for {days} day)",
                "{party} has not deliberated on avenant n° {number} (waiting for {days} days)",
                waited,
            )
        ).format(party=party, number=amendment, days=waited),
        basis=f"{subject} le {french_date(since)}{_NNBSP}: {_waited(waited)}",
        basis_date=since,
        party=party,
        amendment=amendment,
        days_waited=waited,
    )
