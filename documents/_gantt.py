"""The annual programme's calendar drawn as a Gantt chart, in inline SVG.

One row per action, grouped under its axis; one column per month, as wide as the month has days
(the time axis is linear in days, so that a milestone falls at its very date); a year row above
the months, and a line where each new year starts.  An action's bar runs from its first to its
last milestone: that is all the snapshot says of when an action runs.  An action with a single
milestone has its mark and no bar; an action without any milestone has neither, and its row says
"aucun jalon défini": nothing is invented.  Milestones are diamonds at their dates.  While the
programme is in progress (its workflow state has the ``running`` capability), a vertical line
marks the day the document is produced, if that day falls within the programme's period.  A
milestone outside the period widens the chart to its month, and the months (or days) outside the
period are shaded.

Everything here is a pure function of its arguments: the same calendar gives the same SVG string,
coordinates written with two decimals at most.  Labels are measured with the advance widths of the
Liberation Sans faces coopflow ships (read once from the font files), so that they are cut to the
width of the label column, at a word, with an ellipsis.  All text is escaped; the SVG refers to
no external resource and names only the document's own font family.  Its ``<title>`` (first child
of the root, which WeasyPrint copies into the tagged PDF as the Figure's alternate text) and its
``aria-label`` describe the chart; the milestones are also listed in a table of the document.

A long calendar is cut into several charts, each with its month header and at most
``max_height`` points high, so that each fits on a page (an SVG image cannot break across pages).
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # no type information
from markupsafe import Markup, escape

from . import _french as fr
from ._assets import FONTS_DIR

#: The document's sans-serif font stack (see ``coopflow.css``).
FONT_FAMILY: Final = "Coopflow Sans, Coopflow Symbols"

# Geometry, in points: one user unit is one point, and the chart is drawn at the width of an A4
# portrait page's frame (163 mm); the stylesheet scales it to the frame's actual width.
WIDTH: Final = 462.0
LABEL_LEFT: Final = 4.0
LABEL_WIDTH: Final = 146.0
CHART_LEFT: Final = 154.0
CHART_RIGHT: Final = WIDTH - 1.0
YEAR_ROW: Final = 12.0
MONTH_ROW: Final = 12.0
HEADER: Final = YEAR_ROW + MONTH_ROW
AXIS_ROW: Final = 13.0
TEXT_SIZE: Final = 7.0
MONTH_SIZE: Final = 6.5
LINE_HEIGHT: Final = 8.2
ROW_PADDING: Final = 2.4
LABEL_LINES: Final = 2
BAR_HEIGHT: Final = 5.2
DIAMOND: Final = 3.4  # half the diagonal of a milestone's mark
LEGEND_ROW: Final = 13.0
LEGEND_GAP: Final = 4.0
#: The highest chart: with the "Calendrier" heading it fits in an A4 page's frame (249 mm).
MAX_HEIGHT: Final = 600.0

_INK: Final = "#111111"
_MUTED: Final = "#555555"
_GRID: Final = "#d4d4d4"
_HEADER_FILL: Final = "#e8ecf2"
_MONTH_FILL: Final = "#f3f5f8"
_AXIS_FILL: Final = "#dfe5ee"
_STRIPE_FILL: Final = "#f5f7fa"
_OUTSIDE_FILL: Final = "#e6e6e6"
_BAR_FILL: Final = "#9db4d3"
_BAR_STROKE: Final = "#3d5a80"
_MARK_FILL: Final = "#1f3a5f"
_TODAY: Final = "#b42318"

_MONTHS: Final = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip
_MONTH_NAMES: Final = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_INITIALS: Final = "JFMAMJJASOND"
_ELLIPSIS: Final = "…"
_FACES: Final = {
    (False, False): "LiberationSans-Regular.ttf",
    (True, False): "LiberationSans-Bold.ttf",
    (False, True): "LiberationSans-Italic.ttf",
    (True, True): "LiberationSans-Bold.ttf",
}


@dataclass(frozen=True, slots=True)
class GanttAction:
    """An action of the chart: its number, its title and the dates of its milestones."""

    number: int
    title: str
    milestones: tuple[_dt.date, ...]


@dataclass(frozen=True, slots=True)
class GanttAxis:
    """An axis and its actions, in the order they are drawn."""

    number: int
    title: str
    actions: tuple[GanttAction, ...]


# --- Measuring text ---------------------------------------------------------------------------


@functools.cache
def _advances(path: Path) -> tuple[dict[int, int], int]:
    """Each character's advance width in ``path``'s font, and its units per em."""
    font = TTFont(path, lazy=True)
    try:
        metrics = font["hmtx"].metrics
        cmap = font.getBestCmap() or {}
        units = int(font["head"].unitsPerEm)
        return {code: int(metrics[glyph][0]) for code, glyph in cmap.items()}, units
    finally:
        font.close()


def text_width(text: str, size: float, *, bold: bool = False, italic: bool = False) -> float:
    """The width, in points, of ``text`` set in Coopflow Sans at ``size`` points.

    Advance widths of the Liberation Sans face, then of DejaVu Sans (the symbols' face) for a
    character it lacks; kerning, which only narrows a line, is left out.
    """
    widths, units = _advances(FONTS_DIR / _FACES[bold, italic])
    symbols, symbol_units = _advances(FONTS_DIR / "DejaVuSans.ttf")
    total = 0.0
    for character in text:
        code = ord(character)
        if code in widths:
            total += widths[code] / units
        elif code in symbols:
            total += symbols[code] / symbol_units
        else:
            total += 0.6
    return total * size


def _fits(text: str, width: float, size: float, bold: bool, italic: bool = False) -> bool:
    return text_width(text, size, bold=bold, italic=italic) <= width


def _ellipsize(text: str, width: float, size: float, bold: bool) -> str:
    """``text`` if it fits, else as many whole words as fit with ``…`` (a word cut only when
    the first one alone is too wide)."""
    if _fits(text, width, size, bold):
        return text
    words = text.split()
    kept: list[str] = []
    for word in words:
        candidate = " ".join([*kept, word]).rstrip(" –-,;:") + _ELLIPSIS
        if not _fits(candidate, width, size, bold):
            break
        kept.append(word)
    if kept:
        return " ".join(kept).rstrip(" –-,;:") + _ELLIPSIS
    cut = words[0] if words else ""
    while cut and not _fits(cut + _ELLIPSIS, width, size, bold):
        cut = cut[:-1]
    return cut + _ELLIPSIS


def wrap(
    text: str, width: float, size: float, *, max_lines: int = LABEL_LINES, bold: bool = False
) -> list[str]:
    """``text`` broken at spaces into lines at most ``width`` points wide, at most ``max_lines``
    of them: the last one ends with ``…`` when the text is longer."""
    words = text.split()
    lines: list[str] = []
    while words:
        if len(lines) == max_lines - 1:
            lines.append(_ellipsize(" ".join(words), width, size, bold))
            break
        line = words[0]
        if not _fits(line, width, size, bold):  # one word wider than the line: cut it
            head = line
            while len(head) > 1 and not _fits(head, width, size, bold):
                head = head[:-1]
            lines.append(head)
            words = [line[len(head) :], *words[1:]]
            continue
        taken = 1
        while taken < len(words) and _fits(f"{line} {words[taken]}", width, size, bold):
            line = f"{line} {words[taken]}"
            taken += 1
        lines.append(line)
        words = words[taken:]
    return lines


# --- Months and the time axis -----------------------------------------------------------------


def _month_after(day: _dt.date) -> _dt.date:
    return _dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _months(first: _dt.date, end: _dt.date) -> Iterator[_dt.date]:
    month = first
    while month < end:
        yield month
        month = _month_after(month)


def month_labels(months: Sequence[_dt.date], column_width: float) -> list[str]:
    """The months' labels, in the longest French form that fits ``column_width`` points for
    every one of them: ``janv. 2028``, else ``janv.`` (the year row gives the year), else
    ``J``, else nothing."""
    forms = (
        [f"{_MONTHS[m.month - 1]} {m.year}" for m in months],
        [_MONTHS[m.month - 1] for m in months],
        [_INITIALS[m.month - 1] for m in months],
    )
    for labels in forms:
        if all(_fits(label, column_width - 1.0, MONTH_SIZE, False) for label in labels):
            return labels
    return ["" for _ in months]


def _month_name(day: _dt.date) -> str:
    return f"{_MONTH_NAMES[day.month - 1]} {day.year}"


@dataclass(frozen=True, slots=True)
class _Scale:
    """Days to x: ``first`` (a month's first day) at ``left``, ``end`` (the first day after the
    last month) at ``right``."""

    first: _dt.date
    end: _dt.date
    left: float = CHART_LEFT
    right: float = CHART_RIGHT

    @property
    def day(self) -> float:
        return (self.right - self.left) / (self.end - self.first).days

    def x(self, day: _dt.date) -> float:
        """Where ``day`` starts."""
        return self.left + (day - self.first).days * self.day

    def centre(self, day: _dt.date) -> float:
        """The middle of ``day``: where its milestone is drawn."""
        return self.x(day) + self.day / 2


def _scale(axes: Sequence[GanttAxis], start: _dt.date, end: _dt.date) -> _Scale:
    dates = [day for axis in axes for action in axis.actions for day in action.milestones]
    low, high = min([start, *dates]), max([end, *dates])
    return _Scale(low.replace(day=1), _month_after(high))


def today_line(
    in_progress: bool, produced_on: _dt.date, start: _dt.date, end: _dt.date
) -> _dt.date | None:
    """The day the chart marks: ``produced_on`` while the programme is in progress and that day
    falls within its period (``start`` to ``end`` included), else None."""
    if in_progress and start <= produced_on <= end:
        return produced_on
    return None


# --- Drawing ----------------------------------------------------------------------------------


def _n(value: float) -> str:
    """A coordinate, with two decimals at most: the same number is always written the same."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _e(text: str) -> str:
    return str(escape(text))


def _text(
    x: float,
    y: float,
    text: str,
    *,
    css: str,
    size: float = TEXT_SIZE,
    bold: bool = False,
    italic: bool = False,
    fill: str = _INK,
) -> str:
    attributes = f' class="{css}" x="{_n(x)}" y="{_n(y)}"'
    if size != TEXT_SIZE:
        attributes += f' font-size="{_n(size)}"'
    if bold:
        attributes += ' font-weight="bold"'
    if italic:
        attributes += ' font-style="italic"'
    if fill != _INK:
        attributes += f' fill="{fill}"'
    return f"<text{attributes}>{_e(text)}</text>"


def _rect(x: float, y: float, width: float, height: float, fill: str, extra: str = "") -> str:
    return (
        f'<rect{extra} x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}" '
        f'fill="{fill}"/>'
    )


def _line(
    x1: float, y1: float, x2: float, y2: float, stroke: str, width: float, extra: str = ""
) -> str:
    return (
        f'<line{extra} x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
        f'stroke="{stroke}" stroke-width="{_n(width)}"/>'
    )


def _diamond(x: float, y: float, extra: str = "") -> str:
    points = " ".join(
        f"{_n(px)},{_n(py)}"
        for px, py in ((x, y - DIAMOND), (x + DIAMOND, y), (x, y + DIAMOND), (x - DIAMOND, y))
    )
    return (
        f'<polygon{extra} points="{points}" fill="{_MARK_FILL}" stroke="#ffffff" '
        f'stroke-width="0.5"/>'
    )


@dataclass(frozen=True, slots=True)
class _Row:
    """A row of the chart: an axis heading (``action`` None) or an action."""

    axis: GanttAxis
    action: GanttAction | None
    lines: tuple[str, ...]

    @property
    def height(self) -> float:
        if self.action is None:
            return AXIS_ROW
        return len(self.lines) * LINE_HEIGHT + 2 * ROW_PADDING


def _axis_row(axis: GanttAxis, *, continued: bool = False) -> _Row:
    title = f"Axe {axis.number}{fr.NNBSP}: {axis.title}"
    if continued:
        title += " (suite)"
    label = _ellipsize(title, WIDTH - 2 * LABEL_LEFT, TEXT_SIZE, True)
    return _Row(axis, None, (label,))


def _action_row(axis: GanttAxis, action: GanttAction) -> _Row:
    label = f"Action {action.number} – {action.title}"
    return _Row(axis, action, tuple(wrap(label, LABEL_WIDTH, TEXT_SIZE)) or ("",))


def _rows(axes: Sequence[GanttAxis]) -> list[_Row]:
    rows: list[_Row] = []
    for axis in axes:
        rows.append(_axis_row(axis))
        rows.extend(_action_row(axis, action) for action in axis.actions)
    return rows


def _chunks(rows: list[_Row], room: float) -> list[list[_Row]]:
    """The rows cut into charts of at most ``room`` points of rows; an axis heading never ends
    a chart, and a chart that starts inside an axis starts with its heading again, "(suite)"."""
    chunks: list[list[_Row]] = [[]]
    used = 0.0
    for index, row in enumerate(rows):
        needed = row.height
        following = rows[index + 1] if index + 1 < len(rows) else None
        if row.action is None and following is not None and following.action is not None:
            needed += following.height  # the heading goes with its first action
        if chunks[-1] and used + needed > room:
            chunks.append([])
            used = 0.0
            if row.action is not None:
                heading = _axis_row(row.axis, continued=True)
                chunks[-1].append(heading)
                used += heading.height
        chunks[-1].append(row)
        used += row.height
    return chunks


def _header(scale: _Scale) -> list[str]:
    parts: list[str] = []
    year = scale.first.year
    while _dt.date(year, 1, 1) < scale.end:
        left = max(scale.first, _dt.date(year, 1, 1))
        right = min(scale.end, _dt.date(year + 1, 1, 1))
        x1, x2 = scale.x(left), scale.x(right)
        parts.append(_rect(x1, 0, x2 - x1, YEAR_ROW, _HEADER_FILL, ' class="year-col"'))
        label = str(year)
        width = text_width(label, TEXT_SIZE, bold=True)
        if width + 2 <= x2 - x1:
            parts.append(_text((x1 + x2 - width) / 2, YEAR_ROW - 3.4, label, css="year", bold=True))
        year += 1
    months = list(_months(scale.first, scale.end))
    narrowest = min(scale.x(_month_after(m)) - scale.x(m) for m in months)
    for month, label in zip(months, month_labels(months, narrowest), strict=True):
        x1, x2 = scale.x(month), scale.x(_month_after(month))
        parts.append(
            _rect(
                x1,
                YEAR_ROW,
                x2 - x1,
                MONTH_ROW,
                _MONTH_FILL,
                f' class="month-col" data-month="{month:%Y-%m}"',
            )
        )
        if label:
            width = text_width(label, MONTH_SIZE)
            parts.append(
                _text((x1 + x2 - width) / 2, HEADER - 3.6, label, css="month", size=MONTH_SIZE)
            )
    # White separations between the header cells.
    for month in months[1:]:
        parts.append(_line(scale.x(month), YEAR_ROW, scale.x(month), HEADER, "#ffffff", 0.8))
    return parts


def _background(row: _Row, top: float, stripe: bool) -> str:
    """Every other action row's stripe (an axis heading's band is drawn over the grid)."""
    if row.action is None or not stripe:
        return ""
    return _rect(0, top, WIDTH, row.height, _STRIPE_FILL)


def _row(row: _Row, top: float, scale: _Scale) -> str:
    """A row's label, and an action's bar and milestones, in a group saying what it is."""
    if row.action is None:
        axis = row.axis
        parts = [_text(LABEL_LEFT, top + 9.2, row.lines[0], css="axis-label", bold=True)]
        if not axis.actions:
            note = "aucune action programmée"
            parts.append(
                _text(
                    scale.right - text_width(note, TEXT_SIZE, italic=True) - 3,
                    top + 9.2,
                    note,
                    css="axis-note",
                    italic=True,
                    fill=_MUTED,
                )
            )
        return f'<g class="axis" data-axis="{axis.number}">{"".join(parts)}</g>'
    action = row.action
    middle = top + row.height / 2
    first_baseline = middle - (len(row.lines) - 1) * LINE_HEIGHT / 2 + 2.5
    parts = [
        _text(LABEL_LEFT, first_baseline + index * LINE_HEIGHT, line, css="label")
        for index, line in enumerate(row.lines)
    ]
    days = sorted(action.milestones)
    if not days:
        parts.append(
            _text(
                scale.left + 4,
                middle + 2.5,
                "aucun jalon défini",
                css="no-milestone",
                italic=True,
                fill=_MUTED,
            )
        )
    if len(days) > 1:
        x1, x2 = scale.centre(days[0]), scale.centre(days[-1])
        parts.append(
            f'<rect class="bar" data-action="{action.number}" x="{_n(x1)}" '
            f'y="{_n(middle - BAR_HEIGHT / 2)}" width="{_n(x2 - x1)}" height="{_n(BAR_HEIGHT)}" '
            f'rx="1.2" fill="{_BAR_FILL}" stroke="{_BAR_STROKE}" stroke-width="0.5"/>'
        )
    for day in days:
        parts.append(
            _diamond(
                scale.centre(day),
                middle,
                f' class="milestone" data-action="{action.number}" data-date="{day.isoformat()}"',
            )
        )
    return f'<g class="action" data-action="{action.number}">{"".join(parts)}</g>'


def _legend(top: float, *, outside: bool, today: _dt.date | None) -> tuple[list[str], float]:
    """The legend's items, laid out left to right (on several lines if needed), and the height
    they take."""
    items: list[tuple[str, str]] = [
        ("mark", "jalon"),
        ("bar", "période de l'action, de son premier à son dernier jalon"),
    ]
    if outside:
        items.append(("outside", "hors de la période du programme"))
    if today is not None:
        items.append(("today", f"date d'édition du document ({fr.french_date(today)})"))
    parts: list[str] = []
    x, y = LABEL_LEFT, top + LEGEND_GAP
    for kind, label in items:
        width = 14 + text_width(label, TEXT_SIZE) + 12
        if x > LABEL_LEFT and x + width > WIDTH:
            x, y = LABEL_LEFT, y + LEGEND_ROW
        middle = y + LEGEND_ROW / 2
        if kind == "mark":
            parts.append(_diamond(x + 5, middle))
        elif kind == "bar":
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(middle - BAR_HEIGHT / 2)}" width="10" '
                f'height="{_n(BAR_HEIGHT)}" rx="1.2" fill="{_BAR_FILL}" stroke="{_BAR_STROKE}" '
                f'stroke-width="0.5"/>'
            )
        elif kind == "outside":
            parts.append(_rect(x, middle - 4, 10, 8, _OUTSIDE_FILL))
        else:
            parts.append(
                f'<line x1="{_n(x + 5)}" y1="{_n(middle - 5)}" x2="{_n(x + 5)}" '
                f'y2="{_n(middle + 5)}" stroke="{_TODAY}" stroke-width="0.9" '
                f'stroke-dasharray="2.5 1.5"/>'
            )
        parts.append(_text(x + 14, middle + 2.5, label, css="legend-text"))
        x += width
    return parts, y + LEGEND_ROW - top


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"


def _title(rows: list[_Row], scale: _Scale, today: _dt.date | None, part: int, parts: int) -> str:
    actions = [row.action for row in rows if row.action is not None]
    axes = {row.axis.number for row in rows}
    milestones = sum(len(action.milestones) for action in actions)
    last_month = _dt.date.fromordinal(scale.end.toordinal() - 1)
    spread = "répartie" if len(actions) == 1 else "réparties"
    text = (
        f"Diagramme de Gantt du calendrier, de {_month_name(scale.first)} à "
        f"{_month_name(last_month)}{fr.NNBSP}: {_count(len(actions), 'action', 'actions')} "
        f"{spread} en {_count(len(axes), 'axe', 'axes')}, "
        f"{_count(milestones, 'jalon', 'jalons') if milestones else 'aucun jalon'}"
    )
    if today is not None:
        text += (
            f"{fr.NNBSP}; une ligne verticale marque la date d'édition du document, le "
            f"{fr.french_date(today)}"
        )
    text += f"{fr.NNBSP}; le détail des jalons figure dans le tableau qui suit."
    if parts > 1:
        text = text[:-1] + f" (partie {part} sur {parts})."
    return text


def _chart(
    rows: list[_Row],
    scale: _Scale,
    start: _dt.date,
    end: _dt.date,
    today: _dt.date | None,
    part: int,
    parts: int,
) -> Markup:
    body_top = HEADER
    body_height = sum(row.height for row in rows)
    body_bottom = body_top + body_height
    shaded: list[tuple[_dt.date, _dt.date]] = []
    if scale.first < start:
        shaded.append((scale.first, start))
    after = _dt.date.fromordinal(end.toordinal() + 1)
    if after < scale.end:
        shaded.append((after, scale.end))
    legend, legend_height = _legend(body_bottom, outside=bool(shaded), today=today)
    height = body_bottom + legend_height + 1
    title = _e(_title(rows, scale, today, part, parts))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" class="gantt-chart" role="img" '
        f'aria-label="{title}" width="{_n(WIDTH)}pt" height="{_n(height)}pt" '
        f'viewBox="0 0 {_n(WIDTH)} {_n(height)}">',
        f"<title>{title}</title>",
        f'<g font-family="{FONT_FAMILY}" font-size="{_n(TEXT_SIZE)}" fill="{_INK}">',
        *_header(scale),
    ]
    # Under everything: the rows' backgrounds, the months outside the period, the grid.
    tops: list[float] = []
    top = body_top
    stripe = False
    for row in rows:
        stripe = not stripe if row.action is not None else False
        out.append(_background(row, top, stripe))
        tops.append(top)
        top += row.height
    for left, right in shaded:
        out.append(
            _rect(
                scale.x(left),
                body_top,
                scale.x(right) - scale.x(left),
                body_height,
                _OUTSIDE_FILL,
                ' class="outside"',
            )
        )
    for month in _months(_month_after(scale.first), scale.end):
        if month.month != 1:
            out.append(_line(scale.x(month), body_top, scale.x(month), body_bottom, _GRID, 0.4))
    out.append(_line(scale.left, 0, scale.left, body_bottom, "#888888", 0.6))
    out.append(_line(scale.right, 0, scale.right, body_bottom, "#888888", 0.6))
    for month in _months(_month_after(scale.first), scale.end):
        if month.month == 1:
            x = scale.x(month)
            out.append(_line(x, 0, x, body_bottom, "#444444", 0.9, ' class="year-boundary"'))
    # The axis headings' bands across the grid, then the labels, bars and milestones.
    out.extend(
        _rect(0, row_top, WIDTH, row.height, _AXIS_FILL)
        for row, row_top in zip(rows, tops, strict=True)
        if row.action is None
    )
    out.extend(_row(row, row_top, scale) for row, row_top in zip(rows, tops, strict=True))
    out.append(_line(0, body_bottom, WIDTH, body_bottom, "#888888", 0.6))
    if today is not None:
        x = scale.centre(today)
        out.append(
            f'<line class="today" data-date="{today.isoformat()}" x1="{_n(x)}" '
            f'y1="{_n(HEADER)}" x2="{_n(x)}" y2="{_n(body_bottom)}" stroke="{_TODAY}" '
            f'stroke-width="0.9" stroke-dasharray="2.5 1.5"/>'
        )
    out.append(f'<g class="legend">{"".join(legend)}</g>')
    out.append("</g></svg>")
    return Markup("".join(out))  # every text in it is escaped


def gantt_charts(
    axes: Sequence[GanttAxis],
    start: _dt.date,
    end: _dt.date,
    *,
    in_progress: bool,
    produced_on: _dt.date,
    max_height: float = MAX_HEIGHT,
) -> list[Markup]:
    """The calendar of a programme running from ``start`` to ``end`` (included), as one or more
    inline SVG charts (each at most ``max_height`` points high).

    ``in_progress`` says whether the programme runs (its state has the workflow's ``running``
    capability) and ``produced_on`` is the day the document is produced: the day's line is
    drawn while it runs and that day falls within its period (:func:`today_line`).
    """
    scale = _scale(axes, start, end)
    today = today_line(in_progress, produced_on, start, end)
    rows = _rows(axes)
    _, legend_height = _legend(0, outside=True, today=today)
    room = max_height - HEADER - legend_height - 1
    chunks = _chunks(rows, room)
    return [
        _chart(chunk, scale, start, end, today, part, len(chunks))
        for part, chunk in enumerate(chunks, start=1)
    ]
