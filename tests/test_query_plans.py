"""Every query staff use is served by an index, on SQLite and on PostgreSQL.

The SQL that coopflow emits for ``partnerships(state=...)``, ``partnerships(scale=...)``,
``partnerships(party=...)`` and ``due()`` is captured (a ``before_cursor_execute`` listener)
on a database filled by the benchmark loader (``tests/benchmarks/_data.py``), then explained:

* SQLite: ``EXPLAIN QUERY PLAN`` on the database as coopflow leaves it (no ``ANALYZE``).  A
  filtered table must be read with ``SEARCH`` (an index seek), never ``SCAN`` (a full scan,
  even through an index).
* PostgreSQL: ``EXPLAIN (FORMAT JSON)`` with ``enable_seqscan = off``, which asks whether an
  index *can* serve the query whatever the planner would prefer on this small data set.  A
  filtered table must be read through an index whose condition constrains the index's leading
  column; an index scan without one (or on a later column only) is a full scan in disguise.

The filtered tables of a statement are those its WHERE clause names (join conditions are in
ON clauses); joined tables are reached by their keys and are not checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from coopflow import Coopflow
from sqlalchemy import Connection, event, text

from tests.benchmarks import _data

PARTNERSHIPS = 5000

QUERIES: dict[str, Callable[[Coopflow], object]] = {
    "partnerships(state=...)": lambda cf: list(cf.partnerships(state="contractualisation")),
    "partnerships(scale=...)": lambda cf: list(cf.partnerships(scale="france_europe")),
    "partnerships(party=...)": lambda cf: list(cf.partnerships(party=_data.partner_key(3))),
    "due()": lambda cf: cf.due(within_days=_data.WITHIN_DAYS, today=_data.TODAY),
}


def captured_selects(cf: Coopflow, call: Callable[[Coopflow], object]) -> list[tuple[str, Any]]:
    """The distinct SELECT statements (with their parameters) ``call`` sends to the database."""
    seen: dict[str, Any] = {}

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.setdefault(statement, parameters)

    event.listen(cf.engine, "before_cursor_execute", capture)
    try:
        call(cf)
    finally:
        event.remove(cf.engine, "before_cursor_execute", capture)
    return list(seen.items())


def filtered_tables(statement: str) -> set[str]:
    """The tables (or aliases) whose columns the statement's WHERE clauses test."""
    tables: set[str] = set()
    for where in re.split(r"\bWHERE\b", statement)[1:]:
        clause = re.split(r"\b(?:ORDER BY|GROUP BY|LIMIT)\b", where)[0]
        tables.update(re.findall(r"\b(coopflow_\w+)\.", clause))
    return tables


# ----------------------------------------------------------------------------- SQLite


def sqlite_problems(conn: Connection, statement: str, parameters: Any) -> tuple[list[str], str]:
    """(problems, plan): a filtered table scanned, or not searched through an index."""
    rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    details = [str(row[3]) for row in rows]
    problems = []
    for table in sorted(filtered_tables(statement)):
        if any(re.match(rf"SCAN {table}\b", d) for d in details):
            problems.append(f"full scan of {table}")
        elif not any(re.match(rf"SEARCH {table}\b", d) for d in details):
            problems.append(f"{table} is not searched through an index")
    return problems, "\n".join(details)


# ----------------------------------------------------------------------------- PostgreSQL


@dataclass(frozen=True, slots=True)
class Scan:
    """How one plan node reads a table."""

    table: str
    node: str
    index: str | None
    condition: str | None


def pg_scans(plan: dict[str, Any], relation: str | None = None) -> Iterator[Scan]:
    """Every table access of a JSON plan (a Bitmap Index Scan reads its Bitmap Heap Scan's
    table)."""
    node = plan["Node Type"]
    table = plan.get("Alias") or plan.get("Relation Name") or relation
    if node in ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Index Scan"):
        yield Scan(table or "?", node, plan.get("Index Name"), plan.get("Index Cond"))
    inherited = table if node in ("Bitmap Heap Scan", "BitmapAnd", "BitmapOr") else None
    for child in plan.get("Plans", []):
        yield from pg_scans(child, inherited)


def leading_columns(conn: Connection) -> dict[str, str]:
    """The first column of every index of the current schema, by index name."""
    rows = conn.execute(
        text(
            "SELECT c.relname, a.attname FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
            "WHERE n.nspname = current_schema()"
        )
    ).all()
    return {str(index): str(column) for index, column in rows}


def pg_problems(conn: Connection, statement: str, parameters: Any) -> tuple[list[str], str]:
    """(problems, plan): a filtered table read other than by an index seek."""
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    raw = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar_one()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    leading = leading_columns(conn)
    problems = []
    for scan in pg_scans(plan):
        if scan.table not in filtered_tables(statement):
            continue
        if scan.node == "Seq Scan":
            problems.append(f"full scan of {scan.table}")
            continue
        column = leading.get(scan.index or "", "?")
        if scan.condition is None or not re.search(rf"\b{column}\b", scan.condition):
            problems.append(
                f"{scan.table}: {scan.node} on {scan.index} does not seek on its leading "
                f"column {column} (condition: {scan.condition}): a full index scan"
            )
    return problems, json.dumps(plan, indent=1)


# ----------------------------------------------------------------------------- the test


@pytest.mark.parametrize("query", list(QUERIES))
def test_staff_query_is_served_by_an_index(db_url: str, backend: str, query: str) -> None:
    _data.populate(db_url, PARTNERSHIPS)  # migrates, registers its own people, fills
    with Coopflow(db_url) as cf:
        statements = captured_selects(cf, QUERIES[query])
        assert statements, f"{query} sent no SELECT"
        explain = sqlite_problems if backend == "sqlite" else pg_problems
        failures = []
        with cf.engine.begin() as conn:
            for statement, parameters in statements:
                problems, plan = explain(conn, statement, parameters)
                if problems:
                    failures.append(f"{'; '.join(problems)}\n  SQL: {statement}\n  plan:\n{plan}")
    assert not failures, f"{query} is not served by an index:\n\n" + "\n\n".join(failures)
