"""Running coopflow's migrations from code, and checking a database's schema at start-up.

Alembic is imported only to migrate: the start-up check reads the version table with one
query and compares it with the head revision, read from the ``revision`` and
``down_revision`` of the files in ``migrations/versions`` (the same head as Alembic's, which
``tests/cli/test_startup.py`` checks)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ._i18n import _
from .errors import IntegrityError, SchemaOutOfDateError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection, Engine
    from sqlalchemy.engine import URL

VERSION_TABLE = "coopflow_alembic_version"
_SELECT_VERSION = f"SELECT version_num FROM {VERSION_TABLE}"
_SELECT_VERSION_IN = 'SELECT version_num FROM "{schema}".' + VERSION_TABLE  # a checked name


def _script_location() -> str:
    import coopflow.migrations

    return str(Path(coopflow.migrations.__file__).resolve().parent)


def alembic_config(connection: Connection | None = None, schema: str | None = None) -> Config:
    """An Alembic Config for coopflow's migrations, bound to ``connection``; ``schema``
    (PostgreSQL) is where the version table is looked for and kept, named explicitly."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", _script_location())
    if connection is not None:
        cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = schema
    return cfg


#: A top-level assignment of ``revision`` or ``down_revision`` (annotated or not), as Alembic
#: writes them: ``revision: str = "0005"``.
_ASSIGNMENT = re.compile(
    r"^(revision|down_revision)\b[ \t]*(?::[^=\n]*)?=[ \t]*(.*?)[ \t]*(?:#.*)?$", re.MULTILINE
)
_QUOTED = re.compile(r"""^(?:"([^"\\]*)"|'([^'\\]*)')$""")


def _revision_ids(text: str) -> tuple[str, ...] | None:
    """``None``, ``"0004"`` or ``("0003", "0004")`` as revision identifiers; None if it is
    something else (read no further)."""
    if text == "None":
        return ()
    inner = text[1:-1].strip().rstrip(",") if text[:1] + text[-1:] in ("()", "[]") else text
    ids: list[str] = []
    for item in inner.split(","):
        quoted = _QUOTED.match(item.strip())
        if quoted is None:
            return None
        ids.append(quoted.group(1) if quoted.group(1) is not None else quoted.group(2))
    return tuple(ids)


def _revision_of(source: str) -> tuple[str, tuple[str, ...]] | None:
    """A migration file's ``revision`` and ``down_revision`` (its parents), each assigned once
    at the top level; None if the file does not say them so plainly."""
    found: dict[str, list[tuple[str, ...] | None]] = {"revision": [], "down_revision": []}
    for match in _ASSIGNMENT.finditer(source):
        found[match.group(1)].append(_revision_ids(match.group(2)))
    if len(found["revision"]) != 1 or len(found["down_revision"]) != 1:
        return None
    (revision,), (parents,) = found["revision"], found["down_revision"]
    if revision is None or len(revision) != 1 or parents is None:
        return None
    return revision[0], parents


def read_head(versions: Path) -> str | None:
    """The one head of the migration files in ``versions``, read from their ``revision`` and
    ``down_revision`` without importing them (or Alembic); None if it cannot be told so plainly
    (no file, a file that does not assign them as literals, several heads)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for file in versions.glob("*.py"):
        if file.name.startswith(("__init__", ".#")):
            continue
        try:
            found = _revision_of(file.read_text("utf-8"))
        except (OSError, UnicodeDecodeError):
            return None
        if found is None or found[0] in revisions:
            return None
        revisions.add(found[0])
        parents.update(found[1])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


@functools.cache
def head_revision() -> str:
    """The revision coopflow's tables must be at: the head of ``migrations/versions``."""
    head = read_head(Path(_script_location()) / "versions")
    if head is None:  # files this reading cannot tell: ask Alembic
        head = alembic_head_revision()
    return head


def alembic_head_revision() -> str:
    """The head revision as Alembic's ScriptDirectory says (imports Alembic)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _version_in_table(connection: Connection, schema: str | None = None) -> str | None:
    """The revision the version table holds (one query); several rows, as Alembic would
    write for branches coopflow does not have, read as one revision that is not the head.
    With ``schema`` the table is named in it: never one of the same name further down the
    search_path."""
    query = _SELECT_VERSION if schema is None else _SELECT_VERSION_IN.format(schema=schema)
    rows = sorted(str(v) for v in connection.exec_driver_sql(query).scalars())
    return ", ".join(rows) if rows else None


def current_revision(connection: Connection, schema: str | None = None) -> str | None:
    """The revision of coopflow's tables on ``connection``; None when coopflow's version table
    does not exist (not initialised).

    No statement fails: the table's existence is asked of the catalog first, so that a host's
    transaction on ``connection`` (on PostgreSQL, aborted by any error) stays usable."""
    from sqlalchemy import inspect

    if not inspect(connection).has_table(VERSION_TABLE, schema=schema):
        return None
    return _version_in_table(connection, schema)


def _current_revision_of(engine: Engine, schema: str | None = None) -> str | None:
    """The revision on a connection of coopflow's own: one query when the version table exists
    (the common case); when it fails, the catalog tells a missing table (None) from any other
    error (raised again)."""
    from sqlalchemy.exc import DBAPIError

    with engine.connect() as connection:
        try:
            return _version_in_table(connection, schema)
        except DBAPIError:
            connection.rollback()
        return current_revision(connection, schema)


def _create_schema(connection: Connection, schema: str | None) -> None:
    if schema is not None:  # a checked identifier (coopflow._db.check_schema_name)
        connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def _run(bind: Engine | Connection, fn: str, revision: str, schema: str | None) -> None:
    """Run an Alembic command on ``bind``, whose search_path already puts ``schema`` first."""
    from alembic import command
    from sqlalchemy import Connection

    if isinstance(bind, Connection):
        _create_schema(bind, schema)
        getattr(command, fn)(alembic_config(bind, schema), revision)
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
                getattr(command, fn)(alembic_config(connection, schema), revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise IntegrityError(
                            _("migrating to {revision} would break foreign keys: {broken}").format(
                                revision=revision, broken=broken[:5]
                            )
                        )
        finally:
            if sqlite:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def upgrade(bind: Engine | Connection, revision: str = "head", schema: str | None = None) -> None:
    _run(bind, "upgrade", revision, schema)


def downgrade(bind: Engine | Connection, revision: str, schema: str | None = None) -> None:
    _run(bind, "downgrade", revision, schema)


def check_schema(bind: Engine | Connection, command_hint: str, schema: str | None = None) -> None:
    """Raise SchemaOutOfDateError naming ``command_hint`` unless the schema is at head.

    Alembic is not imported: one query of the version table, compared with the head read from
    the migration files."""
    from sqlalchemy import Connection

    current = (
        current_revision(bind, schema)
        if isinstance(bind, Connection)
        else _current_revision_of(bind, schema)
    )
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
