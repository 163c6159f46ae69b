"""French typography: dates, amounts, numbers, articles and agreement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from coopflow.documents import _french as fr
from coopflow.documents import french_amount, french_date, french_number
from coopflow.errors import ValidationError
from hypothesis import given
from hypothesis import strategies as st

NBSP = "\u00a0"
NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-01-01", f"1er{NBSP}janvier{NBSP}2027"),
        ("2027-03-15", f"15{NBSP}mars{NBSP}2027"),
        ("2028-02-29", f"29{NBSP}février{NBSP}2028"),
        ("2027-08-02", f"2{NBSP}août{NBSP}2027"),
        ("2027-12-31", f"31{NBSP}décembre{NBSP}2027"),
        (dt.date(2027, 10, 1), f"1er{NBSP}octobre{NBSP}2027"),
        (dt.datetime(2027, 6, 5, 14, 30), f"5{NBSP}juin{NBSP}2027"),
    ],
)
def test_french_date(value: str | dt.date, expected: str) -> None:
    assert french_date(value) == expected


def test_french_date_with_article() -> None:
    assert french_date("2027-01-01", article=True) == f"le 1er{NBSP}janvier{NBSP}2027"


def test_french_date_year_is_never_grouped() -> None:
    assert french_date("2027-03-15").endswith("2027")
    assert french_date("9999-12-31").endswith("9999")


@pytest.mark.parametrize(
    "value", ["15/03/2027", "2027-02-30", "", "hier", "20270315", "2027-W11-1", 20270315, None]
)
def test_french_date_rejects_what_is_not_a_date(value: object) -> None:
    with pytest.raises(ValidationError, match="invalid date"):
        french_date(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234567.50", f"1{NNBSP}234{NNBSP}567,50{NBSP}€"),
        ("1234567.5", f"1{NNBSP}234{NNBSP}567,50{NBSP}€"),
        ("12500.00", f"12{NNBSP}500,00{NBSP}€"),
        ("999.99", f"999,99{NBSP}€"),
        ("0", f"0,00{NBSP}€"),
        ("0.5", f"0,50{NBSP}€"),
        (" 42 ", f"42,00{NBSP}€"),
        (Decimal("2508067.75"), f"2{NNBSP}508{NNBSP}067,75{NBSP}€"),
        (1000000, f"1{NNBSP}000{NNBSP}000,00{NBSP}€"),
        ("-1234.5", f"-1{NNBSP}234,50{NBSP}€"),
    ],
)
def test_french_amount(value: str | Decimal | int, expected: str) -> None:
    assert french_amount(value) == expected


@pytest.mark.parametrize("value", ["12,50", "1 234", "abc", "", "0.125", "NaN", "Infinity"])
def test_french_amount_rejects_malformed_amounts(value: str) -> None:
    with pytest.raises(ValidationError, match="invalid amount"):
        french_amount(value)


@pytest.mark.parametrize("value", [12.5, True, None])
def test_french_amount_rejects_floats_and_other_types(value: object) -> None:
    with pytest.raises(ValidationError):
        french_amount(value)  # type: ignore[arg-type]


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False))
def test_french_amount_reads_back_to_the_same_value(amount: Decimal) -> None:
    text = french_amount(amount)
    assert text.endswith(f"{NBSP}€")
    number = text.removesuffix(f"{NBSP}€")
    assert " " not in number
    assert NBSP not in number
    integer, cents = number.split(",")
    assert len(cents) == 2
    groups = integer.lstrip("-").split(NNBSP)
    assert all(len(group) == 3 for group in groups[1:])
    assert 1 <= len(groups[0]) <= 3
    assert Decimal(number.replace(NNBSP, "").replace(",", ".")) == amount


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", "12"),
        ("72.5", "72,5"),
        ("12500", f"12{NNBSP}500"),
        ("18.50", "18,5"),
        ("2.00", "2"),
        ("0.125", "0,125"),
        ("1500000.25", f"1{NNBSP}500{NNBSP}000,25"),
        (3, "3"),
    ],
)
def test_french_number(value: str | int, expected: str) -> None:
    assert french_number(value) == expected


def test_french_number_rejects_garbage() -> None:
    with pytest.raises(ValidationError, match="invalid number"):
        french_number("beaucoup")


@pytest.mark.parametrize(
    ("name", "with_article", "of_name"),
    [
        ("Bordeaux Métropole", "Bordeaux Métropole", "de Bordeaux Métropole"),
        ("Ville de Bordeaux", "la Ville de Bordeaux", "de la Ville de Bordeaux"),
        (
            "Communauté d'agglomération du Libournais",
            "la Communauté d'agglomération du Libournais",
            "de la Communauté d'agglomération du Libournais",
        ),
        (
            "Département de la Gironde",
            "le Département de la Gironde",
            "du Département de la Gironde",
        ),
        (
            "Eurométropole de Strasbourg",
            "l'Eurométropole de Strasbourg",
            "de l'Eurométropole de Strasbourg",
        ),
        ("La Cali", "La Cali", "de La Cali"),
        ("Angoulême", "Angoulême", "d'Angoulême"),
        ("GrandAngoulême", "GrandAngoulême", "de GrandAngoulême"),
        ("conseil métropolitain", "le conseil métropolitain", "du conseil métropolitain"),
        ("comité syndical", "le comité syndical", "du comité syndical"),
    ],
)
def test_articles_before_authority_names(name: str, with_article: str, of_name: str) -> None:
    assert fr.with_article(name) == with_article
    assert fr.of_name(name) == of_name


@pytest.mark.parametrize(
    ("title", "gender", "possessive", "authorised", "heading"),
    [
        ("Président", "m", "son", "autorisé", "Le Président"),
        ("Présidente", "f", "sa", "autorisée", "La Présidente"),
        (
            "Vice-présidente déléguée à la coopération territoriale",
            "f",
            "sa",
            "autorisée",
            "La Vice-présidente déléguée à la coopération territoriale",
        ),
        ("Vice-président", "m", "son", "autorisé", "Le Vice-président"),
        # Nobody said who holds it: the generic masculine, never "autorisé(e)".
        ("Maire", "x", "son", "autorisé", "Maire"),
        ("Adjointe au maire", "f", "son", "autorisée", "L'Adjointe au maire"),
        ("Conseillère déléguée", "f", "sa", "autorisée", "La Conseillère déléguée"),
    ],
)
def test_agreement_with_the_signatory_s_office(
    title: str, gender: str, possessive: str, authorised: str, heading: str
) -> None:
    assert fr.title_gender(title) == gender
    assert fr.possessive(title) == possessive
    assert fr.agree("autorisé", fr.title_gender(title)) == authorised
    assert fr.title_with_article(title) == heading


@pytest.mark.parametrize(
    ("name", "nature", "gender"),
    [
        ("Bordeaux Métropole", "METRO", "f"),
        ("Ville de Bordeaux", "COMMUNE", "f"),
        ("Département de la Gironde", "DEPARTEMENT", "m"),
        ("PETR du Cœur Entre-deux-Mers", "PETR", "m"),
        ("GrandAngoulême", "CA", "f"),
    ],
)
def test_authority_gender(name: str, nature: str, gender: str) -> None:
    assert fr.authority_gender(name, nature) == gender


def test_person_name_upper_cases_the_last_name_with_its_accents() -> None:
    assert fr.person_name("Hélène", "Désiré-Lagarde") == "Hélène DÉSIRÉ-LAGARDE"


@pytest.mark.parametrize(
    ("names", "expected"),
    [([], ""), (["A"], "A"), (["A", "B"], "A et B"), (["A", "B", "C"], "A, B et C")],
)
def test_enumerate_names(names: list[str], expected: str) -> None:
    assert fr.enumerate_names(names) == expected


def test_years_label_is_never_grouped() -> None:
    assert fr.years_label("2027-01-01", "2029-12-31") == "2027-2029"
    assert fr.years_label("2027-01-01", "2027-12-31") == "2027"


def test_paragraphs_split_at_blank_lines() -> None:
    assert fr.paragraphs("Un\ndeux.\n\n  Trois.\n\n\n") == ["Un deux.", "Trois."]


def test_number_in_words() -> None:
    assert fr.number_in_words(3) == "trois"
    assert fr.number_in_words(1, feminine=True) == "une"
    assert fr.number_in_words(25) == "25"
