"""The protocol's agreed content: cooperation axes, stakes, commitments, period and text."""

from __future__ import annotations

from collections.abc import Sequence

from coopflow import _validate as v
from coopflow._domain.editing import assign, require
from coopflow._domain.lookup import find_axis, member
from coopflow._i18n import N_
from coopflow._workflow import WorkflowSet
from coopflow.models import (
    Axis,
    Commitment,
    Partnership,
    Protocol,
    Stake,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session


def put_axis(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    *,
    title: str,
    objectives: Sequence[str] = (),
    number: int | None = None,
) -> int:
    """Add an axis (next number) or, with ``number``, replace that axis' title and objectives;
    returns its number."""
    require(workflows, p, "content_editable", N_("changing the cooperation axes"))
    clean_title = v.text(title, "title")
    clean = [
        v.text(o, f"objectives[{i}]", max_length=2000, multiline=True)
        for i, o in enumerate(objectives)
    ]
    if number is not None:
        number = v.positive_int(number, "number", maximum=20)
        existing = session.scalars(
            select(Axis).where(Axis.partnership_id == p.id, Axis.number == number)
        ).one_or_none()
        if existing is not None:
            assign(p, existing, title=clean_title, objectives=clean)
            return existing.number
    else:
        last = session.scalar(select(func.max(Axis.number)).where(Axis.partnership_id == p.id))
        number = (last or 0) + 1
    axis = Axis(partnership_id=p.id, number=number, title=clean_title, objectives=clean)
    session.add(axis)
    session.flush()
    return axis.number


def add_stake(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    *,
    axis: int,
    title: str,
    description: str = "",
) -> Stake:
    require(workflows, p, "content_editable", N_("identifying stakes"))
    row = find_axis(session, p, axis)
    clean_title = v.text(title, "title")
    clean_desc = (
        v.text(description, "description", max_length=5000, multiline=True) if description else ""
    )
    for s in row.stakes:
        if s.title == clean_title:
            assign(p, s, description=clean_desc)
            return s
    stake = Stake(axis_id=row.id, title=clean_title, description=clean_desc)
    session.add(stake)
    session.flush()
    return stake


def add_commitment(
    session: Session, workflows: WorkflowSet, p: Partnership, *, axis: int, party: str, text: str
) -> Commitment:
    require(workflows, p, "content_editable", N_("recording commitments"))
    row = find_axis(session, p, axis)
    who = member(session, p, party, "party")
    clean = v.text(text, "text", max_length=5000, multiline=True)
    for c in row.commitments:
        if c.party_id == who.id and c.text == clean:
            return c
    commitment = Commitment(axis_id=row.id, party_id=who.id, text=clean)
    session.add(commitment)
    session.flush()
    return commitment


def put_protocol(
    session: Session,
    workflows: WorkflowSet,
    p: Partnership,
    *,
    start: object,
    end: object,
    preamble: Sequence[str] | None = None,
    copil: str | None = None,
    cotech: str | None = None,
    meetings_per_year: int | None = None,
    means: str | None = None,
    financial_commitments: str | None = None,
    prevailing_language: str | None = None,
    notice_months: int | None = None,
) -> Protocol:
    """Create or update the protocol's period, preamble, governance and means;
    ``financial_commitments`` is a paragraph on them (each party's amount is
    :func:`coopflow._domain.deliberations.put_financial_commitment`), ``prevailing_language``
    the version that prevails when a foreign authority's language has one too, ``notice_months``
    the notice of a unilateral termination (3 by default, 1 to 12)."""
    require(workflows, p, "content_editable", N_("changing the protocol"))
    first, last = v.period(start, end, "period", max_years=10)
    proto = session.scalars(select(Protocol).where(Protocol.partnership_id == p.id)).one_or_none()
    if proto is None:
        proto = Protocol(partnership_id=p.id, period_start=first, period_end=last)
        session.add(proto)
    values: dict[str, object] = {"period_start": first, "period_end": last}
    if preamble is not None:
        values["preamble"] = [
            v.text(par, f"preamble[{i}]", max_length=5000, multiline=True)
            for i, par in enumerate(preamble)
        ]
    if copil is not None:
        values["governance_copil"] = v.text(copil, "copil", max_length=5000, multiline=True)
    if cotech is not None:
        values["governance_cotech"] = v.text(cotech, "cotech", max_length=5000, multiline=True)
    if meetings_per_year is not None:
        values["meetings_per_year"] = v.positive_int(
            meetings_per_year, "meetings_per_year", maximum=52
        )
    if means is not None:
        values["means"] = v.text(means, "means", max_length=5000, multiline=True)
    if financial_commitments is not None:
        values["financial_commitments"] = v.optional_text(
            financial_commitments, "financial_commitments", max_length=5000, multiline=True
        )
    if prevailing_language is not None:
        languages = ["français", *(m.party.language for m in p.members if m.party.language)]
        values["prevailing_language"] = v.choice(
            v.text(prevailing_language, "prevailing_language", max_length=50),
            "prevailing_language",
            tuple(dict.fromkeys(languages)),
        )
    if notice_months is not None:
        values["notice_months"] = v.positive_int(notice_months, "notice_months", maximum=12)
    assign(p, proto, **values)
    session.flush()
    return proto
