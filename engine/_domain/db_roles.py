"""PostgreSQL: coopflow's group roles, what they may do, and the membership of each actor's
database login.

``install`` (``coopflow db-roles install``, run once by the tables' owner) creates a group
role per coopflow role (``<prefix>_staff``, ``<prefix>_legal``, ``<prefix>_elected``,
``<prefix>_admin``) and ``<prefix>_service`` for a host application that authenticates its
users itself, grants them only what coopflow's operations need (no UPDATE or DELETE on the
journals, only the status of a stored document), and records the prefix in
``coopflow_setting``.  From then on ``actor add/grant/revoke/deactivate`` keep each actor's
database login a member of exactly the group roles of the roles they hold (:func:`sync`), and
the ``coopflow_check_author`` trigger refuses a record whose author the writing login is not.
"""

from __future__ import annotations

import re
from typing import Final

from coopflow._i18n import _
from coopflow._vocabulary import ROLES
from coopflow.errors import ValidationError
from coopflow.models import RegisteredActor, Setting
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

SETTING: Final = "role_prefix"
SERVICE: Final = "service"
_PREFIX = re.compile(r"[a-z][a-z0-9_]{0,30}")

#: The tables whose rows coopflow's operations insert and update.
_DATA_TABLES: Final = (
    "coopflow_party",
    "coopflow_partnership",
    "coopflow_partnership_party",
    "coopflow_exchange",
    "coopflow_axis",
    "coopflow_stake",
    "coopflow_commitment",
    "coopflow_protocol",
    "coopflow_amendment",
    "coopflow_deliberation",
    "coopflow_signatory",
    "coopflow_programme",
    "coopflow_action",
    "coopflow_milestone",
    "coopflow_budget_line",
    "coopflow_indicator",
    "coopflow_financial_commitment",
    "coopflow_dialogue",
    "coopflow_dialogue_participant",
    "coopflow_dialogue_exchange",
    "coopflow_dialogue_stake",
)
_APPEND_ONLY: Final = ("coopflow_journal", "coopflow_registry_journal", "coopflow_checkpoint")


def group(prefix: str, role: str) -> str:
    return f"{prefix}_{role}"


def check_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise ValidationError(
            _(
                "{prefix!r} is not a role prefix (lower-case letters, digits and _, at most 31)"
            ).format(prefix=prefix),
            field="prefix",
        )
    return prefix


def installed_prefix(db: Session | Connection) -> str | None:
    return db.execute(select(Setting.value).where(Setting.key == SETTING)).scalar()


def grant_new_table(connection: Connection, table: str) -> None:
    """Give the installed group roles (if any) what ``install`` gives them on a data table a
    later revision adds: a migration calls it, run by the tables' owner."""
    if connection.dialect.name != "postgresql" or table not in _DATA_TABLES:
        return
    prefix = installed_prefix(connection)
    if prefix is None:
        return
    quote = connection.dialect.identifier_preparer.quote
    everyone = ", ".join(quote(group(prefix, role)) for role in (*ROLES, SERVICE))
    connection.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE ON {table} TO {everyone}")
    sequence = connection.exec_driver_sql(  # a table keyed by its columns has none
        f"SELECT pg_get_serial_sequence('{table}', 'id') FROM information_schema.columns "
        f"WHERE table_schema = current_schema() AND table_name = '{table}' AND column_name = 'id'"
    ).scalar()
    if sequence is not None:
        connection.exec_driver_sql(f"GRANT USAGE ON SEQUENCE {sequence} TO {everyone}")


def install(connection: Connection, prefix: str) -> list[str]:
    """Create (if missing) and grant coopflow's group roles in the current schema; returns
    their names.  Run by the tables' owner (or a superuser), who needs CREATEROLE."""
    if connection.dialect.name != "postgresql":
        raise ValidationError(_("group roles are PostgreSQL's"), field="database")
    check_prefix(prefix)
    quote = connection.dialect.identifier_preparer.quote
    schema = quote(connection.exec_driver_sql("SELECT current_schema()").scalar_one())
    names = [group(prefix, role) for role in (*ROLES, SERVICE)]
    for name in names:
        exists = connection.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": name}
        ).scalar()
        if exists is None:
            connection.exec_driver_sql(f"CREATE ROLE {quote(name)} NOLOGIN")
    everyone = ", ".join(quote(name) for name in names)
    managers = ", ".join(quote(group(prefix, r)) for r in ("admin", SERVICE))
    data = ", ".join(_DATA_TABLES)
    for statement in (
        f"GRANT USAGE ON SCHEMA {schema} TO {everyone}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {everyone}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {everyone}",
        f"GRANT INSERT, UPDATE ON {data} TO {everyone}",
        f"GRANT INSERT ON {', '.join(_APPEND_ONLY)} TO {everyone}",
        f"GRANT INSERT, UPDATE (status) ON coopflow_document TO {everyone}",
        f"GRANT UPDATE ON coopflow_chain TO {everyone}",
        f"GRANT INSERT, UPDATE ON coopflow_actor TO {managers}",
    ):
        connection.exec_driver_sql(statement)
    for role in ROLES:
        if role == "admin":
            continue  # the admin group itself is granted by the owner (or a superuser)
        # Admins give and take the roles (actor add, grant, revoke, deactivate).
        connection.exec_driver_sql(
            f"GRANT {quote(group(prefix, role))} TO {quote(group(prefix, 'admin'))} "
            "WITH ADMIN OPTION"
        )
    connection.execute(
        text(
            "INSERT INTO coopflow_setting (key, value) VALUES (:key, :value) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        ),
        {"key": SETTING, "value": prefix},
    )
    for row in connection.execute(
        select(RegisteredActor.db_login, RegisteredActor.roles, RegisteredActor.active).where(
            RegisteredActor.db_login.is_not(None)
        )
    ):
        _grant(connection, prefix, row.db_login, row.roles if row.active else [])
    return names


# Granted directly (an admin's login is also a member of every group through the admin group,
# which holds them WITH ADMIN OPTION so that admins may grant them).
_DIRECT_MEMBER = text(
    "SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
    "JOIN pg_roles u ON u.oid = m.member WHERE g.rolname = :group AND u.rolname = :login"
)


def _grant(connection: Connection, prefix: str, login: str, roles: list[str]) -> None:
    quote = connection.dialect.identifier_preparer.quote
    exists = connection.execute(
        text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": login}
    ).scalar()
    if exists is None:
        raise ValidationError(
            _(
                "the database has no login {login!r}: create it first (CREATE ROLE ... LOGIN)"
            ).format(login=login),
            field="db_login",
        )
    for role in ROLES:
        name = quote(group(prefix, role))
        found = connection.execute(_DIRECT_MEMBER, {"login": login, "group": group(prefix, role)})
        member = found.scalar() is not None
        if role in roles and not member:
            connection.exec_driver_sql(f"GRANT {name} TO {quote(login)}")
        elif role not in roles and member:
            connection.exec_driver_sql(f"REVOKE {name} FROM {quote(login)}")


def sync(session: Session, row: RegisteredActor) -> None:
    """Make ``row``'s database login a member of the group roles of the roles it holds (all
    of them revoked once deactivated), when coopflow's group roles are installed."""
    if row.db_login is None or session.get_bind().dialect.name != "postgresql":
        return
    prefix = installed_prefix(session)
    if prefix is None:
        return
    _grant(session.connection(), prefix, row.db_login, list(row.roles) if row.active else [])
