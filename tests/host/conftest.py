"""The test host application's engine, on every backend."""

from __future__ import annotations

from collections.abc import Iterator

import coopflow
import pytest
from coopflow._db import normalise_url
from sqlalchemy import Engine, create_engine


@pytest.fixture
def host_engine(db_url: str) -> Iterator[Engine]:
    """The host's engine: coopflow is asked to configure SQLite (savepoints, WAL...)."""
    engine = create_engine(normalise_url(db_url))
    if engine.dialect.name == "sqlite":
        coopflow.configure_sqlite(engine)
    yield engine
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    engine.dispose()
