"""The naive baseline of a fire: SQLAlchemy's ORM and ``transitions``, written as a first
implementation would be, without coopflow.

Per fire, as the obvious code does it: a new ``Session``, the partnership's ORM row queried by
its reference (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the ORM's flush takes the
write lock), a fresh ``transitions.Machine`` (states accueil and suspendu, the two
transitions, ``transitions``' defaults otherwise) started in the row's state, the event
triggered, the state and the journal's head set on the row, a :class:`~coopflow.models.
JournalRecord` added through the unit of work (its SHA-256 from the same
:func:`coopflow._journal.record_hash` and canonical JSON as :mod:`._floor`, so the chains it
writes verify), ``session.commit()`` (the ORM's versioned ``UPDATE`` and the ``INSERT``).
No role or guard check, like the floor.

The engine is configured like coopflow's (:func:`coopflow._db.create_owned_engine`: WAL and
``synchronous=FULL`` on SQLite, the same psycopg driver on PostgreSQL), so that both sides pay
the same ``fsync`` and the same round trips: what differs is the Python around them.
"""

from __future__ import annotations

from collections.abc import Mapping

from coopflow._canonical import canonical_json
from coopflow._db import create_owned_engine
from coopflow._journal import record_hash
from coopflow.models import JournalRecord, Partnership, utcnow
from sqlalchemy import select
from sqlalchemy.orm import Session
from transitions import Machine

STATES = ["accueil", "suspendu"]
MACHINE_TRANSITIONS = [
    {"trigger": "suspendre", "source": "accueil", "dest": "suspendu"},
    {"trigger": "reprendre", "source": "suspendu", "dest": "accueil"},
]


class _Model:
    """What the machine moves: the partnership's state, copied from and back to its row."""

    state: str


class Naive:
    """Fires ``suspendre``/``reprendre`` with the ORM and a ``transitions.Machine`` per fire."""

    def __init__(self, url: str, actor: str) -> None:
        self.actor = actor
        self._engine = create_owned_engine(url)
        self._db_login: str | None = None  # the writer the records name (PostgreSQL checks it)
        if self._engine.dialect.name == "postgresql":
            with self._engine.connect() as connection:
                self._db_login = connection.exec_driver_sql("SELECT session_user").scalar()

    def close(self) -> None:
        self._engine.dispose()

    def fire(self, reference: str, event: str, data: Mapping[str, object]) -> None:
        """One fire, in one transaction of a new Session; raises ``transitions.MachineError``
        if the event is not allowed from the partnership's state."""
        with Session(self._engine) as session:
            row = session.scalars(
                select(Partnership).where(Partnership.reference == reference).with_for_update()
            ).one()
            model = _Model()
            Machine(model=model, states=STATES, transitions=MACHINE_TRANSITIONS, initial=row.state)
            source = row.state
            model.trigger(event)  # type: ignore[attr-defined]  # added by the Machine
            target = model.state
            now = utcnow()
            data_text = canonical_json(dict(data))
            seq = row.journal_seq + 1
            digest = record_hash(
                reference=reference,
                seq=seq,
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
                prev_hash=row.journal_head,
                identified_by="host",
                db_login=self._db_login,
            )
            session.add(
                JournalRecord(
                    partnership_id=row.id,
                    seq=seq,
                    programme_id=None,
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
                    identified_by="host",
                    db_login=self._db_login,
                    prev_hash=row.journal_head,
                    hash=digest,
                )
            )
            row.state = target
            row.journal_seq = seq
            row.journal_head = digest
            row.updated_at = now
            session.commit()
