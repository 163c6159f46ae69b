"""Canonical JSON and SHA-256: the one definition every hash in coopflow is computed with.

Journal records, snapshots (stored, attached inside each PDF and hashed) and content hashes
all go through :func:`canonical_json`, so a value has exactly one text, and one hash, whoever
computes it (the engine, :mod:`coopflow.documents`, ``verify()``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    """The one JSON text of a value: sorted keys, no spaces, UTF-8 kept (not escaped).

    Raises ``TypeError`` or ``ValueError`` for a value JSON cannot hold (callers that take
    outside data translate it)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical_bytes(value: Any) -> bytes:
    """:func:`canonical_json` encoded in UTF-8: the bytes that are hashed and attached."""
    return canonical_json(value).encode()


def sha256_hex(data: bytes | str) -> str:
    """The SHA-256 of ``data`` (a text is hashed as UTF-8), in hexadecimal."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def iso_date(value: dt.date | None) -> str | None:
    """``value`` in ISO 8601, or None."""
    return value.isoformat() if value is not None else None


def utc_iso(value: dt.datetime) -> str:
    """ISO 8601 in UTC with microseconds; naive values (SQLite) are UTC already."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
