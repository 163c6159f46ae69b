"""Benchmark databases: a temporary SQLite file or a PostgreSQL schema, bulk-filled in seconds.

:func:`populate` migrates a database with coopflow's own migrations, then writes ``size``
partnerships straight into the tables (``executemany`` on SQLite, ``COPY`` on PostgreSQL, in
chunks): parties, partnerships with their members and journal, and, depending on each one's
state, a protocol, délibérations, an axis, annual programmes, actions and milestones.  Every row
is valid for the schema (foreign keys and checks on) and every journal chain is valid: hashes are
computed with :func:`coopflow._journal.record_hash`, so ``Coopflow.verify`` passes.

The state of partnership ``i`` follows a fixed mix (:data:`STATE_MIX`, by ``i % 100``).  The
deadlines are laid out so that **the same deadlines fall due at every size**: only the first
:data:`NEAR` partnerships have something due within :data:`WITHIN_DAYS` days of :data:`TODAY`;
the others add history (closed programmes, done milestones, ended protocols, exécutoire
délibérations) and deadlines beyond the horizon.  So the deadlines query costs the same at
1,000 and 100,000 partnerships if, and only if, indexes keep the history out of its way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import coopflow
from coopflow._canonical import canonical_json
from coopflow._db import create_owned_engine
from coopflow._journal import GENESIS, record_hash
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TODAY = dt.date(2028, 6, 1)
WITHIN_DAYS = 30
NEAR = 200
ACTOR = "bench.loader"
HOME = "bordeaux-metropole"
CHUNK = 10_000
_BASE_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
_SCALES = ("aire_metropolitaine", "espace_regional", "france_europe")

# (upper bound of i % 100, state): 40 % accueil, 15 % dialogue, ... 3 % abandonne.
STATE_MIX: tuple[tuple[int, str], ...] = (
    (40, "accueil"),
    (55, "dialogue"),
    (60, "contractualisation.redaction"),
    (62, "contractualisation.revue_juridique"),
    (65, "contractualisation.deliberations"),
    (80, "contractualisation.en_vigueur"),
    (82, "contractualisation.avenant.redaction"),
    (85, "suspendu"),
    (90, "expire"),
    (95, "renouvele"),
    (97, "resilie"),
    (100, "abandonne"),
)
IN_FORCE = ("contractualisation.en_vigueur", "contractualisation.avenant.redaction")
CLOSED = ("expire", "renouvele", "resilie")


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


COLUMNS: dict[str, tuple[str, ...]] = {  # in an order that satisfies the foreign keys
    "coopflow_party": _columns(
        "id key official_name usual_name nature siren seat deliberative_body executive_title "
        "created_at"
    ),
    "coopflow_partnership": _columns(
        "id reference title scale home_party_id lead_party_id responsible workflow_name "
        "workflow_version state version journal_seq journal_head predecessor_id created_at "
        "updated_at"
    ),
    "coopflow_partnership_party": _columns("partnership_id party_id position"),
    "coopflow_journal": _columns(
        "id partnership_id seq programme_id event source_state target_state actor role at "
        "comment data workflow_name workflow_version document_sha256 identified_by db_login "
        "prev_hash hash"
    ),
    "coopflow_protocol": _columns(
        "id partnership_id period_start period_end preamble governance_copil governance_cotech "
        "meetings_per_year means"
    ),
    "coopflow_deliberation": _columns(
        "id partnership_id party_id amendment number sitting_date sent_to_prefecture published"
    ),
    "coopflow_axis": _columns("id partnership_id number title objectives"),
    "coopflow_programme": _columns(
        "id partnership_id label period_start period_end workflow_name workflow_version state "
        "created_at"
    ),
    "coopflow_action": _columns(
        "id programme_id number axis_id title objectives lead_party_id partners progress"
    ),
    "coopflow_milestone": _columns("id action_id date label done"),
}


def state_of(i: int) -> str:
    """The state of partnership ``i`` in the realistic mix."""
    bucket = i % 100
    return next(state for bound, state in STATE_MIX if bucket < bound)


def reference_of(i: int) -> str:
    """The reference of partnership ``i`` (0-based)."""
    return f"BENCH-{i + 1:06d}"


def partner_count(size: int) -> int:
    """Partner territories: each takes part in about 50 partnerships, at any size."""
    return max(20, size // 50)


def partner_key(k: int) -> str:
    return f"territoire-{k:05d}"


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


class _Rows:
    """The rows of every table for a range of partnerships; ids carry on across chunks."""

    def __init__(self, size: int, *, all_accueil: bool, db_login: str | None = None) -> None:
        self.size = size
        self.db_login = db_login  # the login writing the records (PostgreSQL)
        self.all_accueil = all_accueil
        self.partners = partner_count(size)
        self.tables: dict[str, list[tuple[Any, ...]]] = {t: [] for t in COLUMNS}
        self._ids: dict[str, int] = dict.fromkeys(COLUMNS, 0)

    def take(self) -> dict[str, list[tuple[Any, ...]]]:
        """The rows gathered so far (and start afresh)."""
        tables, self.tables = self.tables, {t: [] for t in COLUMNS}
        return tables

    def _add(self, table: str, *values: Any) -> int:
        self._ids[table] += 1
        self.tables[table].append((self._ids[table], *values))
        return self._ids[table]

    def parties(self) -> None:
        self._add(
            "coopflow_party",
            HOME,
            "Bordeaux Métropole",
            None,
            "METRO",
            "243300316",
            "Bordeaux",
            "conseil métropolitain",
            "Présidente",
            _BASE_TIME,
        )
        for k in range(self.partners):
            self._add(
                "coopflow_party",
                partner_key(k),
                f"Communauté de communes n° {k}",
                None,
                ("CA", "CC", "COMMUNE", "PETR")[k % 4],
                None,
                None,
                "conseil communautaire",
                "Président",
                _BASE_TIME,
            )

    def members(self, i: int) -> list[int]:
        """Party ids of partnership ``i``: the home party, one partner, sometimes a third."""
        first = i % self.partners
        ids = [1, 2 + first]
        third = (i * 7 + 3) % self.partners
        if i % 10 == 0 and third != first:
            ids.append(2 + third)
        return ids

    def partnership(self, i: int) -> None:
        """Partnership ``i``, its members, its journal and what its state implies."""
        state = "accueil" if self.all_accueil else state_of(i)
        pid, ref = i + 1, reference_of(i)
        created = _BASE_TIME + dt.timedelta(seconds=37 * i)
        members = self.members(i)
        keys = [HOME] + [partner_key(m - 2) for m in members[1:]]
        scale = _SCALES[i % len(_SCALES)]
        title = f"Coopération Bordeaux Métropole – {keys[1]}"
        head, seq = self._chain(pid, ref, state, created, title, scale, keys)
        version = seq  # one per record, as the ORM counts them (version_id_col)
        row = (pid, ref, title, scale, 1, 1, "marie.dupont", "cooperation", 1, state)
        self.tables["coopflow_partnership"].append(
            (*row, version, seq, head, None, created, created)
        )
        self.tables["coopflow_partnership_party"].extend(
            (pid, party, position) for position, party in enumerate(members)
        )
        self._contract(i, pid, state, members)

    def _chain(
        self,
        pid: int,
        ref: str,
        state: str,
        at: dt.datetime,
        title: str,
        scale: str,
        keys: list[str],
    ) -> tuple[str, int]:
        """The journal: a creation record, then a suspension for a suspended partnership."""
        created_in = "accueil" if state == "suspendu" else state
        data = {"title": title, "scale": scale, "parties": keys}
        head = self._record(pid, ref, 1, "creation", None, created_in, at, data, GENESIS)
        if state != "suspendu":
            return head, 1
        motif = {"motif": "attente des élections municipales"}
        head = self._record(pid, ref, 2, "suspendre", "accueil", state, at + _days(1), motif, head)
        return head, 2

    def _record(
        self,
        pid: int,
        ref: str,
        seq: int,
        event: str,
        source: str | None,
        target: str,
        at: dt.datetime,
        data: dict[str, Any],
        prev: str,
    ) -> str:
        data_text = canonical_json(data)
        digest = record_hash(
            reference=ref,
            seq=seq,
            programme=None,
            event=event,
            source_state=source,
            target_state=target,
            actor=ACTOR,
            role="staff",
            at=at,
            comment=None,
            data=data_text,
            workflow_name="cooperation",
            workflow_version=1,
            document_sha256=None,
            prev_hash=prev,
            identified_by="host",
            db_login=self.db_login,
        )
        self._add(
            "coopflow_journal",
            pid,
            seq,
            None,
            event,
            source,
            target,
            ACTOR,
            "staff",
            at,
            None,
            data_text,
            "cooperation",
            1,
            None,
            "host",
            self.db_login,
            prev,
            digest,
        )
        return digest

    def _contract(self, i: int, pid: int, state: str, members: list[int]) -> None:
        """Protocol, délibérations and programmes, as the state implies."""
        near = i < NEAR
        if state in IN_FORCE:
            end = TODAY + _days(i % 25) if near else TODAY + _days(120 + i % 1400)
            self._protocol(pid, dt.date(2026, 1, 1), end)
            self._deliberations(pid, members, dt.date(2025, 11, 3), executoire=True)
            axis = self._add("coopflow_axis", pid, 1, "Mobilités", "[]")
            self._programme(pid, axis, "2027", "cloture", dt.date(2027, 1, 1), [])
            self._current_programme(i, pid, axis, near)
        elif state in CLOSED:
            self._protocol(pid, dt.date(2019, 1, 1), TODAY - _days(30 + i % 1400))
            self._deliberations(pid, members, dt.date(2018, 11, 5), executoire=True)
            axis = self._add("coopflow_axis", pid, 1, "Mobilités", "[]")
            self._programme(pid, axis, "2020", "cloture", dt.date(2020, 1, 1), [])
        elif state == "contractualisation.deliberations":
            self._protocol(pid, dt.date(2027, 1, 1), dt.date(2030, 12, 31))
            sitting = TODAY - _days(5) if near else TODAY + _days(60 + i % 200)
            self._deliberations(pid, members, sitting, executoire=False)
        elif state == "contractualisation.revue_juridique":
            self._protocol(pid, dt.date(2027, 1, 1), dt.date(2030, 12, 31))

    def _current_programme(self, i: int, pid: int, axis: int, near: bool) -> None:
        state = ("en_cours", "approuve_copil", "revu_cotech", "brouillon")[i % 4]
        start = dt.date(2028, 1, 1)
        if state == "revu_cotech":
            start = TODAY + _days(10) if near else TODAY + _days(200)
        elif state == "brouillon":
            start = dt.date(2029, 1, 1)
        overdue = [(TODAY - _days(10), False)] if near else []
        upcoming = [(TODAY + _days(90), False)]
        self._programme(pid, axis, "2028", state, start, overdue + upcoming)

    def _protocol(self, pid: int, start: dt.date, end: dt.date) -> None:
        self._add("coopflow_protocol", pid, start, end, "[]", "COPIL", "COTECH", 2, "")

    def _deliberations(
        self, pid: int, members: list[int], sitting: dt.date, *, executoire: bool
    ) -> None:
        for n, party in enumerate(members):
            sent = sitting + _days(2) if executoire or n == 0 else None
            published = sitting + _days(3) if executoire else None
            number = f"{sitting.year}-{pid}-{n}"
            self._add("coopflow_deliberation", pid, party, 0, number, sitting, sent, published)

    def _programme(
        self,
        pid: int,
        axis: int,
        label: str,
        state: str,
        start: dt.date,
        pending: list[tuple[dt.date, bool]],
    ) -> None:
        """A programme with one action: two milestones done early on, and ``pending`` ones."""
        end = start + _days(364)
        prog = self._add(
            "coopflow_programme",
            pid,
            label,
            start,
            end,
            "programme",
            1,
            state,
            _BASE_TIME,
        )
        action = self._add(
            "coopflow_action", prog, 1, axis, "Navette express", "", 1, "[]", "en cours"
        )
        done = [(start + _days(45), True), (start + _days(120), True)]
        for when, finished in done + pending:
            self._add("coopflow_milestone", action, when, "Étape", finished)


# ----------------------------------------------------------------------------- writing


def sqlite_value(value: Any) -> Any:
    """A value as SQLAlchemy stores it on SQLite (naive UTC timestamps, ISO dates, 0/1)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _write_sqlite(connection: Any, tables: dict[str, list[tuple[Any, ...]]]) -> None:
    cursor = connection.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    for table, rows in tables.items():
        if rows:
            columns = COLUMNS[table]
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})"
            )
            cursor.executemany(sql, [tuple(map(sqlite_value, row)) for row in rows])
    cursor.execute("COMMIT")
    cursor.close()


def _write_postgres(connection: Any, tables: dict[str, list[tuple[Any, ...]]]) -> None:
    with connection.cursor() as cursor:
        for table, rows in tables.items():
            if rows:
                columns = ", ".join(COLUMNS[table])
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
    connection.commit()


def _copy_protocol_ends(connection: Any, postgres: bool) -> None:
    """If the schema keeps a copy of the protocol's end on the partnership row (a proposed
    denormalisation for the deadlines query), fill it as coopflow would have."""
    cursor = connection.cursor()
    if postgres:
        cursor.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'coopflow_partnership' AND column_name = 'protocol_end'"
        )
        present = cursor.fetchone() is not None
    else:
        cursor.execute("PRAGMA table_info(coopflow_partnership)")
        present = any(row[1] == "protocol_end" for row in cursor.fetchall())
    if present:
        cursor.execute(
            "UPDATE coopflow_partnership SET protocol_end = (SELECT period_end FROM "
            "coopflow_protocol WHERE coopflow_protocol.partnership_id = coopflow_partnership.id)"
        )
    cursor.close()
    if postgres:
        connection.commit()


def _finish_postgres(connection: Any) -> None:
    """Move the id sequences past the ids written, and gather the planner's statistics."""
    with connection.cursor() as cursor:
        for table, columns in COLUMNS.items():
            if columns[0] == "id":
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
    connection.commit()
    connection.autocommit = True
    connection.execute("ANALYZE")
    connection.autocommit = False


@dataclass(frozen=True, slots=True)
class Built:
    """A populated benchmark database."""

    url: str
    size: int
    rows: int
    seconds: float
    all_accueil: bool

    def references(self, state: str = "accueil") -> list[str]:
        """The references of the partnerships built in ``state``."""
        if self.all_accueil:
            return [reference_of(i) for i in range(self.size)] if state == "accueil" else []
        return [reference_of(i) for i in range(self.size) if state_of(i) == state]


#: Concurrent benchmark workers act as agent-0, agent-1... (at most this many).
MAX_AGENTS = 64


def register_people(cf: coopflow.Coopflow) -> None:
    """Register who the benchmarks act as: an admin, the loader, the staff and the workers."""
    admin = coopflow.Actor("bench.admin", "admin")
    cf.register_first_admin(admin.id, "Administration des mesures")
    for login in (
        ACTOR,
        "marie.dupont",
        "bench.documents",
        *(f"agent-{i}" for i in range(MAX_AGENTS)),
    ):
        cf.add_actor(login, login, roles=["staff"], actor=admin)


def populate(url: str, size: int, *, all_accueil: bool = False) -> Built:
    """Migrate the (empty) database at ``url`` and bulk-write ``size`` partnerships into it.

    ``all_accueil`` puts every partnership in accueil (no protocol or programme)."""
    started = time.perf_counter()
    coopflow.migrate(url)
    with coopflow.Coopflow(url) as cf:
        register_people(cf)
        db_login, _ = cf.whoami()
    engine = create_owned_engine(url)
    postgres = engine.dialect.name == "postgresql"
    write = _write_postgres if postgres else _write_sqlite
    rows = _Rows(size, all_accueil=all_accueil, db_login=db_login)
    written = 0
    try:
        raw = engine.raw_connection()
        connection = raw.driver_connection
        rows.parties()
        for start in range(0, size, CHUNK):
            for i in range(start, min(size, start + CHUNK)):
                rows.partnership(i)
            tables = rows.take()
            written += sum(len(t) for t in tables.values())
            write(connection, tables)
        _copy_protocol_ends(connection, postgres)
        if postgres:
            _finish_postgres(connection)
        raw.close()
    finally:
        engine.dispose()
    return Built(url, size, written, time.perf_counter() - started, all_accueil)


# ----------------------------------------------------------------------------- databases


def postgres_schema_url(base: str, schema: str) -> str:
    """``base`` with a search_path option putting every table in ``schema`` (as conftest)."""
    url = make_url(base).set(drivername="postgresql+psycopg")
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


class Databases:
    """Creates benchmark databases and removes them all on :meth:`close`.

    SQLite databases are files in ``folder``; PostgreSQL ones are schemas of the server at
    ``postgres_url``, named ``bench_<name>_<random>`` and dropped with CASCADE."""

    def __init__(self, folder: Path, postgres_url: str | None) -> None:
        self.folder = folder
        self.postgres_url = postgres_url
        self._cleanups: list[Callable[[], None]] = []

    def new(self, backend: str, name: str) -> str:
        """The URL of a new, empty database."""
        if backend == "sqlite":
            return f"sqlite:///{self.folder / f'{name}.db'}"
        if self.postgres_url is None:
            raise RuntimeError("no PostgreSQL URL given")
        schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        with _admin(self.postgres_url) as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        self._cleanups.append(lambda: _drop_schema(self.postgres_url or "", schema))
        return postgres_schema_url(self.postgres_url, schema)

    def close(self) -> None:
        while self._cleanups:
            self._cleanups.pop()()


@contextlib.contextmanager
def _admin(url: str) -> Iterator[Any]:
    engine = create_engine(
        make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def _drop_schema(url: str, schema: str) -> None:
    with _admin(url) as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def sqlite_version() -> str:
    return sqlite3.sqlite_version
