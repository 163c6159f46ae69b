"""Annual work programmes, their actions, milestones, budget lines and indicators."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coopflow import _validate as v
from coopflow._domain.editing import assign, programme_editable, require
from coopflow._domain.lookup import find_action, find_axis, find_programme, member
from coopflow._i18n import N_, _
from coopflow._vocabulary import PROGRESS
from coopflow._workflow import WorkflowSet
from coopflow.errors import (
    NotFoundError,
    ValidationError,
)
from coopflow.models import (
    Action,
    BudgetLine,
    Indicator,
    Milestone,
    Partnership,
    Programme,
    Protocol,
    utcnow,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session


def put_programme(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    *,
    label: str,
    start: object,
    end: object,
) -> None:
    """Open (or re-date) an annual work programme, on the programme workflow the partnership's
    workflow declares."""
    require(workflows, p, "programmes_open", N_("adding an annual programme"))
    clean_label = v.text(label, "label", max_length=32)
    first, last = v.period(start, end, "period", max_years=2)
    proto = session.scalars(select(Protocol).where(Protocol.partnership_id == p.id)).one_or_none()
    if proto is not None and not (proto.period_start <= first and last <= proto.period_end):
        raise ValidationError(
            _(
                "{start} – {end} is not inside the protocol's period "
                "{protocol_start} – {protocol_end}"
            ).format(
                start=first.isoformat(),
                end=last.isoformat(),
                protocol_start=proto.period_start.isoformat(),
                protocol_end=proto.period_end.isoformat(),
            ),
            field="period",
        )
    wf = workflows.programmes_of(workflows.get(p.workflow_name, p.workflow_version))
    row = session.scalars(
        select(Programme).where(Programme.partnership_id == p.id, Programme.label == clean_label)
    ).one_or_none()
    if row is not None:
        programme_editable(workflows, row, "programme")
        assign(p, row, period_start=first, period_end=last)
    else:
        row = Programme(
            partnership_id=p.id,
            label=clean_label,
            period_start=first,
            period_end=last,
            workflow_name=wf.name,
            workflow_version=wf.version,
            state=wf.leaf(wf.initial),
            created_at=utcnow(),
        )
        session.add(row)
    session.flush()


def put_action(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    programme: str,
    *,
    axis: int,
    title: str,
    objectives: str = "",
    lead: str | None = None,
    contact: str | None = None,
    partners: Sequence[str] = (),
    number: int | None = None,
    pilot_name: str | None = None,
    pilot_function: str | None = None,
    pilot_email: str | None = None,
) -> int:
    """Add (or, with ``number``, replace) an action of a programme; returns its number.
    ``contact`` is the pilot service; ``pilot_*`` the person who leads the action (a name
    needs a function: the programme prints both)."""
    prog = find_programme(session, p, programme)
    programme_editable(workflows, prog)
    axis_row = find_axis(session, p, axis)
    lead_id = member(session, p, lead, "lead").id if lead else None
    fields: dict[str, Any] = {
        "axis_id": axis_row.id,
        "title": v.text(title, "title"),
        "objectives": v.text(objectives, "objectives", max_length=5000, multiline=True)
        if objectives
        else "",
        "lead_party_id": lead_id,
        "contact": v.optional_text(contact, "contact"),
        "partners": [v.text(x, f"partners[{i}]") for i, x in enumerate(partners)],
        "pilot_name": v.optional_text(pilot_name, "pilot_name", max_length=200),
        "pilot_function": v.optional_text(pilot_function, "pilot_function", max_length=200),
        "pilot_email": v.optional_email(pilot_email, "pilot_email"),
    }
    if fields["pilot_name"] is None and (fields["pilot_function"] or fields["pilot_email"]):
        raise ValidationError(
            _("a pilot's function or e-mail needs their name"), field="pilot_name"
        )
    if fields["pilot_name"] is not None and fields["pilot_function"] is None:
        raise ValidationError(
            _("the pilot's function is printed with their name (chargée de mission...)"),
            field="pilot_function",
        )
    row = None
    if number is not None:
        number = v.positive_int(number, "number", maximum=999)
        row = session.scalars(
            select(Action).where(Action.programme_id == prog.id, Action.number == number)
        ).one_or_none()
    else:
        last = session.scalar(select(func.max(Action.number)).where(Action.programme_id == prog.id))
        number = (last or 0) + 1
    if row is None:
        row = Action(programme_id=prog.id, number=number, **fields)
        session.add(row)
    else:
        assign(p, row, **fields)
    session.flush()
    return row.number


def action_of(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    programme: str,
    number: int,
    *,
    measuring: bool,
) -> Action:
    """Action ``number`` of a programme, to change its plan (only while the programme is
    editable) or, ``measuring``, to record what it achieved (at any time)."""
    prog = find_programme(session, p, programme)
    if not measuring:
        programme_editable(workflows, prog)
    return find_action(session, prog, number)


def add_milestone(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    programme: str,
    number: int,
    *,
    date: object,
    label: str,
) -> None:
    """Plan a milestone of an action."""
    action = action_of(session, workflows, p, programme, number, measuring=False)
    when = v.date(date, "date")
    clean = v.text(label, "label")
    for m in action.milestones:
        if m.date == when and m.label == clean:
            return
    session.add(Milestone(action_id=action.id, date=when, label=clean))
    session.flush()


def set_milestone_done(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    programme: str,
    number: int,
    *,
    date: object,
    label: str,
    done: bool,
) -> None:
    """Mark a milestone of an action done (or not done again)."""
    action = action_of(session, workflows, p, programme, number, measuring=True)
    when = v.date(date, "date")
    for m in action.milestones:
        if m.date == when and m.label == label:
            assign(p, m, done=done)
            return
    raise NotFoundError("milestone", repr(label), within=when.isoformat())


def set_action_progress(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    programme: str,
    number: int,
    /,
    progress: str,
) -> None:
    """Record how far an action has got (à lancer, en cours, réalisée, reportée, abandonnée)."""
    action = action_of(session, workflows, p, programme, number, measuring=True)
    assign(p, action, progress=v.choice(progress, "progress", PROGRESS))


def put_budget_line(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    programme: str,
    number: int,
    *,
    funder: str,
    amount: object,
) -> None:
    """Plan an amount (euros) of a funder for an action (replacing its line)."""
    action = action_of(session, workflows, p, programme, number, measuring=False)
    clean = v.text(funder, "funder", max_length=200)
    value = v.amount(amount, "amount")
    for b in action.budget_lines:
        if b.funder == clean:
            assign(p, b, amount=value)
            return
    session.add(BudgetLine(action_id=action.id, funder=clean, amount=value))
    session.flush()


def put_indicator(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    programme: str,
    number: int,
    *,
    name: str,
    target: object,
    unit: str = "",
    actual: object = None,
) -> None:
    """Add an indicator of an action, or update it.  Its measured ``actual`` may be entered
    at any time; its target and unit are what the COPIL approved: once the programme is past
    the states that allow ``programme_editable``, they can no longer change (nor can an
    indicator be added) until the programme goes back through the COPIL."""
    action = action_of(session, workflows, p, programme, number, measuring=True)
    clean = v.text(name, "name")
    tgt = v.amount(target, "target")
    act = v.amount(actual, "actual") if actual is not None else None
    given_unit = v.optional_text(unit, "unit", max_length=50)  # None or "": keep it
    prog = find_programme(session, p, programme)
    existing = next((i for i in action.indicators if i.name == clean), None)
    if existing is None:
        programme_editable(workflows, prog, "indicators")
        session.add(
            Indicator(
                action_id=action.id, name=clean, unit=given_unit or "", target=tgt, actual=act
            )
        )
        session.flush()
        return
    new_unit = given_unit or existing.unit
    if (existing.target, existing.unit) != (tgt, new_unit):
        programme_editable(workflows, prog, "targets")
    assign(p, existing, target=tgt, unit=new_unit, **({"actual": act} if act is not None else {}))
