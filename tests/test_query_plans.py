"""Every query staff use is served by an index, on SQLite and on PostgreSQL.

The SQL that coopflow emits for ``partnerships(state=...)``, ``partnerships(scale=...)``,
``partnerships(party=...)`` and ``due()`` is captured (a ``before_cursor_execute`` listener)
on a database filled by the benchmark loader (``tests/benchmarks/_data.py``: live contracts,
and a majority in accueil, in dialogue or ended with what they left open), then explained:

* SQLite: ``EXPLAIN QUERY PLAN`` on the database as coopflow leaves it (no ``ANALYZE``).  A
  filtered table must be read with ``SEARCH`` (an index seek), never ``SCAN`` (a full scan,
  even through an index) — but for a whole scan of a partial index of :data:`LIVE_INDEXES`,
  which holds only the rows of the live contracts (the protocols still running), not history
  nor what ended partnerships left open.
* PostgreSQL: ``EXPLAIN (FORMAT JSON)`` with ``enable_seqscan = off``, which asks whether an
  index *can* serve the query whatever the planner would prefer on this small data set.  A
  filtered table must be read through an index whose condition constrains the index's leading
  column; an index scan without one (or on a later column only) is a full scan in disguise,
  unless the index is one of :data:`LIVE_INDEXES` (as on SQLite).

The filtered tables of a statement are those its WHERE clause names (join conditions are in
ON clauses); joined tables are reached by their keys and are not checked.  ``due()`` must read
each table its deadlines come from (:data:`DUE_TABLES`), so that none of its statements goes
unexplained because the data did not call for it.
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
#: Partial indexes a query may read whole: each holds the live contracts only (the test checks
#: that each is partial in the database).
LIVE_INDEXES = {"ix_coopflow_protocol_running_end": "the protocols that have not ended"}
#: The tables ``due()``'s statements filter, every one of which the loader's data calls for.
DUE_TABLES = {
    "coopflow_protocol",
    "coopflow_partnership",
    "coopflow_programme",
    "coopflow_action",
    "coopflow_milestone",
    "coopflow_deliberation",
    "coopflow_amendment",
    "coopflow_partnership_party",
    "coopflow_party",
    "coopflow_journal",
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


def sqlite_partial_indexes(conn: Connection) -> set[str]:
    """The names of the database's partial indexes (``CREATE INDEX ... WHERE ...``)."""
    rows = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'"
    ).all()
    return {str(name) for (name,) in rows}


def sqlite_problems(conn: Connection, statement: str, parameters: Any) -> tuple[list[str], str]:
    """(problems, plan): a filtered table scanned (but for a whole live index), or not
    searched through an index."""
    rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    details = [str(row[3]) for row in rows]
    live = set(LIVE_INDEXES) & sqlite_partial_indexes(conn)
    problems = []
    for table in sorted(filtered_tables(statement)):
        scans = [
            d
            for d in details
            if re.match(rf"SCAN {table}\b", d)
            and not ((m := re.search(r"USING (?:COVERING )?INDEX (\w+)", d)) and m[1] in live)
        ]
        if scans:
            problems.append(f"full scan of {table}")
        elif not any(re.match(rf"(?:SEARCH|SCAN) {table}\b", d) for d in details):
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


def leading_columns(conn: Connection) -> dict[str, tuple[str, bool]]:
    """The first column of every index of the current schema, and whether the index is
    partial, by index name."""
    rows = conn.execute(
        text(
            "SELECT c.relname, a.attname, i.indpred IS NOT NULL FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
            "WHERE n.nspname = current_schema()"
        )
    ).all()
    return {str(index): (str(column), bool(partial)) for index, column, partial in rows}


def pg_problems(conn: Connection, statement: str, parameters: Any) -> tuple[list[str], str]:
    """(problems, plan): a filtered table read other than by an index seek (or a scan of a
    partial index)."""
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
        column, partial = leading.get(scan.index or "", ("?", False))
        if scan.condition is None and partial and scan.index in LIVE_INDEXES:
            continue  # the whole of a live index: the live contracts
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
        with cf.engine.connect() as conn:
            partial = (
                sqlite_partial_indexes(conn)
                if backend == "sqlite"
                else {name for name, (_, p) in leading_columns(conn).items() if p}
            )
        assert set(LIVE_INDEXES) <= partial, "a live index is not partial"
        statements = captured_selects(cf, QUERIES[query])
        assert statements, f"{query} sent no SELECT"
        if query == "due()":
            read = set().union(*(filtered_tables(statement) for statement, _ in statements))
            assert read >= DUE_TABLES, f"due() filtered no row of {sorted(DUE_TABLES - read)}"
        explain = sqlite_problems if backend == "sqlite" else pg_problems
        failures = []
        with cf.engine.begin() as conn:
            for statement, parameters in statements:
                problems, plan = explain(conn, statement, parameters)
                if problems:
                    failures.append(f"{'; '.join(problems)}\n  SQL: {statement}\n  plan:\n{plan}")
    assert not failures, f"{query} is not served by an index:\n\n" + "\n\n".join(failures)
