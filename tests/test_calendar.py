"""``coopflow calendar --ics FILE``: the file parses with icalendar and holds every deadline
``due`` knows, every council sitting, the COPIL meetings and the protocols' ends, each with a
UID that stays the same from one export to the next."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner
from coopflow import Coopflow
from coopflow._domain.deadlines import MAX_WITHIN_DAYS
from coopflow.cli import cli
from sqlalchemy import create_engine, text

from tests.test_report import build_demo

TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("calendar-demo"))


def export(db: Path, target: Path, *more: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli,
        ["--db", f"sqlite:///{db}", "calendar", "--ics", str(target),
         "--today", TODAY.isoformat(), *more],
    )  # fmt: skip
    return result.exit_code, result.stdout, result.stderr


def events(path: Path) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    return list(calendar.walk("VEVENT"))


def categories(event: icalendar.Event) -> set[str]:
    found = event.get("categories")
    values = found if isinstance(found, list) else [found]
    return {str(c) for item in values for c in item.cats}


@pytest.fixture(scope="module")
def exported(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> list[icalendar.Event]:
    folder = tmp_path_factory.mktemp("calendar-out")
    code, out, err = export(demo_db, folder / "coopflow.ics")
    assert code == 0, out + err
    assert out.startswith("wrote ")
    return events(folder / "coopflow.ics")


def test_every_event_is_well_formed(exported: list[icalendar.Event]) -> None:
    assert exported
    uids = [str(e["uid"]) for e in exported]
    assert len(uids) == len(set(uids))
    for event in exported:
        assert isinstance(event.decoded("dtstamp"), dt.datetime)
        start = event.decoded("dtstart")
        assert type(start) is dt.date  # a whole day
        assert event.decoded("dtend") == start + dt.timedelta(days=1)
        assert str(event["summary"]).strip()
        assert "COOP-" in str(event["description"]) or "Séance" in str(event["description"])


def test_it_holds_every_deadline_due_knows(demo_db: Path, exported: list[icalendar.Event]) -> None:
    with Coopflow(f"sqlite:///{demo_db}") as cf:
        deadlines = cf.due(within_days=MAX_WITHIN_DAYS, today=TODAY)
    assert {d.kind for d in deadlines} >= {"deliberation", "annual_copil", "protocol_end"}
    remaining = list(exported)
    for d in deadlines:
        match = [
            e
            for e in remaining
            if e.decoded("dtstart") == d.due
            and d.kind in categories(e)
            and d.reference in str(e["description"])
            and d.basis in str(e["description"])
        ]
        assert match, d
        remaining.remove(match[0])


def test_it_holds_every_sitting_copil_and_protocol_end(
    demo_db: Path, exported: list[icalendar.Event]
) -> None:
    engine = create_engine(f"sqlite:///{demo_db}")
    with engine.connect() as conn:

        def rows(statement: str) -> set[tuple[object, ...]]:
            return {tuple(row) for row in conn.execute(text(statement))}

        sittings = rows(
            "SELECT DISTINCT p.deliberative_body, d.sitting_date FROM coopflow_deliberation d "
            "JOIN coopflow_party p ON p.id = d.party_id"
        )
        numbers = [n for (n,) in rows("SELECT number FROM coopflow_deliberation")]
        copils = rows(
            "SELECT label, copil_date FROM coopflow_programme WHERE copil_date IS NOT NULL"
        )
        ends = rows(
            "SELECT p.reference, r.period_end FROM coopflow_protocol r "
            "JOIN coopflow_partnership p ON p.id = r.partnership_id"
        )
        # The COTECH's reviews: a programme entering a state awaiting the COPIL.
        reviews = rows(
            "SELECT p.reference, g.label FROM coopflow_journal j "
            "JOIN coopflow_partnership p ON p.id = j.partnership_id "
            "JOIN coopflow_programme g ON g.id = j.programme_id "
            "WHERE j.target_state = 'revu_cotech' AND j.source_state <> 'revu_cotech'"
        )
    engine.dispose()
    assert reviews  # the demo has one at least
    cotech = {str(e["summary"]) for e in exported if "COTECH" in categories(e)}
    for ref, label in reviews:
        assert f"COTECH – revue du programme {label} – {ref}" in cotech
    seances = [e for e in exported if "séance" in categories(e)]
    assert {
        (str(e["summary"]).split(" – ")[1], e.decoded("dtstart").isoformat()) for e in seances
    } == {(body, str(day)) for body, day in sittings}
    described = " ".join(str(e["description"]) for e in seances)
    assert all(f"n° {number}" in described for number in numbers)
    meetings = {
        (str(e["summary"]), e.decoded("dtstart").isoformat())
        for e in exported
        if "COPIL" in categories(e)
    }
    for label, day in copils:
        assert any(f"programme {label} " in s and d == str(day) for s, d in meetings)
    protocol_ends = {
        (str(e["summary"]).split()[3], e.decoded("dtstart").isoformat())
        for e in exported
        if "fin de protocole" in categories(e)
    }
    assert protocol_ends == {(ref, str(day)) for ref, day in ends}
    # The COTECH logged as an exchange ("Comité technique : validation des trois axes...").
    assert any(
        "COTECH" in categories(e) and e.decoded("dtstart") == dt.date(2026, 2, 9) for e in exported
    )


def test_uids_are_stable_across_exports(demo_db: Path, tmp_path: Path) -> None:
    assert export(demo_db, tmp_path / "one.ics")[0] == 0
    code, out, _err = export(demo_db, tmp_path / "two.ics", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["written"] == [str(tmp_path / "two.ics")]
    first, second = events(tmp_path / "one.ics"), events(tmp_path / "two.ics")
    assert summary["events"] == len(second)
    assert Counter(summary["by_category"]).total() == len(second)
    assert [str(e["uid"]) for e in first] == [str(e["uid"]) for e in second]
    # A later day moves the délibération still awaited, and keeps its UID.
    later = CliRunner().invoke(
        cli,
        ["--db", f"sqlite:///{demo_db}", "calendar", "--ics", str(tmp_path / "later.ics"),
         "--today", "2026-12-20"],
    )  # fmt: skip
    assert later.exit_code == 0, later.stderr
    uids = {str(e["uid"]) for e in events(tmp_path / "later.ics")}
    awaited = [e for e in first if "deliberation_missing" in categories(e)]
    assert awaited
    assert {str(e["uid"]) for e in awaited} <= uids


def test_an_existing_file_is_never_overwritten(demo_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "mine.ics"
    target.write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    code, out, _err = export(demo_db, target, "--json")
    assert code == 1
    assert json.loads(out)["error"]["code"] == "output_refused"
    assert target.read_bytes() == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
