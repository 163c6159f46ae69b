"""Connections: what coopflow was given (a URL, an Engine or a Session), SQLite's settings, and
the translation of database errors into coopflow's own.

With a URL, coopflow creates and owns its engine; every SQLite connection of that engine gets
WAL, foreign keys, a busy timeout and ``synchronous=FULL`` (the journal is legal evidence), and a
writing transaction starts with ``BEGIN IMMEDIATE`` so that it holds SQLite's write lock from
its first statement.  A host's Engine or Session is used as it is: coopflow installs no listener
on it and takes SQLite's write lock with its first statement instead.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from .errors import ConcurrentModificationError, CoopflowError, ValidationError

SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "coopflow_write"


def normalise_url(url: str | URL) -> URL:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (coopflow's PostgreSQL driver)."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's begin event emit BEGIN itself (pysqlite's own BEGIN is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


def _sqlite_begin(connection: Any) -> None:
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create_owned_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine coopflow owns, configured for its durability and locking needs."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(parsed, **kwargs)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _is_lock_error(exc: DBAPIError) -> bool:
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig).lower()
        return "locked" in text or "busy" in text
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    # 40001 serialization failure, 40P01 deadlock, 55P03 lock not available, 57014 cancelled
    return sqlstate in {"40001", "40P01", "55P03", "57014"}


@contextlib.contextmanager
def translated_errors(reference: str | None = None) -> Iterator[None]:
    """Turn the database's exceptions into coopflow's (the caller has rolled back)."""
    try:
        yield
    except CoopflowError:
        raise
    except StaleDataError as exc:
        raise ConcurrentModificationError(reference or "?", "its version changed") from exc
    except IntegrityError as exc:
        text = str(exc.orig)
        if "coopflow_journal" in text and ("seq" in text or "prev_hash" in text):
            raise ConcurrentModificationError(reference or "?", "journal race") from exc
        raise ValidationError(f"the database refused the change: {_first_line(text)}") from exc
    except OperationalError as exc:
        if _is_lock_error(exc):
            raise ConcurrentModificationError(
                reference or "?", "the database is busy with another writer"
            ) from exc
        raise CoopflowError(f"database error: {_first_line(str(exc.orig))}") from exc
    except DBAPIError as exc:
        if _is_lock_error(exc):
            raise ConcurrentModificationError(reference or "?", "lock conflict") from exc
        raise CoopflowError(f"database error: {_first_line(str(exc.orig))}") from exc
    except SQLAlchemyError as exc:
        raise CoopflowError(f"database error: {_first_line(str(exc))}") from exc


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def configure_sqlite(engine: Engine) -> Engine:
    """Give a host's SQLite engine coopflow's settings (WAL, foreign keys, busy timeout,
    ``synchronous=FULL``) and working SAVEPOINTs, which coopflow needs to run inside a host's
    Session.  coopflow never does this to an engine unless asked; returns the engine."""
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine
