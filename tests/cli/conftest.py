"""Fixtures of the command-line tests: a runner, migrated SQLite databases, the demo applied
once per session (copied for each test that reads it), and the ``coopflow`` command run the way
a user runs it, as a subprocess."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import coopflow
import pytest
from click.testing import CliRunner, Result
from coopflow import Coopflow
from coopflow._script import apply_script
from coopflow.cli import DEMO_SCRIPT, cli
from coopflow.demo._runner import DEMO_PEOPLE, migrate_to_v2
from coopflow.demo._runner import register_people as register_demo_people
from sqlalchemy import create_engine, select

from tests import scenario

DEMO_FILE = Path(coopflow.__file__).parent / DEMO_SCRIPT


@dataclass(frozen=True)
class Run:
    """The outcome of one command: exit code, stdout and stderr."""

    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


Invoke = Callable[..., Run]


def _result(result: Result) -> Run:
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database at the current schema whose registry holds the scenarios' people and
    nothing else (migrated once for the session)."""
    path = tmp_path_factory.mktemp("schema") / "empty.db"
    coopflow.migrate(f"sqlite:///{path}")
    with Coopflow(f"sqlite:///{path}") as cf:
        scenario.register_people(cf)
        for login, (name, roles) in DEMO_PEOPLE.items():  # the README's script names them
            if login != scenario.STAFF.id:
                cf.add_actor(login, name, roles=roles, actor=scenario.ADMIN)
    return path


@pytest.fixture
def sqlite_url(migrated_template: Path, tmp_path: Path) -> str:
    """A migrated, empty SQLite database of the test's own."""
    target = tmp_path / "coopflow.db"
    shutil.copyfile(migrated_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def invoke(sqlite_url: str) -> Invoke:
    """Run ``coopflow --db <sqlite_url> ARGS...`` through click's runner."""

    def run(*args: str, db: str | None = None, env: dict[str, str] | None = None) -> Run:
        runner = CliRunner()
        # Who runs the commands (SQLite: else the OS login), unless a test says otherwise.
        env = {"COOPFLOW_ACTOR": scenario.STAFF.id, **(env or {})}
        result = runner.invoke(cli, ["--db", db or sqlite_url, *args], env=env)
        return _result(result)

    return run


@pytest.fixture
def invoke_bare() -> Callable[..., Run]:
    """Run ``coopflow ARGS...`` through click's runner, without ``--db``."""

    def run(*args: str, env: dict[str, str] | None = None) -> Run:
        return _result(CliRunner().invoke(cli, list(args), env=env))

    return run


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database with the demo script applied and its version 1 partnerships moved to
    version 2, as the demo does (built once for the session)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    url = f"sqlite:///{path}"
    coopflow.migrate(url)
    with Coopflow(url) as cf:
        register_demo_people(cf)
        apply_script(cf, DEMO_FILE)
        migrate_to_v2(cf)
    return path


@pytest.fixture
def demo_url(demo_template: Path, tmp_path: Path) -> str:
    """A copy of the demo database, for one test."""
    target = tmp_path / "demo.db"
    shutil.copyfile(demo_template, target)
    return f"sqlite:///{target}"


def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every coopflow table, sorted: to compare a database before and after."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
                for table in coopflow.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def run_coopflow(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """``python -m coopflow.cli ARGS...`` in a subprocess, the way a user runs the command."""
    proc = subprocess.run(
        [sys.executable, "-m", "coopflow.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def chdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test in an empty folder of its own."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
