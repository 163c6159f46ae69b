"""What the fonts coopflow ships can print, and the checks that keep documents to them.

WeasyPrint lays text out with Pango, which prints a character that no face of the font stack has
with whatever font of the host machine has it (fontconfig's fallback), silently: the PDF then
embeds a host font and differs from one machine to another.  coopflow prevents that twice:

* before rendering, :func:`check_printable` refuses a snapshot holding a character the shipped
  fonts cannot print, with a :class:`~coopflow.errors.ValidationError` naming the snapshot path
  and the character;
* after layout, :func:`check_embedded_fonts` refuses a PDF that would embed any other font, or
  draw a ``.notdef`` box, which only an organisation's template or stylesheet can cause (a
  literal character, or a font stack that does not end with ``"Coopflow Symbols"``).

Every font stack of ``coopflow.css`` is a Liberation face followed by ``"Coopflow Symbols"``
(DejaVu Sans).  Which Liberation face prints a string depends on where the template puts it
(bold heading, italic stake, sans-serif table), so a character is printable if every Liberation
face has it, or else DejaVu Sans has it: :func:`printable_characters`, computed once from the
fonts' ``cmap`` tables.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from coopflow._i18n import _
from coopflow.errors import TemplateError, ValidationError
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # no type information

from ._assets import FONTS_DIR

#: The face that closes every font stack ("Coopflow Symbols"); the others are Liberation faces.
SYMBOL_FONT: Final = "DejaVuSans.ttf"
#: Characters that the templates never print as such: HTML collapses them into a space, and the
#: ``paragraphs`` filter splits paragraphs on blank lines.  Every other control character (C0,
#: DEL, C1) is refused, whatever a font maps it to: it is not text (nor valid in XMP metadata).
WHITESPACE: Final = frozenset("\t\n\r")
#: How many distinct characters one error lists.
_SHOWN: Final = 5


def _cmap(path: Path) -> frozenset[str]:
    """The characters ``path``'s best Unicode cmap maps to a real glyph."""
    font = TTFont(path, lazy=True)
    try:
        mapping = font.getBestCmap() or {}
    finally:
        font.close()
    return frozenset(chr(code) for code, glyph in mapping.items() if glyph != ".notdef")


def font_files() -> list[Path]:
    """The font files coopflow ships, sorted by name."""
    return sorted(FONTS_DIR.glob("*.ttf"))


@functools.cache
def printable_characters() -> frozenset[str]:
    """The characters that any text of a document may hold, read once from the shipped fonts."""
    text_faces = [path for path in font_files() if path.name != SYMBOL_FONT]
    common = frozenset.intersection(*(_cmap(path) for path in text_faces))
    covered = common | _cmap(FONTS_DIR / SYMBOL_FONT)
    return frozenset(ch for ch in covered if unicodedata.category(ch) != "Cc") | WHITESPACE


@functools.cache
def _shipped_digests() -> frozenset[str]:
    return frozenset(hashlib.sha256(path.read_bytes()).hexdigest() for path in font_files())


def describe(character: str) -> str:
    """``'★' (U+2605 BLACK STAR)``: the character, its code point and its Unicode name."""
    code = f"U+{ord(character):04X}"
    name = unicodedata.name(character, "")
    return f"{character!r} ({code} {name})" if name else f"{character!r} ({code})"


def _listing(characters: list[str]) -> str:
    shown = ", ".join(describe(ch) for ch in characters[:_SHOWN])
    more = len(characters) - _SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    """Every string of a JSON-like value, with its path (``parties[1].official_name``)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def check_printable(snapshot: Mapping[str, Any]) -> None:
    """Refuse a snapshot with a character that the shipped fonts cannot print.

    Every string value is checked, the keys that the templates print and any other: an
    organisation's template may print any of them.  Raises
    :class:`~coopflow.errors.ValidationError` for the first string holding such characters,
    naming its path and listing them, e.g.
    ``parties[1].official_name: cannot be printed with the fonts coopflow ships: '中' (U+4E2D
    CJK UNIFIED IDEOGRAPH-4E2D)``.
    """
    printable = printable_characters()
    for path, text in _strings(snapshot, ""):
        if printable.issuperset(text):
            continue
        missing = [ch for ch in dict.fromkeys(text) if ch not in printable]
        raise ValidationError(
            _("cannot be printed with the fonts coopflow ships: {listing}").format(
                listing=_listing(missing)
            ),
            field=path or "snapshot",
        )


def check_embedded_fonts(fonts: Iterable[Any], template_name: str) -> None:
    """Refuse a PDF whose fonts are not all shipped ones, or which draws a ``.notdef`` box.

    ``fonts`` are WeasyPrint's fonts of a laid-out document (``Document.fonts.values()``, as a
    ``write_pdf`` finisher sees them): each keeps the HarfBuzz face it was loaded from, whose
    data must be one of the shipped font files byte for byte.  Raises
    :class:`~coopflow.errors.TemplateError`: with the snapshot checked by
    :func:`check_printable`, only a template or a stylesheet can cause either.
    """
    from weasyprint.text.fonts import get_hb_object_data

    shipped = _shipped_digests()
    for font in fonts:
        if font.missing:
            characters = [chr(code) for code in sorted(font.missing)]
            raise TemplateError(
                template_name,
                _(
                    "the document prints {listing}, which no font has (a character written in the "
                    "template or the stylesheet)"
                ).format(listing=_listing(characters)),
            )
        digest = hashlib.sha256(get_hb_object_data(font.hb_face)).hexdigest()
        if digest not in shipped:
            raise TemplateError(
                template_name,
                _(
                    "the document would embed {family!r}, a font of this machine, not one that "
                    "coopflow ships: every font stack of the stylesheet must name only coopflow's "
                    'faces and end with "Coopflow Symbols"'
                ).format(family=font.family),
            )
