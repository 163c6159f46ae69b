"""Layout of the closing: the signatures never stand alone on a page, and the signature blocks
are aligned row by row (two parties a row) whatever wraps.

Text positions are read back from the PDF with pikepdf (the baseline origin of each text run,
see :func:`tests.documents.test_document_tagging.page_contents`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from coopflow.documents import Renderer, Snapshot

from tests.documents import samples
from tests.documents.pdfcheck import open_pdf
from tests.documents.test_document_tagging import PageContent, Run, page_contents

#: 90 characters: "Pour <this>," wraps over three lines in a block half the page wide.
LONG_NAME = (
    "Établissement public de coopération intercommunale de la métropole de Bordeaux et environs"
)
NAMES = ["Hélène LAGARDE", "Étienne MOREAU-BÉRAUD", "Jean-Marc DUBREUIL"]
TOLERANCE = 0.5  # pt
MM = 72 / 25.4  # pt


def _render(renderer: Renderer, snapshot: Snapshot) -> list[PageContent]:
    with open_pdf(renderer.render(snapshot).pdf) as pdf:
        return page_contents(pdf)


def _tagged(page: PageContent) -> list[Run]:
    """The page's text runs that are the document's content (not its header, footer...)."""
    return [run for run in page.runs if any(mark.mcid is not None for mark in run.marks)]


def _run(page: PageContent, text: str) -> Run:
    """The one content run of the page that starts with ``text``."""
    (found,) = [run for run in _tagged(page) if run.text.startswith(text)]
    return found


def _pages_with(pages: list[PageContent], text: str, *, start: bool = False) -> list[int]:
    """The pages whose content has a run holding ``text`` (starting with it, if ``start``)."""
    return [
        number
        for number, page in enumerate(pages)
        if any(run.text.startswith(text) if start else text in run.text for run in _tagged(page))
    ]


def _same_height(*runs: Run) -> bool:
    return max(run.y for run in runs) - min(run.y for run in runs) <= TOLERANCE


# --- Alignment ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("long_party", "delegated_party"),
    [(0, 1), (1, 0)],
    ids=["long-heading-left", "long-heading-right"],
)
def test_a_row_of_blocks_stays_aligned_when_a_heading_wraps(
    renderer: Renderer, long_party: int, delegated_party: int
) -> None:
    snapshot = samples.protocol()
    snapshot["parties"][long_party]["official_name"] = LONG_NAME
    snapshot["parties"][long_party]["article"] = ""
    # The other party signs by delegation: two office lines against one.
    snapshot["signatories"][delegated_party]["delegation"] = {
        "number": "2027-A-12",
        "date": "2027-04-02",
    }
    pages = _render(renderer, snapshot)
    (number,) = _pages_with(pages, "Hélène LAGARDE")
    page = pages[number]
    long_heading = _run(page, "Pour Établissement public")
    wrapped = _run(page, "et environs,")
    assert long_heading.y - wrapped.y > 2 * 11  # the heading does wrap, over three lines
    short_heading = _run(page, "Pour la Ville de Bordeaux," if long_party == 0 else "Pour Bordeaux")
    if delegated_party == 1:  # "Pour le Maire et par délégation, / le Maire," against one line
        delegated_office, second_office_line = _run(page, "Pour le Maire"), _run(page, "le Maire,")
        plain_office = _run(page, "La Présidente,")
    else:
        delegated_office = _run(page, "Pour la Pr")  # "Pour la Présidente et par..."
        second_office_line = _run(page, "la Présidente,")
        plain_office = _run(page, "Le Maire,")
    names = [_run(page, name) for name in NAMES[:2]]
    left, right = sorted([long_heading, short_heading], key=lambda run: run.x)
    assert right.x - left.x > 60 * MM  # two blocks side by side

    # Line by line, the row starts each kind of line at the same height for both parties.
    assert _same_height(long_heading, short_heading)
    assert _same_height(delegated_office, plain_office)
    assert _same_height(*names)
    # The offices come after the whole wrapped heading, the names after the signing space.
    assert plain_office.y < wrapped.y - 11
    assert delegated_office.y < wrapped.y - 11
    assert second_office_line.y < delegated_office.y
    assert all(name.y < second_office_line.y - 20 * MM for name in names)
    # In the document's order, each block reads whole: heading, office, name, then the next.
    order = [run.text for run in _tagged(page)]
    offices = [plain_office, delegated_office][:: 1 if delegated_party == 1 else -1]
    headings = [long_heading, short_heading][:: 1 if long_party == 0 else -1]
    for heading, office, name in zip(headings, offices, names, strict=True):
        assert order.index(heading.text) < order.index(office.text) < order.index(name.text)
    assert order.index(names[0].text) < order.index(headings[1].text)
    # The third party, alone on the second row, comes under the names of the first.
    third = _run(page, "Pour la Communauté d'agglomération")
    assert third.y < names[0].y - 5 * MM
    assert abs(third.x - left.x) <= TOLERANCE
    assert _run(page, "Jean-Marc DUBREUIL").y < third.y - 20 * MM


def test_blank_names_of_a_draft_align_too(renderer: Renderer) -> None:
    snapshot = samples.draft_protocol()
    snapshot["parties"][1]["official_name"] = LONG_NAME
    snapshot["parties"][1]["article"] = ""
    pages = _render(renderer, snapshot)
    (number,) = _pages_with(pages, "Pour Établissement public")
    page = pages[number]
    blanks = [run for run in _tagged(page) if run.text == "…………………"]
    assert len(blanks) == 3  # one a block
    first_row = sorted(blanks, key=lambda run: -run.y)[:2]
    assert abs(first_row[0].x - first_row[1].x) > 60 * MM
    assert _same_height(*first_row)
    assert first_row[0].y < _run(page, "et environs,").y - 20 * MM


# --- The closing kept together -----------------------------------------------------------------


def _longer_preamble(lines: int) -> Callable[[], Snapshot]:
    def make() -> Snapshot:
        snapshot = samples.protocol()
        line = "Les Parties rappellent leur attachement commun à la coopération."
        snapshot["preamble"] = snapshot["preamble"] + [line] * lines
        return snapshot

    return make


@pytest.mark.parametrize("lines", [0, 6, 12, 17, 22, 28])
def test_the_signatures_never_stand_alone(renderer: Renderer, lines: int) -> None:
    """Wherever the page breaks fall, the last article is on the page of the signatures.

    From 12 to 29 more lines of préambule, the blocks (with "Fait à ...") would be pushed alone
    to the top of the last page, the last article left on the page before."""
    pages = _render(renderer, _longer_preamble(lines)())
    (signatures,) = {number for name in NAMES for number in _pages_with(pages, name)}
    page = _tagged(pages[signatures])
    texts = [run.text for run in page]
    assert _pages_with(pages, "Fait à Libourne") == [signatures]
    assert _pages_with(pages, "Article 11 – Litiges") == [signatures]
    # The whole article, both paragraphs, before "Fait à ...".
    place = next(i for i, text in enumerate(texts) if text.startswith("Fait à Libourne"))
    article = texts.index("Article 11 – Litiges")
    assert any(text.startswith("En cas de différend") for text in texts[article:place])
    assert any("Télérecours" in text for text in texts[article:place])
    if lines >= 17:
        # The closing had to go to a new page: the last article heads it, the page before
        # ends with the article before it.
        assert texts[0] == "Article 11 – Litiges"
        assert _pages_with(pages, "Article 10 – Résiliation") == [signatures - 1]


def test_a_closing_longer_than_a_page_breaks_in_the_last_article(renderer: Renderer) -> None:
    """Eight parties: the closing cannot stand on one page; it breaks inside the last article,
    whose last paragraph goes with all the signature blocks."""
    snapshot = samples.draft_protocol()
    for index in range(5):
        party = copy.deepcopy(snapshot["parties"][1])
        party["key"] = f"commune-{index}"
        party["official_name"] = f"Ville de Saint-Exemple-{index}"
        party["siren"] = f"2133006{index:02d}"
        party["is_home"] = party["is_lead"] = False
        snapshot["parties"].append(party)
    pages = _render(renderer, snapshot)
    (last_paragraph,) = _pages_with(pages, "Télérecours")
    assert _pages_with(pages, "Fait à") == [last_paragraph]
    headings = _pages_with(pages, "Pour ", start=True)
    assert headings == [last_paragraph]  # all eight blocks on one page
    assert sum(run.text.startswith("Pour ") for run in _tagged(pages[last_paragraph])) == 8
    # The article broke between its paragraphs: its start is on the page before.
    assert _pages_with(pages, "Article 11 – Litiges") == [last_paragraph - 1]
    assert _pages_with(pages, "En cas de différend") == [last_paragraph - 1]


def test_the_avenant_s_signatures_come_with_its_last_article(renderer: Renderer) -> None:
    pages = _render(renderer, samples.avenant())
    (signatures,) = _pages_with(pages, "Fait à")
    assert _pages_with(pages, "Pour ", start=True) == [signatures]
    assert _pages_with(pages, "Prise d'effet") == [signatures]
    assert _pages_with(pages, "Le présent avenant prend effet") == [signatures]
