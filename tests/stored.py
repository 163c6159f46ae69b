"""Databases filled by an older coopflow, stored as data, for the migration tests.

A migration test must fill a database at an old revision with the code of that time: today's
API writes tables and columns the old revision does not have.  So the fill is stored: every
row of every ``coopflow_*`` table of a database created at revision 0001 and filled (by
``tests/robustness/test_migrations_filled.py``'s ``_fill`` as it was at commit a02cc3d, the
last code that wrote revision 0001's tables) lives in ``tests/data/filled-0001.json.gz``.
:func:`load` creates a database at that revision and inserts the rows back, on SQLite or
PostgreSQL.

To make it again (with the code of a02cc3d checked out): ``python -m tests.stored``.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import coopflow
from coopflow._db import normalise_url
from sqlalchemy import Engine, MetaData, create_engine, inspect, text

FILLED_0001 = Path(__file__).parent / "data" / "filled-0001.json.gz"

#: The revision the stored fill was made at.
REVISION = "0001"


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, raw),) = value.items()
        if tag == "$bytes":
            return base64.b64decode(raw)
        if tag == "$datetime":
            return dt.datetime.fromisoformat(raw)
        if tag == "$date":
            return dt.date.fromisoformat(raw)
        if tag == "$decimal":
            return Decimal(raw)
        raise ValueError(f"unknown tag {tag}")
    return value


def _tables(engine: Engine) -> MetaData:
    reflected = MetaData()
    reflected.reflect(engine, only=lambda name, _: name.startswith("coopflow_"))
    return reflected


def save(url: str, path: Path) -> None:
    """Write every row of every ``coopflow_*`` table of ``url`` to ``path``."""
    engine = create_engine(normalise_url(url))
    try:
        rows: dict[str, list[dict[str, Any]]] = {}
        with engine.connect() as conn:
            for table in _tables(engine).sorted_tables:
                if table.name == "coopflow_alembic_version":
                    continue
                order = list(table.primary_key.columns)
                rows[table.name] = [
                    {k: _encode(v) for k, v in row.items()}
                    for row in conn.execute(table.select().order_by(*order)).mappings()
                ]
        path.write_bytes(gzip.compress(json.dumps(rows, sort_keys=True).encode(), mtime=0))
    finally:
        engine.dispose()


def load(url: str, path: Path = FILLED_0001) -> None:
    """Create ``url``'s tables at the stored fill's revision and insert its rows."""
    coopflow.migrate(url, REVISION)
    stored: dict[str, list[dict[str, Any]]] = json.loads(gzip.decompress(path.read_bytes()))
    engine = create_engine(normalise_url(url))
    try:
        tables = _tables(engine)
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            for table in tables.sorted_tables:
                rows = [{k: _decode(v) for k, v in r.items()} for r in stored.get(table.name, [])]
                if rows:
                    conn.execute(table.insert(), rows)
            if engine.dialect.name == "postgresql":
                for table in tables.sorted_tables:
                    if "id" in table.c and stored.get(table.name):
                        conn.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                                f" (SELECT max(id) FROM {table.name}))"
                            )
                        )
    finally:
        engine.dispose()


def columns(url: str) -> dict[str, set[str]]:
    """The ``coopflow_*`` tables of ``url`` and their columns."""
    engine = create_engine(normalise_url(url))
    try:
        found = inspect(engine)
        return {
            name: {c["name"] for c in found.get_columns(name)}
            for name in found.get_table_names()
            if name.startswith("coopflow_")
        }
    finally:
        engine.dispose()


def _make() -> None:  # pragma: no cover - run by hand, with the code of a02cc3d
    from coopflow import Coopflow

    from tests.robustness.test_migrations_filled import _fill

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/filled.db"
        coopflow.migrate(url, REVISION)
        with Coopflow(url, check=False) as cf:
            refs = _fill(cf)
        save(url, FILLED_0001)
    print(f"{FILLED_0001}: {json.dumps(refs)}", file=sys.stderr)


if __name__ == "__main__":
    _make()
