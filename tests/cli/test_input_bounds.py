"""Input that is out of bounds is one clear bad-input error (exit 2), never an "internal
error" and never a second identity: trailing newlines, huge day counts, dates at the end of
the calendar, explicit references that are not numbers, scripts too large or nested too
deeply."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import coopflow
import pytest
from coopflow import Coopflow, ValidationError
from coopflow._script import ScriptError, load_script

from tests import scenario
from tests.scenario import STAFF

from .conftest import Invoke


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda cf: cf.add_party(
                "la-cali\n",
                "La Cali",
                nature="CA",
                deliberative_body="c",
                executive_title="Président",
                actor=STAFF,
            ),
            "key",
        ),
        (
            lambda cf: cf.add_party(
                "la-cali",
                "La Cali",
                nature="CA",
                deliberative_body="c",
                executive_title="Président",
                siren="200070142\n",
                actor=STAFF,
            ),
            "siren",
        ),
        (
            lambda cf: cf.create_partnership(
                "T",
                scale="espace_regional",
                parties=["bordeaux-metropole", "la-cali"],
                home="bordeaux-metropole",
                responsible="x",
                actor=STAFF,
                reference="COOP-2026-0001\n",
            ),
            "reference",
        ),
    ],
    ids=["party-key", "siren", "reference"],
)
def test_a_trailing_newline_is_not_another_identifier(
    sqlite_url: str, call: object, field: str
) -> None:
    with Coopflow(sqlite_url) as cf:
        scenario.add_parties(cf, "bordeaux-metropole")
        with pytest.raises(ValidationError) as refused:
            call(cf)  # type: ignore[operator]
        assert refused.value.field == field
        assert [p.key for p in cf.parties()] == ["bordeaux-metropole"]


def test_numbering_skips_explicit_references(sqlite_url: str) -> None:
    year = coopflow.models.utcnow().year
    with Coopflow(sqlite_url) as cf:
        scenario.add_parties(cf, "bordeaux-metropole", "la-cali")

        def create(reference: str | None = None) -> str:
            return cf.create_partnership(
                "Coopération",
                scale="espace_regional",
                parties=["bordeaux-metropole", "la-cali"],
                home="bordeaux-metropole",
                responsible=STAFF.id,
                actor=STAFF,
                reference=reference,
            ).reference

        assert create() == f"COOP-{year}-0001"
        create(f"COOP-{year}-ZZZZ")
        create(f"COOP-{year}-LA-CALI")
        assert create() == f"COOP-{year}-0002"
        create(f"COOP-{year}-9999")
        assert create() == f"COOP-{year}-10000"
        assert create() == f"COOP-{year}-10001"


def test_due_refuses_days_and_dates_out_of_bounds(sqlite_url: str, invoke: Invoke) -> None:
    with Coopflow(sqlite_url) as cf:
        with pytest.raises(ValidationError) as many:
            cf.due(within_days=99_999_999_999)
        assert many.value.field == "within_days"
        with pytest.raises(ValidationError) as late:
            cf.due(today=dt.date(9999, 12, 31))
        assert late.value.field == "today"
        assert cf.due(within_days=3660) == []
    for args in (["due", "--within", "99999999999"], ["due", "--today", "9999-12-31"]):
        result = invoke(*args)
        assert result.code == 2, result.err
        assert "internal error" not in result.err
        assert result.err.startswith("error:")


def test_scripts_nested_too_deeply_or_too_large_are_refused(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Coopflow(sqlite_url) as cf:
        nested = "[script]\nname = 'x'\nactor = 'a'\nx = " + "[" * 100_000 + "]" * 100_000
        with pytest.raises(ScriptError, match="nested too deeply"):
            load_script(nested, cf.workflows)
        monkeypatch.setattr("coopflow._script.MAX_SCRIPT_BYTES", 1024)
        big = tmp_path / "big.toml"
        big.write_text("[script]\nname = 'x'\nactor = 'a'\n" + "# padding\n" * 200, "utf-8")
        with pytest.raises(ScriptError, match="larger than"):
            load_script(big, cf.workflows)
        with pytest.raises(ScriptError, match="larger than"):
            load_script(Path("/dev/zero"), cf.workflows)
