"""Alembic environment of coopflow's own migrations.

coopflow runs these from code (:func:`coopflow.migrate`), on the connection it is given through
``config.attributes["connection"]``.  They keep their own version table,
``coopflow_alembic_version``, and touch only ``coopflow_*`` tables, so a host application's
Alembic history in the same database is left alone.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from coopflow._migrate import VERSION_TABLE
from coopflow.models import metadata
from sqlalchemy import Connection


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if type_ == "table":
        return bool(name and name.startswith("coopflow_")) and name != VERSION_TABLE
    return True


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # In coopflow's own schema, named: a version table of the same name further down the
        # search_path (coopflow's tables in public, say) must not pass for this one.
        version_table_schema=context.config.attributes.get("schema"),
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("coopflow's migrations run from code: use coopflow.migrate(url)")
run(connection)
