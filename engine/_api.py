"""The :class:`Coopflow` facade: one object per database, the API hosts and the CLI call.

Each method is thin: it opens a unit of work (:mod:`coopflow._binding`), calls one domain
operation (:mod:`coopflow._domain`), and queues the callbacks the operation owes; it returns
plain values, never ORM objects.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from . import _checkpoint, _protections, _validate
from ._binding import Bind, Binding, Call, Callbacks, migration_engine
from ._checkpoint import CheckpointFile, CheckpointSettings
from ._context import Acting, Actor
from ._db import LOCK_TIMEOUT_S, translated_errors
from ._documents import DocumentInfo, DocumentStore
from ._domain import (
    actors,
    changes,
    content,
    db_roles,
    deadlines,
    deliberations,
    dialogues,
    documents,
    firing,
    migration,
    programmes,
    reading,
)
from ._domain import checkpoints as checkpoint_ops
from ._domain import parties as party_ops
from ._domain import partnerships as partnership_ops
from ._domain.locking import lock_partnership
from ._domain.lookup import exchange_kind, find_partnership, references_like, suggest
from ._domain.reading import DeliberationInfo, ExchangeInfo, ProgrammeInfo
from ._files import OutputFolder, is_safe_component
from ._i18n import _, language, normalize
from ._journal import VerifyReport
from ._migrate import downgrade, upgrade
from ._permissions import load_policy
from ._views import (
    ActorInfo,
    CheckpointInfo,
    Deadline,
    DialogueExchangeInfo,
    DialogueInfo,
    DialogueSummary,
    EventStatus,
    FinalDocument,
    FireResult,
    JournalEntry,
    NewPartnership,
    PartnershipInfo,
    PartyInfo,
    Refusal,
)
from ._vocabulary import DEFAULT_WORKFLOW, Kind
from ._workflow import POLICY_FILE, Registry, WorkflowSet, load_folder
from .errors import (
    ConcurrentModificationError,
    CoopflowError,
    EvidenceError,
    HookError,
    NotFoundError,
    OutputError,
    ValidationError,
)
from .models import Partnership

__all__ = ["Coopflow", "downgrade_schema", "migrate"]

if TYPE_CHECKING:
    from ._calendar import CalendarEvent
    from ._report import Report


def _programme_scope(label: object) -> str:
    """The data scope of a programme, by its label as the programme operations clean it."""
    return f"programme:{_validate.text(label, 'label', max_length=32)}"


def _log_exchange(
    session: Session, workflows: WorkflowSet, p: Partnership, *, acting: Acting, **fields: Any
) -> None:
    """Log an exchange and journal it (scope ``exchanges``)."""
    changes.journaled(
        session,
        p,
        acting,
        "exchange.log",
        "exchanges",
        lambda: partnership_ops.log_exchange(session, workflows, p, acting=acting, **fields),
    )


def migrate(bind: str | URL | Engine, revision: str = "head", *, schema: str | None = None) -> None:
    """Create or upgrade coopflow's tables (Alembic, coopflow's own version table).

    ``schema`` (PostgreSQL) keeps coopflow's tables and version table in that schema, created
    if needed."""
    engine = migration_engine(bind, schema)
    try:
        with translated_errors():
            upgrade(engine, revision, schema)
            if revision == "head":
                with engine.connect() as connection:
                    _protections.require(connection)
    finally:
        if not isinstance(bind, Engine):
            engine.dispose()


def downgrade_schema(bind: str | URL | Engine, revision: str, *, schema: str | None = None) -> None:
    """Downgrade coopflow's tables to ``revision`` ("base" drops them all; a ``schema`` itself
    is left in place, with the version table)."""
    engine = migration_engine(bind, schema)
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
    holding coopflow's tables, as given to :func:`migrate`.  ``lock_timeout`` (seconds, on an
    engine coopflow creates from a URL on PostgreSQL) bounds how long a write waits for a
    partnership another transaction holds; then it is a ConcurrentModificationError.
    ``max_pages`` bounds a document (500 pages by default): a template that would lay out more
    is a TemplateError.  ``render_timeout`` bounds the time one document takes to render, the
    template, WeasyPrint's layout and the PDF's writing (seconds, more than 0 and at most a day;
    120 by default): a render that outlasts it is stopped (within about a second), nothing is
    stored, and it is a TemplateError that names the limit.

    ``locale`` (``fr`` or ``en``) is the language of every message its methods give (errors,
    guard reasons): by default the caller's (:func:`coopflow._i18n.language`), else
    ``COOPFLOW_LANG``, then ``LANG``, then French.  Error codes and fields do not change.

    A reference may be given in any case (``coop-2026-0001``); an unknown one is a
    NotFoundError whose ``suggestions`` are the closest references.
    """

    def __init__(
        self,
        bind: Bind,
        *,
        workflows_dir: Path | str | None = None,
        templates_dir: Path | str | None = None,
        registry: Registry | None = None,
        schema: str | None = None,
        lock_timeout: float = LOCK_TIMEOUT_S,
        max_pages: int | None = None,
        render_timeout: float | None = None,
        check: bool = True,
        checkpoints: CheckpointSettings | None = None,
        locale: str | None = None,
    ) -> None:
        if locale is not None and normalize(locale) is None:
            with language(locale):  # refused: an unknown language, named in the error
                pass
        #: The language of every message of this instance's methods (None: the caller's, or
        #: the environment's: ``COOPFLOW_LANG``, ``LANG``).
        self.locale = normalize(locale) if locale is not None else None
        with language(self.locale):
            self._setup(
                bind,
                workflows_dir=workflows_dir,
                templates_dir=templates_dir,
                registry=registry,
                schema=schema,
                lock_timeout=lock_timeout,
                max_pages=max_pages,
                render_timeout=render_timeout,
                check=check,
                checkpoints=checkpoints,
            )

    def _setup(
        self,
        bind: Bind,
        *,
        workflows_dir: Path | str | None,
        templates_dir: Path | str | None,
        registry: Registry | None,
        schema: str | None,
        lock_timeout: float,
        max_pages: int | None,
        render_timeout: float | None,
        check: bool,
        checkpoints: CheckpointSettings | None,
    ) -> None:
        from coopflow.workflows import BUILTIN_DIR
        from coopflow.workflows import registry as builtin_registry

        # Definitions first: a malformed one fails before any connection exists.
        self.registry = registry or builtin_registry
        self.workflows = load_folder(BUILTIN_DIR, self.registry)
        if workflows_dir is not None:
            load_folder(Path(workflows_dir), self.registry, into=self.workflows)
        self.policy = load_policy(
            BUILTIN_DIR / POLICY_FILE,
            Path(workflows_dir) / POLICY_FILE if workflows_dir is not None else None,
        )
        self.documents = DocumentStore(
            Path(templates_dir) if templates_dir else None,
            max_pages=max_pages,
            render_timeout=render_timeout,
            workflows=self.workflows,
        )
        self._binding = Binding(bind, schema=schema, lock_timeout=lock_timeout)
        self._callbacks = Callbacks()
        self.checkpoint_settings = checkpoints
        # In a transaction(): the signatures whose checkpoint waits for the commit.
        self._signed: list[tuple[str, str, Actor]] | None = None
        if check:
            try:
                self.check_schema()
            except BaseException:
                self.close()
                raise

    # ------------------------------------------------------------------ life cycle

    @property
    def engine(self) -> Engine:
        return self._binding.engine

    def check_schema(self) -> None:
        """Raise SchemaOutOfDateError (naming the command to run) unless the schema is current."""
        self._binding.check_schema()

    def migrate(self) -> None:
        """Create or upgrade the schema on this instance's database."""
        self._binding.migrate()

    def close(self) -> None:
        """Dispose of the engine coopflow created (never of one it was given)."""
        self._binding.close()

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
        signed: list[tuple[str, str, Actor]] = []
        with self._binding.transaction(dry_run=dry_run) as (binding, owed):
            if binding is self._binding:
                yield self
            else:
                tx = copy.copy(self)
                tx._binding = binding
                tx._signed = signed
                yield tx
        self._callbacks.notify(owed)
        if signed and not dry_run:
            self._checkpoint_after(*signed[-1])  # one checkpoint covers them all

    def on_fired(self, callback: Callable[[FireResult], object]) -> Callable[[FireResult], object]:
        """Call ``callback`` after each fired event's transaction commits."""
        self._callbacks.fired.append(callback)
        return callback

    def on_refused(self, callback: Callable[[Refusal], object]) -> Callable[[Refusal], object]:
        """Call ``callback`` after each refused attempt to fire (once it has rolled back)."""
        self._callbacks.refused.append(callback)
        return callback

    def on_document(
        self, callback: Callable[[DocumentInfo], object]
    ) -> Callable[[DocumentInfo], object]:
        """Call ``callback`` for each document produced, after its transaction commits."""
        self._callbacks.produced.append(callback)
        return callback

    def on_final_document(
        self, callback: Callable[[FinalDocument], object]
    ) -> Callable[[FinalDocument], object]:
        """Call ``callback`` with each final document and its bytes, after commit."""
        self._callbacks.final.append(callback)
        return callback

    # ------------------------------------------------------------------ units of work

    def _authorise(self, db: Session | Connection, actor: Actor, operation: str) -> Acting:
        """Admit ``actor`` to ``operation`` (its roles come from the permissions policy)."""
        return actors.authorise(
            db,
            actor,
            self.policy.allowed(operation),
            operation,
            db_login=self._binding.db_login(db),
        )

    def _edit(
        self,
        reference: str,
        permission: str,
        scope: str | None,
        run: Callable[..., Any],
        /,
        *args: Any,
        actor: Actor,
        **kw: Any,
    ) -> Any:
        """One data entry on a partnership: lock it, admit the actor, run ``run(session,
        workflows, p, *args, **kw)`` and journal what it changed in ``scope`` (None: the
        operation journals itself), commit."""
        with self._binding.write(reference) as s:
            p = lock_partnership(s, reference, sqlite_write=self._binding.needs_sqlite_lock)
            acting = self._authorise(s, actor, permission)
            if scope is None:
                return run(s, self.workflows, p, *args, acting=acting, **kw)
            return changes.journaled(
                s, p, acting, permission, scope, lambda: run(s, self.workflows, p, *args, **kw)
            )

    def _deliver(self, session: Any, calls: list[Call]) -> list[Call]:
        """Queue ``calls`` in a host's Session (delivered at its commit); return those to run
        once coopflow's own transaction has committed."""
        if self._binding.session is not None:
            self._callbacks.after_commit(self._binding, session, calls)
            return []
        return calls

    # ------------------------------------------------------------------ actors

    def register_first_admin(
        self,
        login: str,
        full_name: str,
        *,
        db_login: str | None = None,
        identified_by: str = "host",
    ) -> ActorInfo:
        """Register the first admin of an empty registry (``coopflow init`` registers whoever
        runs it, with their database login on PostgreSQL); refused once anyone is
        registered."""
        with self._binding.write() as s:
            return actors.register_first_admin(
                s,
                login=login,
                full_name=full_name,
                db_login=db_login,
                identified_by=identified_by,
                writer=self._binding.db_login(s),
            )

    def add_actor(
        self,
        login: str,
        full_name: str,
        *,
        roles: Sequence[str],
        actor: Actor,
        db_login: str | None = None,
    ) -> ActorInfo:
        """Register a person with the roles they hold (and, on PostgreSQL, the database login
        they connect as, granted the group roles of those roles).  Journaled."""
        with self._binding.write() as s:
            acting = self._authorise(s, actor, "actor.manage")
            return actors.add_actor(
                s, acting, login=login, full_name=full_name, roles=roles, db_login=db_login
            )

    def grant_role(self, login: str, role: str, *, actor: Actor) -> ActorInfo:
        with self._binding.write() as s:
            return actors.grant(s, self._authorise(s, actor, "actor.manage"), login, role)

    def revoke_role(self, login: str, role: str, *, actor: Actor) -> ActorInfo:
        with self._binding.write() as s:
            return actors.revoke(s, self._authorise(s, actor, "actor.manage"), login, role)

    def deactivate_actor(self, login: str, *, actor: Actor) -> ActorInfo:
        """A deactivated actor can no longer act (their records stay as they are)."""
        with self._binding.write() as s:
            return actors.set_active(s, self._authorise(s, actor, "actor.manage"), login, False)

    def activate_actor(self, login: str, *, actor: Actor) -> ActorInfo:
        with self._binding.write() as s:
            return actors.set_active(s, self._authorise(s, actor, "actor.manage"), login, True)

    def whoami(self) -> tuple[str | None, str | None]:
        """The database login connected (PostgreSQL; None on SQLite) and the login of the
        actor registered with it (None if nobody is)."""
        with self._binding.read() as s:
            db_login = self._binding.db_login(s)
            if db_login is None:
                return None, None
            return db_login, actors.login_of(s, db_login)

    def actors(self) -> list[ActorInfo]:
        """Every registered actor, by login."""
        with self._binding.read() as s:
            return actors.actors(s)

    def registry_history(self, registry: str) -> list[dict[str, Any]]:
        """The journal of a registry (``actors`` or ``parties``), oldest first."""
        with self._binding.read() as s:
            return reading.registry_history(s, registry)

    def install_db_roles(self, prefix: str = "coopflow") -> list[str]:
        """PostgreSQL: create coopflow's group roles and grant them what coopflow's
        operations need (run by the tables' owner); returns their names."""
        with self._binding.write() as s:
            return db_roles.install(s.connection(), prefix)

    # ------------------------------------------------------------------ parties

    def add_party(
        self,
        key: str,
        official_name: str,
        *,
        nature: str,
        deliberative_body: str,
        executive_title: str,
        actor: Actor,
        usual_name: str | None = None,
        siren: str | None = None,
        seat: str | None = None,
        article: str | None = None,
        usual_article: str | None = None,
        executive_civility: str | None = None,
        tribunal: str | None = None,
        country: str | None = None,
        language: str | None = None,
        original_name: str | None = None,
        original_executive_title: str | None = None,
        original_deliberative_body: str | None = None,
        replace: bool = False,
    ) -> PartyInfo:
        """Register a party (collectivité).  Registering the same party again with the same
        fields is a no-op; different fields need ``replace=True``.  Journaled (registry
        ``parties``).

        ``article``/``usual_article``: the article each name takes in running text (``la``,
        ``le``, ``l'``, ``les`` or ``""``; default: what the name's first word calls for);
        ``executive_civility``: ``Madame`` or ``Monsieur`` (default: what a gendered title
        says); ``tribunal``: the tribunal administratif the dispute clause names when the party
        is the home metropolis.  A foreign authority (``ETRANGER``) gives its ``country`` and
        ``language`` and may give its own-language ``original_name``,
        ``original_executive_title`` and ``original_deliberative_body``."""
        with self._binding.write() as s:
            acting = self._authorise(s, actor, "party.put")
            return party_ops.put_party(
                s,
                acting,
                key=key,
                official_name=official_name,
                nature=nature,
                deliberative_body=deliberative_body,
                executive_title=executive_title,
                usual_name=usual_name,
                siren=siren,
                seat=seat,
                article=article,
                usual_article=usual_article,
                executive_civility=executive_civility,
                tribunal=tribunal,
                country=country,
                language=language,
                original_name=original_name,
                original_executive_title=original_executive_title,
                original_deliberative_body=original_deliberative_body,
                replace=replace,
            )

    def party(self, key: str) -> PartyInfo:
        with self._binding.read() as s:
            return party_ops.party(s, key)

    def parties(self) -> list[PartyInfo]:
        with self._binding.read() as s:
            return party_ops.parties(s)

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
        workflow: str = DEFAULT_WORKFLOW,
        workflow_version: int | None = None,
        dialogue: str | None = None,
    ) -> PartnershipInfo:
        """Open a partnership in its workflow's initial state (accueil).  ``dialogue``: the key
        of the thematic dialogue it comes from (each party but the home one took part in it);
        the partnership keeps the link, and the dialogue's territories that took part through
        no partnership now belong to this one."""
        with self._binding.write(reference) as s:
            acting = self._authorise(s, actor, "partnership.create")
            return partnership_ops.open_partnership(
                s,
                self.workflows,
                title=title,
                scale=scale,
                parties=parties,
                home=home,
                lead=lead,
                responsible=responsible,
                acting=acting,
                reference=reference,
                workflow=workflow,
                workflow_version=workflow_version,
                dialogue=dialogue,
            )

    def create_partnerships(
        self, partnerships: Sequence[NewPartnership], *, actor: Actor
    ) -> list[PartnershipInfo]:
        """Open many partnerships at once (an import), each as :meth:`create_partnership`
        would, in one transaction and a few multi-row statements per 500: all or nothing."""
        with self._binding.write() as s:
            acting = self._authorise(s, actor, "partnership.create")
            return partnership_ops.create_many(s, self.workflows, partnerships, acting=acting)

    def existing(self, references: Sequence[str]) -> dict[str, PartnershipInfo]:
        """The partnerships among ``references`` that exist, by reference."""
        with self._binding.read() as s:
            return reading.by_references(s, references)

    def partnership(self, reference: str) -> PartnershipInfo:
        with self._binding.read() as s:
            return reading.partnership(s, reference)

    def detail(self, reference: str) -> dict[str, Any]:
        """Everything about a partnership, as JSON-compatible data (the CLI's ``show``)."""
        with self._binding.read() as s:
            return reading.detail(s, self.documents, reference)

    def partnerships(
        self,
        *,
        state: str | None = None,
        scale: str | None = None,
        party: str | None = None,
        search: str | None = None,
        responsible: str | None = None,
        batch: int = 500,
    ) -> Iterator[PartnershipInfo]:
        """Partnerships by reference, streamed in batches (flat memory however many there are).

        ``state`` also matches the states nested in it (``contractualisation``), and may be
        given by its last parts when they name one state (``deliberations``); ``party`` is a
        party's key or name (``"La Cali"``); ``search`` a text found, accents and case aside,
        in the reference, the title or a party's names; ``responsible`` who follows it."""
        with self._binding.read() as s:
            yield from reading.partnerships(
                s,
                self.workflows,
                state=state,
                scale=scale,
                party=party,
                search=search,
                responsible=responsible,
                batch=batch,
            )

    def exchanges(self, reference: str) -> list[ExchangeInfo]:
        """The exchanges of a partnership and of the thematic dialogues it takes part in (or
        came from), by date."""
        with self._binding.read() as s:
            return reading.exchanges(s, reference)

    def programme(self, reference: str, label: str) -> ProgrammeInfo:
        """An annual work programme in full: actions (pilots, partners, milestones, budget
        lines, indicators target and actual) and its budget by funder, with totals."""
        with self._binding.read() as s:
            return reading.programme(s, reference, label)

    def deliberations(self, reference: str) -> list[DeliberationInfo]:
        """Each party's délibération on the protocol and on each avenant, and a line for each
        party that has not deliberated (``awaited``: the councils deliberate on it now)."""
        with self._binding.read() as s:
            return reading.deliberations(s, self.workflows, reference)

    def successor(self, reference: str) -> str | None:
        """The reference of the partnership that renewed this one (``renouveler``), if any."""
        with self._binding.read() as s:
            return reading.successor(s, reference)

    # ------------------------------------------------------------------ thematic dialogues

    def open_dialogue(
        self,
        key: str,
        *,
        theme: str,
        title: str,
        home: str,
        participants: Sequence[str | tuple[str, str | None]],
        actor: Actor,
        responsible: str | None = None,
    ) -> DialogueInfo:
        """Open a thematic dialogue on ``theme`` among ``participants`` (at least two
        territories besides ``home``, the party that leads it): each a party key, or a party
        key and the reference of the partnership it takes part through.  Opening it again with
        the same theme, title and home adds the participants not there yet.  Journaled
        (registry ``dialogues``)."""
        with self._binding.write() as s:
            acting = self._authorise(s, actor, "dialogue.manage")
            return dialogues.open_dialogue(
                s,
                acting,
                key=key,
                theme=theme,
                title=title,
                home=home,
                participants=participants,
                responsible=responsible,
            )

    def join_dialogue(
        self, key: str, party: str, *, actor: Actor, partnership: str | None = None
    ) -> DialogueInfo:
        """A territory joins the thematic dialogue ``key`` (through ``partnership``, the one it
        belongs to, if given)."""
        with self._binding.write() as s:
            acting = self._authorise(s, actor, "dialogue.manage")
            return dialogues.add_participant(s, acting, key, party=party, partnership=partnership)

    def add_dialogue_stake(
        self, key: str, party: str, title: str, *, actor: Actor, description: str = ""
    ) -> DialogueInfo:
        """Record a stake the thematic dialogue identified for one of its territories."""
        with self._binding.write() as s:
            acting = self._authorise(s, actor, "dialogue.manage")
            return dialogues.add_stake(
                s, acting, key, party=party, title=title, description=description
            )

    def log_dialogue_exchange(
        self,
        key: str,
        *,
        date: dt.date | str,
        kind: str,
        summary: str,
        actor: Actor,
        participants: str | None = None,
    ) -> DialogueExchangeInfo:
        """Log an exchange of the thematic dialogue, once for all its participants (each
        participant's partnership shows it: :meth:`dialogue_exchanges`)."""
        with self._binding.write() as s:
            acting = self._authorise(s, actor, "dialogue.manage")
            return dialogues.log_exchange(
                s,
                acting,
                key,
                date=date,
                kind=exchange_kind(kind),
                summary=summary,
                participants=participants,
            )

    def close_dialogue(
        self, key: str, *, date: dt.date | str, conclusion: str, actor: Actor
    ) -> DialogueInfo:
        """Close the thematic dialogue with what it concluded."""
        with self._binding.write() as s:
            acting = self._authorise(s, actor, "dialogue.manage")
            return dialogues.close_dialogue(s, acting, key, date=date, conclusion=conclusion)

    def dialogue(self, key: str) -> DialogueInfo:
        """A thematic dialogue: territories, stakes, exchanges, the partnerships it led to."""
        with self._binding.read() as s:
            return dialogues.dialogue(s, key)

    def dialogues(
        self, *, theme: str | None = None, party: str | None = None
    ) -> list[DialogueSummary]:
        """The thematic dialogues (of a theme, or in which a party takes part), by key."""
        with self._binding.read() as s:
            return dialogues.dialogues(s, theme=theme, party=party)

    def dialogue_exchanges(self, reference: str) -> list[DialogueExchangeInfo]:
        """The exchanges of the thematic dialogues partnership ``reference`` takes part in
        (or came from), oldest first."""
        with self._binding.read() as s:
            return dialogues.exchanges_of(s, find_partnership(s, reference))

    # ------------------------------------------------------------------ data entry
    # Each is admitted for its operation (permissions.toml) and journaled with its author.

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
        """Log an exchange (meeting, letter, workshop...) with the partner territories.
        ``kind`` is taken accents and case aside (``réunion``: ``reunion``)."""
        self._edit(
            reference,
            "exchange.log",
            None,
            _log_exchange,
            date=date,
            kind=exchange_kind(kind),
            summary=summary,
            actor=actor,
            participants=participants,
        )

    def add_axis(
        self,
        reference: str,
        title: str,
        *,
        actor: Actor,
        objectives: Sequence[str] = (),
        number: int | None = None,
    ) -> int:
        """Add a cooperation axis (or replace axis ``number``); returns its number."""
        found: int = self._edit(
            reference,
            "axis.put",
            "protocol",
            content.put_axis,
            title=title,
            objectives=objectives,
            number=number,
            actor=actor,
        )
        return found

    def add_stake(
        self, reference: str, *, axis: int, title: str, actor: Actor, description: str = ""
    ) -> None:
        """Record a cooperation stake (enjeu) identified under an axis."""
        self._edit(
            reference,
            "stake.add",
            "protocol",
            content.add_stake,
            axis=axis,
            title=title,
            description=description,
            actor=actor,
        )

    def add_commitment(
        self, reference: str, *, axis: int, party: str, text: str, actor: Actor
    ) -> None:
        """Record what a party commits to under an axis."""
        self._edit(
            reference,
            "commitment.add",
            "protocol",
            content.add_commitment,
            axis=axis,
            party=party,
            text=text,
            actor=actor,
        )

    def set_protocol(
        self,
        reference: str,
        *,
        start: dt.date | str,
        end: dt.date | str,
        actor: Actor,
        preamble: Sequence[str] | None = None,
        copil: str | None = None,
        cotech: str | None = None,
        meetings_per_year: int | None = None,
        means: str | None = None,
        financial_commitments: str | None = None,
        prevailing_language: str | None = None,
        notice_months: int | None = None,
    ) -> None:
        """Set the protocol's period, preamble, governance and means.  ``copil``/``cotech``
        replace the template's default text of article 4 (never both printed);
        ``financial_commitments`` is a paragraph on the planned financial commitments (each
        party's amount: :meth:`set_financial_commitment`); ``prevailing_language`` is the
        version that prevails with a foreign authority (default ``français``); ``notice_months``
        the notice a unilateral termination (``resilier``) gives (3 months by default)."""
        self._edit(
            reference,
            "protocol.set",
            "protocol",
            content.put_protocol,
            start=start,
            end=end,
            preamble=preamble,
            copil=copil,
            cotech=cotech,
            meetings_per_year=meetings_per_year,
            means=means,
            financial_commitments=financial_commitments,
            prevailing_language=prevailing_language,
            notice_months=notice_months,
            actor=actor,
        )

    def remove_financial_commitment(self, reference: str, *, party: str, actor: Actor) -> None:
        """Remove a party's planned financial commitment (journaled like setting it)."""
        self._edit(
            reference,
            "protocol.set",
            "protocol",
            deliberations.remove_financial_commitment,
            party=party,
            actor=actor,
        )

    def set_financial_commitment(
        self,
        reference: str,
        *,
        party: str,
        amount: Decimal | int | str,
        actor: Actor,
        detail: str = "",
    ) -> None:
        """Set a party's planned financial commitment over the protocol's period, in euros
        (article 6 prints each party's; a cooperation with a foreign authority needs one from
        every party, CGCT L.1115-1).  ``detail``: what it covers ("soit 30 000 € par an")."""
        self._edit(
            reference,
            "protocol.set",
            "protocol",
            deliberations.put_financial_commitment,
            party=party,
            amount=amount,
            detail=detail,
            actor=actor,
        )

    def record_deliberation(
        self,
        reference: str,
        *,
        party: str,
        number: str,
        sitting_date: dt.date | str,
        actor: Actor,
        sent_to_prefecture: dt.date | str | None = None,
        published: dt.date | str | None = None,
        amendment: int = 0,
        today: dt.date | None = None,
    ) -> None:
        """Record or complete a party's délibération (exécutoire once sent and published).
        Its dates are not after ``today`` (the day of the entry, UTC, by default); a foreign
        authority's decision is sent to no prefecture.

        A change is journaled (event ``deliberation``, by ``actor``) with the SHA-256 of the
        document deliberated on: the version approved last on or before its sitting."""
        self._edit(
            reference,
            "deliberation.record",
            None,
            deliberations.put_deliberation,
            party=party,
            number=number,
            sitting_date=sitting_date,
            sent_to_prefecture=sent_to_prefecture,
            published=published,
            amendment=amendment,
            today=today,
            actor=actor,
        )

    def set_signatory(
        self,
        reference: str,
        *,
        party: str,
        first_name: str,
        last_name: str,
        title: str,
        civility: str,
        actor: Actor,
        login: str | None = None,
        delegation_number: str | None = None,
        delegation_date: dt.date | str | None = None,
    ) -> None:
        """Name who signs for a party: its executive, as named in its délibération, or with
        ``delegation_number``/``delegation_date`` (the arrêté de délégation) the elected
        official the executive delegated the signature to (``Pour le Président et par
        délégation, le Vice-président``).  ``civility``: ``Madame`` or ``Monsieur``; ``login``
        links the signatory to a registered actor, the elected official who signs as them."""
        self._edit(
            reference,
            "signatory.set",
            "signatories",
            deliberations.put_signatory,
            party=party,
            first_name=first_name,
            last_name=last_name,
            title=title,
            civility=civility,
            login=login,
            delegation_number=delegation_number,
            delegation_date=delegation_date,
            actor=actor,
        )

    def add_amendment_change(
        self,
        reference: str,
        operation: str,
        article: int | str,
        *,
        actor: Actor,
        text: str | None = None,
        title: str | None = None,
    ) -> None:
        """Add a change to the avenant being drafted, aimed at an article of the protocol:
        ``rediger`` (the article is rewritten as ``text``; ``title`` optional), ``completer``
        (``text`` is added as a paragraph), ``inserer`` (an article titled ``title``, numbered
        after ``article``: 4-1, 4-2..., is inserted) or ``abroger``.  An article the protocol
        does not have (or that an avenant repealed) is refused (``coopflow._articles``)."""
        self._edit(
            reference,
            "amendment.change",
            "amendments",
            deliberations.add_amendment_change,
            operation=operation,
            article=article,
            text=text,
            title=title,
            actor=actor,
        )

    def remove_amendment_change(self, reference: str, number: int, *, actor: Actor) -> None:
        """Remove change n° ``number`` (from 1, in the order listed) of the avenant being
        drafted: a change mistyped, or a free paragraph written before changes aimed at
        articles (revision 0008), to write again."""
        self._edit(
            reference,
            "amendment.change",
            "amendments",
            deliberations.remove_amendment_change,
            number=number,
            actor=actor,
        )

    def set_amendment_motives(self, reference: str, text: str, *, actor: Actor) -> None:
        """Set the exposé des motifs of the avenant being drafted (required before it goes to
        the councils)."""
        self._edit(
            reference,
            "amendment.change",
            "amendments",
            deliberations.set_amendment_motives,
            text=text,
            actor=actor,
        )

    def add_programme(
        self, reference: str, label: str, *, start: dt.date | str, end: dt.date | str, actor: Actor
    ) -> None:
        """Open (or re-date) an annual work programme."""
        self._edit(
            reference,
            "programme.put",
            _programme_scope(label),
            programmes.put_programme,
            label=label,
            start=start,
            end=end,
            actor=actor,
        )

    def add_action(
        self,
        reference: str,
        programme: str,
        *,
        axis: int,
        title: str,
        actor: Actor,
        objectives: str = "",
        lead: str | None = None,
        contact: str | None = None,
        partners: Sequence[str] = (),
        number: int | None = None,
        pilot_name: str | None = None,
        pilot_function: str | None = None,
        pilot_email: str | None = None,
    ) -> int:
        """Add (or, with ``number``, replace) an action of a programme; returns its number.
        ``contact`` is the pilot service, ``pilot_*`` the person leading the action."""
        found: int = self._edit(
            reference,
            "action.put",
            _programme_scope(programme),
            programmes.put_action,
            programme,
            axis=axis,
            title=title,
            objectives=objectives,
            lead=lead,
            contact=contact,
            partners=partners,
            number=number,
            pilot_name=pilot_name,
            pilot_function=pilot_function,
            pilot_email=pilot_email,
            actor=actor,
        )
        return found

    def add_milestone(
        self,
        reference: str,
        programme: str,
        action: int,
        *,
        date: dt.date | str,
        label: str,
        actor: Actor,
    ) -> None:
        self._edit(
            reference,
            "milestone.add",
            _programme_scope(programme),
            programmes.add_milestone,
            programme,
            action,
            date=date,
            label=label,
            actor=actor,
        )

    def set_milestone_done(
        self,
        reference: str,
        programme: str,
        action: int,
        *,
        date: dt.date | str,
        label: str,
        actor: Actor,
        done: bool = True,
    ) -> None:
        """Mark a milestone done (it then no longer shows in :meth:`due`)."""
        self._edit(
            reference,
            "milestone.done",
            _programme_scope(programme),
            programmes.set_milestone_done,
            programme,
            action,
            date=date,
            label=label,
            done=done,
            actor=actor,
        )

    def set_action_progress(
        self, reference: str, programme: str, action: int, progress: str, *, actor: Actor
    ) -> None:
        """Record an action's progress: à lancer, en cours, réalisée, reportée, abandonnée."""
        self._edit(
            reference,
            "action.progress",
            _programme_scope(programme),
            programmes.set_action_progress,
            programme,
            action,
            progress,
            actor=actor,
        )

    def add_budget_line(
        self,
        reference: str,
        programme: str,
        action: int,
        *,
        funder: str,
        amount: object,
        actor: Actor,
    ) -> None:
        """Plan an amount (euros) for an action, by funder (a party key or a name)."""
        self._edit(
            reference,
            "budget.put",
            _programme_scope(programme),
            programmes.put_budget_line,
            programme,
            action,
            funder=funder,
            amount=amount,
            actor=actor,
        )

    def add_indicator(
        self,
        reference: str,
        programme: str,
        action: int,
        *,
        name: str,
        target: object,
        actor: Actor,
        unit: str = "",
        actual: object = None,
    ) -> None:
        """Add an indicator, or update it (a measured ``actual`` may be set at any time)."""
        self._edit(
            reference,
            "indicator.put",
            _programme_scope(programme),
            programmes.put_indicator,
            programme,
            action,
            name=name,
            target=target,
            unit=unit,
            actual=actual,
            actor=actor,
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
        with self._binding.read() as s:
            return firing.event_statuses(
                s,
                self.workflows,
                self.registry,
                self.documents,
                reference,
                actor,
                programme=programme,
                today=today,
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
        idempotency_key: str | None = None,
    ) -> FireResult:
        """Fire ``event`` on a partnership (or on one of its programmes), in one transaction:
        lock, check role, state, inputs and guards, change the state, run the effects, append
        the journal record, commit.  Raises a CoopflowError saying why when refused.

        ``expected_version`` (the version the actor saw) turns a concurrent change into a
        ConcurrentModificationError instead of firing on a state the actor has not seen.
        ``idempotency_key`` (the caller's, up to 200 characters) is stored with the record in
        a column of its own: a second fire with the same key on the same partnership is an
        AlreadyExistsError (``coopflow apply`` keys each step so)."""
        if (
            programme is None
            and self._binding.owns_transactions
            and self.workflows.unguarded(event)
        ):
            return self._fire_unguarded(
                reference,
                event,
                actor,
                comment=comment,
                data=data,
                expected_version=expected_version,
                idempotency_key=idempotency_key,
            )
        try:
            with self._binding.write(reference, fire=True) as s:
                p, ctx, record, source = firing.fire(
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
                    sqlite_write=self._binding.needs_sqlite_lock,
                    db_login=self._binding.db_login(s),
                    idempotency_key=idempotency_key,
                )
                result = FireResult(
                    reference=record.reference,  # as stored, whatever the case it was given in
                    event=record.event,  # the definition's name, however it was written
                    programme=programme,
                    source_state=source,
                    target_state=record.target_state,
                    version=p.version,
                    record=record,
                    documents=tuple(ctx.produced),
                )
                calls: list[Call] = [(cb, result) for cb in self._callbacks.fired]
                calls.extend(self._callbacks.documents(s, ctx.produced))
                owed = self._deliver(s, calls)
        except CoopflowError as exc:
            self._refused(Refusal(reference, event, actor, programme, exc))
            raise
        self._callbacks.notify(owed)
        if any(d.status == "final" for d in result.documents):
            self._checkpoint_after(reference, event, actor)
        return result

    def _checkpoint_after(self, reference: str, event: str, actor: Actor) -> None:
        """After a fire that produced a final document (a signature), take a checkpoint when
        configured to (``CheckpointSettings.after_signature``): at once on coopflow's own
        transactions, after the commit in a :meth:`transaction` (``coopflow apply``), never in
        a host's Session (the host commits, and then takes it)."""
        settings = self.checkpoint_settings
        if settings is None or not settings.after_signature:
            return
        if self._signed is not None:  # inside transaction(): once it has committed
            self._signed.append((reference, event, actor))
            return
        if not self._binding.owns_transactions:
            return
        try:
            self.checkpoint(actor=actor)
        except CoopflowError as exc:
            raise EvidenceError(
                _(
                    "{reference}: {event} is recorded, but the checkpoint after it failed "
                    "({error}); take one with `coopflow checkpoint take`"
                ).format(reference=reference, event=event, error=exc.message)
            ) from exc

    def _fire_unguarded(
        self,
        reference: str,
        event: str,
        actor: Actor,
        *,
        comment: str | None,
        data: Mapping[str, object] | None,
        expected_version: int | None,
        idempotency_key: str | None,
    ) -> FireResult:
        """The fire of an event without guards or effects on coopflow's own transaction: the
        same checks and writes in Core, without an ORM Session (the hot path of
        ``suspendre``/``reprendre``-like events)."""
        try:
            with self._binding.write_connection(reference, fire=True) as connection:
                record, source, version = firing.fire_unguarded(
                    connection,
                    self.workflows,
                    reference,
                    event,
                    actor,
                    comment=comment,
                    data=data,
                    expected_version=expected_version,
                    sqlite_write=self._binding.needs_sqlite_lock,
                    db_login=self._binding.db_login(connection),
                    idempotency_key=idempotency_key,
                )
        except CoopflowError as exc:
            self._refused(Refusal(reference, event, actor, None, exc))
            raise
        result = FireResult(
            reference=record.reference,
            event=record.event,
            programme=None,
            source_state=source,
            target_state=record.target_state,
            version=version,
            record=record,
            documents=(),
        )
        self._callbacks.notify([(cb, result) for cb in self._callbacks.fired])
        return result

    def _refused(self, refusal: Refusal) -> None:
        """Tell the ``on_refused`` callbacks (a failing one is noted on the refusal)."""
        if not self._callbacks.refused or isinstance(refusal.error, HookError):
            return
        try:
            self._callbacks.notify([(cb, refusal) for cb in self._callbacks.refused])
        except HookError as hook:
            # The refusal is what the caller must hear about; the failing callback is noted.
            refusal.error.add_note(str(hook))

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
        with self._binding.write() as s:
            acting = self._authorise(s, actor, "workflow.migrate")
            return migration.migrate_workflow(
                s,
                self.workflows,
                name=name,
                from_version=from_version,
                to_version=to_version,
                mapping=mapping or {},
                acting=acting,
                references=references,
                sqlite_write=self._binding.needs_sqlite_lock,
            )

    # ------------------------------------------------------------------ journal

    def history(self, reference: str) -> list[JournalEntry]:
        """The partnership's journal, oldest first."""
        with self._binding.read() as s:
            return reading.history(s, reference)

    def idempotency_keys(self, reference: str) -> frozenset[str]:
        """The idempotency keys the partnership's journal holds (see :meth:`fire`)."""
        with self._binding.read() as s:
            return frozenset(reading.idempotency_keys(s, reference))

    def verify(
        self,
        reference: str | None = None,
        *,
        against: Path | str | CheckpointFile | None = None,
        trusted_keys: Sequence[str] = (),
        tsa_roots: Sequence[bytes] = (),
    ) -> VerifyReport:
        """Recompute the hash chains and document hashes (of one partnership, or all), check
        the database's protections, and that today's chains extend a checkpoint: ``against``
        (a checkpoint file, as published), or the latest stored one.

        ``trusted_keys`` (PEM public keys or certificates) are the keys a checkpoint may be
        signed with, besides the configured signing key's; ``tsa_roots`` (PEM) the CA
        certificates its timestamp must chain to, besides the configured ones."""
        checkpoint = (
            _checkpoint.read_file(Path(against)) if isinstance(against, (str, Path)) else against
        )
        keys, roots = self._trust(trusted_keys, tsa_roots)
        settings = self.checkpoint_settings
        with self._binding.read() as s:
            return reading.verify(
                s,
                reference,
                against=checkpoint,
                trusted_keys=keys,
                tsa_roots=roots,
                max_age=settings.max_age if settings else dt.timedelta(days=1),
            )

    def _trust(
        self, trusted_keys: Sequence[str], tsa_roots: Sequence[bytes]
    ) -> tuple[list[str], list[bytes]]:
        """The keys and TSA roots a checkpoint is checked against: those given, and the
        configured ones."""
        keys, roots = list(trusted_keys), list(tsa_roots)
        settings = self.checkpoint_settings
        if settings is not None:
            key = _checkpoint.SigningKey.load(
                settings.key, certificate=settings.certificate, password=settings.password
            )
            keys.append(key.public_pem)
            roots.extend(settings.root_certificates())
        return keys, roots

    # ------------------------------------------------------------------ checkpoints

    def checkpoint(
        self, *, actor: Actor, folder: Path | str | None = None, if_needed: bool = False
    ) -> CheckpointInfo | None:
        """Take a checkpoint: commit to every chain's head (a Merkle tree, RFC 9162), sign it
        with the configured key, timestamp the signature at the configured TSA, store it and
        write it to ``folder`` (or the configured one) as ``coopflow-checkpoint-NNNNNN.json``,
        to be published or archived outside the database.  ``if_needed``: None, and nothing
        done, when no chain moved since the latest checkpoint.  No lock is taken: fires go on
        meanwhile."""
        settings = self.checkpoint_settings
        if settings is None:
            raise EvidenceError(
                "no checkpoint key is configured: Coopflow(..., checkpoints="
                "CheckpointSettings(key=...)), or COOPFLOW_CHECKPOINT_KEY on the command line"
            )
        key = _checkpoint.SigningKey.load(
            settings.key, certificate=settings.certificate, password=settings.password
        )
        roots = settings.root_certificates()
        with self._binding.read() as s:
            acting = self._authorise(s, actor, "checkpoint.take")
            statement, leaves, last = checkpoint_ops.prepare(s)
            if if_needed and last is not None and last.root == statement["root"]:
                return None  # no chain moved since the latest checkpoint
        signed = _checkpoint.sign(
            statement, key, leaves=leaves, tsa_url=settings.tsa_url, tsa_roots=roots
        )
        with self._binding.write() as s:
            self._authorise(s, actor, "checkpoint.take")
            info = checkpoint_ops.store(s, signed, acting.login)
        # Published once stored: a file is never left for a checkpoint the database refused.
        out = folder if folder is not None else settings.folder
        if out is not None:
            try:
                with OutputFolder(Path(out)) as target:
                    target.write_text(signed.file_name, signed.text() + "\n")
            except CoopflowError as exc:
                raise EvidenceError(
                    _(
                        "checkpoint {seq} is stored, but was not published ({error}): "
                        "coopflow checkpoint show {seq} --out FILE"
                    ).format(seq=info.seq, error=exc.message)
                ) from exc
        return info

    def repair_protections(self) -> list[str]:
        """Create or restore the database's protections of the evidence (the tables' owner
        only); returns what was off before."""
        with self._binding.read() as s:
            before = _protections.problems(s.connection())
        with translated_errors(), self.engine.begin() as connection:
            _protections.install(connection)
        return before

    def protections(self) -> list[str]:
        """What is off among the database's protections of the evidence (empty: all in
        place)."""
        with self._binding.read() as s:
            return _protections.problems(s.connection())

    def checkpoints(self) -> list[CheckpointInfo]:
        """The stored checkpoints, oldest first."""
        with self._binding.read() as s:
            return checkpoint_ops.stored(s)

    def checkpoint_file(self, seq: int | None = None) -> CheckpointFile:
        """A stored checkpoint (the latest by default) as the file it was published as."""
        with self._binding.read() as s:
            row = checkpoint_ops.load(s, seq)
            if row is None:
                raise NotFoundError("checkpoint", seq)  # None: "no checkpoint has been taken yet"
            return checkpoint_ops.as_file(row)

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
        journal record.

        WeasyPrint runs outside any transaction: the snapshot is read, rendered, then the
        partnership is locked and the document stored only if the partnership is still at the
        version the snapshot was read at (every change to the partnership's data counts in it;
        a party renamed in the registry meanwhile shows in the next render); else it is
        rendered again, and after three changes in a row it is a ConcurrentModificationError.
        Other writers never wait for a render."""
        with self._binding.read() as s:
            self._authorise(s, actor, "document.render")  # before any work; again to store
        for _attempt in range(3):
            with self._binding.read() as s:
                seen, planned = documents.plan(s, self.documents, reference, kind, subject)
            if isinstance(planned, DocumentInfo):
                return planned
            rendered = self.documents.render(planned)
            with self._binding.write(reference) as s:
                p = lock_partnership(s, reference, sqlite_write=self._binding.needs_sqlite_lock)
                if p.version != seen:
                    continue  # the data changed while rendering: render what it says now
                acting = self._authorise(s, actor, "document.render")
                info, produced = documents.store(s, self.documents, p, planned, rendered, acting)
                owed = self._deliver(s, self._callbacks.documents(s, produced))
            self._callbacks.notify(owed)
            return info
        raise ConcurrentModificationError(
            reference, "its data changed while the document was rendered, three times"
        )

    def documents_of(self, reference: str) -> list[DocumentInfo]:
        """Every stored document of a partnership, oldest first."""
        with self._binding.read() as s:
            return documents.documents_of(s, reference)

    def document_bytes(self, sha256: str) -> bytes:
        with self._binding.read() as s:
            return documents.document_bytes(s, sha256)

    def document(
        self,
        reference: str,
        kind: Kind = "protocole",
        *,
        subject: str = "",
        version: int | None = None,
    ) -> DocumentInfo:
        """A stored document of a partnership: version ``version`` of ``kind`` (and
        ``subject``: a programme's label, an avenant's number), or its latest."""
        stored = [
            d for d in self.documents_of(reference) if d.kind == kind and d.subject == str(subject)
        ]
        if version is not None:
            stored = [d for d in stored if d.version == version]
        if not stored:
            label = " ".join(str(x) for x in (kind, subject) if x)
            what = f"{label} v{version}" if version is not None else label
            raise NotFoundError(
                "document",
                f"{what} of {reference}",  # a key, as stable as the others
            )
        return max(stored, key=lambda d: d.version)

    def latest_document(self, reference: str) -> DocumentInfo:
        """The document the legal department approves now: while it reviews an avenant (the
        state declares ``amendment_review``), the latest document of the avenant in progress;
        otherwise the latest protocol document (what ``@latest`` stands for in scripts and
        ``fire --latest`` on the command line)."""
        info = self.partnership(reference)
        wf = self.workflows.get(info.workflow, info.workflow_version)
        stored = self.documents_of(reference)
        if wf.allows(info.state, "amendment_review"):
            docs = [d for d in stored if d.kind == "avenant"]
            if not docs:
                raise NotFoundError("document", f"avenant of {reference}")
            number = max(int(d.subject) for d in docs)
            docs = [d for d in docs if int(d.subject) == number]
        else:
            docs = [d for d in stored if d.kind == "protocole" and d.subject == ""]
            if not docs:
                raise NotFoundError("document", f"protocole of {reference}")
        return max(docs, key=lambda d: d.version)

    def write_document(
        self,
        reference: str,
        kind: Kind = "protocole",
        *,
        to: Path | str,
        subject: str = "",
        version: int | None = None,
    ) -> tuple[DocumentInfo, Path]:
        """Write a stored document's PDF (version ``version``, or the latest) to ``to``: a
        file, in a folder that exists, or a folder (then under the name ``export`` gives it).
        Nothing is written outside that folder, no link is followed and no other file is
        overwritten (:class:`coopflow._files.OutputFolder`): a file of that name holding other
        bytes is an OutputError.  Returns the document and the path written."""
        doc = self.document(reference, kind, subject=subject, version=version)
        target = Path(to)
        if target.is_dir():
            folder, name = target, doc.filename
        else:
            folder, name = target.parent, target.name
        if not is_safe_component(name):
            raise ValidationError(
                _(
                    "{name!r} is not a file name coopflow writes: letters, digits, '.', '_' "
                    "and '-', not starting with '.' or '-'"
                ).format(name=name),
                field="to",
            )
        data = self.document_bytes(doc.sha256)
        with OutputFolder(folder, create=False) as out:
            existing = out.stat(name)
            if existing is not None and out.read(name) != data:
                raise OutputError(
                    str(folder / name),
                    _("exists: coopflow overwrites no file; choose another name"),
                )
            return doc, out.write(name, data)

    def export(self, reference: str, folder: Path | str, *, actor: Actor) -> Path:
        """Write the partnership's evidence bundle to ``folder``: its final PDFs (and the
        approved draft), its journal, the latest checkpoint covering it with the proof that
        ties its chain to it, and a JSON manifest (hashes, journal references, today's
        verification); returns the manifest's path.  ``coopflow verify-bundle`` checks the
        folder offline.  Nothing in the folder is followed or overwritten."""
        keys, roots = self._trust((), ())
        settings = self.checkpoint_settings
        with self._binding.read() as s:
            self._authorise(s, actor, "document.export")
            report = reading.verify(
                s,
                reference,
                trusted_keys=keys,
                tsa_roots=roots,
                max_age=settings.max_age if settings else dt.timedelta(days=1),
            )
            return documents.export(s, reference, Path(folder), report)

    def snapshot(self, reference: str, kind: Kind = "protocole", subject: str = "") -> str:
        """The canonical JSON snapshot a document would be rendered from now."""
        with self._binding.read() as s:
            return documents.snapshot(s, self.documents, reference, kind, subject)

    # ------------------------------------------------------------------ deadlines

    def due(self, *, within_days: int = 30, today: dt.date | None = None) -> list[Deadline]:
        """What falls due within ``within_days`` (and what is overdue), soonest first, each with
        how its date is computed (``Deadline.basis``): protocols ending (``protocol_end``, or
        ``protocol_end_renewing`` with a renewal engaged), protocol years short of their COPIL
        meetings, parties that have not deliberated (with the days waited), délibérations not
        yet exécutoire, programmes still in preparation or awaiting COPIL approval, overdue
        milestones; nothing of a partnership that has ended."""
        with self._binding.read() as s:
            return deadlines.due(
                s, self.workflows, within_days=within_days, today=today or dt.date.today()
            )

    # ------------------------------------------------------------------ reports

    def annual_report(self, year: int, *, today: dt.date | None = None) -> Report:
        """The figures of ``year``'s annual seminar report: partnerships by scale and by state,
        each one's timeline (the levels of the lifecycle its journal went through, up to
        ``today``), the budget lines of the programmes running in the year (by funder, by
        axis), their indicators, the year's délibérations and deadlines.
        ``coopflow._report.render_pdf``, ``workbook_bytes`` and ``csv_files`` make the PDF/A,
        the workbook and the CSV files of it (``coopflow report``)."""
        from ._report import annual_report

        return annual_report(self, year, today=today)

    def calendar(self, *, today: dt.date | None = None) -> list[CalendarEvent]:
        """The staff's calendar, each event with a stable UID: COPIL and COTECH meetings,
        council sittings, protocol ends and every deadline :meth:`due` knows.
        ``coopflow._calendar.calendar_bytes`` writes it as iCalendar (``coopflow calendar``)."""
        from ._calendar import calendar_events

        return calendar_events(self, today=today)


def _reference(value: object) -> object:
    """A reference as given, in any case: references are upper case."""
    return value.upper() if isinstance(value, str) else value


def _speaking(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` run in its instance's language (``Coopflow(locale=...)``), with its
    ``reference`` argument taken in any case, and an unknown reference named with the closest
    ones."""
    names = list(inspect.signature(method).parameters)
    at = names.index("reference") if "reference" in names else None

    def prepared(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        if at is None:
            return args
        if len(args) >= at:
            return (*args[: at - 1], _reference(args[at - 1]), *args[at:])
        if "reference" in kwargs:
            kwargs["reference"] = _reference(kwargs["reference"])
        return args

    def named(self: Coopflow, exc: NotFoundError) -> None:
        if exc.kind == "partnership" and "suggestions" not in vars(exc):
            try:
                with self._binding.read() as s:
                    suggest(exc, references_like(s, str(exc.key)))
            except CoopflowError:
                pass  # the NotFoundError is what the caller must hear about

    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def stream(self: Coopflow, *args: Any, **kwargs: Any) -> Iterator[Any]:
            args = prepared(args, kwargs)
            with language(self.locale):
                items = method(self, *args, **kwargs)
            while True:
                with language(self.locale):
                    try:
                        item = next(items)
                    except StopIteration:
                        return
                    except NotFoundError as exc:
                        named(self, exc)
                        raise
                yield item

        return stream

    @functools.wraps(method)
    def call(self: Coopflow, *args: Any, **kwargs: Any) -> Any:
        args = prepared(args, kwargs)
        if self.locale is None:
            try:
                return method(self, *args, **kwargs)
            except NotFoundError as exc:
                named(self, exc)
                raise
        with language(self.locale):
            try:
                return method(self, *args, **kwargs)
            except NotFoundError as exc:
                named(self, exc)
                raise

    return call


for _name, _member in list(vars(Coopflow).items()):
    if not _name.startswith("_") and inspect.isfunction(_member):
        setattr(Coopflow, _name, _speaking(_member))
del _name, _member
