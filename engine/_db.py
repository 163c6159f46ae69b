"""Connections: what coopflow was given (a URL, an Engine or a Session), SQLite's settings, and
the translation of database errors into coopflow's own.

With a URL, coopflow creates and owns its engine; every SQLite connection of that engine gets
WAL, foreign keys, a busy timeout and ``synchronous=FULL`` (the journal is legal evidence), and a
writing transaction starts with ``BEGIN IMMEDIATE`` so that it holds SQLite's write lock from
its first statement.  A host's Engine or Session is used as it is: coopflow installs no listener
on it and takes SQLite's write lock with its first statement instead.

On PostgreSQL, coopflow's tables can live in a schema of their own (``schema=``).  coopflow
names its tables without a schema and puts that schema first on the ``search_path`` of the
connections it uses, so every statement (the ORM's, the prebuilt Core ones and the migrations'
raw SQL) finds them there, while the host's tables resolve as before through the rest of the
path: once per connection of an engine coopflow owns, at the start of each transaction on a
view of a host's Engine, and around each call in a host's Session (restored afterwards).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import sqlite3
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from ._i18n import _
from .errors import (
    ConcurrentModificationError,
    CoopflowError,
    PermissionDenied,
    ValidationError,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000
LOCK_TIMEOUT_S = 30.0  # PostgreSQL: how long a write waits for a row lock held by another
WRITE_OPTION = "coopflow_write"
#: The partnership a fire of this thread or task is about to lock (SQLite, coopflow's sessions).
FIRING: contextvars.ContextVar[str | None] = contextvars.ContextVar("coopflow_firing", default=None)
#: Connection info: the partnership's version when a fire found the write lock taken.
SEEN_VERSION = "coopflow_seen_version"
SCHEMA_OPTION = "coopflow_schema"
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_PREPEND_SCHEMA = (
    "SELECT set_config('search_path', "
    "quote_ident(%(schema)s) || ', ' || current_setting('search_path'), {local})"
)


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
    options = connection.get_execution_options()
    if not options.get(WRITE_OPTION, False):
        connection.exec_driver_sql("BEGIN")
        return
    reference = FIRING.get()
    connection.info.pop(SEEN_VERSION, None)
    if reference is not None:
        # A fire: try the write lock without waiting.  If another writer holds it, note the
        # partnership's version now (WAL readers do not wait), so that the fire can tell
        # whether that writer changed it in the meantime, then wait as usual.
        dbapi = connection.connection.dbapi_connection
        dbapi.execute("PRAGMA busy_timeout=0")
        try:
            dbapi.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() and "busy" not in str(exc).lower():
                raise
            row = dbapi.execute(
                "SELECT version FROM coopflow_partnership WHERE reference = ?", (reference,)
            ).fetchone()
            if row is not None:
                connection.info[SEEN_VERSION] = row[0]
        finally:
            dbapi.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_owned_engine(
    url: str | URL,
    *,
    schema: str | None = None,
    lock_timeout: float = LOCK_TIMEOUT_S,
    **kwargs: Any,
) -> Engine:
    """An engine coopflow owns, configured for its durability and locking needs: on
    PostgreSQL, ``schema`` first on every connection's search_path and a ``lock_timeout`` of
    ``lock_timeout`` seconds, so that a fire or an edit waiting behind a held row lock gives up
    with ConcurrentModificationError instead of waiting for ever (SQLite waits as long for its
    write lock: its busy timeout)."""
    parsed = normalise_url(url)
    check_schema_name(parsed.get_backend_name(), schema)
    if (
        isinstance(lock_timeout, bool)
        or not isinstance(lock_timeout, int | float)
        or not 0 < lock_timeout <= 86_400
    ):
        raise ValidationError(
            _("{value!r} is not a number of seconds from 0 to 86400").format(value=lock_timeout),
            field="lock_timeout",
        )
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    milliseconds = max(1, round(lock_timeout * 1000))

    def connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            if schema is not None:
                cursor.execute(_PREPEND_SCHEMA.format(local="false"), {"schema": schema})
            cursor.execute(f"SET lock_timeout = {milliseconds}")
        dbapi_connection.commit()

    event.listen(engine, "connect", connect)
    return engine


def check_schema_name(backend: str, schema: str | None) -> None:
    """Refuse a schema on SQLite, or a name that is not a plain lower-case identifier."""
    if schema is None:
        return
    if backend != "postgresql":
        raise ValidationError(
            _(
                "a schema is a PostgreSQL option; on {backend} coopflow's tables are kept "
                "apart by their coopflow_ prefix"
            ).format(backend=backend),
            field="schema",
        )
    if not _SCHEMA_NAME.fullmatch(schema):
        raise ValidationError(
            _(
                "{schema!r} is not a schema name coopflow accepts: lower-case letters, digits "
                "and underscores, not starting with a digit, at most 63 characters"
            ).format(schema=schema),
            field="schema",
        )


def _schema_begin(connection: Connection) -> None:
    schema = connection.get_execution_options()[SCHEMA_OPTION]
    connection.exec_driver_sql(_PREPEND_SCHEMA.format(local="true"), {"schema": schema})


def in_schema(engine: Engine, schema: str) -> Engine:
    """A view of a host's Engine (same pool) whose transactions find coopflow's tables in
    ``schema`` first; the host's own engine and connections are left as they are."""
    check_schema_name(engine.dialect.name, schema)
    view = engine.execution_options(**{SCHEMA_OPTION: schema})
    event.listen(view, "begin", _schema_begin)
    return view


@contextlib.contextmanager
def schema_first(connection: Connection, schema: str | None) -> Iterator[None]:
    """Put ``schema`` first on the search_path of a host's connection for the duration of one
    coopflow call, then give the host its own path back."""
    if schema is None:
        yield
        return
    previous = connection.exec_driver_sql("SELECT current_setting('search_path')").scalar_one()
    connection.exec_driver_sql(_PREPEND_SCHEMA.format(local="true"), {"schema": schema})

    def restore() -> None:
        connection.exec_driver_sql(
            "SELECT set_config('search_path', %(path)s, true)", {"path": previous}
        )

    try:
        yield
    except BaseException:
        # A failed statement may have aborted the host's transaction, whose rollback then
        # restores the path anyway.
        with contextlib.suppress(SQLAlchemyError):
            restore()
        raise
    restore()


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


#: PostgreSQL's SQLSTATE of a refused right (and of coopflow_check_author's refusals).
INSUFFICIENT_PRIVILEGE = "42501"


@contextlib.contextmanager
def translated_errors(reference: str | None = None) -> Iterator[None]:
    """Turn the database's exceptions into coopflow's (the caller has rolled back)."""
    try:
        yield
    except CoopflowError:
        raise
    except StaleDataError as exc:
        raise ConcurrentModificationError(reference or "?", _("its version changed")) from exc
    except IntegrityError as exc:
        text = str(exc.orig)
        if "coopflow_journal" in text and ("seq" in text or "prev_hash" in text):
            raise ConcurrentModificationError(reference or "?", _("journal race")) from exc
        raise ValidationError(
            _("the database refused the change: {error}").format(error=_first_line(text))
        ) from exc
    except OperationalError as exc:
        if _is_lock_error(exc):
            raise ConcurrentModificationError(
                reference or "?", _("the database is busy with another writer")
            ) from exc
        if "readonly" in str(exc.orig).lower():
            raise CoopflowError(
                _(
                    "the database is read-only (opened with mode=ro, or on read-only media): it "
                    "can be read, verified and exported, not changed"
                )
            ) from exc
        raise CoopflowError(
            _("database error: {error}").format(error=_first_line(str(exc.orig)))
        ) from exc
    except DBAPIError as exc:
        if _is_lock_error(exc):
            raise ConcurrentModificationError(reference or "?", _("lock conflict")) from exc
        if getattr(exc.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
            # The database's own refusal: coopflow_check_author, or a right not granted.
            message = _first_line(str(exc.orig)).removeprefix("coopflow: ")
            raise PermissionDenied(
                "write",
                "",
                (),
                reason=_("the database refused it ({message})").format(message=message),
            ) from exc
        raise CoopflowError(
            _("database error: {error}").format(error=_first_line(str(exc.orig)))
        ) from exc
    except SQLAlchemyError as exc:
        raise CoopflowError(
            _("database error: {error}").format(error=_first_line(str(exc)))
        ) from exc


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def configure_sqlite(engine: Engine) -> Engine:
    """Give a host's SQLite engine coopflow's settings (WAL, foreign keys, busy timeout,
    ``synchronous=FULL``) and working SAVEPOINTs, which coopflow needs to run inside a host's
    Session.  coopflow never does this to an engine unless asked; returns the engine."""
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine
