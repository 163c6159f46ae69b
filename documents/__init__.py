"""Protocol, avenant and annual work programme documents: templates and the PDF/A renderer.

>>> from coopflow.documents import Renderer
>>> document = Renderer().render(snapshot)      # doctest: +SKIP
>>> document.pdf[:8], document.template_name     # doctest: +SKIP
(b'%PDF-1.7', 'protocole.html.j2')

:class:`Renderer` turns a snapshot (see :mod:`coopflow.documents.snapshot`) into HTML and into a
deterministic PDF/A-3 that carries the snapshot's canonical JSON as ``snapshot.json``;
:func:`extract_snapshot` reads it back.  :func:`french_date` and :func:`french_amount` are the
typography the templates use, also available as Jinja filters of the same names.
"""

from ._extract import extract_snapshot
from ._french import french_amount, french_date, french_number
from ._render import PDF_VARIANT, RenderedDocument, Renderer, render_many, snapshot_json
from .snapshot import (
    AvenantSnapshot,
    ProgrammeSnapshot,
    ProtocolSnapshot,
    Snapshot,
)

__all__ = [
    "PDF_VARIANT",
    "AvenantSnapshot",
    "ProgrammeSnapshot",
    "ProtocolSnapshot",
    "RenderedDocument",
    "Renderer",
    "Snapshot",
    "extract_snapshot",
    "french_amount",
    "french_date",
    "french_number",
    "render_many",
    "snapshot_json",
]
