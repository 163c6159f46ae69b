"""Fixtures of the document tests: one renderer and each sample rendered once per session."""

from __future__ import annotations

import pytest
from coopflow.documents import RenderedDocument, Renderer

from tests.documents import samples
from tests.documents.pdfcheck import page_texts


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    """The built-in templates' renderer, shared by the whole session."""
    return Renderer()


@pytest.fixture(scope="session")
def protocol_doc(renderer: Renderer) -> RenderedDocument:
    """The signed 2027-2029 protocol."""
    return renderer.render(samples.protocol(), produced_at=samples.MOMENT)


@pytest.fixture(scope="session")
def draft_doc(renderer: Renderer) -> RenderedDocument:
    """The draft protocol: no délibération, no signatory yet."""
    return renderer.render(samples.draft_protocol(), produced_at=samples.MOMENT)


@pytest.fixture(scope="session")
def avenant_doc(renderer: Renderer) -> RenderedDocument:
    """Avenant n° 1."""
    return renderer.render(samples.avenant(), produced_at=samples.MOMENT)


@pytest.fixture(scope="session")
def programme_doc(renderer: Renderer) -> RenderedDocument:
    """The 2027-2028 annual work programme."""
    return renderer.render(samples.programme(), produced_at=samples.MOMENT)


@pytest.fixture(scope="session")
def protocol_pages(protocol_doc: RenderedDocument) -> list[str]:
    """The protocol's text, page by page."""
    return page_texts(protocol_doc.pdf)


@pytest.fixture(scope="session")
def draft_pages(draft_doc: RenderedDocument) -> list[str]:
    """The draft protocol's text, page by page."""
    return page_texts(draft_doc.pdf)


@pytest.fixture(scope="session")
def avenant_pages(avenant_doc: RenderedDocument) -> list[str]:
    """The avenant's text, page by page."""
    return page_texts(avenant_doc.pdf)


@pytest.fixture(scope="session")
def programme_pages(programme_doc: RenderedDocument) -> list[str]:
    """The programme's text, page by page."""
    return page_texts(programme_doc.pdf)


@pytest.fixture(scope="session")
def all_docs(
    protocol_doc: RenderedDocument,
    draft_doc: RenderedDocument,
    avenant_doc: RenderedDocument,
    programme_doc: RenderedDocument,
) -> dict[str, RenderedDocument]:
    """Every sample document, by name."""
    return {
        "protocole": protocol_doc,
        "projet": draft_doc,
        "avenant": avenant_doc,
        "programme": programme_doc,
    }
