"""Locking a partnership before a write.

Every write to a partnership's data or state first takes that partnership's lock, so that
writes on one partnership are serialised while different partnerships proceed in parallel:

- PostgreSQL: the partnership's row lock (``SELECT ... FOR UPDATE``).  A fire first tries
  ``SKIP LOCKED``, which takes the lock when it is free at no extra cost; when another
  transaction holds it, the version is read (MVCC reads do not wait) before waiting, so that a
  fire that waited for another actor's change can be refused rather than judge a state its
  actor never saw.  The lock timeout surfaces as ConcurrentModificationError (``_db``).
- SQLite: the database's write lock.  coopflow's own engine begins writing transactions
  ``IMMEDIATE`` (and notes the version when it had to wait, see ``_db``); in a host's Session,
  whose transaction began deferred, a no-op ``UPDATE`` of the row takes it (``sqlite_write``).

The lock is always taken first, before anything is read for the write: taking it later, after
a read, is how two writers deadlock.
"""

from __future__ import annotations

from coopflow._db import SEEN_VERSION
from coopflow.errors import NotFoundError
from coopflow.models import Partnership
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from .lookup import BY_REFERENCE

_FOR_UPDATE = BY_REFERENCE.with_for_update()
_SKIP_LOCKED = BY_REFERENCE.with_for_update(skip_locked=True)
_VERSION_BY_REFERENCE = select(Partnership.version).where(
    Partnership.reference == bindparam("reference")
)


def _locked_row(session: Session, reference: str) -> Partnership:
    postgresql = session.get_bind().dialect.name == "postgresql"
    stmt = _FOR_UPDATE if postgresql else BY_REFERENCE
    found = session.scalars(stmt, {"reference": reference}).one_or_none()
    if found is None:
        raise NotFoundError("partnership", reference)
    return found


def lock_partnership(session: Session, reference: str, *, sqlite_write: bool) -> Partnership:
    """The partnership, locked for writing: its row lock on PostgreSQL; on SQLite, the database
    write lock, taken by a no-op write when the transaction did not begin IMMEDIATE."""
    if sqlite_write:
        session.execute(
            update(Partnership)
            .where(Partnership.reference == reference)
            .values(journal_seq=Partnership.journal_seq)
            .execution_options(synchronize_session=False)
        )
    return _locked_row(session, reference)


def lock_for_fire(
    session: Session, reference: str, *, sqlite_write: bool
) -> tuple[Partnership, int | None]:
    """The partnership locked for a fire, and, when the fire had to wait for another writer,
    the version it had when the fire arrived (``None`` when it did not wait)."""
    if session.get_bind().dialect.name != "postgresql":
        p = lock_partnership(session, reference, sqlite_write=sqlite_write)
        seen = session.connection().info.pop(SEEN_VERSION, None)
        return p, seen if isinstance(seen, int) else None
    found = session.scalars(_SKIP_LOCKED, {"reference": reference}).one_or_none()
    if found is not None:
        return found, None
    seen = session.scalar(_VERSION_BY_REFERENCE, {"reference": reference})
    if seen is None:
        raise NotFoundError("partnership", reference)
    return _locked_row(session, reference), seen
