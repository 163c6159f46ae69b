"""Input checks shared by the API, the command line and scripts.

Each check returns the cleaned value or raises :class:`ValidationError` naming the field."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from ._i18n import _, ngettext
from .errors import ValidationError

# Bidirectional controls (Trojan-Source style reordering) and the invisible marks.
_BIDI = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_REFERENCE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")
_DB_LOGIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.@-]{0,62}")
_SIREN = re.compile(r"^\d{9}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FRENCH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")  # day first, as French staff write it
MIN_YEAR, MAX_YEAR = 1990, 2100


def text(value: object, field: str, *, max_length: int = 300, multiline: bool = False) -> str:
    """A non-empty text without control or bidirectional characters, NFC-normalised."""
    if not isinstance(value, str):
        raise ValidationError(_("must be a text"), field=field)
    cleaned = unicodedata.normalize("NFC", value.strip())
    if not cleaned:
        raise ValidationError(_("must not be empty"), field=field)
    if len(cleaned) > max_length:
        raise ValidationError(
            _("is {length} characters long, the most is {max_length}").format(
                length=len(cleaned), max_length=max_length
            ),
            field=field,
        )
    for ch in cleaned:
        if ch in _BIDI:
            raise ValidationError(
                _("contains the invisible bidirectional control {character}").format(
                    character=f"U+{ord(ch):04X}"
                ),
                field=field,
            )
        if unicodedata.category(ch) == "Cc" and not (multiline and ch in "\n\t"):
            raise ValidationError(
                _("contains the control character {character}").format(
                    character=f"U+{ord(ch):04X}"
                ),
                field=field,
            )
        if unicodedata.category(ch) == "Cf":
            raise ValidationError(
                _("contains the invisible character {character}").format(
                    character=f"U+{ord(ch):04X} {unicodedata.name(ch, '(unnamed)')}"
                ),
                field=field,
            )
    return cleaned


def _invisible(value: str) -> str | None:
    """The first character of ``value`` a reader cannot see (space, control, format)."""
    for ch in value:
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            return f"U+{ord(ch):04X} {unicodedata.name(ch, '(unnamed)')}"
    return None


def login(value: object, field: str = "actor") -> str:
    """An actor's login, exactly as given: ASCII letters, digits and ``. _ @ -``, starting
    with a letter or digit, at most 100 (no whitespace, no invisible character: a look-alike
    of a registered login is refused, never taken for another person)."""
    if isinstance(value, str) and _LOGIN.fullmatch(value):
        return value
    if isinstance(value, str) and (hidden := _invisible(value)) is not None:
        raise ValidationError(
            _("{value!r} contains the invisible character {character}").format(
                value=value, character=hidden
            ),
            field=field,
        )
    raise ValidationError(
        _("{value!r} is not a login (ASCII letters, digits and '._@-', at most 100)").format(
            value=value
        ),
        field=field,
    )


def login_key(value: str) -> str:
    """What makes two logins one person: the login case-folded."""
    return value.casefold()


def db_login(value: object, field: str = "db_login") -> str:
    """A PostgreSQL login name coopflow can grant roles to."""
    if isinstance(value, str) and _DB_LOGIN.fullmatch(value):
        return value
    raise ValidationError(
        _("{value!r} is not a database login (letters, digits and '_.@-', at most 63)").format(
            value=value
        ),
        field=field,
    )


def optional_text(
    value: object, field: str, *, max_length: int = 300, multiline: bool = False
) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return text(value, field, max_length=max_length, multiline=multiline)


def key(value: object, field: str) -> str:
    """A short key: lower-case letters, digits and dashes (``bordeaux-metropole``)."""
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        raise ValidationError(
            _("{value!r} is not a key (lower-case letters, digits and '-', at most 64)").format(
                value=value
            ),
            field=field,
        )
    return value


def reference(value: object, field: str = "reference") -> str:
    if not isinstance(value, str) or len(value) > 40 or not _REFERENCE.fullmatch(value):
        raise ValidationError(
            _("{value!r} is not a partnership reference such as COOP-2027-0001").format(
                value=value
            ),
            field=field,
        )
    return value


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def siren(value: object, field: str = "siren") -> str | None:
    """A SIREN: 9 digits whose last one is a Luhn check digit (spaces allowed)."""
    if value is None or value == "":
        return None
    raw = str(value).replace(" ", "").replace("\u202f", "").replace("\u00a0", "")
    if not _SIREN.fullmatch(raw):
        raise ValidationError(
            _("{value!r} is not a SIREN: it must be 9 digits").format(value=value), field=field
        )
    if not luhn_ok(raw):
        raise ValidationError(
            _("{value!r} is not a SIREN: its check digit is wrong").format(value=value),
            field=field,
        )
    return raw


def date(value: object, field: str) -> dt.date:
    """A date given as a ``date`` or written ``YYYY-MM-DD`` or ``DD/MM/YYYY`` (day first, the
    French order: ``12/01/2022`` is 12 January), between 1990 and 2100."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        written = str(value)
        try:
            if (french := _FRENCH_DATE.fullmatch(written)) is not None:
                day, month, year = (int(part) for part in french.groups())
                value = dt.date(year, month, day)
            elif _ISO_DATE.fullmatch(written):
                value = dt.date.fromisoformat(written)
            else:
                raise ValueError(value)
        except ValueError:
            raise ValidationError(
                _("{value!r} is not a date written YYYY-MM-DD or DD/MM/YYYY").format(value=value),
                field=field,
            ) from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(
            _("{date} is out of range ({first}-{last})").format(
                date=value.isoformat(), first=MIN_YEAR, last=MAX_YEAR
            ),
            field=field,
        )
    return value


def optional_date(value: object, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    return date(value, field)


def period(start: object, end: object, field: str, *, max_years: int) -> tuple[dt.date, dt.date]:
    first = date(start, f"{field}.start")
    last = date(end, f"{field}.end")
    if last <= first:
        raise ValidationError(
            _("ends ({end}) before it starts ({start})").format(
                end=last.isoformat(), start=first.isoformat()
            ),
            field=field,
        )
    if (last - first).days > max_years * 366:
        raise ValidationError(
            ngettext(
                "lasts more than {years} year", "lasts more than {years} years", max_years
            ).format(years=max_years),
            field=field,
        )
    return first, last


def amount(value: object, field: str) -> Decimal:
    """An amount in euros, >= 0, with at most 2 decimals."""
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value).replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise ValidationError(
            _("{value!r} is not an amount").format(value=value), field=field
        ) from None
    if not result.is_finite() or result < 0 or result >= Decimal("1e12"):
        raise ValidationError(_("{value!r} is out of range").format(value=value), field=field)
    if result != result.quantize(Decimal("0.01")):
        raise ValidationError(
            _("{value!r} has more than 2 decimals").format(value=value), field=field
        )
    return result.quantize(Decimal("0.01"))


_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.ASCII)


def optional_email(value: object, field: str) -> str | None:
    """An e-mail address (``prenom.nom@bordeaux-metropole.fr``), or None."""
    clean = optional_text(value, field, max_length=254)
    if clean is not None and not _EMAIL.fullmatch(clean):
        raise ValidationError(
            _("{value!r} is not an e-mail address").format(value=clean), field=field
        )
    return clean


def positive_int(value: object, field: str, *, maximum: int = 10_000) -> int:
    if isinstance(value, bool):
        raise ValidationError(_("must be a whole number"), field=field)
    try:
        result = int(str(value))
    except ValueError:
        raise ValidationError(
            _("{value!r} is not a whole number").format(value=value), field=field
        ) from None
    if not 1 <= result <= maximum:
        raise ValidationError(
            _("{number} is out of range (1-{maximum})").format(number=result, maximum=maximum),
            field=field,
        )
    return result


def choice(value: object, field: str, choices: dict[str, str] | tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValidationError(
            _("{value!r} is not one of: {choices}").format(value=value, choices=", ".join(choices)),
            field=field,
        )
    return value
