"""How a :class:`coopflow.Coopflow` is bound to its database, and its units of work.

Three bindings, one interface:

- **a URL**: coopflow creates, configures (SQLite: WAL, ``synchronous=FULL``, foreign keys,
  ``BEGIN IMMEDIATE`` for writes) and disposes of its own engine;
- **a host's Engine**: coopflow opens its own transactions on it, and never disposes of it;
- **a host's Session**: coopflow works inside the host's transaction, each call in a savepoint,
  and never commits or closes it.

:meth:`Binding.read` and :meth:`Binding.write` are the units of work the facade opens around
each domain operation; database errors leave them as coopflow's own (``_db``).
:class:`Callbacks` holds the host's callbacks and runs them after the commit only: at once
for a transaction of coopflow's own, at the host's outermost commit in a host's Session (and
never for a rollback).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coopflow._db import (
    FIRING,
    LOCK_TIMEOUT_S,
    WRITE_OPTION,
    check_schema_name,
    create_owned_engine,
    in_schema,
    is_sqlite,
    schema_first,
    translated_errors,
)
from coopflow._documents import DocumentInfo
from coopflow._i18n import _
from coopflow._migrate import check_schema, display_url, head_revision, upgrade
from coopflow._protections import require as require_protections
from coopflow._views import FinalDocument
from coopflow.errors import CoopflowError, HookError, SchemaOutOfDateError
from coopflow.models import Document
from sqlalchemy import Connection, Engine, event, select, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

Bind = str | URL | Engine | Session
Call = tuple[Callable[[Any], object], object]
_PENDING = "coopflow_pending"


def migration_engine(bind: str | URL | Engine, schema: str | None) -> Engine:
    """The engine migrations run on: the host's (in ``schema``), or one of coopflow's own."""
    if isinstance(bind, Engine):
        return in_schema(bind, schema) if schema is not None else bind
    return create_owned_engine(bind, schema=schema)


class Binding:
    """coopflow's connection to one database: the engine, the host's Session if any, the
    PostgreSQL schema, and the units of work opened on them."""

    def __init__(
        self, bind: Bind, *, schema: str | None = None, lock_timeout: float = LOCK_TIMEOUT_S
    ) -> None:
        self.session: Session | None = None
        self.owned = False
        self.tx_owned = False  # a transaction() of coopflow's own, on its own engine
        self.schema = schema
        if isinstance(bind, Session):
            self.session = bind
            engine = bind.get_bind()
            assert isinstance(engine, Engine), "coopflow needs a Session bound to an Engine"
            check_schema_name(engine.dialect.name, schema)
            self.engine = engine
        elif isinstance(bind, Engine):
            self.engine = in_schema(bind, schema) if schema is not None else bind
        else:
            self.engine = create_owned_engine(bind, schema=schema, lock_timeout=lock_timeout)
            self.owned = True
        self.sqlite = is_sqlite(self.engine)
        self._db_login: str | None = None
        self.write_engine = self.engine.execution_options(**{WRITE_OPTION: True})

    # ------------------------------------------------------------------ life cycle

    def db_login(self, db: Session | Connection) -> str | None:
        """The database login this binding writes as (PostgreSQL's ``session_user``, which a
        ``SET ROLE`` does not change; None on SQLite), read once."""
        if self.sqlite:
            return None
        if self._db_login is None:
            self._db_login = str(db.execute(text("SELECT session_user")).scalar_one())
        return self._db_login

    def close(self) -> None:
        """Dispose of the engine coopflow created (never of one it was given)."""
        if self.owned:
            self.engine.dispose()

    def check_schema(self) -> None:
        """Raise SchemaOutOfDateError (naming the command to run) unless the schema is current."""
        url = display_url(self.engine.url)
        database = self.engine.url.database
        if (
            self.owned
            and self.sqlite
            and database not in (None, "", ":memory:")
            and not database.startswith("file:")  # a URI (mode=ro...): SQLite opens it
            and not Path(database).exists()
        ):
            # Checking would create an empty file: say what to run instead.
            raise SchemaOutOfDateError(None, head_revision(), f"coopflow --db {url} init")
        schema = f" --schema {self.schema}" if self.schema else ""
        with translated_errors():
            if self.session is not None:
                keyword = f", schema={self.schema!r}" if self.schema else ""
                with self.host() as session:
                    check_schema(
                        session.connection(), f"coopflow.migrate(engine{keyword})", self.schema
                    )
            else:
                check_schema(self.engine, f"coopflow --db {url}{schema} init", self.schema)

    def migrate(self) -> None:
        """Create or upgrade the schema on this binding's database."""
        if self.session is not None and self.sqlite:
            # SQLite's table rebuilds need foreign keys off, which a transaction cannot switch:
            # migrate on a connection of coopflow's own, before the Session begins.
            if self.session.in_transaction():
                raise CoopflowError(
                    _(
                        "on SQLite, migrate before the Session begins a transaction (or call "
                        "coopflow.migrate(engine))"
                    )
                )
            with translated_errors():
                upgrade(self.engine, "head", self.schema)
        elif self.session is not None:
            with translated_errors(), self.host() as session:
                upgrade(session.connection(), schema=self.schema)
        else:
            with translated_errors():
                upgrade(self.engine, schema=self.schema)
        self.check_protections()

    def check_protections(self) -> None:
        """Raise ProtectionsOff unless every protection of the evidence is in place (``init``
        runs it after migrating; every write, through ``_protections.require``)."""
        with self.read() as session:
            require_protections(session.connection())

    @property
    def needs_sqlite_lock(self) -> bool:
        """On SQLite, only coopflow's own engine begins writing transactions IMMEDIATE: in a
        host's Engine or Session, a write takes the lock with a no-op write first."""
        return self.sqlite and not self.owned

    # ------------------------------------------------------------------ units of work

    @contextlib.contextmanager
    def host(self) -> Iterator[Session]:
        """The host's Session, with coopflow's schema first on its path for one call."""
        assert self.session is not None
        if self.schema is None:
            yield self.session
            return
        with schema_first(self.session.connection(), self.schema):
            yield self.session

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (rolled back at the end)."""
        with translated_errors():
            if self.session is not None:
                with self.host() as session:
                    yield session
                return
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session

    @contextlib.contextmanager
    def write(self, reference: str | None = None, *, fire: bool = False) -> Iterator[Session]:
        """A writing unit of work: committed when the block ends, rolled back if it raises (in
        a host's Session: a savepoint, released or rolled back)."""
        with translated_errors(reference):
            if self.session is not None:
                with self.host() as session, session.begin_nested():
                    require_protections(session.connection())
                    yield session
                return
            # SQLite begins with the first statement: tell BEGIN which partnership a fire is
            # for, so that it notes its version if it has to wait for another writer.
            firing = FIRING.set(reference if fire and self.sqlite else None)
            try:
                with (
                    Session(self.write_engine, expire_on_commit=False) as session,
                    session.begin(),
                ):
                    require_protections(session.connection())
                    yield session
            finally:
                FIRING.reset(firing)

    @contextlib.contextmanager
    def write_connection(self, reference: str, *, fire: bool = False) -> Iterator[Connection]:
        """A writing unit of work on a Connection of coopflow's own, with no ORM Session (for
        a fire that needs no ORM object): committed when the block ends, rolled back if it
        raises.  Only for a binding without a host Session (see :attr:`owns_transactions`)."""
        assert self.session is None, "a host's Session: use write()"
        with translated_errors(reference):
            firing = FIRING.set(reference if fire and self.sqlite else None)
            try:
                with self.write_engine.begin() as connection:
                    require_protections(connection)
                    yield connection
            finally:
                FIRING.reset(firing)

    @property
    def owns_transactions(self) -> bool:
        """coopflow opens its own transactions (a URL or a host's Engine, not a Session)."""
        return self.session is None

    @contextlib.contextmanager
    def transaction(self, *, dry_run: bool) -> Iterator[tuple[Binding, list[Call]]]:
        """One transaction for several calls: a binding to the same database whose units of
        work all run in it, and the list that collects, at the commit, the callbacks it owes
        (empty after a rollback or a dry run)."""
        owed: list[Call] = []
        if self.session is not None:
            with translated_errors(), self.session.begin_nested() as nested:
                yield self, owed
                if dry_run:
                    nested.rollback()
            return
        with translated_errors(), Session(self.write_engine, expire_on_commit=False) as session:
            tx = copy.copy(self)
            tx.session = session
            tx.tx_owned = True
            with session.begin() as outer:
                require_protections(session.connection())
                yield tx, owed
                if dry_run:
                    outer.rollback()
                    return
            pending = session.info.pop(_PENDING, [])
        owed.extend(call for _, batch in pending for call in batch)


@dataclass
class Callbacks:
    """The host's callbacks, and their delivery after the commit."""

    fired: list[Callable[[Any], object]] = field(default_factory=list)
    refused: list[Callable[[Any], object]] = field(default_factory=list)
    produced: list[Callable[[DocumentInfo], object]] = field(default_factory=list)
    final: list[Callable[[FinalDocument], object]] = field(default_factory=list)

    @staticmethod
    def notify(calls: Sequence[Call]) -> None:
        """Run ``calls``; the first failure is raised, after all have run, as a HookError."""
        failure: HookError | None = None
        for callback, payload in calls:
            try:
                callback(payload)
            except Exception as exc:
                failure = failure or HookError(getattr(callback, "__qualname__", "?"), exc)
        if failure is not None:
            raise failure

    def documents(self, session: Session, docs: Sequence[DocumentInfo]) -> list[Call]:
        """The calls owed for the documents produced (final ones with their bytes)."""
        calls: list[Call] = [(cb, d) for d in docs for cb in self.produced]
        finals = [d for d in docs if d.status == "final"]
        if finals and self.final:
            for d in finals:
                pdf = session.scalar(select(Document.content).where(Document.id == d.id))
                assert pdf is not None
                calls.extend((cb, FinalDocument(d, pdf)) for cb in self.final)
        return calls

    def after_commit(self, binding: Binding, session: Session, calls: list[Call]) -> None:
        """Run ``calls`` once the unit of work commits: now, when coopflow owns the
        transaction; in a host's Session, at the host's outermost commit, and never if the host
        rolls back the transaction (or savepoint) they were made in."""
        if not calls:
            return
        if binding.session is None:
            self.notify(calls)
            return
        where = session.get_nested_transaction() or session.get_transaction()
        pending: list[tuple[Any, list[Call]]] = session.info.setdefault(_PENDING, [])
        pending.append((where, calls))
        if binding.tx_owned or session.info.get("coopflow_listening"):
            return
        session.info["coopflow_listening"] = True

        def committed(sess: Session) -> None:
            if sess.in_nested_transaction():
                return  # a savepoint was released: the outer transaction may still roll back
            todo = sess.info.get(_PENDING, [])
            sess.info[_PENDING] = []
            sess.info["coopflow_ready"] = [call for _, batch in todo for call in batch]

        def ended(sess: Session, transaction: Any) -> None:
            # Not in after_commit: SQLAlchemy is still closing the transaction there, and an
            # exception would leave the host's Session stuck in its "committed" state.
            if transaction.parent is None:
                self.notify(sess.info.pop("coopflow_ready", []))

        def rolled_back(sess: Session, previous: Any) -> None:
            def inside(transaction: Any) -> bool:
                while transaction is not None:
                    if transaction is previous:
                        return True
                    transaction = transaction.parent
                return False

            sess.info[_PENDING] = [
                entry for entry in sess.info.get(_PENDING, []) if not inside(entry[0])
            ]

        event.listen(session, "after_commit", committed)
        event.listen(session, "after_transaction_end", ended)
        event.listen(session, "after_soft_rollback", rolled_back)
