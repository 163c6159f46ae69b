"""Fixtures shared by the whole suite: one database fixture, every backend.

SQLite always runs; PostgreSQL runs when ``COOPFLOW_TEST_POSTGRES_URL`` is set (``.ci/run`` sets
it and fails if the server cannot be reached).  Each PostgreSQL test gets a schema of its own,
dropped afterwards, through the connection's ``search_path``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import coopflow
import coopflow._i18n
import pytest
from coopflow import Coopflow
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests import scenario

POSTGRES_URL = os.environ.get("COOPFLOW_TEST_POSTGRES_URL")

# The suite reads coopflow's messages in English, the source language (its assertions were
# written in it); the French catalog has tests of its own (tests/test_i18n.py), which choose
# the language explicitly.  Set here, before any test runs, so subprocesses inherit it.
os.environ["COOPFLOW_LANG"] = "en"

#: The system libraries WeasyPrint needs, and the Debian package of each.
SYSTEM_LIBRARIES = {
    "pango-1.0": "libpango-1.0-0",
    "pangoft2-1.0": "libpangoft2-1.0-0",
    "harfbuzz-subset": "libharfbuzz-subset0",
}


def pytest_configure(config: pytest.Config) -> None:
    """Stop at once, saying what to install, when a system library WeasyPrint needs is missing
    (without HarfBuzz's subsetter WeasyPrint warns at import, and warnings are errors here)."""
    from ctypes.util import find_library

    missing = [package for lib, package in SYSTEM_LIBRARIES.items() if not find_library(lib)]
    if missing:
        pytest.exit(
            "the tests need system libraries that are not installed: on Debian, "
            f"apt-get install {' '.join(missing)}",
            returncode=4,
        )


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def postgres_schema_url(base: str, schema: str) -> str:
    """``base`` with a search_path option putting every table in ``schema``."""
    url = make_url(base).set(drivername="postgresql+psycopg")
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("COOPFLOW_TEST_POSTGRES_URL is not set")
    return (
        make_url(POSTGRES_URL)
        .set(drivername="postgresql+psycopg")
        .render_as_string(hide_password=False)
    )


def new_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A URL of an empty database of the given backend, cleaned up after the test."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'coopflow.db'}"
    admin_url = request.getfixturevalue("postgres_admin")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    request.addfinalizer(drop)
    return postgres_schema_url(admin_url, schema)


@pytest.fixture(autouse=True)
def _language_of_the_environment() -> Iterator[None]:
    """A test that chooses a language (``set_language``) leaves it to no other test."""
    yield
    coopflow._i18n.set_language(None)


@pytest.fixture(scope="session", autouse=True)
def _scenario_today() -> Iterator[None]:
    """The suite's world is the scenarios' (2027-2029): its today, for the rules that refuse a
    date in the future, is ``scenario.TODAY`` unless a test states its own (``today=``, or
    ``scenario.pin_today`` with the test's ``monkeypatch``), for every fixture too."""
    with pytest.MonkeyPatch.context() as patch:
        scenario.pin_today(patch)
        yield


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database (not migrated)."""
    return new_database(backend, tmp_path, request)


@pytest.fixture
def migrated_url(db_url: str) -> str:
    """A migrated database whose registry holds the scenarios' people (``tests.scenario``)."""
    coopflow.migrate(db_url)
    with Coopflow(db_url) as cf:
        scenario.register_people(cf)
    return db_url


@pytest.fixture
def cf(migrated_url: str) -> Iterator[Coopflow]:
    """A Coopflow on a fresh, migrated database; checks no connection was left checked out."""
    instance = Coopflow(migrated_url)
    yield instance
    pool = instance.engine.pool
    checked_out = pool.checkedout() if hasattr(pool, "checkedout") else 0
    instance.close()
    assert checked_out == 0, f"{checked_out} connection(s) left checked out"


# -- RFC 3161: an offline timestamping authority on 127.0.0.1 (tests/tsa.py) ---------------


@pytest.fixture(scope="session")
def tsa() -> Iterator[object]:
    """A ``tests.tsa.TestTSA`` serving a fresh certomancer PKI for the whole session
    (``tsa.url``, ``tsa.url_for(mode)``, ``tsa.root_pem``, ``tsa.tsa_cert_pem``)."""
    from tests.tsa import TestTSA

    with TestTSA() as server:
        yield server
