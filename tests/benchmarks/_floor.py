"""The raw-SQL floor of a fire: what any implementation must ask of the database, by hand.

One transaction through the same driver as coopflow (the raw DBAPI connection of an engine
configured like coopflow's: WAL and ``synchronous=FULL`` on SQLite): take the lock
(``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR UPDATE`` of the partnership row on
PostgreSQL), read the row, the versioned ``UPDATE``, the journal ``INSERT`` with its SHA-256
computed in Python (the same :func:`coopflow._journal.record_hash`, so the chains it writes
verify), ``COMMIT``.  No role or guard check, no ORM, no pool, no state machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coopflow._canonical import canonical_json
from coopflow._db import create_owned_engine
from coopflow._journal import record_hash
from coopflow.models import utcnow

from ._data import sqlite_value

TRANSITIONS = {"suspendre": ("accueil", "suspendu"), "reprendre": ("suspendu", "accueil")}

_SELECT = (
    "SELECT id, state, version, journal_seq, journal_head FROM coopflow_partnership "
    "WHERE reference = ?"
)
_UPDATE = (
    "UPDATE coopflow_partnership SET state = ?, version = version + 1, journal_seq = ?, "
    "journal_head = ?, updated_at = ? WHERE id = ? AND version = ?"
)
_INSERT = (
    "INSERT INTO coopflow_journal (partnership_id, seq, programme_id, event, source_state, "
    "target_state, actor, role, at, comment, data, workflow_name, workflow_version, "
    "document_sha256, identified_by, db_login, prev_hash, hash) VALUES (?, ?, NULL, ?, ?, ?, ?, "
    "?, ?, NULL, ?, 'cooperation', 1, NULL, 'host', ?, ?, ?)"
)


class Floor:
    """Fires ``suspendre``/``reprendre`` with hand-written SQL on one open connection."""

    def __init__(self, url: str, actor: str) -> None:
        self.actor = actor
        self._engine = create_owned_engine(url)
        self._raw = self._engine.raw_connection()
        self._connection: Any = self._raw.driver_connection
        self._postgres = self._engine.dialect.name == "postgresql"
        marks = (lambda sql: sql.replace("?", "%s")) if self._postgres else (lambda sql: sql)
        self._select = marks(_SELECT + (" FOR UPDATE" if self._postgres else ""))
        self._update, self._insert = marks(_UPDATE), marks(_INSERT)
        # The login the records name as their writer (PostgreSQL checks it), read once.
        self._db_login: str | None = None
        if self._postgres:
            with self._connection.cursor() as cursor:
                cursor.execute("SELECT session_user")
                self._db_login = cursor.fetchone()[0]
            self._connection.commit()

    def close(self) -> None:
        self._raw.close()
        self._engine.dispose()

    def fire(self, reference: str, event: str, data: Mapping[str, object]) -> None:
        """One fire, in one transaction; raises if the partnership is not in the source state."""
        cursor = self._connection.cursor()
        try:
            if not self._postgres:
                cursor.execute("BEGIN IMMEDIATE")
            self._apply(cursor, reference, event, data)
            self._end(cursor, "COMMIT")
        except BaseException:
            self._end(cursor, "ROLLBACK")
            raise
        finally:
            cursor.close()

    def _end(self, cursor: Any, command: str) -> None:
        if self._postgres:
            (self._connection.commit if command == "COMMIT" else self._connection.rollback)()
        elif not self._connection.in_transaction:
            return
        else:
            cursor.execute(command)

    def _apply(self, cursor: Any, reference: str, event: str, data: Mapping[str, object]) -> None:
        source, target = TRANSITIONS[event]
        cursor.execute(self._select, (reference,))
        pid, state, version, seq, head = cursor.fetchone()
        if state != source:
            raise RuntimeError(f"{reference} is in {state}, not {source}")
        now = utcnow()
        data_text = canonical_json(dict(data))
        digest = record_hash(
            reference=reference,
            seq=seq + 1,
            programme=None,
            event=event,
            source_state=source,
            target_state=target,
            actor=self.actor,
            role="staff",
            at=now,
            comment=None,
            data=data_text,
            workflow_name="cooperation",
            workflow_version=1,
            document_sha256=None,
            prev_hash=head,
            identified_by="host",
            db_login=self._db_login,
        )
        at = now if self._postgres else sqlite_value(now)
        cursor.execute(self._update, (target, seq + 1, digest, at, pid, version))
        if cursor.rowcount != 1:
            raise RuntimeError(f"{reference} changed under the lock")
        cursor.execute(
            self._insert,
            (
                pid,
                seq + 1,
                event,
                source,
                target,
                self.actor,
                "staff",
                at,
                data_text,
                self._db_login,
                head,
                digest,
            ),
        )
