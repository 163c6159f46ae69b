"""Input checks shared by the API, the command line and scripts.

Each check returns the cleaned value or raises :class:`ValidationError` naming the field."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from .errors import ValidationError

# Bidirectional controls (Trojan-Source style reordering) and the invisible marks.
_BIDI = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_REFERENCE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")
_DB_LOGIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.@-]{0,62}")
_SIREN = re.compile(r"^\d{9}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MIN_YEAR, MAX_YEAR = 1990, 2100


def text(value: object, field: str, *, max_length: int = 300, multiline: bool = False) -> str:
    """A non-empty text without control or bidirectional characters, NFC-normalised."""
    if not isinstance(value, str):
        raise ValidationError("must be a text", field=field)
    cleaned = unicodedata.normalize("NFC", value.strip())
    if not cleaned:
        raise ValidationError("must not be empty", field=field)
    if len(cleaned) > max_length:
        raise ValidationError(
            f"is {len(cleaned)} characters long, the most is {max_length}", field=field
        )
    for ch in cleaned:
        if ch in _BIDI:
            raise ValidationError(
                f"contains the invisible bidirectional control U+{ord(ch):04X}", field=field
            )
        if unicodedata.category(ch) == "Cc" and not (multiline and ch in "\n\t"):
            raise ValidationError(f"contains the control character U+{ord(ch):04X}", field=field)
        if unicodedata.category(ch) == "Cf":
            raise ValidationError(
                f"contains the invisible character U+{ord(ch):04X} "
                f"{unicodedata.name(ch, '(unnamed)')}",
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
        raise ValidationError(f"{value!r} contains the invisible character {hidden}", field=field)
    raise ValidationError(
        f"{value!r} is not a login (ASCII letters, digits and '._@-', at most 100)", field=field
    )


def login_key(value: str) -> str:
    """What makes two logins one person: the login case-folded."""
    return value.casefold()


def db_login(value: object, field: str = "db_login") -> str:
    """A PostgreSQL login name coopflow can grant roles to."""
    if isinstance(value, str) and _DB_LOGIN.fullmatch(value):
        return value
    raise ValidationError(
        f"{value!r} is not a database login (letters, digits and '_.@-', at most 63)",
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
            f"{value!r} is not a key (lower-case letters, digits and '-', at most 64)", field=field
        )
    return value


def reference(value: object, field: str = "reference") -> str:
    if not isinstance(value, str) or len(value) > 40 or not _REFERENCE.fullmatch(value):
        raise ValidationError(
            f"{value!r} is not a partnership reference such as COOP-2027-0001", field=field
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
        raise ValidationError(f"{value!r} is not a SIREN: it must be 9 digits", field=field)
    if not luhn_ok(raw):
        raise ValidationError(f"{value!r} is not a SIREN: its check digit is wrong", field=field)
    return raw


def date(value: object, field: str) -> dt.date:
    """A date given as a ``date`` or written ``YYYY-MM-DD``, between 1990 and 2100."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            if not _ISO_DATE.fullmatch(str(value)):
                raise ValueError(value)
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(
                f"{value!r} is not a date written YYYY-MM-DD", field=field
            ) from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(
            f"{value.isoformat()} is out of range ({MIN_YEAR}-{MAX_YEAR})", field=field
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
            f"ends ({last.isoformat()}) before it starts ({first.isoformat()})", field=field
        )
    if (last - first).days > max_years * 366:
        raise ValidationError(f"lasts more than {max_years} years", field=field)
    return first, last


def amount(value: object, field: str) -> Decimal:
    """An amount in euros, >= 0, with at most 2 decimals."""
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value).replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise ValidationError(f"{value!r} is not an amount", field=field) from None
    if not result.is_finite() or result < 0 or result >= Decimal("1e12"):
        raise ValidationError(f"{value!r} is out of range", field=field)
    if result != result.quantize(Decimal("0.01")):
        raise ValidationError(f"{value!r} has more than 2 decimals", field=field)
    return result.quantize(Decimal("0.01"))


_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.ASCII)


def optional_email(value: object, field: str) -> str | None:
    """An e-mail address (``prenom.nom@bordeaux-metropole.fr``), or None."""
    clean = optional_text(value, field, max_length=254)
    if clean is not None and not _EMAIL.fullmatch(clean):
        raise ValidationError(f"{clean!r} is not an e-mail address", field=field)
    return clean


def positive_int(value: object, field: str, *, maximum: int = 10_000) -> int:
    if isinstance(value, bool):
        raise ValidationError("must be a whole number", field=field)
    try:
        result = int(str(value))
    except ValueError:
        raise ValidationError(f"{value!r} is not a whole number", field=field) from None
    if not 1 <= result <= maximum:
        raise ValidationError(f"{result} is out of range (1-{maximum})", field=field)
    return result


def choice(value: object, field: str, choices: dict[str, str] | tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValidationError(f"{value!r} is not one of: {', '.join(choices)}", field=field)
    return value
