"""Benchmark databases: a temporary SQLite file or a PostgreSQL schema, bulk-filled in seconds.

:func:`populate` migrates a database with coopflow's own migrations, then writes ``size``
partnerships straight into the tables (``executemany`` on SQLite, ``COPY`` on PostgreSQL, in
chunks): parties, partnerships with their members and journal, and, depending on each one's
state, a protocol (with its ``ended`` marker, as coopflow keeps it), délibérations, an axis,
avenants, annual programmes, actions and milestones.  Every row is valid for the schema
(foreign keys and checks on) and every journal chain is valid: hashes are computed with
:func:`coopflow._journal.record_hash`, so ``Coopflow.verify`` passes.

The population, realistic and the same at every size where it matters:

* **The live contracts: the first** :data:`LIVE` **partnerships, at every size**, in the mix
  :data:`LIVE_MIX` (by ``i % 15``): protocols being drafted (one in two renewing a protocol in
  force, one with no protocol yet but a programme drafted), in legal review, at the councils
  (approved some weeks ago: a délibération recorded, not yet exécutoire, and parties that have
  not deliberated), in force (protocols ending within the horizon or overdue, with or without
  their renewal engaged; protocol years short of a COPIL; the current programme running with
  milestones overdue, awaiting the COPIL, or still drafted; and the history of each: the
  closed programmes of earlier years with their done milestones, exécutoire délibérations),
  amended (an avenant drafted, an avenant at the councils with a party that has not
  deliberated) and suspended (its milestones still fall due).  Everything ``due()`` lists
  comes from them: the same deadlines at 1,000 and 100,000 partnerships.
* **Everyone else** (:data:`REST_MIX`, by ``(i - LIVE) % 100``): most of a large database, as in a
  metropolis that has welcomed many territories over the years: 45 % in accueil, 20 % in
  dialogue, and 35 % ended — expired, renewed, terminated (``resilie``) or abandoned — each
  with its history (protocol, exécutoire délibérations, closed programmes, done milestones)
  *and what was left open when it ended*: a terminated partnership's programme still running
  with an overdue milestone and next year's programme still drafted, an expired one's
  programme awaiting a COPIL that never met, protocol years with no COPIL, an abandoned one's
  délibération never published and the parties that never deliberated.  None of it may be
  listed (the partnership has ended), and none of it may be visited by a flat query: the
  deadlines query costs the same at 1,000 and 100,000 partnerships if, and only if, it is
  driven from the live contracts.
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
#: The live contracts: partnerships 0 .. LIVE-1, at every size (the quick run's small database
#: has 200 partnerships).
LIVE = 150
ACTOR = "bench.loader"
HOME = "bordeaux-metropole"
CHUNK = 10_000
_BASE_TIME = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
_SCALES = ("aire_metropolitaine", "espace_regional", "france_europe")

DRAFTING = "contractualisation.redaction"
REVIEW = "contractualisation.revue_juridique"
COUNCILS = "contractualisation.deliberations"
IN_FORCE = "contractualisation.en_vigueur"
AMENDING = "contractualisation.avenant.redaction"
AMENDMENT_COUNCILS = "contractualisation.avenant.deliberations"
SUSPENDED = "suspendu"
ENDED = ("expire", "renouvele", "resilie", "abandonne")

#: The live contracts' states, by ``i % 15``.
LIVE_MIX: tuple[str, ...] = (
    DRAFTING,  # 0: a protocol drafted (every other one renews partnership i - 10)
    DRAFTING,  # 1: no protocol yet, next year's programme drafted
    REVIEW,  # 2
    COUNCILS,  # 3: the home party's délibération not exécutoire, the others missing
    COUNCILS,  # 4: no délibération yet
    IN_FORCE,  # 5: the protocol ends within the horizon (or is overdue)
    IN_FORCE,  # 6: a milestone overdue
    IN_FORCE,  # 7: approved by the COPIL, a milestone overdue
    IN_FORCE,  # 8: this year's programme awaits the COPIL
    IN_FORCE,  # 9: this year's programme still drafted, starting within the horizon
    IN_FORCE,  # 10: nothing due
    IN_FORCE,  # 11: two COPIL meetings a year, one held: two protocol years short
    AMENDING,  # 12: an avenant drafted
    AMENDMENT_COUNCILS,  # 13: an avenant at the councils, the partner not deliberated
    SUSPENDED,  # 14: suspended while in force; its overdue milestone still falls due
)
#: Everyone else, by ``(i - LIVE) % 100``: (upper bound, state).
REST_MIX: tuple[tuple[int, str], ...] = (
    (45, "accueil"),
    (65, "dialogue"),
    (75, "expire"),
    (85, "renouvele"),
    (93, "resilie"),
    (100, "abandonne"),
)


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
        "meetings_per_year means ended"
    ),
    "coopflow_amendment": _columns("id partnership_id number subject motives changes"),
    "coopflow_deliberation": _columns(
        "id partnership_id party_id amendment number sitting_date sent_to_prefecture published"
    ),
    "coopflow_axis": _columns("id partnership_id number title objectives"),
    "coopflow_programme": _columns(
        "id partnership_id label period_start period_end workflow_name workflow_version state "
        "copil_date created_at"
    ),
    "coopflow_action": _columns(
        "id programme_id number axis_id title objectives lead_party_id partners progress"
    ),
    "coopflow_milestone": _columns("id action_id date label done"),
}


def state_of(i: int) -> str:
    """The state of partnership ``i`` in the population."""
    if i < LIVE:
        return LIVE_MIX[i % len(LIVE_MIX)]
    bucket = (i - LIVE) % 100
    return next(state for bound, state in REST_MIX if bucket < bound)


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


def _at(day: dt.date) -> dt.datetime:
    """A journal record's time on ``day`` (9 a.m. UTC)."""
    return dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class _Move:
    """A journal record after the creation: an event from ``source`` to ``target``."""

    event: str
    source: str
    target: str
    at: dt.datetime
    data: dict[str, Any]


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
        """Party ids of partnership ``i``: the home party, one partner, sometimes a third (the
        live contracts' among the first 20 territories, the same at every size)."""
        partners = min(self.partners, 20) if i < LIVE else self.partners
        first = i % partners
        ids = [1, 2 + first]
        third = (i * 7 + 3) % partners
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
        created_in, moves = self._history(i, state, created)
        head, seq = self._chain(pid, ref, created_in, created, title, scale, keys, moves)
        version = seq  # one per record, as the ORM counts them (version_id_col)
        # A renewal engaged: every other protocol drafted renews partnership i - 10, in force.
        renews = i - 10 + 1 if i < LIVE and i % 30 == 0 and i >= 30 else None
        row = (pid, ref, title, scale, 1, 1, "marie.dupont", "cooperation", 1, state)
        self.tables["coopflow_partnership"].append(
            (*row, version, seq, head, renews, created, created)
        )
        self.tables["coopflow_partnership_party"].extend(
            (pid, party, position) for position, party in enumerate(members)
        )
        if not self.all_accueil:
            if i < LIVE:
                self._live(i, pid, members)
            else:
                self._rest(i, pid, state, members)

    def _history(self, i: int, state: str, created: dt.datetime) -> tuple[str, list[_Move]]:
        """The state a partnership was created in, and the records that moved it since."""
        if self.all_accueil or state in ("accueil", "dialogue"):
            return state, []
        if state in (COUNCILS, "abandonne"):
            approved = _Move("approuver", REVIEW, COUNCILS, _at(TODAY - _days(10 + i % 40)), {})
            if state == COUNCILS:
                return REVIEW, [approved]
            motif = {"motif": "les conseils n'ont pas délibéré"}
            return REVIEW, [approved, _Move("abandonner", COUNCILS, state, approved.at, motif)]
        if state == AMENDMENT_COUNCILS:
            submitted = _at(TODAY - _days(25 + i % 10))
            return AMENDING, [_Move("soumettre_avenant", AMENDING, state, submitted, {})]
        if state == SUSPENDED:
            motif = {"motif": "attente des élections municipales"}
            return IN_FORCE, [_Move("suspendre", IN_FORCE, state, created + _days(1), motif)]
        return state, []

    def _chain(
        self,
        pid: int,
        ref: str,
        created_in: str,
        at: dt.datetime,
        title: str,
        scale: str,
        keys: list[str],
        moves: list[_Move],
    ) -> tuple[str, int]:
        """The journal: a creation record, then one record a move."""
        data = {"title": title, "scale": scale, "parties": keys}
        head = self._record(pid, ref, 1, "creation", None, created_in, at, data, GENESIS)
        for seq, move in enumerate(moves, start=2):
            head = self._record(
                pid, ref, seq, move.event, move.source, move.target, move.at, move.data, head
            )
        return head, 1 + len(moves)

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

    # ------------------------------------------------------------------ the live contracts

    def _live(self, i: int, pid: int, members: list[int]) -> None:  # noqa: PLR0912 - the mix
        """What live contract ``i`` holds (see :data:`LIVE_MIX`)."""
        k = i % len(LIVE_MIX)
        state = LIVE_MIX[k]
        if k == 1:  # no protocol yet; next year's programme drafted, starting soon
            axis = self._add("coopflow_axis", pid, 1, "Mobilités", "[]")
            self._programme(pid, axis, "2028", "brouillon", TODAY + _days(20), [])
            return
        if state in (DRAFTING, REVIEW, COUNCILS):
            start = dt.date(2028, 9, 1) if k == 0 else dt.date(2029, 1, 1)
            self._protocol(pid, start, dt.date(2031, 12, 31), meetings=1, ended=False)
            if k == 0:  # next year's programme drafted, starting beyond the horizon
                axis = self._add("coopflow_axis", pid, 1, "Mobilités", "[]")
                self._programme(pid, axis, "2028-2029", "brouillon", dt.date(2028, 9, 1), [])
            if k == 3:  # the home party's délibération, not exécutoire; the others missing
                sitting = TODAY - _days(5)
                self._deliberation(pid, members[0], 0, sitting, sent=True, published=False)
            return
        # In force (amended, or suspended): the protocol, its délibérations and its history.
        end = TODAY + _days(200 + i % 1000)
        if k == 5:
            end = TODAY - _days(20) if i % 60 == 5 else TODAY + _days(i % 25)
        meetings = 2 if k == 11 else 1
        self._protocol(pid, dt.date(2026, 1, 1), end, meetings=meetings, ended=False)
        for party in members:
            self._deliberation(pid, party, 0, dt.date(2025, 11, 3), sent=True, published=True)
        axis = self._add("coopflow_axis", pid, 1, "Mobilités", "[]")
        for year in (2026, 2027):  # closed, each approved by that year's COPIL
            self._programme(
                pid, axis, str(year), "cloture", dt.date(year, 1, 1), [], dt.date(year, 2, 10)
            )
        upcoming = (TODAY + _days(90), False)
        copil = dt.date(2028, 2, 10)
        january = dt.date(2028, 1, 1)
        if k in (6, 14):
            overdue = (TODAY - _days(10 + k), False)
            self._programme(pid, axis, "2028", "en_cours", january, [overdue, upcoming], copil)
        elif k == 7:
            overdue = (TODAY - _days(3), False)
            self._programme(
                pid, axis, "2028", "approuve_copil", january, [overdue, upcoming], copil
            )
        elif k == 8:
            self._programme(pid, axis, "2028", "revu_cotech", TODAY + _days(10), [upcoming])
        elif k == 9:
            self._programme(pid, axis, "2028", "brouillon", TODAY + _days(25), [upcoming])
        else:
            self._programme(pid, axis, "2028", "en_cours", january, [upcoming], copil)
        if state in (AMENDING, AMENDMENT_COUNCILS):
            self._add("coopflow_amendment", pid, 1, "Ajout d'un axe", "", "[]")
        if state == AMENDMENT_COUNCILS:  # the home party deliberated; the partner has not
            sitting = TODAY - _days(20)
            self._deliberation(pid, members[0], 1, sitting, sent=True, published=True)

    # ------------------------------------------------------------------ everyone else

    def _rest(self, i: int, pid: int, state: str, members: list[int]) -> None:
        """History of an ended partnership, and what it left open (see :data:`REST_MIX`)."""
        if state not in ENDED:
            return  # accueil, dialogue: a creation record
        if state == "abandonne":  # at the councils: one délibération never published
            self._protocol(pid, dt.date(2028, 9, 1), dt.date(2031, 12, 31), meetings=1, ended=True)
            self._deliberation(pid, members[0], 0, TODAY - _days(5), sent=True, published=False)
            return
        if state == "resilie":  # terminated in its third year
            start, end = dt.date(2026, 1, 1), dt.date(2029, 12, 31)
        else:
            start, end = dt.date(2019, 1, 1), TODAY - _days(30 + i % 1400)
            start = min(start, end - _days(800))
        self._protocol(pid, start, end, meetings=2, ended=True)  # a COPIL a year held, of 2
        for party in members:
            self._deliberation(pid, party, 0, start - _days(60), sent=True, published=True)
        axis = self._add("coopflow_axis", pid, 1, "Mobilités", "[]")
        first = start.year
        self._programme(pid, axis, str(first), "cloture", start, [], start + _days(40))
        if state == "resilie":  # left running with an overdue milestone, next year drafted
            overdue = [(TODAY - _days(10), False)]
            copil = dt.date(2028, 2, 10)
            self._programme(pid, axis, "2028", "en_cours", dt.date(2028, 1, 1), overdue, copil)
            self._programme(pid, axis, "2029", "brouillon", TODAY + _days(15), [])
        elif state == "expire" and i % 2 == 0:  # a programme the COPIL never met on
            self._programme(pid, axis, str(first + 1), "revu_cotech", TODAY + _days(5), [])

    # ------------------------------------------------------------------ rows

    def _protocol(
        self, pid: int, start: dt.date, end: dt.date, *, meetings: int, ended: bool
    ) -> None:
        self._add(
            "coopflow_protocol", pid, start, end, "[]", "COPIL", "COTECH", meetings, "", ended
        )

    def _deliberation(
        self, pid: int, party: int, amendment: int, sitting: dt.date, *, sent: bool, published: bool
    ) -> None:
        number = f"{sitting.year}-{pid}-{party}-{amendment}"
        self._add(
            "coopflow_deliberation",
            pid,
            party,
            amendment,
            number,
            sitting,
            sitting + _days(2) if sent else None,
            sitting + _days(3) if published else None,
        )

    def _programme(
        self,
        pid: int,
        axis: int,
        label: str,
        state: str,
        start: dt.date,
        pending: list[tuple[dt.date, bool]],
        copil: dt.date | None = None,
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
            copil,
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
