"""Tagging of the page furniture (PDF/UA side of PDF/A-3a).

The running header (the PROJET mark of a draft), the running footer (document reference, page
number) and the diagonal PROJET watermark are pagination artifacts: their text must be painted
only inside ``/Artifact <</Type /Pagination /Subtype /Header|/Footer|/Watermark>>`` marked
content, never inside marked content with an MCID, and no structure element may hold it.  The
structure tree must hold every structure element of the file (no orphan ``/StructElem``), and the
parent tree must map each MCID that remains to the element holding it.

These tests read the PDF back with pikepdf alone: the content streams are walked operator by
operator, the text shown decoded through each font's ``/ToUnicode`` map.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pytest
from coopflow.documents import RenderedDocument, Renderer
from coopflow.documents._assets import TEMPLATES_DIR

from tests.documents import samples
from tests.documents.pdfcheck import open_pdf

NAMES = ["protocole", "projet", "avenant", "programme"]
DRAFTS = {"projet"}
PAGE_NUMBER = re.compile(r"Page \d+ sur \d+")


# --- Reading content streams back ------------------------------------------------------------


def _hex_codes(text: str) -> list[tuple[int, int, str]]:
    """``(first code, last code, destination hex)`` of a ToUnicode CMap's bfchar/bfrange."""
    entries = []
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.DOTALL):
        for code, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            entries.append((int(code, 16), int(code, 16), target))
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.DOTALL):
        for first, last, target in re.findall(
            r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            entries.append((int(first, 16), int(last, 16), target))
    return entries


@dataclass(frozen=True)
class _Font:
    width: int  # bytes per character code
    unicode: dict[int, str]

    @classmethod
    def of(cls, font: pikepdf.Object) -> _Font:
        mapping: dict[int, str] = {}
        if "/ToUnicode" in font:
            cmap = font.ToUnicode.read_bytes().decode("latin-1")
            for first, last, target in _hex_codes(cmap):
                start = bytes.fromhex(target).decode("utf-16-be")
                for offset, code in enumerate(range(first, last + 1)):
                    mapping[code] = start[:-1] + chr(ord(start[-1]) + offset)
        return cls(2 if font.get("/Subtype") == "/Type0" else 1, mapping)

    def decode(self, data: bytes) -> str:
        codes = (
            int.from_bytes(data[i : i + self.width], "big") for i in range(0, len(data), self.width)
        )
        return "".join(self.unicode.get(code, "\ufffd") for code in codes)


@dataclass(frozen=True)
class Marked:
    """One marked-content sequence: its tag, its properties and the sequences it sits in."""

    tag: str
    properties: dict[str, str]
    outer: tuple[Marked, ...]

    @property
    def mcid(self) -> int | None:
        value = self.properties.get("/MCID")
        return None if value is None else int(value)

    def within(self) -> tuple[Marked, ...]:
        """This sequence and all those around it, innermost first."""
        return (self, *reversed(self.outer))


@dataclass
class Run:
    """Text shown by one text operator, with the marked content around it (innermost last), and
    where it starts on the page (its baseline's origin, in PDF points from the bottom left)."""

    text: str
    marks: tuple[Marked, ...]
    x: float = 0.0
    y: float = 0.0


Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _times(m: Matrix, n: Matrix) -> Matrix:
    """The product ``m × n`` of two PDF matrices (``m`` applied first)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


def _matrix(operands: list[pikepdf.Object]) -> Matrix:
    a, b, c, d, e, f = (float(value) for value in operands)
    return (a, b, c, d, e, f)


@dataclass
class PageContent:
    runs: list[Run] = field(default_factory=list)
    sequences: list[Marked] = field(default_factory=list)

    def texts_by_mcid(self) -> dict[int, str]:
        """The text shown inside each MCID (including in sequences nested in it)."""
        found: dict[int, str] = {}
        for run in self.runs:
            for mark in run.marks:
                if mark.mcid is not None:
                    found[mark.mcid] = found.get(mark.mcid, "") + run.text
        return found


def _properties(operands: list[pikepdf.Object], resources: pikepdf.Object) -> dict[str, str]:
    if len(operands) < 2:
        return {}
    properties = operands[1]
    if isinstance(properties, pikepdf.Name):  # a named property list of the resources
        properties = resources.Properties[properties]
    return {str(key): str(value) for key, value in properties.items()}


def _walk(  # noqa: PLR0912 - one branch an operator
    stream: pikepdf.Object | pikepdf.Page,
    resources: pikepdf.Object,
    marks: list[Marked],
    content: PageContent,
    ctm: Matrix = IDENTITY,
) -> None:
    fonts = {
        str(name): _Font.of(font)
        for name, font in resources.get("/Font", pikepdf.Dictionary()).items()
    }
    font: _Font | None = None
    saved: list[Matrix] = []
    line = text_matrix = IDENTITY
    leading = 0.0
    for operands, operator in pikepdf.parse_content_stream(stream):
        op = str(operator)
        if op in {"BDC", "BMC"}:
            mark = Marked(str(operands[0]), _properties(operands, resources), tuple(marks))
            marks.append(mark)
            content.sequences.append(mark)
        elif op == "EMC":
            marks.pop()
        elif op == "q":
            saved.append(ctm)
        elif op == "Q":
            ctm = saved.pop()
        elif op == "cm":
            ctm = _times(_matrix(operands), ctm)
        elif op == "BT":
            line = text_matrix = IDENTITY
        elif op == "Tm":
            line = text_matrix = _matrix(operands)
        elif op in {"Td", "TD"}:
            x, y = float(operands[0]), float(operands[1])
            leading = -y if op == "TD" else leading
            line = text_matrix = _times((1, 0, 0, 1, x, y), line)
        elif op == "TL":
            leading = float(operands[0])
        elif op in {"T*", "'", '"'}:
            line = text_matrix = _times((1, 0, 0, 1, 0, -leading), line)
        elif op == "Tf":
            font = fonts[str(operands[0])]
        if op in {"Tj", "'", '"', "TJ"}:
            assert font is not None
            shown = operands[0] if op == "TJ" else [operands[-1]]
            text = "".join(
                font.decode(bytes(item)) for item in shown if isinstance(item, pikepdf.String)
            )
            *_, x, y = _times(text_matrix, ctm)
            content.runs.append(Run(text, tuple(marks), x, y))
        elif op == "Do":
            xobject = resources.XObject[operands[0]]
            if xobject.get("/Subtype") == "/Form":
                inner = _times(_matrix(list(xobject.Matrix)), ctm) if "/Matrix" in xobject else ctm
                _walk(xobject, xobject.get("/Resources", resources), marks, content, inner)


def page_contents(document: pikepdf.Pdf) -> list[PageContent]:
    """Every page's text runs and marked-content sequences, in painting order."""
    pages = []
    for page in document.pages:
        content = PageContent()
        marks: list[Marked] = []
        _walk(page, page.obj.Resources, marks, content)
        assert marks == [], "unbalanced marked content"
        pages.append(content)
    return pages


# --- Reading the structure tree back -----------------------------------------------------------


def _kids(element: pikepdf.Object) -> list[pikepdf.Object]:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def structure_elements(document: pikepdf.Pdf) -> Iterator[pikepdf.Object]:
    """Every structure element reachable from the StructTreeRoot, parents before children."""
    pending = _kids(document.Root.StructTreeRoot)
    while pending:
        element = pending.pop(0)
        if isinstance(element, pikepdf.Dictionary) and element.get("/Type") in {
            None,
            "/StructElem",
        }:
            if "/S" not in element:  # a marked-content or object reference
                continue
            yield element
            pending.extend(_kids(element))


def _page_of(element: pikepdf.Object) -> pikepdf.Object | None:
    while isinstance(element, pikepdf.Dictionary):
        if "/Pg" in element:
            return element.Pg
        element = element.get("/P")
    return None


@dataclass
class Rendered:
    name: str
    document: RenderedDocument
    pdf: pikepdf.Pdf
    pages: list[PageContent]
    footer: str


@pytest.fixture(scope="module")
def read_back(all_docs: dict[str, RenderedDocument]) -> Iterator[dict[str, Rendered]]:
    """Every sample opened once, with its pages' contents read back."""
    opened: dict[str, Rendered] = {}
    try:
        for name in NAMES:
            pdf = open_pdf(all_docs[name].pdf)
            footer = str(pdf.docinfo.Subject)  # the running footer's text (the metadata's)
            opened[name] = Rendered(name, all_docs[name], pdf, page_contents(pdf), footer)
        yield opened
    finally:
        for item in opened.values():
            item.pdf.close()


@pytest.fixture(params=NAMES)
def rendered(request: pytest.FixtureRequest, read_back: dict[str, Rendered]) -> Rendered:
    """Each sample, read back."""
    return read_back[request.param]


def _is_furniture(text: str, footer: str) -> bool:
    return footer in text or bool(PAGE_NUMBER.search(text)) or "PROJET" in text


# --- The tests -----------------------------------------------------------------------------------


def test_the_reader_sees_every_page_s_text(rendered: Rendered) -> None:
    """The walk decodes the text (else every other test here would pass vacuously)."""
    joined = "".join(run.text for page in rendered.pages for run in page.runs)
    assert "\ufffd" not in joined
    heading = {
        "protocole": "Préambule",
        "projet": "Préambule",
        "avenant": "Article 1",
        "programme": "Synthèse par axe",
    }[rendered.name]
    assert heading in joined
    for page in rendered.pages:
        assert any(run.text.strip() for run in page.runs)


def test_all_text_is_marked(rendered: Rendered) -> None:
    """Every piece of text is tagged content or an artifact (PDF/UA: nothing left unmarked)."""
    for number, page in enumerate(rendered.pages, start=1):
        for run in page.runs:
            if run.text.strip():
                assert run.marks, (number, run.text)


def test_footer_and_page_number_are_footer_artifacts(rendered: Rendered) -> None:
    count = len(rendered.pages)
    for number, page in enumerate(rendered.pages, start=1):
        artifacts = [run for run in page.runs if run.marks and run.marks[-1].tag == "/Artifact"]
        texts = {run.text for run in artifacts}
        assert rendered.footer in texts, number
        assert f"Page {number} sur {count}" in texts, number
        for run in artifacts:
            if rendered.footer in run.text or PAGE_NUMBER.search(run.text):
                properties = run.marks[-1].properties
                assert properties == {"/Type": "/Pagination", "/Subtype": "/Footer"}, run.text


def test_projet_mark_and_watermark_are_artifacts(rendered: Rendered) -> None:
    for number, page in enumerate(rendered.pages, start=1):
        subtypes = [
            run.marks[-1].properties.get("/Subtype")
            for run in page.runs
            if "PROJET" in run.text and run.marks
        ]
        if rendered.name in DRAFTS:
            # The header's mark and the diagonal watermark, on every page.
            assert sorted(subtypes) == ["/Header", "/Watermark"], number
            for run in page.runs:
                if "PROJET" in run.text:
                    assert run.marks[-1].tag == "/Artifact"
                    assert run.marks[-1].properties["/Type"] == "/Pagination"
        else:
            assert subtypes == [], number


def test_furniture_is_never_inside_tagged_content(rendered: Rendered) -> None:
    """No header, footer or watermark text in (or under) marked content with an MCID."""
    for number, page in enumerate(rendered.pages, start=1):
        for run in page.runs:
            if _is_furniture(run.text, rendered.footer):
                assert all(mark.mcid is None for mark in run.marks), (number, run.text)
                assert all(mark.tag == "/Artifact" for mark in run.marks), (number, run.text)
        for sequence in page.sequences:
            if sequence.tag == "/Artifact":
                assert sequence.mcid is None
                assert all(outer.mcid is None for outer in sequence.outer)


def test_the_body_text_stays_tagged(rendered: Rendered) -> None:
    """Only the furniture became artifacts: the document's own text keeps its MCIDs."""
    tagged = "".join(
        run.text for page in rendered.pages for run in page.runs
        if any(mark.mcid is not None for mark in run.marks)
    )  # fmt: skip
    if rendered.name in {"protocole", "projet"}:
        assert "Article 11" in tagged
        assert "Pour Bordeaux Métropole," in tagged
    assert len(tagged) > 2000


def test_every_structure_element_is_in_the_tree(rendered: Rendered) -> None:
    pdf = rendered.pdf
    reachable = {element.objgen for element in structure_elements(pdf)}
    in_file = {
        obj.objgen
        for obj in pdf.objects
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/StructElem"
    }
    assert len(reachable) > 50
    assert in_file - reachable == set(), "orphan structure elements"
    assert reachable <= in_file
    # Each element's /P is the element (or the root) whose /K lists it.
    for parent in [pdf.Root.StructTreeRoot, *structure_elements(pdf)]:
        for kid in _kids(parent):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                assert kid.P.objgen == parent.objgen


def test_the_parent_tree_maps_exactly_the_mcids_painted(rendered: Rendered) -> None:
    pdf = rendered.pdf
    reachable = {element.objgen for element in structure_elements(pdf)}
    nums = pdf.Root.StructTreeRoot.ParentTree.Nums
    tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for number, (page, content) in enumerate(zip(pdf.pages, rendered.pages, strict=True)):
        painted = [mark.mcid for mark in content.sequences if mark.mcid is not None]
        assert len(painted) == len(set(painted)), "an MCID painted twice"
        mapping = tree[int(page.obj.StructParents)]
        assert isinstance(mapping, pikepdf.Array)
        assert sorted(painted) == list(range(len(mapping))), number
        for mcid in painted:
            element = mapping[mcid]
            assert element.objgen in reachable, (number, mcid)
            assert mcid in [int(kid) for kid in _kids(element) if isinstance(kid, int)]
            assert _page_of(element).objgen == page.obj.objgen
    # Conversely, every MCID a structure element claims is painted on its page.
    painted_by_page = {
        page.obj.objgen: {mark.mcid for mark in content.sequences if mark.mcid is not None}
        for page, content in zip(pdf.pages, rendered.pages, strict=True)
    }
    for element in structure_elements(pdf):
        for kid in _kids(element):
            if isinstance(kid, int):
                assert int(kid) in painted_by_page[_page_of(element).objgen]


def test_no_structure_element_holds_furniture(rendered: Rendered) -> None:
    pdf = rendered.pdf
    texts = {
        page.obj.objgen: content.texts_by_mcid()
        for page, content in zip(pdf.pages, rendered.pages, strict=True)
    }
    checked = 0
    for element in structure_elements(pdf):
        page = _page_of(element)
        own = "".join(
            texts[page.objgen].get(int(kid), "") for kid in _kids(element) if isinstance(kid, int)
        )
        for text in (own, str(element.get("/Alt", "")), str(element.get("/ActualText", ""))):
            assert not _is_furniture(text, rendered.footer), (str(element.S), text)
        if any(isinstance(kid, int) for kid in _kids(element)):
            # No empty element either (as the hidden carriers of running strings would give).
            assert own, str(element.S)
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("name", ["projet", "programme"])
def test_the_tagged_output_stays_deterministic(name: str, renderer: Renderer) -> None:
    maker = {"projet": samples.draft_protocol, "programme": samples.programme}[name]
    when = dt.datetime(2027, 6, 1, 9, 30, tzinfo=dt.UTC)
    first = renderer.render(maker(), produced_at=when)
    assert renderer.render(maker(), produced_at=when).pdf == first.pdf
    assert Renderer().render(maker(), produced_at=when).pdf == first.pdf


def test_a_link_in_the_footer_leaves_no_orphan(tmp_path: Path) -> None:
    """An organisation's template may put a link in the running footer: the link's annotation
    cannot be tagged inside an artifact; it is left out of the parent tree, and the structure
    tree stays whole."""
    base = (TEMPLATES_DIR / "_base.html.j2").read_text(encoding="utf-8")
    footer = '<p class="running docref">{{ doc.meta.footer }}</p>'
    assert footer in base
    linked = '<p class="running docref"><a href="https://www.example.org/">'
    (tmp_path / "_base.html.j2").write_text(
        base.replace(footer, f"{linked}{{{{ doc.meta.footer }}}}</a></p>"), encoding="utf-8"
    )
    document = Renderer(tmp_path).render(samples.protocol())
    with open_pdf(document.pdf) as pdf:
        annotations = [annot for page in pdf.pages for annot in page.obj.get("/Annots", [])]
        assert len(annotations) == len(pdf.pages)  # one link a page, in the footer
        assert all("/StructParent" not in annot for annot in annotations)
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        assert [int(nums[i]) for i in range(0, len(nums), 2)] == list(range(len(pdf.pages)))
        read = Rendered("protocole", document, pdf, page_contents(pdf), str(pdf.docinfo.Subject))
        test_every_structure_element_is_in_the_tree(read)
        test_the_parent_tree_maps_exactly_the_mcids_painted(read)
        test_footer_and_page_number_are_footer_artifacts(read)
        test_furniture_is_never_inside_tagged_content(read)
