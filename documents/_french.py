"""French formal typography: dates, amounts, numbers, articles and agreement.

Dates and amounts go through Babel (locale ``fr_FR``) and are normalised to one exact form, so
that a document does not change when Babel's data does:

* a date is ``15 mars 2027``, ``1er janvier 2027`` for the first of a month, with U+00A0 NO-BREAK
  SPACE between day, month and year so that a date is never split across two lines;
* an amount is ``1 234 567,50 €``: U+202F NARROW NO-BREAK SPACE between groups of thousands, a
  decimal comma, always two decimals, U+00A0 NO-BREAK SPACE before the euro sign.

Years, article numbers, page numbers and délibération numbers are never formatted as numbers
(so never grouped): they are printed as they are.

The article and agreement helpers (``la Ville de Bordeaux``, ``du Département de la Gironde``,
``représentée par sa Présidente``) work from the words of the names and titles, since the
snapshots carry no grammatical gender.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal, InvalidOperation
from typing import Final, Literal

from babel.dates import format_date
from babel.numbers import format_decimal
from coopflow import _articles
from coopflow._i18n import _
from coopflow._vocabulary import ARTICLE_OF_WORD
from coopflow.errors import ValidationError

LOCALE: Final = "fr_FR"
NBSP: Final = "\u00a0"  # NO-BREAK SPACE: inside dates, before €, inside « »
NNBSP: Final = "\u202f"  # NARROW NO-BREAK SPACE: thousands separator, before ; : ! ?
DEGREE_NBSP: Final = "°\u00a0"  # "n° 2027-123": the number never leaves its "n°"
BLANK: Final = "…………………"  # a visible blank for a value to be filled in by hand

Gender = Literal["f", "m", "x"]  # feminine, masculine, either (epicene title: "Maire")

_CENTS: Final = Decimal("0.01")
_SPACES = re.compile("[\u0020\u00a0\u202f\u2009]")
# The one form of date snapshots use (and that sorts as dates do).
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_date(value: str | _dt.date) -> _dt.date:
    """Return ``value`` as a :class:`datetime.date`; a string must be ISO ``YYYY-MM-DD``."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return _dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError(
        _("invalid date {value!r}: expected an ISO date such as 2027-03-15").format(value=value)
    )


def french_date(value: str | _dt.date, *, article: bool = False) -> str:
    """Format a date the French formal way: ``15 mars 2027``, ``1er janvier 2027``.

    With ``article=True`` the date is preceded by ``le``: ``le 1er janvier 2027``.  Day, month and
    year are joined by U+00A0 NO-BREAK SPACE; the year is never grouped.  Raises
    :class:`~coopflow.errors.ValidationError` for a value that is not a date.
    """
    day = parse_date(value)
    month = format_date(day, "MMMM", locale=LOCALE)
    number = "1er" if day.day == 1 else str(day.day)
    text = f"{number}{NBSP}{month}{NBSP}{day.year}"
    return f"le {text}" if article else text


def parse_amount(value: str | Decimal | int) -> Decimal:
    """Return an amount in euros as a :class:`~decimal.Decimal` with at most two decimals."""
    if isinstance(value, bool) or not isinstance(value, str | Decimal | int):
        raise ValidationError(
            _("invalid amount {value!r}: expected a decimal string like 1234.50").format(
                value=value
            )
        )
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValidationError(
            _("invalid amount {value!r}: expected a decimal string like 1234.50").format(
                value=value
            )
        ) from None
    if not amount.is_finite():
        raise ValidationError(
            _("invalid amount {value!r}: not a finite number").format(value=value)
        )
    if amount != amount.quantize(_CENTS):
        raise ValidationError(
            _("invalid amount {value!r}: an amount in euros has at most 2 decimals").format(
                value=value
            )
        )
    return amount


def french_amount(value: str | Decimal | int) -> str:
    """Format an amount in euros: ``1 234 567,50 €``.

    Thousands are separated by U+202F NARROW NO-BREAK SPACE, decimals by a comma, there are always
    two decimals, and U+00A0 NO-BREAK SPACE stands before ``€``.  ``value`` is a decimal string
    (``"1234567.50"``), a :class:`~decimal.Decimal` or an ``int``; more than two decimals, a float
    or a malformed string raise :class:`~coopflow.errors.ValidationError`.
    """
    amount = parse_amount(value).quantize(_CENTS)
    number = format_decimal(amount, format="#,##0.00", locale=LOCALE)
    return f"{_SPACES.sub(NNBSP, number)}{NBSP}€"


def french_number(value: str | Decimal | int) -> str:
    """Format a quantity (an indicator's target, a count): ``1 500``, ``75,5``.

    Groups of thousands are separated by U+202F NARROW NO-BREAK SPACE, decimals by a comma;
    trailing zeros are dropped (``"2.00"`` is ``2``, ``"18.50"`` is ``18,5``) and no decimal is
    rounded away.  Not for years or identifiers, which are never grouped.
    """
    if isinstance(value, bool) or not isinstance(value, str | Decimal | int):
        raise ValidationError(
            _("invalid number {value!r}: expected a decimal string").format(value=value)
        )
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ValidationError(
            _("invalid number {value!r}: expected a decimal string").format(value=value)
        ) from None
    if not number.is_finite():
        raise ValidationError(
            _("invalid number {value!r}: not a finite number").format(value=value)
        )
    text = format_decimal(number, format="#,##0.###", locale=LOCALE, decimal_quantization=False)
    return _SPACES.sub(NNBSP, text)


_NUMBER_WORDS: Final = (
    "zéro",
    "un",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
)


def number_in_words(value: int, *, feminine: bool = False) -> str:
    """Spell a small count in French (``trois``; ``une`` when ``feminine``); digits above 12."""
    if value == 1 and feminine:
        return "une"
    if 0 <= value < len(_NUMBER_WORDS):
        return _NUMBER_WORDS[value]
    return str(value)


# Articles before the name of an authority.  A name that starts with a common noun takes the
# article of that noun ("la Ville de Bordeaux", "le Département de la Gironde"); a proper name
# takes none ("Bordeaux Métropole", "GrandAngoulême", "Val de Garonne Agglomération").
#: The article an authority's name takes by its first word (shared with the engine's defaults).
_ARTICLES: Final = ARTICLE_OF_WORD
_FIRST_WORD = re.compile(r"[^\s'’-]+")
_VOWELS: Final = "aàâeéèêëiîïoôuùûüyhAÀÂEÉÈÊËIÎÏOÔUÙÛÜYH"


def _first_word(text: str) -> str:
    match = _FIRST_WORD.match(text.strip())
    return match.group(0).lower() if match else ""


def _article(name: str) -> str:
    return _ARTICLES.get(_first_word(name), "")


def join_article(article: str, name: str) -> str:
    """A name after its article: ``la Ville de Bordeaux``, ``l'Eurométropole``, ``La Cali``."""
    if not article:
        return name
    return f"{article}{name}" if article.endswith("'") else f"{article} {name}"


def of_article(article: str, name: str) -> str:
    """``de`` before a name with its article, contracted: ``du PETR``, ``de la Ville``,
    ``de l'Eurométropole``, ``des Pays``, ``de Bordeaux Métropole``, ``d'Angoulême``."""
    if article == "le":
        return f"du {name}"
    if article == "les":
        return f"des {name}"
    if article:
        return f"de {join_article(article, name)}"
    if name[:1] in _VOWELS and not name.startswith(("La ", "Le ", "Les ")):
        return f"d'{name}"
    return f"de {name}"


def person_gender(civility: str | None, title: str) -> Gender:
    """The gender of the person holding ``title``: their civility when known (``Madame`` is
    feminine), else what the title says (``x`` for ``Maire``)."""
    if civility == "Madame":
        return "f"
    if civility == "Monsieur":
        return "m"
    return title_gender(title)


def with_article(name: str) -> str:
    """Put the definite article before an authority's name: ``la Ville de Bordeaux``.

    A proper name (``Bordeaux Métropole``, ``La Cali``) is returned unchanged; the name keeps its
    own capitals.
    """
    article = _article(name)
    if not article:
        return name
    return f"{article}{name}" if article.endswith("'") else f"{article} {name}"


def of_name(name: str) -> str:
    """Put ``de`` before an authority's name, with elision and contraction.

    ``de Bordeaux Métropole``, ``de la Ville de Bordeaux``, ``du Département de la Gironde``,
    ``de l'Eurométropole de Strasbourg``, ``d'Angoulême``.
    """
    article = _article(name)
    if article == "le":
        return f"du {name}"
    if article:
        return f"de {with_article(name)}"
    if name.startswith(("La ", "Le ")):
        # A usual name that carries its own article: "La Cali" -> "de La Cali".
        return f"de {name}"
    if name[:1] in _VOWELS:
        return f"d'{name}"
    return f"de {name}"


#: Languages of foreign authorities, as staff write them, and their tags.
LANGUAGE_CODES: Final = {
    "allemand": "de",
    "anglais": "en",
    "catalan": "ca",
    "espagnol": "es",
    "français": "fr",
    "italien": "it",
    "néerlandais": "nl",
    "polonais": "pl",
    "portugais": "pt",
    "roumain": "ro",
}


def of_running(text: str) -> str:
    """``de`` before a phrase that starts with its article: ``le Président`` -> ``du
    Président``, ``la Maire`` -> ``de la Maire``, ``les Parties`` -> ``des Parties``."""
    if text.startswith("le "):
        return f"du {text[3:]}"
    if text.startswith("les "):
        return f"des {text[4:]}"
    return f"de {text}"


def lower_first(text: str) -> str:
    """The text with its first letter in lower case: ``Le Président`` -> ``le Président``."""
    return text[:1].lower() + text[1:]


def capitalise(text: str) -> str:
    """Upper-case the first letter only: ``la Ville de Bordeaux`` -> ``La Ville de Bordeaux``."""
    return text[:1].upper() + text[1:]


def authority_gender(name: str, nature: str) -> Gender:
    """The grammatical gender of an authority, for ``représentée``/``représenté``.

    It follows the first word of the name when it is a common noun (``le Département``), else
    the nature: a département, a PETR (pôle) or a PNR (parc, syndicat mixte) is masculine, the
    others (métropole, communauté, commune, région...) feminine.
    """
    article = _article(name)
    if article == "le":
        return "m"
    if article in ("la", "l'") and _first_word(name) not in ("établissement", "office"):
        return "f"
    if article == "l'":
        return "m"
    return "m" if nature.upper() in ("DEPARTEMENT", "PETR", "PNR") else "f"


_EPICENE_TITLES: Final = frozenset(
    {"maire", "ministre", "bourgmestre", "membre", "syndic", "secrétaire", "sindaco", "mayor"}
)
_FEMININE_ENDINGS: Final = ("ente", "ère", "rice", "ointe", "ée", "elle", "esse", "ienne", "euse")


def title_gender(title: str) -> Gender:
    """The grammatical gender of an office held by a person, from its first word.

    ``Présidente``, ``Vice-présidente déléguée...``, ``Conseillère`` are feminine; ``Président``,
    ``Vice-président`` masculine; ``Maire`` may be either and is reported as ``"x"``.
    """
    word = title.strip().split(maxsplit=1)[0].rstrip(",").lower() if title.strip() else ""
    last_part = word.rsplit("-", 1)[-1]
    if last_part in _EPICENE_TITLES:
        return "x"
    if last_part.endswith(_FEMININE_ENDINGS):
        return "f"
    return "m"


def possessive(title: str, gender: Gender | None = None) -> str:
    """``son`` or ``sa`` before an office held by a person of ``gender`` (else the title's):
    ``son Président``, ``sa Présidente``, ``sa Maire`` (a woman), ``son adjointe``."""
    if (gender or title_gender(title)) == "f" and title[:1] not in _VOWELS:
        return "sa"
    return "son"


def agree(word: str, gender: Gender) -> str:
    """Make a past participle agree: ``autorisé``, ``autorisée``.  A gender nobody gave
    (``x``) takes the generic masculine: a document never prints ``autorisé(e)``."""
    if gender == "f":
        return f"{word}e"
    return word


def title_with_article(title: str, gender: Gender | None = None) -> str:
    """An office with its article, as it heads a signature: ``Le Président``, ``La Présidente``,
    ``La Maire`` (held by a woman: ``gender``), ``L'Adjointe``.  An office of either gender
    whose holder's gender is unknown is printed alone, capitalised (``Maire``)."""
    gender = gender if gender in ("f", "m") else title_gender(title)
    cleaned = capitalise(title.strip())
    if gender == "x":
        return cleaned
    if cleaned[:1] in _VOWELS:
        return f"L'{cleaned}"
    article = "La" if gender == "f" else "Le"
    return f"{article} {cleaned}"


def person_name(first_name: str, last_name: str) -> str:
    """``First name LAST NAME``, the last name upper-cased with its accents (``Hélène DÉSIRÉ``)."""
    return f"{first_name.strip()} {last_name.strip().upper()}".strip()


def enumerate_names(names: list[str]) -> str:
    """Join names the French way: ``A``, ``A et B``, ``A, B et C``."""
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} et {names[-1]}"


#: A free text's paragraphs (split at blank lines), defined once with the avenants' articles.
paragraphs: Final = _articles.paragraphs


def years_label(start: str | _dt.date, end: str | _dt.date) -> str:
    """The years a period covers, ungrouped: ``2027-2029``, or ``2027`` for a single year."""
    first, last = parse_date(start).year, parse_date(end).year
    return str(first) if first == last else f"{first}-{last}"


def sentence(text: str) -> str:
    """End a free text with a full stop unless it already ends with a punctuation mark."""
    stripped = text.strip()
    if not stripped or stripped[-1] in ".!?…»)":
        return stripped
    return f"{stripped}."


def no_break(text: str) -> str:
    """Join the words of a short phrase (a person's name) with U+00A0 NO-BREAK SPACE."""
    return NBSP.join(text.split())
