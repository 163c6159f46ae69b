"""Running coopflow's migrations from code, and checking a database's schema at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from .errors import IntegrityError, SchemaOutOfDateError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

VERSION_TABLE = "coopflow_alembic_version"


def _script_location() -> str:
    import coopflow.migrations

    return str(Path(coopflow.migrations.__file__).resolve().parent)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config for coopflow's migrations, bound to ``connection``."""
    cfg = Config()
    cfg.set_main_option("script_location", _script_location())
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    ctx = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return ctx.get_current_revision()


def _create_schema(connection: Connection, schema: str | None) -> None:
    if schema is not None:  # a checked identifier (coopflow._db.check_schema_name)
        connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def _run(bind: Engine | Connection, fn: str, revision: str, schema: str | None) -> None:
    """Run an Alembic command on ``bind``, whose search_path already puts ``schema`` first."""
    if isinstance(bind, Connection):
        _create_schema(bind, schema)
        getattr(command, fn)(alembic_config(bind), revision)
        return
    with bind.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild tables: with foreign keys on, dropping the old table would
            # cascade-delete its children.  The pragma only works outside a transaction.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                _create_schema(connection, schema)
                getattr(command, fn)(alembic_config(connection), revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise IntegrityError(
                            f"migrating to {revision} would break foreign keys: {broken[:5]}"
                        )
        finally:
            if sqlite:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def upgrade(bind: Engine | Connection, revision: str = "head", schema: str | None = None) -> None:
    _run(bind, "upgrade", revision, schema)


def downgrade(bind: Engine | Connection, revision: str, schema: str | None = None) -> None:
    _run(bind, "downgrade", revision, schema)


def check_schema(bind: Engine | Connection, command_hint: str) -> None:
    """Raise SchemaOutOfDateError naming ``command_hint`` unless the schema is at head."""
    if isinstance(bind, Connection):
        current = current_revision(bind)
    else:
        with bind.connect() as connection:
            current = current_revision(connection)
    head = head_revision()
    if current != head:
        raise SchemaOutOfDateError(current, head, command_hint)


def alembic_include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """``include_object`` for a host's Alembic ``env.py``: leave coopflow's tables (and its
    version table) to coopflow's own migrations, so the host's autogenerate neither creates nor
    drops them."""
    return not (type_ == "table" and (name or "").startswith("coopflow_"))


def display_url(url: URL | str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
