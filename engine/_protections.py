"""The database's own protections of the evidence, as data: what each one is, how revision 0007
installs them, and the check that they are in place and unchanged.

The journals, the stored documents and the checkpoints are append-only in the database itself:
triggers refuse ``UPDATE``, ``DELETE`` (and on PostgreSQL ``TRUNCATE``) of their rows, and a
document's status may only move to ``superseded`` once a later final version exists.  On
SQLite, ``INSERT OR REPLACE`` deletes the row it conflicts with without firing any delete
trigger: a ``BEFORE INSERT`` trigger refuses an insert that conflicts with a stored row, so
that there is nothing left for ``REPLACE`` to delete.  On PostgreSQL the triggers are enabled
``ALWAYS``, so a session in ``session_replication_role = replica`` (which skips ordinary
triggers, and foreign keys) still fires them, and the functions they run are compared with
their definition here.

Anyone who owns the tables can still drop a trigger or replace its function: :func:`problems`
says so (``verify``), and :func:`require` makes every writing unit of work of coopflow refuse
to run on such a database (checked on a connection's first write, then at most a minute
apart).  What was written while the
protections were off is for the hash chains and the checkpoints to detect.

The definitions here are the ones the current schema has: a later revision that changes one
changes it here and installs it in its migration.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, text

from ._i18n import _
from .errors import ProtectionsOff

#: Connection info: when the protections were last found in place on this connection
#: (``time.monotonic()``).
CHECKED: Final = "coopflow_protections_checked"
#: How long a connection's check holds before its next write checks again.
RECHECK_SECONDS: Final = 60.0

APPEND_ONLY: Final = (
    "coopflow_journal",
    "coopflow_registry_journal",
    "coopflow_checkpoint",
)
DOCUMENT_CONTENT: Final = (
    "partnership_id, kind, subject, version, template_name, template_sha256, snapshot, "
    "snapshot_sha256, content_sha256, sha256, size, content, created_by, created_at"
)

#: The unique keys of each protected table, which ``INSERT OR REPLACE`` would resolve by
#: deleting the stored row (SQLite).
UNIQUE_KEYS: Final = {
    "coopflow_journal": (("id",), ("partnership_id", "seq"), ("partnership_id", "prev_hash")),
    "coopflow_registry_journal": (("id",), ("chain", "seq"), ("chain", "prev_hash")),
    "coopflow_document": (("id",), ("partnership_id", "kind", "subject", "version")),
    "coopflow_checkpoint": (("id",), ("seq",)),
}

#: A status change the database accepts: to ``superseded``, once a later final version exists.
_SUPERSEDED_ONLY = (
    "NEW.status = 'superseded' AND EXISTS (SELECT 1 FROM coopflow_document d "
    "WHERE d.partnership_id = OLD.partnership_id AND d.kind = OLD.kind "
    "AND d.subject = OLD.subject AND d.version > OLD.version AND d.status = 'final')"
)


def _sqlite_refuse(name: str, when: str, table: str, message: str, condition: str = "") -> str:
    where = f" WHEN {condition}" if condition else ""
    return (
        f"CREATE TRIGGER {name} {when} ON {table}{where} BEGIN SELECT RAISE(ABORT, "
        f"'{message}'); END"
    )


def _no_replace(table: str) -> str:
    conflicts = " OR ".join(
        "EXISTS (SELECT 1 FROM {t} WHERE {c})".format(
            t=table, c=" AND ".join(f"{column} = NEW.{column}" for column in key)
        )
        for key in UNIQUE_KEYS[table]
    )
    return _sqlite_refuse(
        f"{table}_no_replace",
        "BEFORE INSERT",
        table,
        f"{table} is append-only: an insert replacing a stored row refused",
        conflicts,
    )


def _sqlite_triggers() -> dict[str, str]:
    found: dict[str, str] = {}
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            name = f"{table}_no_{action.lower()}"
            found[name] = _sqlite_refuse(
                name, f"BEFORE {action}", table, f"{table} is append-only: {action} refused"
            )
    found["coopflow_document_no_update"] = _sqlite_refuse(
        "coopflow_document_no_update",
        f"BEFORE UPDATE OF {DOCUMENT_CONTENT}",
        "coopflow_document",
        "coopflow_document is append-only: UPDATE refused",
    )
    found["coopflow_document_no_delete"] = _sqlite_refuse(
        "coopflow_document_no_delete",
        "BEFORE DELETE",
        "coopflow_document",
        "coopflow_document is append-only: DELETE refused",
    )
    found["coopflow_document_status"] = _sqlite_refuse(
        "coopflow_document_status",
        "BEFORE UPDATE OF status",
        "coopflow_document",
        "coopflow_document: a status only becomes superseded, once a later final version exists",
        f"NEW.status IS NOT OLD.status AND NOT ({_SUPERSEDED_ONLY})",
    )
    for table in UNIQUE_KEYS:
        found[f"{table}_no_replace"] = _no_replace(table)
    return found


#: SQLite: each protection trigger's name and its exact SQL, as ``sqlite_master`` keeps it.
SQLITE_TRIGGERS: Final = _sqlite_triggers()


@dataclass(frozen=True, slots=True)
class Function:
    """A PostgreSQL trigger function: its body (``prosrc``) and whether it pins its
    ``search_path`` to coopflow's schema."""

    name: str
    body: str
    pinned: bool = False

    def create(self, schema: str) -> str:
        config = f"SET search_path = {schema} " if self.pinned else ""
        return (
            f"CREATE OR REPLACE FUNCTION {self.name}() RETURNS trigger LANGUAGE plpgsql "
            f"{config}AS ${self.name}${self.body}${self.name}$"
        )


@dataclass(frozen=True, slots=True)
class Trigger:
    """A PostgreSQL trigger, written as ``pg_get_triggerdef`` prints it (less the schema)."""

    name: str
    table: str
    when: str  # "BEFORE DELETE OR UPDATE", as PostgreSQL orders the events
    level: str  # ROW or STATEMENT
    function: str

    def definition(self, qualified_table: str) -> str:
        return (
            f"CREATE TRIGGER {self.name} {self.when} ON {qualified_table} "
            f"FOR EACH {self.level} EXECUTE FUNCTION {self.function}()"
        )


_REFUSE_CHANGE = """
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END """

_CHECK_STATUS = f"""
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT ({_SUPERSEDED_ONLY}) THEN
        RAISE EXCEPTION 'coopflow_document: status % of % v% cannot become %: a status only '
            'becomes superseded, once a later final version exists',
            OLD.status, OLD.kind, OLD.version, NEW.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END """


# Who may write a record naming ``actor`` in ``role`` (revision 0006; README, "Deployment on
# PostgreSQL"): the actor must be registered, active and hold the role; then a superuser, the
# tables' owner or a member of <prefix>_service may write it for them; any other login only
# for the actor registered with that database login, and only in a role whose group role
# (<prefix>_<role>) it is a member of.  ``db_login`` must be the writer.
_CHECK_AUTHOR = """
DECLARE
    writer text := session_user;
    who record;
    prefix text;
BEGIN
    IF NEW.db_login IS DISTINCT FROM writer THEN
        RAISE EXCEPTION 'coopflow: the record names database login %, but % writes it',
            coalesce(NEW.db_login, '(none)'), writer USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT a.login, a.roles, a.active, a.db_login INTO who
        FROM coopflow_actor a WHERE a.login = NEW.actor;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'coopflow: % is not a registered actor', NEW.actor
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT who.active THEN
        RAISE EXCEPTION 'coopflow: % is deactivated', NEW.actor
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT (who.roles::jsonb ? NEW.role) THEN
        RAISE EXCEPTION 'coopflow: % does not hold the role %', NEW.actor, NEW.role
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = writer)
       OR pg_has_role(writer, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER')
    THEN
        RETURN NEW;
    END IF;
    SELECT value INTO prefix FROM coopflow_setting WHERE key = 'role_prefix';
    IF prefix IS NOT NULL
       AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = prefix || '_service')
       AND pg_has_role(writer, prefix || '_service', 'MEMBER')
    THEN
        RETURN NEW;
    END IF;
    IF who.db_login IS DISTINCT FROM writer THEN
        RAISE EXCEPTION 'coopflow: database login % may not write for %, whose login is %',
            writer, NEW.actor, coalesce(who.db_login, '(none)')
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF prefix IS NULL
       OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = prefix || '_' || NEW.role)
       OR NOT pg_has_role(writer, prefix || '_' || NEW.role, 'MEMBER')
    THEN
        RAISE EXCEPTION 'coopflow: database login % is not a member of the group role of %',
            writer, NEW.role USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END """

FUNCTIONS: Final = (
    Function("coopflow_refuse_change", _REFUSE_CHANGE),
    Function("coopflow_check_status", _CHECK_STATUS, pinned=True),
    Function("coopflow_check_author", _CHECK_AUTHOR, pinned=True),
)


def _pg_triggers() -> tuple[Trigger, ...]:
    found = [
        Trigger(
            f"{table}_append_only",
            table,
            "BEFORE DELETE OR UPDATE",
            "ROW",
            "coopflow_refuse_change",
        )
        for table in APPEND_ONLY
    ]
    found.append(
        Trigger(
            "coopflow_document_immutable",
            "coopflow_document",
            f"BEFORE DELETE OR UPDATE OF {DOCUMENT_CONTENT}",
            "ROW",
            "coopflow_refuse_change",
        )
    )
    found.append(
        Trigger(
            "coopflow_document_status",
            "coopflow_document",
            "BEFORE UPDATE OF status",
            "ROW",
            "coopflow_check_status",
        )
    )
    found.extend(
        Trigger(
            f"{table}_no_truncate", table, "BEFORE TRUNCATE", "STATEMENT", "coopflow_refuse_change"
        )
        for table in (*APPEND_ONLY, "coopflow_document")
    )
    found.extend(
        Trigger(f"{table}_author", table, "BEFORE INSERT", "ROW", "coopflow_check_author")
        for table in ("coopflow_journal", "coopflow_registry_journal")
    )
    return tuple(found)


PG_TRIGGERS: Final = _pg_triggers()


def _schema(connection: Connection) -> str:
    return str(connection.exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one())


def install(connection: Connection) -> None:
    """Create or restore every protection of the current schema (the tables' owner only):
    revision 0007, and ``coopflow protections repair``."""
    if connection.dialect.name == "postgresql":
        schema = _schema(connection)
        for function in FUNCTIONS:
            connection.execute(text(function.create(schema)))
        for trigger in PG_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger.name} ON {trigger.table}")
            connection.exec_driver_sql(trigger.definition(trigger.table))
            connection.exec_driver_sql(
                f"ALTER TABLE {trigger.table} ENABLE ALWAYS TRIGGER {trigger.name}"
            )
        return
    for name, sql in SQLITE_TRIGGERS.items():
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        connection.exec_driver_sql(sql)


_PG_STATE = text(
    """
    SELECT t.tgname, t.tgenabled, pg_get_triggerdef(t.oid), quote_ident(n.nspname)
    FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND NOT t.tgisinternal
    """
)
_PG_FUNCTIONS = text(
    """
    SELECT p.proname, p.prosrc, p.proconfig, p.prosecdef
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = current_schema() AND p.proname LIKE 'coopflow\\_%'
    """
)
_PG_RULES = text(
    "SELECT tablename, rulename FROM pg_rules WHERE schemaname = current_schema() "
    "AND tablename LIKE 'coopflow\\_%'"
)


def _pg_problems(connection: Connection) -> list[str]:
    found: list[str] = []
    replication = connection.exec_driver_sql(
        "SELECT current_setting('session_replication_role')"
    ).scalar_one()
    if replication != "origin":
        found.append(
            _(
                "session_replication_role is {replication!r}: foreign keys and ordinary "
                "triggers are off for this login (ALTER ROLE ... RESET "
                "session_replication_role)"
            ).format(replication=replication)
        )
    triggers = {
        name: (enabled, definition, schema)
        for name, enabled, definition, schema in connection.execute(_PG_STATE)
    }
    for trigger in PG_TRIGGERS:
        if trigger.name not in triggers:
            found.append(
                _("trigger {name} on {table} is missing").format(
                    name=trigger.name, table=trigger.table
                )
            )
            continue
        enabled, definition, schema = triggers[trigger.name]
        if definition != trigger.definition(f"{schema}.{trigger.table}"):
            found.append(
                _("trigger {name} on {table} was changed").format(
                    name=trigger.name, table=trigger.table
                )
            )
        elif enabled != "A":
            found.append(
                (
                    _("trigger {name} on {table} is disabled")
                    if enabled == "D"
                    else _("trigger {name} on {table} is not enabled ALWAYS")
                ).format(name=trigger.name, table=trigger.table)
            )
    functions = {
        name: (body, tuple(config or ()), definer)
        for name, body, config, definer in connection.execute(_PG_FUNCTIONS)
    }
    schema = _schema(connection)
    for function in FUNCTIONS:
        if function.name not in functions:
            found.append(_("function {name}() is missing").format(name=function.name))
            continue
        body, config, definer = functions[function.name]
        pinned = (f"search_path={schema}",) if function.pinned else ()
        if body != function.body or config != pinned or definer:
            found.append(_("function {name}() was replaced").format(name=function.name))
    found.extend(
        _("rule {rule} rewrites statements on {table}").format(rule=rule, table=table)
        for table, rule in connection.execute(_PG_RULES)
    )
    return found


def _sqlite_problems(connection: Connection) -> list[str]:
    rows = connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    stored: dict[str, str] = {name: sql for name, sql in rows}  # noqa: C416 - typed rows
    found: list[str] = []
    for name, sql in SQLITE_TRIGGERS.items():
        if name not in stored:
            found.append(_("trigger {name} is missing").format(name=name))
        elif stored[name] != sql:
            found.append(_("trigger {name} was changed").format(name=name))
    return found


def problems(connection: Connection) -> list[str]:
    """What is missing, changed or switched off among the protections, as sentences."""
    if connection.dialect.name == "postgresql":
        return _pg_problems(connection)
    return _sqlite_problems(connection)


def require(connection: Connection) -> None:
    """Raise :class:`ProtectionsOff` unless every protection is in place: checked on a
    database connection's first write, then again at its first write after
    :data:`RECHECK_SECONDS` (the time of the last check is kept in the connection's ``info``),
    so that protections switched off under a long-lived pool are noticed within a minute."""
    checked = connection.info.get(CHECKED)
    now = time.monotonic()
    if checked is not None and now - checked < RECHECK_SECONDS:
        return
    found = problems(connection)
    if found:
        connection.info.pop(CHECKED, None)
        raise ProtectionsOff(found)
    connection.info[CHECKED] = now
