"""The host's Alembic environment, as coopflow's README tells hosts to write it."""

from __future__ import annotations

import coopflow
from alembic import context

from tests.host.models import HostBase

# coopflow's metadata is included (so that the host's models could refer to its tables), and
# coopflow's tables are left to coopflow's own migrations.
target_metadata = [HostBase.metadata, coopflow.metadata]

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    include_object=coopflow.alembic_include_object,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
