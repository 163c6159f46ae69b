"""What the annual work programme's template sees: its actions, budgets, indicators and calendar.

Built from a programme snapshot with the shared pieces of :mod:`._context` (parties, document
meta, checked dates and amounts).  Besides the action sheets, it gives the template each budget
line's funder status (a party's amount is subject to the vote of its credits, another funder's
is only "prévisionnel"), each indicator's rate of achievement, the pilot of each action as a
person, and the calendar drawn as Gantt charts (:mod:`._gantt`), with the day the document is
produced marked while the programme is in progress.
"""

from __future__ import annotations

import datetime as _dt
from calendar import monthrange
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from coopflow._i18n import _
from coopflow.errors import ValidationError
from markupsafe import Markup

from . import _french as fr
from ._context import (
    DocumentMeta,
    PartyView,
    _amount,
    _author,
    _check_parties,
    _date,
    _footer,
    _known,
    _number,
    _party_views,
    _period,
)
from ._gantt import GanttAction, GanttAxis, gantt_charts
from .snapshot import (
    ActionSnapshot,
    IndicatorSnapshot,
    MilestoneSnapshot,
    PartySnapshot,
    PilotSnapshot,
    ProgrammeSnapshot,
)

#: A rate of achievement is given to one decimal: ``37,3 %``.
_RATE_STEP: Final = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class BudgetLineView:
    """A planned budget line of an action."""

    funder: str
    funder_name: str
    amount: Decimal
    party: bool  # the funder is a party: else its amount is only "prévisionnel"


@dataclass(frozen=True, slots=True)
class PilotView:
    """The person who leads an action (its "responsable")."""

    name: str
    function: str
    email: str | None


@dataclass(frozen=True, slots=True)
class IndicatorView:
    """A follow-up indicator of an action, with its rate of achievement when it can be given."""

    name: str
    unit: str
    target: str  # decimal string, as in the snapshot
    actual: str | None
    rate: Decimal | None  # actual / target in per cent, to one decimal; None if not computable


@dataclass(frozen=True, slots=True)
class ActionView:
    """One action sheet (fiche action) of the annual programme."""

    number: int
    title: str
    axis_number: int
    axis_title: str
    objectives: list[str]  # paragraphs; empty when the snapshot gives none
    lead: str | None  # the lead party's name
    contact: str | None  # the pilot service
    pilot: PilotView | None  # the person who leads the action
    partners: list[str]
    milestones: list[MilestoneSnapshot]
    budget: list[BudgetLineView]
    budget_total: Decimal
    indicators: list[IndicatorView]
    progress: str


@dataclass(frozen=True, slots=True)
class AxisSummary:
    """An axis of the programme, with its actions and their budget."""

    number: int
    title: str
    actions: list[ActionView]
    budget_total: Decimal


@dataclass(frozen=True, slots=True)
class FunderRow:
    """A row of the consolidated budget: one funder, its amount per axis and in total."""

    funder: str
    name: str
    by_axis: list[Decimal]
    total: Decimal
    party: bool  # every line of this funder is a party's: else its amounts are "prévisionnel"


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """A milestone in the programme's calendar."""

    date: str
    action_number: int
    action_title: str
    label: str


@dataclass(frozen=True, slots=True)
class ProgrammeView:
    """Everything the annual work programme template shows."""

    meta: DocumentMeta
    label: str
    partnership_title: str
    period_start: str
    period_end: str
    protocol_years: str
    protocol_start: str
    protocol_end: str
    protocol_signed_on: str | None
    state: str  # the programme's workflow state
    copil_date: str | None
    parties: list[PartyView]
    axes: list[AxisSummary]
    actions: list[ActionView]
    funders: list[FunderRow]
    axis_totals: list[Decimal]
    grand_total: Decimal
    has_party_amounts: bool  # some budget line is a party's (the reserve on the vote of credits)
    has_provisional_amounts: bool  # some budget line is another funder's ("prévisionnel")
    indicator_count: int
    calendar: list[CalendarEntry]
    gantt: list[Markup]  # the calendar as Gantt charts (inline SVG), one per page it needs


def _action_view(
    action: ActionSnapshot,
    index: int,
    axis_titles: dict[int, str],
    parties: dict[str, PartySnapshot],
) -> ActionView:
    where = f"actions[{index}]"
    if action["axis_number"] not in axis_titles:
        raise ValidationError(
            _("unknown axis {axis_number}").format(axis_number=action["axis_number"]),
            field=f"{where}.axis_number",
        )
    lead = None
    if action["lead_party_key"] is not None:
        _known(action["lead_party_key"], parties, f"{where}.lead_party_key")
        party = parties[action["lead_party_key"]]
        lead = party["usual_name"] or party["official_name"]
    dated = [
        (_date(milestone["date"], f"{where}.milestones[{position}].date"), position, milestone)
        for position, milestone in enumerate(action["milestones"])
    ]
    budget = [
        BudgetLineView(
            line["funder"],
            line["funder_name"],
            _amount(line["amount"], f"{where}.budget[{position}].amount"),
            line["party"],
        )
        for position, line in enumerate(action["budget"])
    ]
    indicators = []
    for position, indicator in enumerate(action["indicators"]):
        _number(indicator["target"], f"{where}.indicators[{position}].target")
        if indicator["actual"] is not None:
            _number(indicator["actual"], f"{where}.indicators[{position}].actual")
        indicators.append(_indicator_view(indicator))
    return ActionView(
        number=action["number"],
        title=action["title"],
        axis_number=action["axis_number"],
        axis_title=axis_titles[action["axis_number"]],
        objectives=fr.paragraphs(action["objectives"]),
        lead=lead,
        contact=action["contact"],
        pilot=_pilot_view(action["pilot"]),
        partners=list(action["partners"]),
        milestones=[milestone for _date, _order, milestone in sorted(dated, key=lambda m: m[:2])],
        budget=budget,
        budget_total=sum((line.amount for line in budget), Decimal("0.00")),
        indicators=indicators,
        progress=action["progress"],
    )


def _pilot_view(pilot: PilotSnapshot | None) -> PilotView | None:
    if pilot is None:
        return None
    return PilotView(pilot["name"].strip(), pilot["function"].strip(), pilot["email"] or None)


def _indicator_view(indicator: IndicatorSnapshot) -> IndicatorView:
    """The indicator, with its rate of achievement: the actual value over the target, in per
    cent, rounded half up to one decimal; none without an actual value or with a zero target."""
    rate = None
    if indicator["actual"] is not None:
        target = Decimal(indicator["target"].strip())
        if target != 0:
            actual = Decimal(indicator["actual"].strip())
            rate = (actual * 100 / target).quantize(_RATE_STEP, rounding=ROUND_HALF_UP)
    return IndicatorView(
        indicator["name"], indicator["unit"], indicator["target"], indicator["actual"], rate
    )


def _last_sunday(year: int, month: int) -> _dt.date:
    last = _dt.date(year, month, monthrange(year, month)[1])
    return last - _dt.timedelta(days=(last.weekday() + 1) % 7)


def day_in_france(moment: _dt.datetime) -> _dt.date:
    """The civil date in metropolitan France at ``moment`` (timezone-aware): UTC+1, UTC+2 from
    the last Sunday of March to the last Sunday of October at 01:00 UTC (the European summer
    time rules, those of France since 1996).  Computed, not read from the host's time zone
    database, so that the same moment gives the same document on every machine."""
    utc = moment.astimezone(_dt.UTC).replace(tzinfo=None)
    summer_starts = _dt.datetime.combine(_last_sunday(utc.year, 3), _dt.time(1))
    summer_ends = _dt.datetime.combine(_last_sunday(utc.year, 10), _dt.time(1))
    offset = 2 if summer_starts <= utc < summer_ends else 1
    return (utc + _dt.timedelta(hours=offset)).date()


def _gantt(
    summaries: list[AxisSummary],
    start: str,
    end: str,
    in_progress: bool,
    produced_at: _dt.datetime,
) -> list[Markup]:
    axes = [
        GanttAxis(
            summary.number,
            summary.title,
            tuple(
                GanttAction(
                    action.number,
                    action.title,
                    tuple(fr.parse_date(milestone["date"]) for milestone in action.milestones),
                )
                for action in summary.actions
            ),
        )
        for summary in summaries
    ]
    if not any(axis.actions for axis in axes):
        return []
    return gantt_charts(
        axes,
        fr.parse_date(start),
        fr.parse_date(end),
        in_progress=in_progress,
        produced_on=day_in_france(produced_at),
    )


def build_programme(snapshot: ProgrammeSnapshot, produced_at: _dt.datetime) -> ProgrammeView:
    """The view of an annual work programme snapshot."""
    parties = _check_parties(snapshot["parties"])
    start, end = _period(snapshot["period"])
    protocol_start, protocol_end = _period(snapshot["protocol_period"], "protocol_period")
    if snapshot["copil_date"] is not None:
        _date(snapshot["copil_date"], "copil_date")
    if snapshot["protocol_signed_on"] is not None:
        _date(snapshot["protocol_signed_on"], "protocol_signed_on")
    axes_sorted = sorted(snapshot["axes"], key=lambda axis: axis["number"])
    axis_titles = {axis["number"]: axis["title"] for axis in axes_sorted}
    if len(axis_titles) != len(axes_sorted):
        raise ValidationError(_("two axes have the same number"), field="axes")
    numbered = sorted(enumerate(snapshot["actions"]), key=lambda item: item[1]["number"])
    actions = [_action_view(action, index, axis_titles, parties) for index, action in numbered]

    zero = Decimal("0.00")
    columns = {number: position for position, number in enumerate(axis_titles)}
    rows: dict[str, tuple[str, list[Decimal]]] = {}
    party_funder: dict[str, bool] = {}
    for action in actions:
        for line in action.budget:
            _name, amounts = rows.setdefault(line.funder, (line.funder_name, [zero] * len(columns)))
            amounts[columns[action.axis_number]] += line.amount
            # A funder is a party's row only if every one of its lines says so.
            party_funder[line.funder] = party_funder.get(line.funder, True) and line.party
    funders = [
        FunderRow(funder, name, amounts, sum(amounts, zero), party_funder[funder])
        for funder, (name, amounts) in rows.items()
    ]
    lines = [line for action in actions for line in action.budget]
    axis_totals = [sum((row.by_axis[i] for row in funders), zero) for i in range(len(columns))]
    calendar = sorted(
        (
            CalendarEntry(milestone["date"], action.number, action.title, milestone["label"])
            for action in actions
            for milestone in action.milestones
        ),
        key=lambda entry: (entry.date, entry.action_number),
    )
    summaries = [
        AxisSummary(
            number=number,
            title=title,
            actions=[action for action in actions if action.axis_number == number],
            budget_total=axis_totals[columns[number]],
        )
        for number, title in axis_titles.items()
    ]
    meta = DocumentMeta(
        kind="programme",
        reference=snapshot["reference"],
        version=snapshot["document_version"],
        status=snapshot["status"],
        title=f"Programme de travail annuel {snapshot['label']} – {snapshot['title']}",
        author=_author(snapshot["parties"]),
        produced_at=produced_at,
        footer=_footer(
            snapshot["reference"], f"programme {snapshot['label']}", snapshot["document_version"]
        ),
    )
    return ProgrammeView(
        meta=meta,
        label=snapshot["label"],
        partnership_title=snapshot["title"],
        period_start=start,
        period_end=end,
        protocol_years=fr.years_label(protocol_start, protocol_end),
        protocol_start=protocol_start,
        protocol_end=protocol_end,
        protocol_signed_on=snapshot["protocol_signed_on"],
        state=snapshot["state"],
        copil_date=snapshot["copil_date"],
        parties=_party_views(snapshot["parties"], {}, {}),
        axes=summaries,
        actions=actions,
        funders=funders,
        axis_totals=axis_totals,
        grand_total=sum(axis_totals, zero),
        has_party_amounts=any(line.party for line in lines),
        has_provisional_amounts=any(not line.party for line in lines),
        indicator_count=sum(len(action.indicators) for action in actions),
        calendar=calendar,
        gantt=_gantt(summaries, start, end, snapshot["in_progress"], produced_at),
    )
