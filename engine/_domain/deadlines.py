"""Deadlines (``due``): what falls due soon, or is overdue, across every partnership.

Which states count is asked of the workflow definitions by capability (``in_force``,
``awaiting_copil``, ``running``), so a host's own workflows are covered as well as the
built-in ones.  Each query is served by an index (``tests/test_query_plans.py``).
"""

from __future__ import annotations

import datetime as dt

from coopflow._views import Deadline
from coopflow._workflow import WorkflowSet
from coopflow.errors import ValidationError
from coopflow.models import (
    DELIBERATION_PENDING,
    MILESTONE_OPEN,
    Action,
    Deliberation,
    Milestone,
    Partnership,
    Programme,
    Protocol,
)
from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

MAX_WITHIN_DAYS = 3660  # ten years ahead: a protocol lasts at most ten


def _in_states_with(
    workflows: WorkflowSet,
    subject: str,
    capability: str,
    state: InstrumentedAttribute[str],
    name: InstrumentedAttribute[str],
    version: InstrumentedAttribute[int],
) -> ColumnElement[bool]:
    """``state`` is one that declares ``capability`` in the row's own workflow.

    When no workflow gives a state of that name a different answer, a plain ``state IN (...)``
    says it (and keeps the state index usable); otherwise each workflow version is named."""
    by_workflow = {
        wf.key: set(wf.states_with(capability)) for wf in workflows if wf.subject == subject
    }
    every = set().union(*by_workflow.values()) if by_workflow else set()
    consistent = all(
        every & set(wf.states) <= by_workflow[wf.key] for wf in workflows if wf.subject == subject
    )
    if not every:
        return false()
    if consistent:
        return state.in_(sorted(every))
    return or_(
        *(
            and_(name == wf_name, version == wf_version, state.in_(sorted(paths)))
            for (wf_name, wf_version), paths in sorted(by_workflow.items())
            if paths
        )
    )


def due(
    session: Session, workflows: WorkflowSet, *, within_days: int, today: dt.date
) -> list[Deadline]:
    """What falls due within ``within_days`` of ``today`` (and what is overdue), soonest first:
    protocols ending, programmes awaiting COPIL approval, délibérations not yet exécutoire, and
    milestones past their date in running programmes."""
    if isinstance(within_days, bool) or not isinstance(within_days, int):
        raise ValidationError("must be a whole number of days", field="within_days")
    if not 0 <= within_days <= MAX_WITHIN_DAYS:
        raise ValidationError(
            f"{within_days} is not between 0 and {MAX_WITHIN_DAYS} days", field="within_days"
        )
    try:
        horizon = today + dt.timedelta(days=within_days)
    except OverflowError:
        raise ValidationError(
            f"{today.isoformat()} + {within_days} days is past the last date", field="today"
        ) from None
    found: list[Deadline] = []
    in_force = _in_states_with(
        workflows,
        "partnership",
        "in_force",
        Partnership.state,
        Partnership.workflow_name,
        Partnership.workflow_version,
    )
    for ref, end in session.execute(
        select(Partnership.reference, Protocol.period_end)
        .join(Protocol, Protocol.partnership_id == Partnership.id)
        .where(Protocol.period_end <= horizon, in_force)
    ):
        found.append(Deadline(ref, "protocol_end", end, f"the protocol ends on {end}"))
    awaiting = _programmes_with(workflows, "awaiting_copil")
    for ref, label, start in session.execute(
        select(Partnership.reference, Programme.label, Programme.period_start)
        .join(Programme, Programme.partnership_id == Partnership.id)
        .where(awaiting, Programme.period_start <= horizon)
    ):
        found.append(
            Deadline(
                ref,
                "copil_approval",
                start,
                f"programme {label} awaits COPIL approval (starts {start})",
            )
        )
    for ref, number, sitting in session.execute(
        select(Partnership.reference, Deliberation.number, Deliberation.sitting_date)
        .join(Deliberation, Deliberation.partnership_id == Partnership.id)
        .where(DELIBERATION_PENDING, Deliberation.sitting_date <= horizon)
    ):
        found.append(
            Deadline(
                ref,
                "deliberation",
                sitting + dt.timedelta(days=15),
                f"délibération n° {number} is not exécutoire yet",
            )
        )
    running = _programmes_with(workflows, "running")
    for ref, label, action_no, when, what in session.execute(
        select(
            Partnership.reference, Programme.label, Action.number, Milestone.date, Milestone.label
        )
        .join(Programme, Programme.partnership_id == Partnership.id)
        .join(Action, Action.programme_id == Programme.id)
        .join(Milestone, Milestone.action_id == Action.id)
        .where(MILESTONE_OPEN, Milestone.date < today, running)
    ):
        found.append(
            Deadline(
                ref,
                "milestone",
                when,
                f"programme {label}, action {action_no}: {what} (due {when})",
            )
        )
    return sorted(found, key=lambda d: (d.due, d.reference, d.kind))


def _programmes_with(workflows: WorkflowSet, capability: str) -> ColumnElement[bool]:
    return _in_states_with(
        workflows,
        "programme",
        capability,
        Programme.state,
        Programme.workflow_name,
        Programme.workflow_version,
    )
