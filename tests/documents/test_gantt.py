"""The programme's calendar drawn as a Gantt chart (``coopflow.documents._gantt``).

The charts are parsed back as XML: every element the tests look at carries a class (``bar``,
``milestone``, ``month-col``, ``today``...) and the data it stands for (``data-action``,
``data-date``, ``data-month``), so that positions are checked against the month columns the
chart itself draws.
"""

from __future__ import annotations

import calendar
import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from coopflow.documents._gantt import (
    GanttAction,
    GanttAxis,
    gantt_charts,
    month_labels,
    today_line,
)
from markupsafe import Markup

SVG = "{http://www.w3.org/2000/svg}"
START = dt.date(2027, 3, 1)
END = dt.date(2028, 2, 29)
D = dt.date.fromisoformat


def _axes() -> list[GanttAxis]:
    """The sample programme's calendar: three axes, six actions, one without milestones."""
    return [
        GanttAxis(
            1,
            "Accueil des habitants et mobilités",
            (
                GanttAction(
                    1,
                    "Renforcer la desserte ferroviaire Libourne–Bordeaux",
                    (D("2027-03-01"), D("2027-06-15"), D("2028-01-10")),
                ),
                GanttAction(2, "Guichet commun d'accueil", (D("2027-09-01"),)),
            ),
        ),
        GanttAxis(
            2,
            "Développement économique et touristique",
            (
                GanttAction(
                    3, "Destination œnotouristique commune", (D("2027-05-01"), D("2028-02-12"))
                ),
                GanttAction(4, "Réseau des zones d'activités", (D("2027-10-05"),)),
            ),
        ),
        GanttAxis(
            3,
            "Circuits courts et ressources locales",
            (
                GanttAction(
                    5, "Approvisionnement local des cantines", (D("2027-04-01"), D("2027-09-01"))
                ),
                GanttAction(6, "Plateforme logistique des circuits courts", ()),
            ),
        ),
    ]


def _chart(
    axes: list[GanttAxis] | None = None,
    *,
    in_progress: bool = True,
    produced_on: dt.date = dt.date(2027, 9, 15),
    start: dt.date = START,
    end: dt.date = END,
) -> ET.Element:
    charts = gantt_charts(
        _axes() if axes is None else axes,
        start,
        end,
        in_progress=in_progress,
        produced_on=produced_on,
    )
    assert len(charts) == 1
    return ET.fromstring(str(charts[0]))


def _by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [element for element in root.iter() if name in element.get("class", "").split()]


def _columns(root: ET.Element) -> dict[str, tuple[float, float]]:
    """Each month column of the chart: its left x and its width, by ``YYYY-MM``."""
    return {
        rect.get("data-month", ""): (float(rect.get("x", "")), float(rect.get("width", "")))
        for rect in _by_class(root, "month-col")
    }


def _day_centre(columns: dict[str, tuple[float, float]], day: dt.date) -> float:
    """Where a day's centre falls, from the month column that holds it."""
    left, width = columns[f"{day:%Y-%m}"]
    days = calendar.monthrange(day.year, day.month)[1]
    return left + (day.day - 0.5) / days * width


def _points(polygon: ET.Element) -> list[tuple[float, float]]:
    pairs = [pair.split(",") for pair in polygon.get("points", "").split()]
    return [(float(x), float(y)) for x, y in pairs]


def _text(element: ET.Element) -> str:
    return "".join(element.itertext())


def test_one_column_per_month_of_the_period_with_french_labels() -> None:
    root = _chart()
    columns = _columns(root)
    assert list(columns) == [f"2027-{m:02d}" for m in range(3, 13)] + ["2028-01", "2028-02"]
    # The columns tile the time axis in order, each as wide as its number of days.
    lefts = [left for left, _ in columns.values()]
    assert lefts == sorted(lefts)
    for (left, width), (next_left, _) in zip(
        list(columns.values()), list(columns.values())[1:], strict=False
    ):
        assert abs(left + width - next_left) < 0.02
    march, april = columns["2027-03"][1], columns["2027-04"][1]
    assert abs(march / april - 31 / 30) < 0.001
    labels = [_text(text) for text in _by_class(root, "month")]
    assert labels == [
        "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.",
        "janv.", "févr.",
    ]  # fmt: skip
    assert [_text(text) for text in _by_class(root, "year")] == ["2027", "2028"]


def test_the_year_boundary_is_drawn_where_january_starts() -> None:
    root = _chart()
    (boundary,) = _by_class(root, "year-boundary")
    january = _columns(root)["2028-01"][0]
    assert float(boundary.get("x1", "")) == pytest.approx(january, abs=0.01)
    assert boundary.get("x1") == boundary.get("x2")


def test_month_labels_take_the_longest_french_form_that_fits() -> None:
    months = [dt.date(2027, 12, 1), dt.date(2028, 1, 1)]
    assert month_labels(months, column_width=60) == ["déc. 2027", "janv. 2028"]
    assert month_labels(months, column_width=24) == ["déc.", "janv."]
    assert month_labels(months, column_width=6) == ["D", "J"]
    assert month_labels(months, column_width=1) == ["", ""]


def test_one_bar_per_action_from_its_first_to_its_last_milestone() -> None:
    root = _chart()
    columns = _columns(root)
    bars = {bar.get("data-action", ""): bar for bar in _by_class(root, "bar")}
    # Actions 2 and 4 have a single milestone (a mark, no bar), action 6 none.
    assert sorted(bars) == ["1", "3", "5"]
    expected = {"1": ("2027-03-01", "2028-01-10"), "3": ("2027-05-01", "2028-02-12"),
                "5": ("2027-04-01", "2027-09-01")}  # fmt: skip
    for number, (first, last) in expected.items():
        bar = bars[number]
        left = float(bar.get("x", ""))
        right = left + float(bar.get("width", ""))
        assert left == pytest.approx(_day_centre(columns, D(first)), abs=0.02)
        assert right == pytest.approx(_day_centre(columns, D(last)), abs=0.02)
        first_col, last_col = columns[first[:7]], columns[last[:7]]
        assert first_col[0] <= left <= first_col[0] + first_col[1]
        assert last_col[0] <= right <= last_col[0] + last_col[1]


def test_each_milestone_is_a_diamond_at_its_date() -> None:
    root = _chart()
    columns = _columns(root)
    marks = _by_class(root, "milestone")
    dates = sorted(mark.get("data-date", "") for mark in marks)
    assert dates == sorted(
        ["2027-03-01", "2027-06-15", "2028-01-10", "2027-09-01", "2027-05-01", "2028-02-12",
         "2027-10-05", "2027-04-01", "2027-09-01"]
    )  # fmt: skip
    for mark in marks:
        assert mark.tag == f"{SVG}polygon"
        points = _points(mark)
        assert len(points) == 4  # a diamond: top, right, bottom, left
        (top_x, top_y), (right_x, right_y), (bottom_x, bottom_y), (left_x, left_y) = points
        assert top_x == bottom_x and left_y == right_y and top_y < left_y < bottom_y
        assert right_x - top_x == pytest.approx(top_x - left_x)
        assert top_x == pytest.approx(_day_centre(columns, D(mark.get("data-date", ""))), abs=0.02)


def test_a_milestone_sits_on_its_action_s_row() -> None:
    root = _chart()
    for group in _by_class(root, "action"):
        number = group.get("data-action")
        for mark in _by_class(group, "milestone"):
            assert mark.get("data-action") == number
        for bar in _by_class(group, "bar"):
            (mark_y,) = {_points(m)[1][1] for m in _by_class(group, "milestone")}
            bar_y = float(bar.get("y", "")) + float(bar.get("height", "")) / 2
            assert bar_y == pytest.approx(mark_y, abs=0.02)


def test_an_action_without_milestone_is_shown_as_such() -> None:
    root = _chart()
    (group,) = [g for g in _by_class(root, "action") if g.get("data-action") == "6"]
    assert _by_class(group, "bar") == []
    assert _by_class(group, "milestone") == []
    (note,) = _by_class(group, "no-milestone")
    assert _text(note) == "aucun jalon défini"


def test_rows_are_grouped_by_axis_and_labelled_with_the_action() -> None:
    root = _chart()
    rows = [
        (element.get("class"), element.get("data-axis") or element.get("data-action"))
        for element in root.iter()
        if element.get("class") in ("axis", "action")
    ]
    assert rows == [
        ("axis", "1"), ("action", "1"), ("action", "2"),
        ("axis", "2"), ("action", "3"), ("action", "4"),
        ("axis", "3"), ("action", "5"), ("action", "6"),
    ]  # fmt: skip
    axis_labels = [_text(label) for label in _by_class(root, "axis-label")]
    assert axis_labels[0] == "Axe 1\u202f: Accueil des habitants et mobilités"
    (first,) = [g for g in _by_class(root, "action") if g.get("data-action") == "1"]
    label = " ".join(_text(line) for line in _by_class(first, "label"))
    assert label == "Action 1 – Renforcer la desserte ferroviaire Libourne–Bordeaux"


def test_a_long_title_is_cut_at_a_word_with_an_ellipsis() -> None:
    title = " ".join(["coordination"] * 30)
    root = _chart([GanttAxis(1, "Axe", (GanttAction(7, title, (START,)),))])
    (group,) = _by_class(root, "action")
    lines = [_text(line) for line in _by_class(group, "label")]
    assert len(lines) == 2
    assert lines[0].startswith("Action 7 – coordination")
    assert lines[1].endswith("coordination…")  # whole words, then the ellipsis
    assert len(" ".join(lines)) < len(f"Action 7 – {title}")


@pytest.mark.parametrize(
    ("in_progress", "produced_on", "drawn"),
    [
        (True, dt.date(2027, 9, 15), True),
        (True, START, True),
        (True, END, True),
        (True, dt.date(2027, 2, 28), False),  # before the period
        (True, dt.date(2028, 3, 1), False),  # after it
        (False, dt.date(2027, 9, 15), False),  # brouillon, revu_cotech, approuve_copil, ...
    ],
)
def test_today_s_line_only_while_in_progress_and_inside_the_period(
    in_progress: bool, produced_on: dt.date, drawn: bool
) -> None:
    assert (today_line(in_progress, produced_on, START, END) is not None) is drawn
    root = _chart(in_progress=in_progress, produced_on=produced_on)
    lines = _by_class(root, "today")
    assert len(lines) == (1 if drawn else 0)
    legend = " ".join(_text(text) for text in _by_class(root, "legend-text"))
    assert ("date d'édition" in legend) is drawn
    if drawn:
        (line,) = lines
        assert line.get("data-date") == produced_on.isoformat()
        assert float(line.get("x1", "")) == pytest.approx(
            _day_centre(_columns(root), produced_on), abs=0.02
        )


def test_today_s_line_is_labelled_with_the_date_in_french() -> None:
    root = _chart(produced_on=dt.date(2027, 9, 1))
    legend = " ".join(_text(text) for text in _by_class(root, "legend-text"))
    assert "date d'édition du document (1er\u00a0septembre\u00a02027)" in legend


def test_text_is_escaped() -> None:
    hostile = 'Gare <script>alert("x")</script> & <b>parvis</b>'
    axes = [GanttAxis(1, "Axe <i>&</i>", (GanttAction(1, hostile, (START, END)),))]
    (chart,) = gantt_charts(axes, START, END, in_progress=True, produced_on=START)
    assert isinstance(chart, Markup)
    assert "<script>" not in chart and "<b>" not in chart and "<i>" not in chart
    assert "&lt;script&gt;" in chart and "&amp;" in chart
    root = ET.fromstring(str(chart))  # still well-formed XML
    (group,) = _by_class(root, "action")
    label = " ".join(_text(line) for line in _by_class(group, "label"))
    assert label == f"Action 1 – {hostile}"  # wrapped at spaces, every character kept
    assert _text(_by_class(root, "axis-label")[0]) == "Axe 1\u202f: Axe <i>&</i>"


def test_the_same_input_gives_the_same_svg() -> None:
    first = gantt_charts(_axes(), START, END, in_progress=True, produced_on=dt.date(2027, 9, 15))
    second = gantt_charts(_axes(), START, END, in_progress=True, produced_on=dt.date(2027, 9, 15))
    assert first == second
    assert [str(chart) for chart in first] == [str(chart) for chart in second]


def test_accessible_self_contained_and_in_the_document_s_fonts() -> None:
    (chart,) = gantt_charts(_axes(), START, END, in_progress=False, produced_on=START)
    root = ET.fromstring(str(chart))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    first = root[0]
    assert first.tag == f"{SVG}title"  # WeasyPrint takes a Figure's /Alt from it
    assert first.text is not None
    assert first.text.startswith("Diagramme de Gantt du calendrier, de mars 2027 à février 2028")
    assert "6 actions" in first.text and "9 jalons" in first.text
    assert root.get("aria-label") == first.text
    for forbidden in ("href", "url(", "<image", "<foreignObject", "@import", "<script"):
        assert forbidden not in chart
    assert str(chart).count("http") == 1  # the SVG namespace only
    families = {e.get("font-family") for e in root.iter() if e.get("font-family") is not None}
    assert families == {"Coopflow Sans, Coopflow Symbols"}
    texts = [element for element in root.iter() if element.tag == f"{SVG}text"]
    assert texts and all(_has_family(root, text) for text in texts)


def _has_family(root: ET.Element, element: ET.Element) -> bool:
    parents = {child: parent for parent in root.iter() for child in parent}
    node: ET.Element | None = element
    while node is not None:
        if node.get("font-family"):
            return True
        node = parents.get(node)
    return False


def test_milestones_outside_the_period_widen_the_chart_and_are_marked_as_outside() -> None:
    axes = [GanttAxis(1, "Axe", (GanttAction(1, "Étude", (D("2027-01-20"), D("2027-04-02"))),))]
    root = _chart(axes)
    columns = _columns(root)
    assert list(columns)[:3] == ["2027-01", "2027-02", "2027-03"]
    assert list(columns)[-1] == "2028-02"
    (mark, _) = sorted(_by_class(root, "milestone"), key=lambda m: m.get("data-date", ""))
    assert _points(mark)[0][0] == pytest.approx(_day_centre(columns, D("2027-01-20")), abs=0.02)
    (outside,) = _by_class(root, "outside")
    assert float(outside.get("x", "")) == pytest.approx(columns["2027-01"][0], abs=0.02)
    assert float(outside.get("x", "")) + float(outside.get("width", "")) == pytest.approx(
        columns["2027-03"][0], abs=0.02
    )


def test_a_long_programme_is_split_into_charts_that_fit_a_page() -> None:
    actions = tuple(GanttAction(n, f"Action numéro {n}", (START, END)) for n in range(1, 61))
    axes = [GanttAxis(1, "Premier axe", actions[:35]), GanttAxis(2, "Second axe", actions[35:])]
    charts = gantt_charts(axes, START, END, in_progress=True, produced_on=START)
    assert len(charts) > 1
    seen: list[str] = []
    for chart in charts:
        root = ET.fromstring(str(chart))
        _, _, _, height = (float(v) for v in root.get("viewBox", "").split())
        assert height <= 640  # points: with the heading, it fits an A4 page's frame
        assert _by_class(root, "month-col")  # every part has its months header
        assert _by_class(root, "axis")  # and the axis its first rows belong to
        seen += [g.get("data-action", "") for g in _by_class(root, "action")]
        assert "(partie" in (root[0].text or "")
    assert seen == [str(n) for n in range(1, 61)]


def test_a_programme_without_any_action_gives_an_empty_calendar_chart() -> None:
    root = _chart([GanttAxis(1, "Axe vide", ())])
    assert _by_class(root, "action") == []
    assert "aucune action" in " ".join(_text(t) for t in _by_class(root, "axis-note"))


@pytest.mark.parametrize("per_axis", [1, 2, 3, 5])
def test_an_axis_heading_never_ends_a_chart(per_axis: int) -> None:
    axes = [
        GanttAxis(
            number,
            f"Axe numéro {number}",
            tuple(GanttAction(number * 10 + n, "Action", (START,)) for n in range(1, per_axis + 1)),
        )
        for number in range(1, 60 // per_axis)
    ]
    charts = gantt_charts(axes, START, END, in_progress=False, produced_on=START, max_height=300)
    assert len(charts) > 2
    for chart in charts:
        root = ET.fromstring(str(chart))
        kinds = [e.get("class") for e in root.iter() if e.get("class") in ("axis", "action")]
        assert kinds[0] == "axis"
        assert kinds[-1] == "action"
