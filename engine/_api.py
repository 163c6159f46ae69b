"""The :class:`Coopflow` facade: one object per database, the API hosts and the CLI call."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, event, or_, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, selectinload

from . import _core, _journal
from . import _validate as v
from ._context import Actor
from ._db import (
    FIRING,
    WRITE_OPTION,
    check_schema_name,
    create_owned_engine,
    in_schema,
    is_sqlite,
    schema_first,
    translated_errors,
)
from ._documents import SCALES, DocumentInfo, DocumentStore, Kind, canonical_json
from ._migrate import check_schema, display_url, downgrade, head_revision, upgrade
from ._views import (
    Deadline,
    EventStatus,
    FireResult,
    JournalEntry,
    PartnershipInfo,
    PartyInfo,
)
from ._workflow import Registry, load_folder
from .errors import CoopflowError, NotFoundError, SchemaOutOfDateError, ValidationError
from .models import (
    DELIBERATION_PENDING,
    MILESTONE_OPEN,
    Action,
    Deliberation,
    Document,
    JournalRecord,
    Milestone,
    Partnership,
    PartnershipParty,
    Party,
    Programme,
    Protocol,
    aware,
)

T = TypeVar("T")
Bind = str | URL | Engine | Session


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused attempt to fire an event (the error says why)."""

    reference: str
    event: str
    actor: Actor
    programme: str | None
    error: CoopflowError


@dataclass(frozen=True, slots=True)
class FinalDocument:
    """A final document (signed protocol, signed avenant, approved programme) and its bytes."""

    info: DocumentInfo
    pdf: bytes


class HookError(CoopflowError):
    """A host callback failed after the transaction had committed (the change is kept)."""

    def __init__(self, callback: str, error: BaseException) -> None:
        self.callback = callback
        self.error = error
        super().__init__(f"callback {callback} failed after commit: {error!r}")


def _migration_engine(bind: str | URL | Engine, schema: str | None) -> Engine:
    if isinstance(bind, Engine):
        return in_schema(bind, schema) if schema is not None else bind
    return create_owned_engine(bind, schema=schema)


def migrate(bind: str | URL | Engine, revision: str = "head", *, schema: str | None = None) -> None:
    """Create or upgrade coopflow's tables (Alembic, coopflow's own version table).

    ``schema`` (PostgreSQL) keeps coopflow's tables and version table in that schema, created
    if needed."""
    engine = _migration_engine(bind, schema)
    try:
        with translated_errors():
            upgrade(engine, revision, schema)
    finally:
        if not isinstance(bind, Engine):
            engine.dispose()


def downgrade_schema(bind: str | URL | Engine, revision: str, *, schema: str | None = None) -> None:
    """Downgrade coopflow's tables to ``revision`` ("base" drops them all; a ``schema`` itself
    is left in place, with the version table)."""
    engine = _migration_engine(bind, schema)
    try:
        with translated_errors():
            downgrade(engine, revision, schema)
    finally:
        if not isinstance(bind, Engine):
            engine.dispose()


class Coopflow:
    """coopflow on one database.

    ``bind`` is a URL (coopflow creates, configures and disposes of its own engine), a host's
    Engine (coopflow opens its own transactions on it) or a host's Session (coopflow works
    inside the host's transaction, in savepoints, and never commits or closes it).

    ``workflows_dir`` adds a folder of the host's own definitions, validated like the built-in
    ones against ``registry`` (by default the built-in guards and effects; extend them with
    ``coopflow.workflows.registry.child()``).  ``templates_dir`` points at an organisation's
    own document templates (rendered in a sandbox).  ``schema`` (PostgreSQL) is the schema
    holding coopflow's tables, as given to :func:`migrate`.
    """

    def __init__(
        self,
        bind: Bind,
        *,
        workflows_dir: Path | str | None = None,
        templates_dir: Path | str | None = None,
        registry: Registry | None = None,
        schema: str | None = None,
        check: bool = True,
    ) -> None:
        from coopflow.workflows import BUILTIN_DIR
        from coopflow.workflows import registry as builtin_registry

        # Definitions first: a malformed one fails before any connection exists.
        self.registry = registry or builtin_registry
        self.workflows = load_folder(BUILTIN_DIR, self.registry)
        if workflows_dir is not None:
            load_folder(Path(workflows_dir), self.registry, into=self.workflows)
        self.documents = DocumentStore(Path(templates_dir) if templates_dir else None)
        self._session: Session | None = None
        self._owned = False
        self._tx_owned = False  # a transaction() of coopflow's own, on its own engine
        self._schema = schema
        if isinstance(bind, Session):
            self._session = bind
            engine = bind.get_bind()
            assert isinstance(engine, Engine), "coopflow needs a Session bound to an Engine"
            check_schema_name(engine.dialect.name, schema)
            self._engine = engine
        elif isinstance(bind, Engine):
            self._engine = in_schema(bind, schema) if schema is not None else bind
        else:
            self._engine = create_owned_engine(bind, schema=schema)
            self._owned = True
        self._sqlite = is_sqlite(self._engine)
        self._write_engine = self._engine.execution_options(**{WRITE_OPTION: True})
        self._fired: list[Callable[[FireResult], object]] = []
        self._refused: list[Callable[[Refusal], object]] = []
        self._produced: list[Callable[[DocumentInfo], object]] = []
        self._final: list[Callable[[FinalDocument], object]] = []
        if check:
            try:
                self.check_schema()
            except BaseException:
                self.close()
                raise

    # ------------------------------------------------------------------ life cycle

    @property
    def engine(self) -> Engine:
        return self._engine

    def check_schema(self) -> None:
        """Raise SchemaOutOfDateError (naming the command to run) unless the schema is current."""
        url = display_url(self._engine.url)
        database = self._engine.url.database
        if (
            self._owned
            and self._sqlite
            and database not in (None, "", ":memory:")
            and not Path(database).exists()
        ):
            # Checking would create an empty file: say what to run instead.
            raise SchemaOutOfDateError(None, head_revision(), f"coopflow --db {url} init")
        schema = f" --schema {self._schema}" if self._schema else ""
        with translated_errors():
            if self._session is not None:
                keyword = f", schema={self._schema!r}" if self._schema else ""
                with self._host() as session:
                    check_schema(session.connection(), f"coopflow.migrate(engine{keyword})")
            else:
                check_schema(self._engine, f"coopflow --db {url}{schema} init")

    def migrate(self) -> None:
        """Create or upgrade the schema on this instance's database."""
        if self._session is not None and self._sqlite:
            # SQLite's table rebuilds need foreign keys off, which a transaction cannot switch:
            # migrate on a connection of coopflow's own, before the Session begins.
            if self._session.in_transaction():
                raise CoopflowError(
                    "on SQLite, migrate before the Session begins a transaction "
                    "(or call coopflow.migrate(engine))"
                )
            migrate(self._engine, schema=self._schema)
        elif self._session is not None:
            with translated_errors(), self._host() as session:
                upgrade(session.connection(), schema=self._schema)
        else:
            with translated_errors():
                upgrade(self._engine, schema=self._schema)

    def close(self) -> None:
        """Dispose of the engine coopflow created (never of one it was given)."""
        if self._owned:
            self._engine.dispose()

    def __enter__(self) -> Coopflow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self, *, dry_run: bool = False) -> Iterator[Coopflow]:
        """Run several calls in one transaction, all or nothing.

        The yielded Coopflow shares this one's workflows, templates and callbacks; every call on
        it works in the same transaction, which commits when the block ends (callbacks then
        run), or rolls back if the block raises or ``dry_run`` is set."""
        if self._session is not None:
            with translated_errors(), self._session.begin_nested() as nested:
                yield self
                if dry_run:
                    nested.rollback()
            return
        with translated_errors(), Session(self._write_engine, expire_on_commit=False) as session:
            tx = copy.copy(self)
            tx._session = session
            tx._tx_owned = True
            with session.begin() as outer:
                yield tx
                if dry_run:
                    outer.rollback()
                    return
            pending = session.info.pop("coopflow_pending", [])
        self._notify([call for _, batch in pending for call in batch])

    def on_fired(self, callback: Callable[[FireResult], object]) -> Callable[[FireResult], object]:
        """Call ``callback`` after each fired event's transaction commits."""
        self._fired.append(callback)
        return callback

    def on_refused(self, callback: Callable[[Refusal], object]) -> Callable[[Refusal], object]:
        """Call ``callback`` after each refused attempt to fire (once it has rolled back)."""
        self._refused.append(callback)
        return callback

    def on_document(
        self, callback: Callable[[DocumentInfo], object]
    ) -> Callable[[DocumentInfo], object]:
        """Call ``callback`` for each document produced, after its transaction commits."""
        self._produced.append(callback)
        return callback

    def on_final_document(
        self, callback: Callable[[FinalDocument], object]
    ) -> Callable[[FinalDocument], object]:
        """Call ``callback`` with each final document and its bytes, after commit."""
        self._final.append(callback)
        return callback

    def _notify(self, calls: Sequence[tuple[Callable[[Any], object], object]]) -> None:
        failure: HookError | None = None
        for callback, payload in calls:
            try:
                callback(payload)
            except Exception as exc:
                failure = failure or HookError(getattr(callback, "__qualname__", "?"), exc)
        if failure is not None:
            raise failure

    def _after_commit(
        self, session: Session, calls: list[tuple[Callable[[Any], object], object]]
    ) -> None:
        """Run ``calls`` once the transaction commits (now, if coopflow owns it).

        In a host's Session they wait for the host's outermost commit, and are dropped if the
        host rolls back the transaction (or a savepoint) they were made in."""
        if not calls:
            return
        if self._session is None:
            self._notify(calls)
            return
        where = session.get_nested_transaction() or session.get_transaction()
        pending: list[tuple[Any, list[tuple[Callable[[Any], object], object]]]] = (
            session.info.setdefault("coopflow_pending", [])
        )
        pending.append((where, calls))
        if self._tx_owned or session.info.get("coopflow_listening"):
            return
        session.info["coopflow_listening"] = True

        def committed(sess: Session) -> None:
            if sess.in_nested_transaction():
                return  # a savepoint was released: the outer transaction may still roll back
            todo = sess.info.get("coopflow_pending", [])
            sess.info["coopflow_pending"] = []
            sess.info["coopflow_ready"] = [call for _, batch in todo for call in batch]

        def ended(sess: Session, transaction: Any) -> None:
            # Not in after_commit: SQLAlchemy is still closing the transaction there, and an
            # exception would leave the host's Session stuck in its "committed" state.
            if transaction.parent is None:
                self._notify(sess.info.pop("coopflow_ready", []))

        def rolled_back(sess: Session, previous: Any) -> None:
            def inside(transaction: Any) -> bool:
                while transaction is not None:
                    if transaction is previous:
                        return True
                    transaction = transaction.parent
                return False

            sess.info["coopflow_pending"] = [
                entry for entry in sess.info.get("coopflow_pending", []) if not inside(entry[0])
            ]

        event.listen(session, "after_commit", committed)
        event.listen(session, "after_transaction_end", ended)
        event.listen(session, "after_soft_rollback", rolled_back)

    def _document_calls(
        self, session: Session, docs: Sequence[DocumentInfo]
    ) -> list[tuple[Callable[[Any], object], object]]:
        calls: list[tuple[Callable[[Any], object], object]] = [
            (cb, d) for d in docs for cb in self._produced
        ]
        finals = [d for d in docs if d.status == "final"]
        if finals and self._final:
            for d in finals:
                pdf = session.scalar(select(Document.content).where(Document.id == d.id))
                assert pdf is not None
                calls.extend((cb, FinalDocument(d, pdf)) for cb in self._final)
        return calls

    # ------------------------------------------------------------------ units of work

    @contextlib.contextmanager
    def _host(self) -> Iterator[Session]:
        """The host's Session, with coopflow's schema first on its path for one call."""
        assert self._session is not None
        if self._schema is None:
            yield self._session
            return
        with schema_first(self._session.connection(), self._schema):
            yield self._session

    @contextlib.contextmanager
    def _read(self) -> Iterator[Session]:
        with translated_errors():
            if self._session is not None:
                with self._host() as session:
                    yield session
                return
            with Session(self._engine, expire_on_commit=False) as session, session.begin():
                yield session

    @contextlib.contextmanager
    def _write(self, reference: str | None = None, *, fire: bool = False) -> Iterator[Session]:
        with translated_errors(reference):
            if self._session is not None:
                with self._host() as session, session.begin_nested():
                    yield session
                return
            # SQLite begins with the first statement: tell BEGIN which partnership a fire is
            # for, so that it notes its version if it has to wait for another writer.
            firing = FIRING.set(reference if fire and self._sqlite else None)
            try:
                with (
                    Session(self._write_engine, expire_on_commit=False) as session,
                    session.begin(),
                ):
                    yield session
            finally:
                FIRING.reset(firing)

    def _lock(self, session: Session, reference: str) -> Partnership:
        """The partnership, locked for writing."""
        return _core.lock_partnership(session, reference, sqlite_write=self._needs_sqlite_lock())

    def _needs_sqlite_lock(self) -> bool:
        """On SQLite, only coopflow's own engine begins writing transactions IMMEDIATE."""
        return self._sqlite and not self._owned

    # ------------------------------------------------------------------ parties

    def add_party(
        self,
        key: str,
        official_name: str,
        *,
        nature: str,
        deliberative_body: str,
        executive_title: str,
        usual_name: str | None = None,
        siren: str | None = None,
        seat: str | None = None,
        replace: bool = False,
    ) -> PartyInfo:
        """Register a party (collectivité).  Registering the same party again with the same
        fields is a no-op; different fields need ``replace=True``."""
        with self._write() as s:
            party, _ = _core.put_party(
                s,
                key=key,
                official_name=official_name,
                nature=nature,
                deliberative_body=deliberative_body,
                executive_title=executive_title,
                usual_name=usual_name,
                siren=siren,
                seat=seat,
                replace=replace,
            )
            return PartyInfo.of(party)

    def party(self, key: str) -> PartyInfo:
        with self._read() as s:
            return PartyInfo.of(_core.find_party(s, key))

    def parties(self) -> list[PartyInfo]:
        with self._read() as s:
            return [PartyInfo.of(p) for p in s.scalars(select(Party).order_by(Party.key))]

    # ------------------------------------------------------------------ partnerships

    def create_partnership(
        self,
        title: str,
        *,
        scale: str,
        parties: Sequence[str],
        home: str,
        responsible: str,
        actor: Actor,
        lead: str | None = None,
        reference: str | None = None,
        workflow: str = "cooperation",
        workflow_version: int | None = None,
    ) -> PartnershipInfo:
        """Open a partnership in its workflow's initial state (accueil)."""
        with self._write(reference) as s:
            p = _core.create_partnership(
                s,
                self.workflows,
                title=title,
                scale=scale,
                parties=parties,
                home=home,
                lead=lead,
                responsible=responsible,
                actor=actor,
                reference=reference,
                workflow=workflow,
                workflow_version=workflow_version,
            )
            return self._info(p)

    @staticmethod
    def _info(p: Partnership) -> PartnershipInfo:
        keys = {m.party_id: m.party.key for m in p.members}
        return PartnershipInfo(
            reference=p.reference,
            title=p.title,
            scale=p.scale,
            state=p.state,
            version=p.version,
            workflow=p.workflow_name,
            workflow_version=p.workflow_version,
            responsible=p.responsible,
            home=keys[p.home_party_id],
            lead=keys.get(p.lead_party_id) if p.lead_party_id else None,
            parties=tuple(m.party.key for m in p.members),
            updated_at=aware(p.updated_at),
        )

    def partnership(self, reference: str) -> PartnershipInfo:
        with self._read() as s:
            return self._info(_core.find_partnership(s, reference))

    def detail(self, reference: str) -> dict[str, Any]:
        """Everything about a partnership, as JSON-compatible data (the CLI's ``show``)."""
        with self._read() as s:
            p = _core.find_partnership(s, reference)
            info = self._info(p)
            proto = s.scalars(select(Protocol).where(Protocol.partnership_id == p.id)).first()
            snap = (
                self.documents.protocol_snapshot(s, p, final=False) if proto is not None else None
            )
            programmes = [
                {
                    "label": g.label,
                    "state": g.state,
                    "period": [g.period_start.isoformat(), g.period_end.isoformat()],
                    "copil_date": g.copil_date.isoformat() if g.copil_date else None,
                }
                for g in s.scalars(
                    select(Programme)
                    .where(Programme.partnership_id == p.id)
                    .order_by(Programme.label)
                )
            ]
            from ._views import as_jsonable

            result: dict[str, Any] = as_jsonable(info)
            result["protocol"] = snap
            result["approved_document_sha256"] = proto.approved_document_sha256 if proto else None
            result["signed_document_sha256"] = proto.signed_document_sha256 if proto else None
            result["programmes"] = programmes
            return result

    def partnerships(
        self,
        *,
        state: str | None = None,
        scale: str | None = None,
        party: str | None = None,
        batch: int = 500,
    ) -> Iterator[PartnershipInfo]:
        """Partnerships by reference, streamed in batches (flat memory however many there are).

        ``state`` also matches the states nested in it (``contractualisation``)."""
        stmt = select(Partnership).options(selectinload(Partnership.members))
        if state is not None:
            stmt = stmt.where(Partnership.state.in_(self._states_within(state)))
        if scale is not None:
            stmt = stmt.where(Partnership.scale == v.choice(scale, "scale", SCALES))
        if party is not None:
            member = (
                select(PartnershipParty.partnership_id)
                .join(Party, Party.id == PartnershipParty.party_id)
                .where(Party.key == party)
            )
            stmt = stmt.where(Partnership.id.in_(member))
        stmt = stmt.order_by(Partnership.reference).execution_options(yield_per=batch)
        with self._read() as s:
            for p in s.scalars(stmt):
                yield self._info(p)

    def _states_within(self, state: str) -> list[str]:
        found = sorted(
            {
                path
                for wf in self.workflows
                if wf.subject == "partnership"
                for path in wf.states
                if path == state or path.startswith(state + ".")
            }
        )
        if not found:
            raise ValidationError(f"no workflow has a state {state!r}", field="state")
        return found

    # ------------------------------------------------------------------ data entry

    def _edit(self, reference: str, fn: Callable[[Session, Partnership], T]) -> T:
        with self._write(reference) as s:
            return fn(s, self._lock(s, reference))

    def log_exchange(
        self,
        reference: str,
        *,
        date: dt.date | str,
        kind: str,
        summary: str,
        actor: Actor,
        participants: str | None = None,
    ) -> None:
        """Log an exchange (meeting, letter, workshop...) with the partner territories."""
        self._edit(
            reference,
            lambda s, p: _core.log_exchange(
                s,
                self.workflows,
                p,
                date=date,
                kind=kind,
                summary=summary,
                actor=actor,
                participants=participants,
            ),
        )

    def add_axis(
        self,
        reference: str,
        title: str,
        *,
        objectives: Sequence[str] = (),
        number: int | None = None,
    ) -> int:
        """Add a cooperation axis (or replace axis ``number``); returns its number."""
        return self._edit(
            reference,
            lambda s, p: _core.put_axis(s, p, title=title, objectives=objectives, number=number),
        ).number

    def add_stake(self, reference: str, *, axis: int, title: str, description: str = "") -> None:
        """Record a cooperation stake (enjeu) identified under an axis."""
        self._edit(
            reference,
            lambda s, p: _core.add_stake(s, p, axis=axis, title=title, description=description),
        )

    def add_commitment(self, reference: str, *, axis: int, party: str, text: str) -> None:
        """Record what a party commits to under an axis."""
        self._edit(
            reference, lambda s, p: _core.add_commitment(s, p, axis=axis, party=party, text=text)
        )

    def set_protocol(
        self,
        reference: str,
        *,
        start: dt.date | str,
        end: dt.date | str,
        preamble: Sequence[str] | None = None,
        copil: str | None = None,
        cotech: str | None = None,
        meetings_per_year: int | None = None,
        means: str | None = None,
        financial_commitments: str | None = None,
    ) -> None:
        """Set the protocol's period, preamble, governance and means."""
        self._edit(
            reference,
            lambda s, p: _core.put_protocol(
                s,
                p,
                start=start,
                end=end,
                preamble=preamble,
                copil=copil,
                cotech=cotech,
                meetings_per_year=meetings_per_year,
                means=means,
                financial_commitments=financial_commitments,
            ),
        )

    def record_deliberation(
        self,
        reference: str,
        *,
        party: str,
        number: str,
        sitting_date: dt.date | str,
        sent_to_prefecture: dt.date | str | None = None,
        published: dt.date | str | None = None,
        amendment: int = 0,
        actor: Actor,
    ) -> None:
        """Record or complete a party's délibération (exécutoire once sent and published).

        A change is journaled (event ``deliberation``, by ``actor``) with the SHA-256 of the
        document deliberated on."""
        self._edit(
            reference,
            lambda s, p: _core.put_deliberation(
                s,
                p,
                party=party,
                number=number,
                sitting_date=sitting_date,
                sent_to_prefecture=sent_to_prefecture,
                published=published,
                amendment=amendment,
                actor=actor,
            ),
        )

    def set_signatory(
        self, reference: str, *, party: str, first_name: str, last_name: str, title: str
    ) -> None:
        """Name who signs for a party (its executive, as named in its délibération)."""
        self._edit(
            reference,
            lambda s, p: _core.put_signatory(
                s, p, party=party, first_name=first_name, last_name=last_name, title=title
            ),
        )

    def add_amendment_change(self, reference: str, text: str) -> None:
        """Add a change (one paragraph) to the avenant being drafted."""
        self._edit(reference, lambda s, p: _core.add_amendment_change(s, p, text=text))

    def add_programme(
        self, reference: str, label: str, *, start: dt.date | str, end: dt.date | str
    ) -> None:
        """Open (or re-date) an annual work programme."""
        self._edit(
            reference,
            lambda s, p: _core.put_programme(
                s, self.workflows, p, label=label, start=start, end=end
            ),
        )

    def add_action(
        self,
        reference: str,
        programme: str,
        *,
        axis: int,
        title: str,
        objectives: str = "",
        lead: str | None = None,
        contact: str | None = None,
        partners: Sequence[str] = (),
        number: int | None = None,
    ) -> int:
        """Add (or, with ``number``, replace) an action of a programme; returns its number."""

        def run(s: Session, p: Partnership) -> int:
            prog = _core.find_programme(s, p, programme)
            return _core.put_action(
                s,
                p,
                prog,
                axis=axis,
                title=title,
                objectives=objectives,
                lead=lead,
                contact=contact,
                partners=partners,
                number=number,
            ).number

        return self._edit(reference, run)

    def _action_edit(
        self,
        reference: str,
        programme: str,
        number: int,
        fn: Callable[[Session, Partnership, Action], object],
        *,
        measuring: bool = False,
    ) -> None:
        def run(s: Session, p: Partnership) -> None:
            prog = _core.find_programme(s, p, programme)
            if not measuring:
                _core._programme_editable(prog)
            fn(s, p, _core.find_action(s, prog, number))

        self._edit(reference, run)

    def add_milestone(
        self, reference: str, programme: str, action: int, *, date: dt.date | str, label: str
    ) -> None:
        self._action_edit(
            reference,
            programme,
            action,
            lambda s, p, a: _core.add_milestone(s, p, a, date=date, label=label),
        )

    def set_milestone_done(
        self,
        reference: str,
        programme: str,
        action: int,
        *,
        date: dt.date | str,
        label: str,
        done: bool = True,
    ) -> None:
        """Mark a milestone done (it then no longer shows in :meth:`due`)."""
        self._action_edit(
            reference,
            programme,
            action,
            lambda s, p, a: _core.set_milestone_done(s, p, a, date=date, label=label, done=done),
            measuring=True,
        )

    def set_action_progress(
        self, reference: str, programme: str, action: int, progress: str
    ) -> None:
        """Record an action's progress: à lancer, en cours, réalisée, reportée, abandonnée."""
        self._action_edit(
            reference,
            programme,
            action,
            lambda s, p, a: _core.set_action_progress(s, p, a, progress),
            measuring=True,
        )

    def add_budget_line(
        self, reference: str, programme: str, action: int, *, funder: str, amount: object
    ) -> None:
        """Plan an amount (euros) for an action, by funder (a party key or a name)."""
        self._action_edit(
            reference,
            programme,
            action,
            lambda s, p, a: _core.put_budget_line(s, p, a, funder=funder, amount=amount),
        )

    def add_indicator(
        self,
        reference: str,
        programme: str,
        action: int,
        *,
        name: str,
        target: object,
        unit: str = "",
        actual: object = None,
    ) -> None:
        """Add an indicator, or update it (a measured ``actual`` may be set at any time)."""
        self._action_edit(
            reference,
            programme,
            action,
            lambda s, p, a: _core.put_indicator(
                s, p, a, name=name, target=target, unit=unit, actual=actual
            ),
            measuring=True,
        )

    # ------------------------------------------------------------------ events

    def events(
        self,
        reference: str,
        actor: Actor,
        *,
        programme: str | None = None,
        today: dt.date | None = None,
    ) -> list[EventStatus]:
        """The events leaving the current state: available to ``actor`` now, or why not."""
        with self._read() as s:
            return list(
                _core.event_statuses(
                    s,
                    self.workflows,
                    self.registry,
                    self.documents,
                    reference,
                    actor,
                    programme=programme,
                    today=today,
                )
            )

    def fire(
        self,
        reference: str,
        event: str,
        actor: Actor,
        *,
        comment: str | None = None,
        data: Mapping[str, object] | None = None,
        programme: str | None = None,
        expected_version: int | None = None,
        today: dt.date | None = None,
    ) -> FireResult:
        """Fire ``event`` on a partnership (or on one of its programmes), in one transaction:
        lock, check role, state, inputs and guards, change the state, run the effects, append
        the journal record, commit.  Raises a CoopflowError saying why when refused.

        ``expected_version`` (the version the actor saw) turns a concurrent change into a
        ConcurrentModificationError instead of firing on a state the actor has not seen."""
        try:
            with self._write(reference, fire=True) as s:
                p, ctx, record, source = _core.fire(
                    s,
                    self.workflows,
                    self.registry,
                    self.documents,
                    reference,
                    event,
                    actor,
                    comment=comment,
                    data=data,
                    programme=programme,
                    expected_version=expected_version,
                    today=today,
                    sqlite_write=self._needs_sqlite_lock(),
                )
                result = FireResult(
                    reference=reference,
                    event=event,
                    programme=programme,
                    source_state=source,
                    target_state=record.target_state,
                    version=p.version,
                    record=record,
                    documents=tuple(ctx.produced),
                )
                calls: list[tuple[Callable[[Any], object], object]] = [
                    (cb, result) for cb in self._fired
                ]
                calls.extend(self._document_calls(s, ctx.produced))
                if self._session is not None:
                    self._after_commit(s, calls)
        except CoopflowError as exc:
            if self._refused and not isinstance(exc, HookError):
                try:
                    self._notify(
                        [
                            (cb, Refusal(reference, event, actor, programme, exc))
                            for cb in self._refused
                        ]
                    )
                except HookError as hook:
                    # The refusal is what the caller must hear about; the failing callback is
                    # noted on it.
                    exc.add_note(str(hook))
            raise
        if self._session is None:
            self._notify(calls)
        return result

    def migrate_workflow(
        self,
        name: str,
        *,
        from_version: int,
        to_version: int,
        actor: Actor,
        mapping: Mapping[str, str] | None = None,
        references: Sequence[str] | None = None,
    ) -> list[str]:
        """Move in-flight partnerships (or programmes) on ``name`` v``from_version`` to
        v``to_version``, mapping old states to new ones; journaled, all or nothing.

        Partnerships keep the version they started on until moved this way."""
        with self._write() as s:
            return _core.migrate_workflow(
                s,
                self.workflows,
                name=name,
                from_version=from_version,
                to_version=to_version,
                mapping=mapping or {},
                actor=actor,
                references=references,
                sqlite_write=self._needs_sqlite_lock(),
            )

    # ------------------------------------------------------------------ journal

    def history(self, reference: str) -> list[JournalEntry]:
        """The partnership's journal, oldest first."""
        with self._read() as s:
            p = _core.find_partnership(s, reference)
            labels = dict(
                s.execute(
                    select(Programme.id, Programme.label).where(Programme.partnership_id == p.id)
                ).all()
            )
            return [
                JournalEntry.of(
                    r, reference, labels.get(r.programme_id) if r.programme_id else None
                )
                for r in s.scalars(
                    select(JournalRecord)
                    .where(JournalRecord.partnership_id == p.id)
                    .order_by(JournalRecord.seq)
                )
            ]

    def verify(self, reference: str | None = None) -> _journal.VerifyReport:
        """Recompute the hash chains and document hashes (of one partnership, or all)."""
        with self._read() as s:
            if reference is not None:
                targets: Any = [_core.find_partnership(s, reference)]
            else:
                targets = s.scalars(
                    select(Partnership).order_by(Partnership.id).execution_options(yield_per=200)
                )
            report = _journal.verify(s, targets)
            if reference is None:
                report = _journal.with_orphans(s, report)
            return report

    # ------------------------------------------------------------------ documents

    def render(
        self,
        reference: str,
        kind: Kind = "protocole",
        *,
        subject: str = "",
        actor: Actor,
    ) -> DocumentInfo:
        """Render the current draft of a document (a new version only if its data changed).

        A new version is journaled (event ``document``), so that no stored document lacks its
        journal record."""
        if kind not in ("protocole", "programme", "avenant"):
            raise ValidationError(f"unknown document kind {kind!r}", field="kind")
        _core.check_role(actor.role)
        with self._write(reference) as s:
            p = self._lock(s, reference)
            produced: list[DocumentInfo] = []
            doc = self.documents.produce(
                s, p, kind, subject, final=False, created_by=actor.id, produced=produced
            )
            if produced:
                wf = self.workflows.get(p.workflow_name, p.workflow_version)
                _journal.append(
                    s,
                    p,
                    event="document",
                    source_state=p.state,
                    target_state=p.state,
                    actor=actor.id,
                    role=actor.role,
                    at=doc.created_at,
                    comment=None,
                    data={"kind": kind, "subject": subject, "version": doc.version},
                    workflow_name=wf.name,
                    workflow_version=wf.version,
                    document_sha256=doc.sha256,
                )
                p.updated_at = doc.created_at
            info = DocumentInfo.of(doc, reference)
            calls = self._document_calls(s, produced)
            if self._session is not None:
                self._after_commit(s, calls)
        if self._session is None:
            self._notify(calls)
        return info

    def documents_of(self, reference: str) -> list[DocumentInfo]:
        """Every stored document of a partnership, oldest first."""
        with self._read() as s:
            p = _core.find_partnership(s, reference)
            return [
                DocumentInfo.of(d, reference)
                for d in s.scalars(
                    select(Document)
                    .where(Document.partnership_id == p.id)
                    .order_by(Document.kind, Document.subject, Document.version)
                )
            ]

    def document_bytes(self, sha256: str) -> bytes:
        with self._read() as s:
            pdf = s.scalar(select(Document.content).where(Document.sha256 == sha256).limit(1))
            if pdf is None:
                raise NotFoundError("document", sha256)
            return pdf

    def export(self, reference: str, folder: Path | str) -> Path:
        """Write the partnership's final PDFs (and the approved draft) and a JSON manifest
        (hashes, journal references) to ``folder``; returns the manifest's path."""
        target = Path(folder)
        with self._read() as s:
            p = _core.find_partnership(s, reference)
            proto = s.scalars(select(Protocol).where(Protocol.partnership_id == p.id)).first()
            approved = proto.approved_document_sha256 if proto else None
            docs = list(
                s.scalars(
                    select(Document)
                    .where(
                        Document.partnership_id == p.id,
                        or_(Document.status == "final", Document.sha256 == approved),
                    )
                    .order_by(Document.kind, Document.subject, Document.version)
                )
            )
            records = list(
                s.scalars(
                    select(JournalRecord)
                    .where(JournalRecord.partnership_id == p.id)
                    .order_by(JournalRecord.seq)
                )
            )
            report = _journal.verify(s, [p])
            target.mkdir(parents=True, exist_ok=True)
            entries = []
            for d in docs:
                info = DocumentInfo.of(d, reference)
                # The version legal approved is named so, whatever came after it.
                name = (
                    info.filename.replace(f"-{d.status}.pdf", "-approved.pdf")
                    if d.sha256 == approved
                    else info.filename
                )
                (target / name).write_bytes(d.content)
                entries.append(
                    {
                        "file": name,
                        "kind": d.kind,
                        "subject": d.subject,
                        "version": d.version,
                        "status": d.status,
                        "approved_by_legal": d.sha256 == approved,
                        "sha256": d.sha256,
                        "size": d.size,
                        "snapshot_sha256": d.snapshot_sha256,
                        "content_sha256": d.content_sha256,
                        "template": {"name": d.template_name, "sha256": d.template_sha256},
                        "journal": [
                            {"seq": r.seq, "event": r.event, "hash": r.hash}
                            for r in records
                            if r.document_sha256 == d.sha256
                        ],
                    }
                )
            manifest = {
                "reference": reference,
                "title": p.title,
                "state": p.state,
                "journal": {"records": p.journal_seq, "head": p.journal_head},
                "verified": report.ok,
                "problems": [str(x) for x in report.problems],
                "documents": entries,
            }
        path = target / f"{reference}-manifest.json"
        path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
        return path

    # ------------------------------------------------------------------ deadlines

    def due(self, *, within_days: int = 30, today: dt.date | None = None) -> list[Deadline]:
        """What falls due within ``within_days`` (and what is overdue), soonest first:
        protocols ending, programmes awaiting COPIL approval, délibérations not yet
        exécutoire, and milestones past their date in running programmes."""
        today = today or dt.date.today()
        horizon = today + dt.timedelta(days=within_days)
        in_force = self._states_within("contractualisation.en_vigueur") + self._states_within(
            "contractualisation.avenant"
        )
        found: list[Deadline] = []
        with self._read() as s:
            for ref, end in s.execute(
                select(Partnership.reference, Protocol.period_end)
                .join(Protocol, Protocol.partnership_id == Partnership.id)
                .where(Protocol.period_end <= horizon, Partnership.state.in_(in_force))
            ):
                found.append(Deadline(ref, "protocol_end", end, f"the protocol ends on {end}"))
            for ref, label, start in s.execute(
                select(Partnership.reference, Programme.label, Programme.period_start)
                .join(Programme, Programme.partnership_id == Partnership.id)
                .where(Programme.state == "revu_cotech", Programme.period_start <= horizon)
            ):
                found.append(
                    Deadline(
                        ref,
                        "copil_approval",
                        start,
                        f"programme {label} awaits COPIL approval (starts {start})",
                    )
                )
            for ref, number, sitting in s.execute(
                select(Partnership.reference, Deliberation.number, Deliberation.sitting_date)
                .join(Deliberation, Deliberation.partnership_id == Partnership.id)
                .where(DELIBERATION_PENDING, Deliberation.sitting_date <= horizon)
            ):
                found.append(
                    Deadline(
                        ref,
                        "deliberation",
                        sitting + dt.timedelta(days=15),
                        f"délibération n° {number} is not exécutoire yet",
                    )
                )
            for ref, label, action_no, when, what in s.execute(
                select(
                    Partnership.reference,
                    Programme.label,
                    Action.number,
                    Milestone.date,
                    Milestone.label,
                )
                .join(Programme, Programme.partnership_id == Partnership.id)
                .join(Action, Action.programme_id == Programme.id)
                .join(Milestone, Milestone.action_id == Action.id)
                .where(
                    MILESTONE_OPEN,
                    Milestone.date < today,
                    Programme.state.in_(("approuve_copil", "en_cours")),
                )
            ):
                found.append(
                    Deadline(
                        ref,
                        "milestone",
                        when,
                        f"programme {label}, action {action_no}: {what} (due {when})",
                    )
                )
        return sorted(found, key=lambda d: (d.due, d.reference, d.kind))

    # ------------------------------------------------------------------ misc

    def snapshot(self, reference: str, kind: Kind = "protocole", subject: str = "") -> str:
        """The canonical JSON snapshot a document would be rendered from now."""
        with self._read() as s:
            p = _core.find_partnership(s, reference)
            return canonical_json(self.documents.snapshot(s, p, kind, subject, final=False))
