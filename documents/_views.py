"""The view of a snapshot, by its kind (see :mod:`._context` and :mod:`._programme`)."""

from __future__ import annotations

import datetime as _dt

from ._context import AvenantView, ProtocolView, build_avenant, build_protocol
from ._programme import ProgrammeView, build_programme
from .snapshot import Snapshot

View = ProtocolView | AvenantView | ProgrammeView


def build_view(snapshot: Snapshot, produced_at: _dt.datetime) -> View:
    """The view of a (structurally valid) snapshot, by its kind, produced at ``produced_at``."""
    if snapshot["kind"] == "avenant":
        return build_avenant(snapshot, produced_at)
    if snapshot["kind"] == "programme":
        return build_programme(snapshot, produced_at)
    return build_protocol(snapshot, produced_at)
