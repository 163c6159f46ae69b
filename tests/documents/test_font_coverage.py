"""Only the shipped fonts print a document: symbols they have render, other characters are refused.

Without these checks, Pango prints a character that the stylesheet's fonts lack with a font of
the host machine (fontconfig's fallback): the PDF then embeds that font and differs from one
machine to another.  This machine has DejaVu installed, so the tests below would see its host
copy embedded (``DejaVu-Sans``) if the shipped "Coopflow Symbols" face were not used.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from coopflow.documents import ProgrammeSnapshot, ProtocolSnapshot, RenderedDocument, Renderer
from coopflow.documents._assets import FONTS_DIR, STATIC_DIR
from coopflow.documents._fonts import (
    SYMBOL_FONT,
    check_printable,
    font_files,
    printable_characters,
)
from coopflow.errors import TemplateError, ValidationError

from tests.documents import samples
from tests.documents.pdfcheck import descriptor, open_pdf, page_fonts, page_texts

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_FONT_NAME = re.compile(
    r"/[A-Z]{6}\+Coopflow-(Serif|Sans|Symbols)(-Bold)?(-Italic|-Oblique)?"
)
# Symbols that Liberation lacks and DejaVu Sans has.
SYMBOLS = "★☆✓✔✗☐☑☒⇒❤⚠"


def protocol_with_symbols() -> ProtocolSnapshot:
    """The sample protocol with symbols in regular, bold, italic and sans-serif text."""
    snapshot = samples.protocol()
    snapshot["parties"][1]["official_name"] = "Ville de Bordeaux ★"
    snapshot["axes"][0]["title"] = "Accueil des habitants ✓ mobilités"  # bold heading
    snapshot["axes"][0]["stakes"][0]["title"] = "Mobilités du quotidien ☆"  # italic
    snapshot["axes"][0]["stakes"][0]["description"] = "Cochez ☐ ou ☑ ; ✗ refusé ; A ⇒ B."
    snapshot["axes"][1]["commitments"][0]["text"] = "Associer La Cali ✔ aux salons ❤ ⚠."
    return snapshot


def programme_with_symbols() -> ProgrammeSnapshot:
    """The sample programme with symbols in its tables (sans-serif) and headings."""
    snapshot = samples.programme()
    action = snapshot["actions"][0]
    action["title"] = "★ Renforcer la desserte ferroviaire"
    action["milestones"][0]["label"] = "Étude remise ✓"
    action["budget"][1]["funder_name"] = "Région Nouvelle-Aquitaine ☑"
    return snapshot


@pytest.fixture(scope="module")
def symbols_doc(renderer: Renderer) -> RenderedDocument:
    """The protocol with symbols, rendered once."""
    return renderer.render(protocol_with_symbols(), produced_at=samples.MOMENT)


def _base_fonts(pdf: bytes) -> set[str]:
    with open_pdf(pdf) as document:
        return {str(font.BaseFont) for _, _, font in page_fonts(document)}


# --- What the shipped fonts cover ------------------------------------------------------------


def test_printable_characters_come_from_the_shipped_fonts_once() -> None:
    printable = printable_characters()
    assert printable is printable_characters()  # computed once
    assert set(SYMBOLS) <= printable
    assert set("azAZàéèêëîïôùûüçœæÀÉÈÇŒ«»€°–—’…\u00a0\u202f\n\t\r") <= printable
    for absent in ("中", "✅", "🎉", "\x00", "\x07", "\x7f", "\x85", "\u3000", "\ud800"):
        assert absent not in printable, repr(absent)


def test_every_font_stack_ends_with_the_symbol_face() -> None:
    css = (STATIC_DIR / "coopflow.css").read_text(encoding="utf-8")
    faces = re.findall(r"@font-face\s*\{[^}]*\}", css)
    symbol_faces = [face for face in faces if '"Coopflow Symbols"' in face]
    assert len(symbol_faces) == 1
    assert f"url(fonts/{SYMBOL_FONT})" in symbol_faces[0]
    stacks = re.findall(r"font-family:\s*([^;]+);", re.sub(r"@font-face\s*\{[^}]*\}", "", css))
    assert stacks
    for stack in stacks:
        families = [family.strip() for family in stack.split(",")]
        assert families[-1] == '"Coopflow Symbols"', stack
        assert families[0] in {'"Coopflow Serif"', '"Coopflow Sans"'}, stack


def test_each_shipped_font_has_its_licence_and_is_package_data() -> None:
    names = {path.name for path in FONTS_DIR.iterdir() if path.is_file()}
    assert SYMBOL_FONT in names
    assert {"LICENSE-Liberation.txt", "LICENSE-DejaVu.txt"} <= names
    licence = (FONTS_DIR / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")
    assert "Bitstream Vera Fonts Copyright" in licence
    assert "Arev Fonts Copyright" in licence
    assert "DejaVu changes are in public domain" in licence
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["coopflow.documents.fonts"]
    for name in names:
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name


# --- Symbols the shipped fonts have ----------------------------------------------------------


def test_symbols_render_with_the_shipped_fonts_only(symbols_doc: RenderedDocument) -> None:
    fonts = _base_fonts(symbols_doc.pdf)
    for name in fonts:
        assert SHIPPED_FONT_NAME.fullmatch(name), name  # never a host font (DejaVu-Sans...)
    assert any("+Coopflow-Symbols" in name for name in fonts)
    with open_pdf(symbols_doc.pdf) as document:
        for number, name, font in page_fonts(document):
            embedded = descriptor(font)
            assert "/FontFile2" in embedded or "/FontFile3" in embedded, (number, name)
            assert "/ToUnicode" in font, (number, name)
    text = "".join(page_texts(symbols_doc.pdf))
    for symbol in "★✓☆☐☑✗⇒✔❤⚠":
        assert symbol in text, symbol


def test_symbols_in_programme_tables_render_with_the_shipped_fonts_only(
    renderer: Renderer,
) -> None:
    document = renderer.render(programme_with_symbols(), produced_at=samples.MOMENT)
    fonts = _base_fonts(document.pdf)
    assert all(SHIPPED_FONT_NAME.fullmatch(name) for name in fonts), fonts
    assert any("+Coopflow-Symbols" in name for name in fonts)
    text = "".join(page_texts(document.pdf))
    assert "★" in text
    assert "✓" in text
    assert "☑" in text


def test_documents_without_symbols_do_not_embed_the_symbol_face(
    all_docs: dict[str, RenderedDocument],
) -> None:
    for name, document in all_docs.items():
        assert not any("Symbols" in font for font in _base_fonts(document.pdf)), name


def test_symbols_render_byte_identically(renderer: Renderer, symbols_doc: RenderedDocument) -> None:
    assert (
        renderer.render(protocol_with_symbols(), produced_at=samples.MOMENT).pdf == symbols_doc.pdf
    )
    assert (
        Renderer().render(protocol_with_symbols(), produced_at=samples.MOMENT).pdf
        == symbols_doc.pdf
    )


_RENDER_IN_A_NEW_PROCESS = textwrap.dedent(
    """
    import hashlib
    from coopflow.documents import Renderer
    from tests.documents import samples
    from tests.documents.test_font_coverage import protocol_with_symbols
    document = Renderer().render(protocol_with_symbols(), produced_at=samples.MOMENT)
    print(hashlib.sha256(document.pdf).hexdigest())
    """
)


@pytest.mark.slow
def test_symbols_render_byte_identically_across_processes(symbols_doc: RenderedDocument) -> None:
    hashes = []
    for seed in ("1", "2"):
        run = subprocess.run(
            [sys.executable, "-c", _RENDER_IN_A_NEW_PROCESS],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
            timeout=120,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        hashes.append(run.stdout.strip())
    assert hashes == [symbols_doc.sha256] * 2


def test_whitespace_in_the_data_is_printable(renderer: Renderer) -> None:
    snapshot = samples.protocol()
    snapshot["axes"][0]["stakes"][0]["description"] = "Première ligne\r\nseconde\tligne."
    snapshot["preamble"][0] += "\n\nUn second paragraphe."
    check_printable(snapshot)
    text = " ".join(page_texts(renderer.render(snapshot, produced_at=samples.MOMENT).pdf))
    assert "Première ligne seconde ligne." in text


# --- Characters no shipped font has ----------------------------------------------------------


def _set(path: list[str | int], value: str) -> Callable[[dict[str, Any]], None]:
    def change(snapshot: dict[str, Any]) -> None:
        target: Any = snapshot
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


UNPRINTABLE: list[tuple[Callable[[], Any], str, Callable[[dict[str, Any]], None], str]] = [
    (
        samples.protocol,
        "parties[1].official_name",
        _set(["parties", 1, "official_name"], "Ville de Bordeaux 中"),
        "'中' (U+4E2D CJK UNIFIED IDEOGRAPH-4E2D)",
    ),
    (
        samples.protocol,
        "axes[0].stakes[0].title",
        _set(["axes", 0, "stakes", 0, "title"], "Mobilités ★ 🎉"),
        "'🎉' (U+1F389 PARTY POPPER)",
    ),
    (
        samples.protocol,
        "axes[1].commitments[0].text",
        _set(["axes", 1, "commitments", 0, "text"], "Fait ✅"),
        "'✅' (U+2705 WHITE HEAVY CHECK MARK)",
    ),
    (
        samples.protocol,
        "signatories[0].last_name",
        _set(["signatories", 0, "last_name"], "Lagarde\x07"),
        "'\\x07' (U+0007)",
    ),
    (
        samples.avenant,
        "amendment.changes[1].text",
        _set(["amendment", "changes", 1, "text"], "Texte\u3000pleine chasse"),
        "'\\u3000' (U+3000 IDEOGRAPHIC SPACE)",
    ),
    (
        samples.programme,
        "actions[0].title",
        _set(["actions", 0, "title"], "Desserte 中文"),
        "'中' (U+4E2D CJK UNIFIED IDEOGRAPH-4E2D), '文' (U+6587 CJK UNIFIED IDEOGRAPH-6587)",
    ),
    (
        samples.programme,
        "actions[1].indicators[0].unit",
        _set(["actions", 1, "indicators", 0, "unit"], "\ud800"),
        "'\\ud800' (U+D800)",
    ),
]


@pytest.mark.parametrize(
    ("make", "field", "change", "described"), UNPRINTABLE, ids=[case[1] for case in UNPRINTABLE]
)
def test_a_character_no_shipped_font_has_is_refused_before_rendering(
    renderer: Renderer,
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[], Any],
    field: str,
    change: Callable[[dict[str, Any]], None],
    described: str,
) -> None:
    snapshot = samples.as_plain(make())
    change(snapshot)

    def no_rendering(*args: object, **kwargs: object) -> None:
        raise AssertionError("WeasyPrint was called")

    monkeypatch.setattr(weasyprint, "HTML", no_rendering)
    with pytest.raises(ValidationError) as caught:
        renderer.render(snapshot, produced_at=samples.MOMENT)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert str(caught.value) == (
        f"{field}: cannot be printed with the fonts coopflow ships: {described}"
    )


def test_a_long_list_of_unprintable_characters_is_cut_short() -> None:
    snapshot = samples.as_plain(samples.protocol())
    snapshot["title"] = "一二三四五六七八"
    with pytest.raises(ValidationError, match=r"'五' \(U\+4E94 [A-Z0-9 -]+\) and 3 more$"):
        check_printable(snapshot)


def test_the_html_alone_does_not_depend_on_fonts(renderer: Renderer) -> None:
    snapshot = samples.protocol()
    snapshot["parties"][1]["official_name"] = "Ville de Bordeaux 中"
    assert "Ville de Bordeaux 中" in renderer.render_html(snapshot)


def test_structural_errors_are_reported_first(renderer: Renderer) -> None:
    snapshot = samples.as_plain(samples.protocol())
    snapshot["parties"][1]["official_name"] = "中"
    snapshot["parties"][0].pop("nature")
    with pytest.raises(ValidationError, match=r"parties\[0\]\.nature: missing key"):
        renderer.render(snapshot, produced_at=samples.MOMENT)  # type: ignore[arg-type]


# --- Organisations' templates and stylesheets ------------------------------------------------


def test_a_template_printing_an_unprintable_character_is_refused(tmp_path: Path) -> None:
    (tmp_path / "protocole.html.j2").write_text(
        '<html lang="fr"><body><p>{{ doc.meta.title }} 中</p></body></html>', encoding="utf-8"
    )
    with pytest.raises(TemplateError, match=r"protocole\.html\.j2") as caught:
        Renderer(tmp_path).render(samples.protocol(), produced_at=samples.MOMENT)
    # This machine has no font for it (.notdef); one with a CJK font would embed that font.
    assert re.search(r"prints '中' \(U\+4E2D|a font of this machine", str(caught.value))


def _host_font_family() -> str | None:
    """A family of this machine's fonts none of whose files coopflow ships, if there is one."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    listing = subprocess.run(
        [fc_list, "--format", "%{family[0]}\t%{file}\n"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    shipped = {hashlib.sha256(path.read_bytes()).hexdigest() for path in font_files()}
    files: dict[str, list[Path]] = {}
    for line in listing.splitlines():
        family, _, file = line.partition("\t")
        if family and file:
            files.setdefault(family, []).append(Path(file))
    for family in sorted(files):
        digests = {hashlib.sha256(path.read_bytes()).hexdigest() for path in files[family]}
        if not digests & shipped and '"' not in family:
            return family
    return None


def test_a_stylesheet_naming_a_host_font_is_refused(tmp_path: Path) -> None:
    family = _host_font_family()
    if family is None:
        pytest.skip("this machine has no font of its own")
    css = (STATIC_DIR / "coopflow.css").read_text(encoding="utf-8")
    (tmp_path / "coopflow.css").write_text(
        f'{css}\nhtml {{ font-family: "{family}"; }}\n', encoding="utf-8"
    )
    with pytest.raises(TemplateError, match="a font of this machine, not one that coopflow ships"):
        Renderer(tmp_path).render(samples.protocol(), produced_at=samples.MOMENT)
