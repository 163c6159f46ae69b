"""Bad input gets a clear error naming what is wrong, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from coopflow import AlreadyExistsError, Coopflow, NotFoundError, ValidationError
from coopflow._validate import luhn_ok, siren

from . import scenario


@pytest.mark.parametrize("value", ["243300316", "243 300 316", "200070142"])
def test_valid_sirens(value: str) -> None:
    assert siren(value) == value.replace(" ", "")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("243300317", "check digit"),
        ("24330031", "9 digits"),
        ("2433003160", "9 digits"),
        ("24330031A", "9 digits"),
        ("", None),
    ],
)
def test_invalid_sirens(value: str, message: str | None) -> None:
    if message is None:
        assert siren(value) is None
        return
    with pytest.raises(ValidationError, match=message) as info:
        siren(value)
    assert info.value.field == "siren"


def test_luhn() -> None:
    assert luhn_ok("243300316") and not luhn_ok("243300315")


PARTY: dict[str, Any] = dict(
    official_name="Ville de Saintes",
    nature="COMMUNE",
    deliberative_body="conseil municipal",
    executive_title="Maire",
)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"siren": "211704151"}, "siren"),
        ({"official_name": "   "}, "official_name"),
        ({"official_name": "x" * 20_000}, "official_name"),
        ({"official_name": "Ville\x00de Saintes"}, "official_name"),
        ({"official_name": "Ville de \u202eSaintes"}, "official_name"),
        ({"nature": "EMPIRE"}, "nature"),
        ({"executive_title": ""}, "executive_title"),
        ({"nature": "ETRANGER", "siren": "243300316"}, "siren"),
    ],
)
def test_bad_party_is_refused_and_nothing_written(
    cf: Coopflow, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        cf.add_party("ville-de-saintes", **{**PARTY, **change}, actor=scenario.STAFF)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert cf.parties() == []


def test_bad_key_is_refused(cf: Coopflow) -> None:
    with pytest.raises(ValidationError, match="is not a key"):
        cf.add_party("Ville de Saintes", **PARTY, actor=scenario.STAFF)


def test_same_party_twice_is_a_no_op_but_a_different_one_is_refused(cf: Coopflow) -> None:
    first = cf.add_party("ville-de-saintes", **PARTY, actor=scenario.STAFF)
    assert cf.add_party("ville-de-saintes", **PARTY, actor=scenario.STAFF) == first
    with pytest.raises(AlreadyExistsError):
        cf.add_party(
            "ville-de-saintes",
            **{**PARTY, "executive_title": "Maire adjoint"},
            actor=scenario.STAFF,
        )
    changed = cf.add_party(
        "ville-de-saintes",
        **{**PARTY, "executive_title": "Maire adjoint"},
        replace=True,
        actor=scenario.STAFF,
    )
    assert changed.executive_title == "Maire adjoint"


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2029-01-01", "2027-01-01", "before it starts"),
        ("2027-01-01", "2040-01-01", "more than 10 years"),
        ("1789-07-14", "1792-09-21", "out of range"),
        ("2027-13-01", "2029-01-01", "YYYY-MM-DD"),
        ("2027/01/01", "2029-01-01", "YYYY-MM-DD"),  # 01/01/2027 is a date (day first)
    ],
)
def test_protocol_period_out_of_range(cf: Coopflow, start: str, end: str, message: str) -> None:
    ref = scenario.in_accueil(cf)
    before = cf.partnership(ref).version
    with pytest.raises(ValidationError, match=message):
        cf.set_protocol(ref, start=start, end=end, actor=scenario.STAFF)
    assert cf.partnership(ref).version == before
    assert cf.detail(ref)["protocol"] is None


def test_partnership_needs_two_distinct_parties_and_known_ones(cf: Coopflow) -> None:
    scenario.add_parties(cf, "bordeaux-metropole", "la-cali")
    common: dict[str, Any] = dict(
        scale="espace_regional",
        home="bordeaux-metropole",
        responsible="x",
        actor=scenario.STAFF,
    )
    with pytest.raises(ValidationError, match="at least two parties"):
        cf.create_partnership("T", parties=["bordeaux-metropole"], **common)
    with pytest.raises(ValidationError, match="named twice"):
        cf.create_partnership("T", parties=["bordeaux-metropole"] * 2, **common)
    with pytest.raises(NotFoundError, match="party nowhere not found"):
        cf.create_partnership("T", parties=["bordeaux-metropole", "nowhere"], **common)
    with pytest.raises(ValidationError, match="scale"):
        cf.create_partnership(
            "T", parties=["bordeaux-metropole", "la-cali"], **{**common, "scale": "monde"}
        )
    assert list(cf.partnerships()) == []


def test_explicit_reference_is_checked_and_unique(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf, reference="COOP-2027-0042")
    assert ref == "COOP-2027-0042"
    with pytest.raises(AlreadyExistsError):
        cf.create_partnership(
            "Again",
            scale="espace_regional",
            parties=["bordeaux-metropole", "la-cali"],
            home="bordeaux-metropole",
            responsible="x",
            actor=scenario.STAFF,
            reference="COOP-2027-0042",
        )
    with pytest.raises(ValidationError, match="not a partnership reference"):
        cf.create_partnership(
            "Bad",
            scale="espace_regional",
            parties=["bordeaux-metropole", "la-cali"],
            home="bordeaux-metropole",
            responsible="x",
            actor=scenario.STAFF,
            reference="coop'; DROP TABLE coopflow_party; --",
        )
    assert [p.reference for p in cf.partnerships()] == ["COOP-2027-0042"]


def test_fire_inputs_are_checked(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)
    with pytest.raises(ValidationError, match="suspendre needs motif") as info:
        cf.fire(ref, "suspendre", scenario.STAFF)
    assert info.value.field == "data.motif"
    with pytest.raises(ValidationError, match="takes no input 'colour'"):
        cf.fire(ref, "suspendre", scenario.STAFF, data={"motif": "x", "colour": "red"})
    assert [r.event for r in cf.history(ref)] == ["creation"]


def test_unknown_partnership_and_event(cf: Coopflow) -> None:
    ref = scenario.in_accueil(cf)
    with pytest.raises(NotFoundError, match="partnership COOP-1999-0001 not found"):
        cf.fire("COOP-1999-0001", "ouvrir_dialogue", scenario.STAFF)
    from coopflow import UnknownEventError

    with pytest.raises(UnknownEventError, match="unknown event 'fly'"):
        cf.fire(ref, "fly", scenario.STAFF)
