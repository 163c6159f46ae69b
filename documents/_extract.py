"""Read the snapshot attached to a coopflow PDF back out of it (used to verify a document)."""

from __future__ import annotations

import io
import json
from typing import Any

import pypdf
from coopflow._i18n import _
from coopflow.errors import DocumentError
from pypdf.errors import PyPdfError

from ._render import SNAPSHOT_ATTACHMENT


def extract_snapshot(pdf: bytes) -> dict[str, Any]:
    """Return the snapshot attached to ``pdf`` as ``snapshot.json``, decoded.

    Raises :class:`~coopflow.errors.DocumentError` when ``pdf`` is not a readable PDF, has no
    ``snapshot.json`` attachment, has several, or the attachment is not a JSON object.
    """
    try:
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        contents = reader.attachments.get(SNAPSHOT_ATTACHMENT)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise DocumentError(
            _("not a readable PDF: {type}: {error}").format(type=type(error).__name__, error=error)
        ) from None
    if not contents:
        raise DocumentError(
            _("the PDF has no {attachment} attachment").format(attachment=SNAPSHOT_ATTACHMENT)
        )
    if len(contents) != 1:
        raise DocumentError(
            _("the PDF has {n} {attachment} attachments").format(
                n=len(contents), attachment=SNAPSHOT_ATTACHMENT
            )
        )
    try:
        data = json.loads(contents[0].decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DocumentError(
            _("{attachment} is not valid JSON: {error}").format(
                attachment=SNAPSHOT_ATTACHMENT, error=error
            )
        ) from None
    if not isinstance(data, dict):
        raise DocumentError(
            _("{attachment} does not hold a JSON object").format(attachment=SNAPSHOT_ATTACHMENT)
        )
    return data
