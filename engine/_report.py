"""The annual seminar report: its figures, read from the database, and the files made of them.

:func:`annual_report` reads one year of a Coopflow database into a :class:`Report` (plain,
immutable values): the partnerships by scale and by state, each partnership's timeline (the
top-level states its journal went through, from its opening to today), the budget lines of the
programmes that run during the year (by funder and by axis), their indicators (target against
actual), the délibérations whose sitting falls in the year and the deadlines ``due`` knows for
the year.  The PDF (:func:`render_pdf`), the spreadsheet (:func:`workbook_bytes`) and the CSV
files (:func:`csv_files`) are all made from that one :class:`Report`, so their figures agree.

The document is French (it is what the service hands to the elected officials at the annual
seminar), whatever language the command line speaks.

CSV files: one per view, UTF-8 with a byte-order mark and ``;`` between fields, decimal
amounts with a point (``1234.50``) and dates ISO 8601: French Excel opens such a file with its
columns split (it expects ``;`` since ``,`` is the decimal comma) and its accents right (the
byte-order mark says UTF-8), and every other tool reads the numbers unambiguously.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select

from ._i18n import _
from ._views import Deadline
from ._vocabulary import SCALES
from .errors import OutputError, ValidationError
from .models import (
    Action,
    Axis,
    Deliberation,
    JournalRecord,
    Partnership,
    Party,
    Programme,
    aware,
)

if TYPE_CHECKING:
    from ._api import Coopflow
    from ._workflow import WorkflowSet

__all__ = [
    "CSV_SEPARATOR",
    "AxisTotal",
    "BudgetRow",
    "DeliberationRow",
    "FunderTotal",
    "IndicatorRow",
    "PartnershipLine",
    "Report",
    "Segment",
    "annual_report",
    "csv_files",
    "render_pdf",
    "workbook_bytes",
    "write_new",
]

#: The separator of the CSV files: French Excel's list separator (``,`` is its decimal comma).
CSV_SEPARATOR: Final = ";"
#: The report's template (in ``coopflow/documents/templates``) and its stylesheet (``static``).
TEMPLATE: Final = "report.html.j2"
STYLESHEET: Final = "report.css"
#: What each kind of deadline is called in the report (``Deadline.what`` is English).
DEADLINE_LABELS: Final[dict[str, str]] = {
    "protocol_end": "Fin du protocole",
    "protocol_end_renewing": "Fin du protocole (renouvellement engagé)",
    "annual_copil": "COPIL annuel à tenir",
    "deliberation_missing": "Délibération attendue",
    "deliberation": "Délibération à rendre exécutoire",
    "programme_draft": "Programme en préparation",
    "copil_approval": "Programme à approuver en COPIL",
    "milestone": "Jalon dépassé",
}


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of a partnership's life in one level of the lifecycle (``accueil``,
    ``dialogue``, ``contractualisation``...), from ``start`` to ``end`` included."""

    level: str
    label: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True, slots=True)
class PartnershipLine:
    reference: str
    title: str
    scale: str
    scale_label: str
    state: str
    state_label: str
    level: str
    parties: tuple[str, ...]
    opened: dt.date
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class BudgetRow:
    """A budget line of a programme's action."""

    reference: str
    programme: str
    action: int
    action_title: str
    axis: int
    axis_title: str
    funder: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class FunderTotal:
    funder: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class AxisTotal:
    """The budget of one axis of one partnership (axes belong to a partnership)."""

    reference: str
    axis: int
    title: str
    amount: Decimal

    @property
    def label(self) -> str:
        return f"{self.reference} – axe {self.axis} : {self.title}"


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    reference: str
    programme: str
    action: int
    name: str
    unit: str
    target: Decimal
    actual: Decimal | None

    @property
    def rate(self) -> Decimal | None:
        """The actual value as a percentage of the target (None when not measured)."""
        if self.actual is None or not self.target:
            return None
        return (self.actual * 100 / self.target).quantize(Decimal("1"))


@dataclass(frozen=True, slots=True)
class DeliberationRow:
    reference: str
    party: str
    body: str
    number: str
    amendment: int
    sitting_date: dt.date
    sent_to_prefecture: dt.date | None
    published: dt.date | None
    executoire: bool

    @property
    def subject(self) -> str:
        return "protocole" if self.amendment == 0 else f"avenant n° {self.amendment}"


@dataclass(frozen=True, slots=True)
class Report:
    """One year of a database, as the annual report shows it (see the module's docstring)."""

    year: int
    today: dt.date
    home: str
    partnerships: tuple[PartnershipLine, ...]
    by_scale: tuple[tuple[str, str, int], ...]  # (code, label, count)
    by_state: tuple[tuple[str, str, int], ...]  # (state, label, count)
    programmes: tuple[
        tuple[str, str, dt.date, dt.date, str], ...
    ]  # (ref, label, start, end, state)
    budget: tuple[BudgetRow, ...]
    by_funder: tuple[FunderTotal, ...]
    by_axis: tuple[AxisTotal, ...]
    indicators: tuple[IndicatorRow, ...]
    deliberations: tuple[DeliberationRow, ...]
    deadlines: tuple[Deadline, ...]
    timeline_start: dt.date
    timeline_end: dt.date
    #: The levels of the lifecycle the timelines show (the workflows' top-level states), in
    #: the order their definitions give them, each with its label.
    levels: dict[str, str] = field(default_factory=dict)

    @property
    def budget_total(self) -> Decimal:
        return sum((row.amount for row in self.budget), Decimal("0.00"))

    @property
    def partnership_count(self) -> int:
        return len(self.partnerships)

    def counts(self) -> dict[str, int]:
        """How many of each thing the report holds (what ``--json`` prints)."""
        return {
            "partnerships": len(self.partnerships),
            "programmes": len(self.programmes),
            "budget_lines": len(self.budget),
            "indicators": len(self.indicators),
            "deliberations": len(self.deliberations),
            "deadlines": len(self.deadlines),
        }


# ----------------------------------------------------------------------------- reading


def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9998:
        raise ValidationError(
            _("{year!r} is not a year between 1900 and 9998").format(year=year), field="year"
        )
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _paris_day(moment: dt.datetime) -> dt.date:
    from zoneinfo import ZoneInfo

    return aware(moment).astimezone(ZoneInfo("Europe/Paris")).date()


def _level(state: str) -> str:
    return state.split(".", 1)[0]


def _levels(workflows: WorkflowSet) -> dict[str, str]:
    """The top-level states of every partnership workflow, with their labels, in the order
    their definitions give them (the latest version's label wins)."""
    levels: dict[str, str] = {}
    for wf in workflows:  # by name, then version
        if wf.subject != "partnership":
            continue
        for path, state in wf.states.items():
            if "." not in path:
                levels[path] = state.label
    return levels


def _segments(
    records: Sequence[tuple[dt.date, str]], today: dt.date, levels: dict[str, str]
) -> tuple[Segment, ...]:
    """The levels a partnership went through, from its records' (day, target state), oldest
    first: a new segment each time the level changes; the last one runs to ``today``."""
    changes: list[tuple[dt.date, str]] = []
    for day, state in records:
        level = _level(state)
        if changes and changes[-1][1] == level:
            continue
        if changes and changes[-1][0] == day:
            changes[-1] = (day, level)  # several changes the same day: the day's last level
            if len(changes) > 1 and changes[-2][1] == level:
                changes.pop()
            continue
        changes.append((day, level))
    segments = []
    for i, (start, level) in enumerate(changes):
        if i + 1 < len(changes):
            end = changes[i + 1][0] - dt.timedelta(days=1)
        else:
            end = max(today, start)
        segments.append(Segment(level, levels.get(level, level), start, max(start, end)))
    return tuple(segments)


def annual_report(cf: Coopflow, year: int, *, today: dt.date | None = None) -> Report:
    """The figures of ``year``'s report, read from ``cf``'s database (``today``: the day the
    timelines run to and the deadlines are computed from; by default today)."""
    first, last = _year_bounds(year)
    today = today or dt.date.today()
    deadlines = _deadlines_of_year(cf, first, last, today)
    levels = _levels(cf.workflows)
    with cf._binding.read() as s:
        parties = {p.id: p for p in s.scalars(select(Party))}
        by_key = {p.key: p for p in parties.values()}
        home_ids = {p.home_party_id for p in s.scalars(select(Partnership))}
        home = ", ".join(
            sorted(parties[i].usual_name or parties[i].official_name for i in home_ids)
        )
        partnerships = list(s.scalars(select(Partnership).order_by(Partnership.reference)))
        records: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
        for pid, at, source, target in s.execute(
            select(
                JournalRecord.partnership_id,
                JournalRecord.at,
                JournalRecord.source_state,
                JournalRecord.target_state,
            )
            .where(JournalRecord.programme_id.is_(None))
            .order_by(JournalRecord.partnership_id, JournalRecord.seq)
        ):
            if source is None or source != target:
                records[pid].append((_paris_day(at), target))
        lines: list[PartnershipLine] = []
        for p in partnerships:
            history = records.get(p.id, [])
            opened = history[0][0] if history else _paris_day(p.created_at)
            if opened > last:
                continue  # opened after the year
            workflow = cf.workflows.get(p.workflow_name, p.workflow_version)
            state = workflow.states.get(p.state)
            lines.append(
                PartnershipLine(
                    reference=p.reference,
                    title=p.title,
                    scale=p.scale,
                    scale_label=SCALES.get(p.scale, p.scale),
                    state=p.state,
                    state_label=state.label if state is not None else p.state,
                    level=_level(p.state),
                    parties=tuple(m.party.usual_name or m.party.official_name for m in p.members),
                    opened=opened,
                    segments=_segments(history or [(opened, p.state)], today, levels),
                )
            )
        shown = {p.id: p for p in partnerships if p.reference in {x.reference for x in lines}}
        budget, indicators, programmes = _programmes(s, shown, parties, by_key, first, last)
        deliberations = _deliberations(s, shown, parties, first, last)
    scale_counts: dict[str, int] = defaultdict(int)
    state_counts: dict[str, int] = defaultdict(int)
    state_labels: dict[str, str] = {}
    for line in lines:
        scale_counts[line.scale] += 1
        state_counts[line.state] += 1
        state_labels[line.state] = line.state_label
    scales = [code for code in SCALES if code in scale_counts]
    scales += sorted(code for code in scale_counts if code not in SCALES)
    funders: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    axes: dict[tuple[str, int], tuple[str, Decimal]] = {}
    for row in budget:
        funders[row.funder] += row.amount
        title, amount = axes.get((row.reference, row.axis), (row.axis_title, Decimal("0.00")))
        axes[row.reference, row.axis] = (title, amount + row.amount)
    starts = [line.opened for line in lines]
    timeline_start = min([first, *starts]).replace(day=1)
    return Report(
        year=year,
        today=today,
        home=home,
        partnerships=tuple(lines),
        by_scale=tuple((c, SCALES.get(c, c), scale_counts[c]) for c in scales),
        by_state=tuple((st, state_labels[st], n) for st, n in sorted(state_counts.items())),
        programmes=tuple(programmes),
        budget=tuple(budget),
        by_funder=tuple(
            FunderTotal(f, a) for f, a in sorted(funders.items(), key=lambda x: (-x[1], x[0]))
        ),
        by_axis=tuple(AxisTotal(r, n, t, a) for (r, n), (t, a) in sorted(axes.items())),
        indicators=tuple(indicators),
        deliberations=tuple(deliberations),
        deadlines=tuple(deadlines),
        timeline_start=timeline_start,
        timeline_end=max(today, timeline_start),
        levels=levels,
    )


def _deadlines_of_year(
    cf: Coopflow, first: dt.date, last: dt.date, today: dt.date
) -> list[Deadline]:
    """What ``due`` knows (overdue and to come) that falls due in the year."""
    from ._domain.deadlines import MAX_WITHIN_DAYS

    within = min(MAX_WITHIN_DAYS, max(0, (last - today).days))
    return [d for d in cf.due(within_days=within, today=today) if first <= d.due <= last]


def _programmes(
    s: Any,
    shown: dict[int, Partnership],
    parties: dict[int, Party],
    by_key: dict[str, Party],
    first: dt.date,
    last: dt.date,
) -> tuple[list[BudgetRow], list[IndicatorRow], list[tuple[str, str, dt.date, dt.date, str]]]:
    """The budget lines and indicators of the programmes that run during the year."""
    programmes = [
        pr
        for pr in s.scalars(
            select(Programme)
            .where(Programme.period_start <= last, Programme.period_end >= first)
            .order_by(Programme.partnership_id, Programme.period_start, Programme.label)
        )
        if pr.partnership_id in shown
    ]
    ids = [pr.id for pr in programmes]
    axes = {a.id: a for a in s.scalars(select(Axis))}
    actions = (
        list(s.scalars(select(Action).where(Action.programme_id.in_(ids)).order_by(Action.number)))
        if ids
        else []
    )
    of_programme: dict[int, list[Action]] = defaultdict(list)
    for action in actions:
        of_programme[action.programme_id].append(action)

    def funder_name(funder: str) -> str:
        party = by_key.get(funder)
        return (party.usual_name or party.official_name) if party is not None else funder

    budget: list[BudgetRow] = []
    indicators: list[IndicatorRow] = []
    listed: list[tuple[str, str, dt.date, dt.date, str]] = []
    for pr in sorted(programmes, key=lambda x: (shown[x.partnership_id].reference, x.label)):
        reference = shown[pr.partnership_id].reference
        listed.append((reference, pr.label, pr.period_start, pr.period_end, pr.state))
        for action in of_programme[pr.id]:
            axis = axes.get(action.axis_id)
            for line in action.budget_lines:
                budget.append(
                    BudgetRow(
                        reference=reference,
                        programme=pr.label,
                        action=action.number,
                        action_title=action.title,
                        axis=axis.number if axis else 0,
                        axis_title=axis.title if axis else "",
                        funder=funder_name(line.funder),
                        amount=Decimal(line.amount).quantize(Decimal("0.01")),
                    )
                )
            for ind in action.indicators:
                indicators.append(
                    IndicatorRow(
                        reference=reference,
                        programme=pr.label,
                        action=action.number,
                        name=ind.name,
                        unit=ind.unit,
                        target=Decimal(ind.target),
                        actual=None if ind.actual is None else Decimal(ind.actual),
                    )
                )
    return budget, indicators, listed


def _deliberations(
    s: Any, shown: dict[int, Partnership], parties: dict[int, Party], first: dt.date, last: dt.date
) -> list[DeliberationRow]:
    rows = []
    for d in s.scalars(
        select(Deliberation).where(
            Deliberation.sitting_date >= first, Deliberation.sitting_date <= last
        )
    ):
        if d.partnership_id not in shown:
            continue
        party = parties[d.party_id]
        rows.append(
            DeliberationRow(
                reference=shown[d.partnership_id].reference,
                party=party.usual_name or party.official_name,
                body=party.deliberative_body,
                number=d.number,
                amendment=d.amendment,
                sitting_date=d.sitting_date,
                sent_to_prefecture=d.sent_to_prefecture,
                published=d.published,
                executoire=d.executoire,
            )
        )
    return sorted(rows, key=lambda r: (r.sitting_date, r.reference, r.party, r.number))


# ----------------------------------------------------------------------------- the views

Cell = str | int | Decimal | dt.date | None


@dataclass(frozen=True, slots=True)
class View:
    """One table of the report, as the spreadsheet and the CSV files write it: ``total`` names
    the columns summed on a last row (``=SUM(...)`` in the spreadsheet)."""

    name: str  # the sheet's and the CSV file's name
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: tuple[int, ...] = ()
    widths: tuple[int, ...] = field(default=())


def views(report: Report) -> list[View]:
    """The report's tables, in the document's order."""
    return [
        View(
            "partenariats",
            ("Référence", "Intitulé", "Échelle", "État", "Parties", "Ouvert le"),
            tuple(
                (p.reference, p.title, p.scale_label, p.state_label, ", ".join(p.parties), p.opened)
                for p in report.partnerships
            ),
            widths=(16, 60, 22, 30, 60, 12),
        ),
        View(
            "par_echelle",
            ("Échelle", "Partenariats"),
            tuple((label, n) for _code, label, n in report.by_scale),
            total=(1,),
            widths=(30, 14),
        ),
        View(
            "par_etat",
            ("État", "Code", "Partenariats"),
            tuple((label, state, n) for state, label, n in report.by_state),
            total=(2,),
            widths=(40, 40, 14),
        ),
        View(
            "budget_par_financeur",
            ("Financeur", "Montant (€)"),
            tuple((f.funder, f.amount) for f in report.by_funder),
            total=(1,),
            widths=(40, 16),
        ),
        View(
            "budget_par_axe",
            ("Référence", "Axe", "Intitulé de l'axe", "Montant (€)"),
            tuple((a.reference, a.axis, a.title, a.amount) for a in report.by_axis),
            total=(3,),
            widths=(16, 6, 60, 16),
        ),
        View(
            "lignes_budgetaires",
            ("Référence", "Programme", "Action", "Intitulé", "Axe", "Financeur", "Montant (€)"),
            tuple(
                (b.reference, b.programme, b.action, b.action_title, b.axis, b.funder, b.amount)
                for b in report.budget
            ),
            total=(6,),
            widths=(16, 12, 8, 50, 6, 32, 16),
        ),
        View(
            "indicateurs",
            ("Référence", "Programme", "Action", "Indicateur", "Unité", "Cible", "Mesure"),
            tuple(
                (i.reference, i.programme, i.action, i.name, i.unit, i.target, i.actual)
                for i in report.indicators
            ),
            widths=(16, 12, 8, 50, 12, 12, 12),
        ),
        View(
            "deliberations",
            (
                "Référence",
                "Partie",
                "Numéro",
                "Objet",
                "Séance",
                "Transmission",
                "Publication",
                "Exécutoire",
            ),
            tuple(
                (
                    d.reference,
                    d.party,
                    d.number,
                    d.subject,
                    d.sitting_date,
                    d.sent_to_prefecture,
                    d.published,
                    "oui" if d.executoire else "non",
                )
                for d in report.deliberations
            ),
            widths=(16, 30, 14, 14, 12, 12, 12, 10),
        ),
        View(
            "echeances",
            ("Échéance", "Référence", "Type", "Code", "Base de calcul"),
            tuple(
                (d.due, d.reference, DEADLINE_LABELS.get(d.kind, d.kind), d.kind, d.basis)
                for d in report.deadlines
            ),
            widths=(12, 16, 36, 22, 70),
        ),
    ]


def _csv_value(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def csv_files(report: Report) -> dict[str, bytes]:
    """One CSV file per view (``partenariats.csv``...), with a last ``Total`` row where the
    view has totals; see the module's docstring for the format."""
    files: dict[str, bytes] = {}
    for view in views(report):
        text = io.StringIO()
        writer = csv.writer(text, delimiter=CSV_SEPARATOR, lineterminator="\r\n")
        writer.writerow(view.columns)
        for row in view.rows:
            writer.writerow([_csv_value(v) for v in row])
        if view.total:
            totals: list[str] = ["" for _ in view.columns]
            totals[0] = "Total"
            for column in view.total:
                summed = sum((Decimal(str(row[column] or 0)) for row in view.rows), Decimal(0))
                totals[column] = str(summed)
            writer.writerow(totals)
        files[f"{view.name}.csv"] = ("\ufeff" + text.getvalue()).encode("utf-8")
    return files


def workbook_bytes(report: Report, *, produced_at: dt.datetime | None = None) -> bytes:
    """The report as an Excel workbook (openpyxl): one sheet per view, each total a formula
    ``=SUM(...)`` over the cells above it (so it equals the figure the PDF prints)."""
    from openpyxl import Workbook  # type: ignore[import-untyped]  # no type information

    book = Workbook()
    book.remove(book.active)
    for view in views(report):
        _sheet(book, view)
    moment = produced_at or dt.datetime.now(dt.UTC)
    book.properties.title = f"Rapport annuel {report.year} de la coopération territoriale"
    book.properties.creator = "coopflow"
    book.properties.created = book.properties.modified = moment.replace(tzinfo=None)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(book: Any, view: View) -> None:
    """One view as a sheet of ``book``: a bold header, the rows, a bold ``Total`` row of
    ``=SUM(...)`` formulas over exactly the rows above."""
    from openpyxl.styles import Font  # type: ignore[import-untyped]  # no type information
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    bold = Font(bold=True)
    sheet = book.create_sheet(view.name[:31])
    sheet.append(list(view.columns))
    for cell in sheet[1]:
        cell.font = bold
    for row in view.rows:
        sheet.append([_sheet_value(v) for v in row])
    money = {i + 1 for i, column in enumerate(view.columns) if column.endswith("(€)")}
    for i, width in enumerate(view.widths):
        sheet.column_dimensions[get_column_letter(i + 1)].width = width
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if cell.column in money:
                cell.number_format = "#,##0.00"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "dd/mm/yyyy"
    if view.total:
        last = len(view.rows) + 1
        totals: list[object] = ["" for _ in view.columns]
        totals[0] = "Total"
        for column in view.total:
            letter = get_column_letter(column + 1)
            totals[column] = f"=SUM({letter}2:{letter}{last})"
        sheet.append(totals)
        for cell in sheet[last + 1]:
            cell.font = bold
            if cell.column in money:
                cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"


def _sheet_value(value: Cell) -> object:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    return value


# ----------------------------------------------------------------------------- writing


def check_new(path: Path) -> None:
    """Refuse, before any work, a file name coopflow does not write (ValidationError) or a
    file that exists (OutputError)."""
    from ._files import is_safe_component

    name = path.name
    if not is_safe_component(name):
        raise ValidationError(
            _(
                "{name!r} is not a file name coopflow writes: use letters, digits, '.', '_' "
                "and '-' (no space, not starting with '.' or '-')"
            ).format(name=name),
            field="path",
        )
    if path.exists() or path.is_symlink():
        raise OutputError(
            str(path), _("exists already: coopflow never overwrites a file (name another)")
        )


def write_new(path: Path, data: bytes) -> Path:
    """Write ``data`` to the new file ``path``, through :class:`coopflow._files.OutputFolder`
    (nothing written outside ``path``'s folder, no link followed): an existing entry of that
    name is refused (OutputError), never overwritten."""
    from ._files import OutputFolder

    check_new(path)
    name = path.name
    with OutputFolder(path.parent) as out:
        if out.stat(name) is not None:
            raise OutputError(
                str(path), _("exists already: coopflow never overwrites a file (name another)")
            )
        return out.write(name, data)


def check_csv_folder(folder: Path, names: Sequence[str]) -> None:
    """Refuse, before any work, CSV files that exist in ``folder`` (or a folder that is a
    file)."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(str(folder), _("exists and is not a folder"))
    for name in names:
        if (folder / name).exists() or (folder / name).is_symlink():
            raise OutputError(
                str(folder / name),
                _("exists already: coopflow never overwrites a file (name another folder)"),
            )


def write_csv_folder(folder: Path, files: dict[str, bytes]) -> list[Path]:
    """Write the CSV ``files`` into ``folder`` (created if missing); an existing file of one of
    their names is refused before anything is written."""
    from ._files import OutputFolder

    check_csv_folder(folder, list(files))
    with OutputFolder(folder) as out:
        taken = [name for name in files if out.stat(name) is not None]
        if taken:
            raise OutputError(
                str(folder / taken[0]),
                _("exists already: coopflow never overwrites a file (name another folder)"),
            )
        return out.write_all(files)


#: The names of the CSV files (one per view), as :func:`csv_files` names them.
CSV_NAMES: Final = (
    "partenariats.csv",
    "par_echelle.csv",
    "par_etat.csv",
    "budget_par_financeur.csv",
    "budget_par_axe.csv",
    "lignes_budgetaires.csv",
    "indicateurs.csv",
    "deliberations.csv",
    "echeances.csv",
)


# ----------------------------------------------------------------------------- the PDF


def report_snapshot(report: Report) -> dict[str, Any]:
    """The report's figures as JSON-compatible data (attached to the PDF as ``report.json``)."""
    from ._views import as_jsonable

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    data = as_jsonable(
        {
            "year": report.year,
            "today": report.today,
            "home": report.home,
            "partnerships": list(report.partnerships),
            "by_scale": list(report.by_scale),
            "by_state": list(report.by_state),
            "programmes": list(report.programmes),
            "budget": list(report.budget),
            "by_funder": list(report.by_funder),
            "by_axis": list(report.by_axis),
            "budget_total": report.budget_total,
            "indicators": list(report.indicators),
            "deliberations": list(report.deliberations),
            "deadlines": list(report.deadlines),
        }
    )
    return plain(data)  # type: ignore[no-any-return]


def report_html(report: Report, *, produced_at: dt.datetime) -> str:
    """The report's HTML (the template ``report.html.j2``), with its charts drawn."""
    import jinja2
    from coopflow.documents import _french as fr
    from coopflow.documents import _report_charts as charts
    from coopflow.documents._assets import TEMPLATES_DIR
    from coopflow.documents._render import FILTERS

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    context = {
        "r": report,
        "produced": produced_at,
        "produced_on": fr.french_date(produced_at.date()),
        "today": fr.french_date(report.today),
        "levels": report.levels,
        "deadline_labels": DEADLINE_LABELS,
        "scale_chart": charts.bar_chart(
            [(label, Decimal(n)) for _c, label, n in report.by_scale],
            title=f"Partenariats par échelle territoriale, {report.year}",
            unit="partenariat",
        ),
        "state_chart": charts.bar_chart(
            [(label, Decimal(n)) for _s, label, n in report.by_state],
            title=f"Partenariats par état, au {fr.french_date(report.today)}",
            unit="partenariat",
        ),
        "funder_chart": charts.bar_chart(
            [(f.funder, f.amount) for f in report.by_funder],
            title=f"Budget des programmes {report.year} par financeur",
            unit="euro",
        ),
        "axis_chart": charts.bar_chart(
            [(a.label, a.amount) for a in report.by_axis],
            title=f"Budget des programmes {report.year} par axe de coopération",
            unit="euro",
        ),
        "indicator_chart": charts.indicator_chart(
            [(f"{i.reference} – {i.name}", i.target, i.actual, i.unit) for i in report.indicators],
            title=f"Indicateurs des programmes {report.year} : cible et valeur mesurée",
        ),
        "timelines": charts.timeline_charts(
            [
                (
                    p.reference,
                    p.title,
                    [(s.level, s.start, s.end) for s in p.segments],
                )
                for p in report.partnerships
            ],
            report.timeline_start,
            report.timeline_end,
            levels=report.levels,
            year=report.year,
        ),
    }
    return env.get_template(TEMPLATE).render(**context)


def render_pdf(
    report: Report,
    *,
    produced_at: dt.datetime | None = None,
    max_seconds: float | None = None,
    on_step: Callable[[str], object] = lambda _step: None,
) -> bytes:
    """The report as a PDF/A-3 (level A, as coopflow's other documents), with its figures
    attached as ``report.json``; bounded by the render time limit (``max_seconds``, else
    coopflow's default) like every document."""
    import weasyprint
    from coopflow.documents import _render as rendering
    from coopflow.documents._assets import ASSET_BASE_URL, STATIC_DIR, AssetFetcher
    from coopflow.documents._fonts import check_printable
    from coopflow.errors import CoopflowError, DocumentError, TemplateError
    from weasyprint.text.fonts import FontConfiguration

    when = rendering.production_moment(produced_at)
    limit = rendering.render_seconds(
        rendering.MAX_SECONDS if max_seconds is None else max_seconds, "render_timeout"
    )
    snapshot = report_snapshot(report)
    check_printable(snapshot)
    payload = rendering.snapshot_json(snapshot)

    def work() -> bytes:
        on_step("html")
        html = report_html(report, produced_at=when)
        on_step("layout")
        fetcher = AssetFetcher()
        fonts = FontConfiguration()
        sheets = [
            weasyprint.CSS(
                string=(STATIC_DIR / name).read_text("utf-8"),
                base_url=ASSET_BASE_URL,
                url_fetcher=fetcher,
                font_config=fonts,
            )
            for name in (rendering.STYLESHEET, STYLESHEET)
        ]
        document = weasyprint.HTML(
            string=html, base_url=ASSET_BASE_URL, url_fetcher=fetcher
        ).render(font_config=fonts, stylesheets=sheets)
        metadata = document.metadata
        metadata.title = f"Rapport annuel {report.year} de la coopération territoriale"
        metadata.authors = [report.home or "coopflow"]
        metadata.description = f"Séminaire annuel {report.year} – situation au {report.today}"
        metadata.keywords = []
        metadata.generator = "coopflow"
        metadata.lang = "fr"
        metadata.created = metadata.modified = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        metadata.attachments = []
        metadata.custom = {}
        document.color_profiles[rendering.OUTPUT_INTENT] = rendering._srgb_profile()
        attachment = weasyprint.Attachment(
            string=payload,
            name="report.json",
            description="Chiffres à partir desquels coopflow a produit ce rapport",
            created=when,
            modified=when,
            relationship="Data",
            url_fetcher=fetcher,
        )
        identifier = hashlib.sha256(payload + when.isoformat().encode()).hexdigest()[:32]
        on_step("pdf")
        pdf: bytes = document.write_pdf(
            pdf_variant=rendering.PDF_VARIANT,
            pdf_identifier=identifier.encode(),
            attachments=[attachment],
            output_intent=rendering.OUTPUT_INTENT,
            finisher=lambda doc, pdf: rendering._finish_pdf(TEMPLATE, doc, pdf),
        )
        return pdf

    def guarded() -> bytes:
        try:
            return work()
        except CoopflowError:
            raise
        except Exception as error:
            raise DocumentError(
                _("WeasyPrint could not render {template}: {error}").format(
                    template=TEMPLATE, error=f"{type(error).__name__}: {error}"
                )
            ) from error

    def too_slow() -> TemplateError:
        return TemplateError(
            TEMPLATE,
            _(
                "the report took longer than {seconds} seconds to render and was stopped (the "
                "time allowed: COOPFLOW_RENDER_TIMEOUT on the command line)"
            ).format(seconds=f"{limit:g}"),
        )

    return _bounded(guarded, limit, too_slow)


def _bounded(call: Callable[[], bytes], limit: float, too_slow: Callable[[], Any]) -> bytes:
    """``call()`` in a thread of its own, stopped when it outlasts ``limit`` seconds (the
    documents' render thread, :class:`coopflow.documents._render._RenderThread`)."""
    import threading
    import time

    from coopflow.documents import _render as rendering

    lock = threading.Lock()
    lock.acquire()
    thread = rendering._RenderThread(call, lock.release)
    thread.start()
    try:
        thread.join(limit)
        if thread.is_alive():
            give_up = time.monotonic() + rendering.STOP_GRACE
            while thread.interrupt() and time.monotonic() < give_up:
                thread.join(rendering.STOP_RETRY)
    except BaseException:
        thread.interrupt()
        raise
    result: bytes = thread.outcome(too_slow)
    return result


def summary(written: Sequence[Path], report: Report) -> dict[str, Any]:
    """What ``coopflow report --json`` prints."""
    return {
        "year": report.year,
        "written": [str(p) for p in written],
        "counts": report.counts(),
        "budget_total": str(report.budget_total),
    }
