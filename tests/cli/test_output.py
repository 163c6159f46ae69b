"""How the command line draws: tables that fit the terminal without cutting words, times in
Paris time, JSON in UTC."""

from __future__ import annotations

import datetime as dt

import pytest
from coopflow.cli import _output


def test_a_narrow_terminal_wraps_text_between_words_and_never_cuts_an_identifier(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(_output, "is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "70")
    summary = "Réunion de lancement du comité de pilotage avec les services concernés " * 2
    _output.table(
        ["at", "event", "summary"],
        [[dt.datetime(2026, 6, 30, 22, 15, tzinfo=dt.UTC), "soumettre_revue_juridique", summary]],
    )
    drawn = capsys.readouterr().out
    assert "soumettre_revue_juridique" in drawn  # on one line
    assert "2026-07-01 00:15:00" in drawn  # Paris time (UTC+2 in summer), on one line
    words = {w for line in drawn.splitlines() for w in line.replace("│", " ").split()}
    assert set(summary.split()) <= words  # every word whole
    assert max(len(line) for line in drawn.splitlines()) <= 70


def test_tables_say_paris_time_and_json_says_utc() -> None:
    moment = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)
    assert _output.cell(moment) == "2026-01-15 10:30:00"
    assert _output.cell(dt.datetime(2026, 1, 15, 9, 30)) == "2026-01-15 10:30:00"  # naive: UTC
    assert _output.jsonable(moment) == "2026-01-15T09:30:00+00:00"
    assert _output.jsonable(dt.datetime(2026, 7, 1, 12, 0)) == "2026-07-01T12:00:00+00:00"
    assert _output.time_column("at") == "at (Paris time)"


def test_amounts_are_written_the_french_way_in_french_and_as_json_gives_them_in_english() -> None:
    from decimal import Decimal

    from coopflow._i18n import language

    with language("fr"):
        assert _output.cell(Decimal("1484567.50")) == "1\u00a0484\u00a0567,50"
        assert _output.cell(Decimal("45000.00")) == "45\u00a0000,00"  # the cents it has
        assert _output.cell(Decimal("-3.25")) == "-3,25"
    with language("en"):
        assert _output.cell(Decimal("1484567.50")) == "1484567.50"
    assert _output.jsonable(Decimal("1484567.50")) == "1484567.50"  # JSON: whatever the language
