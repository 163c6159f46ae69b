"""Reading back the PDFs the tests render: text, structure, PDF/A properties."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pikepdf
import pypdf

_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page, with every run of spaces (no-break ones too) made one space."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [_SPACES.sub(" ", page.extract_text()).strip() for page in reader.pages]


def raw_page_texts(pdf: bytes) -> list[str]:
    """The text of each page as extracted, no-break spaces kept."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [page.extract_text() for page in reader.pages]


def squeeze(text: str) -> str:
    """``text`` without any whitespace: compares text whatever the line breaks."""
    return "".join(_SPACES.split(text))


def open_pdf(pdf: bytes) -> pikepdf.Pdf:
    """The PDF, opened with pikepdf for structural checks."""
    return pikepdf.open(io.BytesIO(pdf))


def page_fonts(document: pikepdf.Pdf) -> Iterator[tuple[int, str, pikepdf.Object]]:
    """``(page number, font resource name, font dictionary)`` of every page's fonts."""
    for number, page in enumerate(document.pages, start=1):
        resources = page.obj.get("/Resources", pikepdf.Dictionary())
        for name, font in resources.get("/Font", pikepdf.Dictionary()).items():
            yield number, str(name), font


def descriptor(font: pikepdf.Object) -> pikepdf.Object:
    """The font descriptor of a simple or composite (Type0) font."""
    if font.get("/Subtype") == "/Type0":
        return font.DescendantFonts[0].FontDescriptor
    return font.FontDescriptor


def structure_types(document: pikepdf.Pdf) -> set[str]:
    """Every structure type (``/S``) used in the tagged structure tree."""
    found: set[str] = set()
    pending = list(document.Root.StructTreeRoot.K)
    while pending:
        element = pending.pop()
        if not isinstance(element, pikepdf.Dictionary) or "/S" not in element:
            continue
        found.add(str(element.S))
        kids = element.get("/K")
        if isinstance(kids, pikepdf.Array):
            pending.extend(kids)
        elif isinstance(kids, pikepdf.Dictionary):
            pending.append(kids)
    return found
