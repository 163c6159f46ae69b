"""The annual report's charts, drawn as inline SVG: bars (counts, amounts), indicators (the
value measured against its target) and the partnerships' timelines (a Gantt of the levels of
the lifecycle each went through, from its opening to today).

Like :mod:`._gantt`, each function is pure (the same figures give the same SVG), writes
coordinates with two decimals at most, escapes every text, refers to no external resource and
names only the document's own fonts; labels are measured with the shipped fonts' advance widths
and cut at a word with an ellipsis.  Each chart's ``<title>`` (copied by WeasyPrint into the
tagged PDF as the Figure's alternate text) says what it shows; the same figures are printed
in a table next to each chart, so that nothing is only in a picture.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final

from markupsafe import Markup

from . import _french as fr
from ._gantt import (  # the programme's Gantt chart: the same palette and drawing helpers
    _GRID,
    _HEADER_FILL,
    _INK,
    _MUTED,
    FONT_FAMILY,
    _e,
    _ellipsize,
    _month_after,
    _months,
    _n,
    month_labels,
)

WIDTH: Final = 462.0
LABEL_WIDTH: Final = 170.0
BAR_LEFT: Final = 176.0
VALUE_WIDTH: Final = 78.0
ROW: Final = 15.0
BAR: Final = 9.0
TEXT: Final = 7.0
MAX_HEIGHT: Final = 600.0

_BAR: Final = "#3d5a80"
_TARGET: Final = "#c9d6e8"
_TODAY: Final = "#b42318"
#: The colour of each level of the lifecycle on the timelines.
LEVEL_COLOURS: Final[dict[str, str]] = {
    "accueil": "#c7dcef",
    "dialogue": "#8fb8de",
    "contractualisation": "#2f5d8a",
    "suspendu": "#e0b45a",
    "expire": "#9e9e9e",
    "renouvele": "#6f9e6f",
    "resilie": "#b55a5a",
    "abandonne": "#bdbdbd",
}
_OTHER: Final = "#777777"


def _open(height: float, title: str, css: str) -> list[str]:
    label = _e(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" class="{css}" role="img" '
        f'aria-label="{label}" width="{_n(WIDTH)}pt" height="{_n(height)}pt" '
        f'viewBox="0 0 {_n(WIDTH)} {_n(height)}">',
        f"<title>{label}</title>",
        f'<g font-family="{FONT_FAMILY}" font-size="{_n(TEXT)}" fill="{_INK}">',
    ]


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = _INK) -> str:
    extra = f' text-anchor="{anchor}"' if anchor != "start" else ""
    extra += f' fill="{fill}"' if fill != _INK else ""
    return f'<text x="{_n(x)}" y="{_n(y)}"{extra}>{_e(text)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str, extra: str = "") -> str:
    return (
        f'<rect{extra} x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0))}" height="{_n(h)}" '
        f'fill="{fill}"/>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, width: float = 0.5) -> str:
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" '
        f'stroke-width="{_n(width)}"/>'
    )


def _value(amount: Decimal, unit: str) -> str:
    if unit == "euro":
        return fr.french_amount(amount.quantize(Decimal("0.01")))
    return fr.french_number(amount)


def bar_chart(items: Sequence[tuple[str, Decimal]], *, title: str, unit: str) -> Markup | None:
    """Horizontal bars, one per ``(label, value)``, longest value the widest bar; ``unit`` is
    ``euro`` (amounts) or a noun counted (``partenariat``).  None when there is nothing."""
    if not items:
        return None
    top = max((value for _label, value in items), default=Decimal(0))
    room = WIDTH - BAR_LEFT - VALUE_WIDTH
    height = ROW * len(items) + 6
    described = "; ".join(f"{label} : {_value(value, unit)}" for label, value in items)
    out = _open(height, f"{title}. {described}.", "report-chart bars")
    out.append(_line(BAR_LEFT, 0, BAR_LEFT, height - 3, "#888888", 0.6))
    for i, (label, value) in enumerate(items):
        y = 3 + i * ROW
        middle = y + ROW / 2 + TEXT * 0.35
        out.append(
            _text(
                LABEL_WIDTH, middle, _ellipsize(label, LABEL_WIDTH - 4, TEXT, False), anchor="end"
            )
        )
        width = float(value / top) * room if top > 0 else 0.0
        out.append(_rect(BAR_LEFT, y + (ROW - BAR) / 2, width, BAR, _BAR))
        out.append(_text(BAR_LEFT + width + 3, middle, _value(value, unit), fill=_MUTED))
    out.append("</g></svg>")
    return Markup("".join(out))  # every text in it is escaped


def indicator_chart(
    items: Sequence[tuple[str, Decimal, Decimal | None, str]], *, title: str
) -> Markup | None:
    """Each indicator's measured value against its target, as a share of the target: a light
    bar is the target (100 %), a dark bar the value measured, a tick marks 100 %; an indicator
    not measured yet says so.  None when there is none."""
    if not items:
        return None
    rates = [
        (actual / target * 100) if actual is not None and target else None
        for _label, target, actual, _unit in items
    ]
    scale_top = max([Decimal(100), *(r for r in rates if r is not None)])
    room = WIDTH - BAR_LEFT - VALUE_WIDTH - 8
    height = ROW * len(items) + 16
    described = "; ".join(
        f"{label} : {fr.french_number(actual) if actual is not None else 'non mesuré'} "
        f"pour une cible de {fr.french_number(target)}"
        for label, target, actual, _unit in items
    )
    out = _open(height, f"{title}. {described}.", "report-chart indicators")
    hundred = BAR_LEFT + float(100 / scale_top) * room
    for i, ((label, target, actual, _unit), rate) in enumerate(zip(items, rates, strict=True)):
        y = 3 + i * ROW
        middle = y + ROW / 2 + TEXT * 0.35
        out.append(
            _text(
                LABEL_WIDTH, middle, _ellipsize(label, LABEL_WIDTH - 4, TEXT, False), anchor="end"
            )
        )
        out.append(_rect(BAR_LEFT, y + (ROW - BAR) / 2, hundred - BAR_LEFT, BAR, _TARGET))
        if rate is not None:
            width = float(rate / scale_top) * room
            out.append(_rect(BAR_LEFT, y + (ROW - BAR) / 2 + 2, width, BAR - 4, _BAR))
            percent = fr.french_number(rate.quantize(Decimal(1)))
            measured = fr.french_number(actual or 0)
            said = f"{measured} / {fr.french_number(target)} ({percent} %)"
        else:
            said = f"non mesuré / {fr.french_number(target)}"
        out.append(
            _text(
                max(hundred, BAR_LEFT) + 4,
                middle,
                _ellipsize(said, VALUE_WIDTH + 6, TEXT, False),
                fill=_MUTED,
            )
        )
    bottom = 3 + len(items) * ROW
    out.append(_line(hundred, 0, hundred, bottom, _TODAY, 0.8))
    out.append(_text(hundred, bottom + 9, "cible (100 %)", anchor="middle", fill=_TODAY))
    out.append("</g></svg>")
    return Markup("".join(out))


# --- timelines ---------------------------------------------------------------------------------

T_LABEL: Final = 150.0
T_LEFT: Final = 154.0
T_RIGHT: Final = WIDTH - 1.0
T_HEADER: Final = 24.0
T_ROW: Final = 16.0
T_BAR: Final = 8.0
T_LEGEND: Final = 16.0


def _x(day: _dt.date, first: _dt.date, end: _dt.date) -> float:
    return T_LEFT + (day - first).days * (T_RIGHT - T_LEFT) / max(1, (end - first).days)


def timeline_charts(
    rows: Sequence[tuple[str, str, Sequence[tuple[str, _dt.date, _dt.date]]]],
    start: _dt.date,
    end: _dt.date,
    *,
    levels: Mapping[str, str],
    year: int,
    max_height: float = MAX_HEIGHT,
) -> list[Markup]:
    """Each partnership's timeline (``(reference, title, [(level, first day, last day)...])``),
    from ``start`` (a month's first day) to ``end`` (today): one row each, a bar per level it
    went through, coloured by level, the year of the report shaded, today marked.  Cut into
    several charts of at most ``max_height`` points."""
    if not rows:
        return []
    first = start.replace(day=1)
    stop = _month_after(end)
    per_chart = max(1, int((max_height - T_HEADER - T_LEGEND * 2) // T_ROW))
    chunks = [rows[i : i + per_chart] for i in range(0, len(rows), per_chart)]
    return [
        _timeline(chunk, first, stop, end, levels, year, part, len(chunks))
        for part, chunk in enumerate(chunks, start=1)
    ]


def _timeline(
    rows: Sequence[tuple[str, str, Sequence[tuple[str, _dt.date, _dt.date]]]],
    first: _dt.date,
    stop: _dt.date,
    today: _dt.date,
    levels: Mapping[str, str],
    year: int,
    part: int,
    parts: int,
) -> Markup:
    shown = [lv for lv in levels if any(seg[0] == lv for _r, _t, segs in rows for seg in segs)]
    legend_rows = 1 + (len(shown) + 1) // 5
    body = T_HEADER + T_ROW * len(rows)
    height = body + T_LEGEND * legend_rows + 4
    described = "; ".join(
        f"{reference} : "
        + ", ".join(
            f"{levels.get(lv, lv).lower()} du {fr.french_date(a)} au {fr.french_date(b)}"
            for lv, a, b in segs
        )
        for reference, _title, segs in rows
    )
    title = (
        f"Chronologie des partenariats, de l'accueil au {fr.french_date(today)}"
        + (f" (partie {part} sur {parts})" if parts > 1 else "")
        + f". {described}."
    )
    out = _open(height, title, "report-chart timeline")
    months = list(_months(first, stop))
    widths = [_x(_month_after(m), first, stop) - _x(m, first, stop) for m in months]
    labels = month_labels(months, min(widths))
    # The report's year, shaded; the header's months.
    year_first = max(first, _dt.date(year, 1, 1))
    year_stop = min(stop, _dt.date(year + 1, 1, 1))
    if year_first < year_stop:
        out.append(
            _rect(
                _x(year_first, first, stop),
                T_HEADER,
                _x(year_stop, first, stop) - _x(year_first, first, stop),
                body - T_HEADER,
                "#f3f5f8",
            )
        )
    out.append(_rect(T_LEFT, 0, T_RIGHT - T_LEFT, 12, _HEADER_FILL))
    out.append(_rect(T_LEFT, 12, T_RIGHT - T_LEFT, 12, "#f3f5f8"))
    years: dict[int, list[_dt.date]] = {}
    for m in months:
        years.setdefault(m.year, []).append(m)
    for number, ms in years.items():
        left, right = _x(ms[0], first, stop), _x(_month_after(ms[-1]), first, stop)
        out.append(_text((left + right) / 2, 9, str(number), anchor="middle"))
        out.append(_line(left, 0, left, body, "#444444", 0.9))
    for m, label in zip(months, labels, strict=True):
        left, right = _x(m, first, stop), _x(_month_after(m), first, stop)
        out.append(_line(left, 12, left, body, _GRID, 0.4))
        if label:
            out.append(
                f'<text x="{_n((left + right) / 2)}" y="21" text-anchor="middle" '
                f'font-size="6.5" fill="{_MUTED}">{_e(label)}</text>'
            )
    for i, (reference, row_title, segs) in enumerate(rows):
        y = T_HEADER + i * T_ROW
        out.append(_line(0, y + T_ROW, WIDTH, y + T_ROW, _GRID, 0.3))
        out.append(f'<text x="2" y="{_n(y + 7)}" font-weight="bold">{_e(reference)}</text>')
        out.append(
            f'<text x="2" y="{_n(y + 14)}" font-size="6" fill="{_MUTED}">'
            f"{_e(_ellipsize(row_title, T_LABEL - 4, 6, False))}</text>"
        )
        for level, a, b in segs:
            left = _x(max(a, first), first, stop)
            right = _x(min(b, today) + _dt.timedelta(days=1), first, stop)
            out.append(
                _rect(
                    left,
                    y + (T_ROW - T_BAR) / 2,
                    max(right - left, 1.2),
                    T_BAR,
                    LEVEL_COLOURS.get(level, _OTHER),
                    f' class="segment" data-level="{_e(level)}"',
                )
            )
    x_today = (
        _x(today, first, stop)
        + (_x(today + _dt.timedelta(days=1), first, stop) - _x(today, first, stop)) / 2
    )
    out.append(
        f'<line class="today" x1="{_n(x_today)}" y1="{_n(T_HEADER)}" x2="{_n(x_today)}" '
        f'y2="{_n(body)}" stroke="{_TODAY}" stroke-width="0.9" stroke-dasharray="2.5 1.5"/>'
    )
    out.append(_line(T_LEFT, 0, T_LEFT, body, "#888888", 0.6))
    out.append(_line(0, body, WIDTH, body, "#888888", 0.6))
    # The legend: each level shown, the report's year, today.
    entries: list[tuple[str, str]] = [
        (levels.get(lv, lv), LEVEL_COLOURS.get(lv, _OTHER)) for lv in shown
    ]
    entries.append((f"année {year}", "#f3f5f8"))
    x, y = 4.0, body + 11
    for label, colour in entries:
        out.append(_rect(x, y - 6.5, 10, 7, colour, ' stroke="#888888" stroke-width="0.3"'))
        out.append(_text(x + 13, y, label))
        x += 24 + len(label) * 3.6
        if x > WIDTH - 90:
            x, y = 4.0, y + T_LEGEND
    out.append(_line(x, y - 3, x + 10, y - 3, _TODAY, 0.9))
    out.append(_text(x + 13, y, f"aujourd'hui ({fr.french_date(today)})"))
    out.append("</g></svg>")
    return Markup("".join(out))
