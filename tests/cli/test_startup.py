"""The ``coopflow`` command starts at once: what each kind of command imports, and the schema
check at start-up (one query of the version table, the head read without Alembic).

Each command runs in a fresh interpreter (``sys.executable``) that calls
``coopflow.cli.main`` and then writes down the modules it loaded: ``--version`` and ``--help``
load no database library, a read command or a fire on SQLite no Alembic, no document renderer
and no rich (output to a pipe is plain).  No test here measures time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import coopflow
import pytest
from alembic.script import ScriptDirectory
from coopflow import Coopflow, SchemaOutOfDateError
from coopflow._db import normalise_url
from coopflow._migrate import (
    VERSION_TABLE,
    alembic_config,
    alembic_head_revision,
    check_schema,
    current_revision,
    head_revision,
    read_head,
)
from coopflow.cli._app import plainly_valid
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session

from tests import scenario

#: What neither ``--version`` nor ``--help`` may import.
HEAVY = ("sqlalchemy", "alembic", "weasyprint", "fontTools", "babel", "rich")
#: What a read command, or a fire that renders nothing, may not import.
NOT_FOR_READING = ("alembic", "weasyprint", "fontTools", "babel", "rich")

PROBE = textwrap.dedent(
    """
    import json, sys

    out, args = sys.argv[1], json.loads(sys.argv[2])
    import coopflow.cli

    code = 0
    try:
        coopflow.cli.main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"code": code, "modules": sorted(sys.modules)}, f)
    """
)


@dataclass(frozen=True)
class Started:
    """One command run in a fresh interpreter: exit code, output and the modules it loaded."""

    code: int
    out: str
    err: str
    modules: list[str]

    def loaded(self, *packages: str) -> list[str]:
        """The modules loaded of these top-level packages."""
        return [m for m in self.modules if m.split(".")[0] in packages]


def _env() -> dict[str, str]:
    """The environment without coopflow's settings, but its language (the suite's: English)."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith("COOPFLOW_") or k == "COOPFLOW_LANG"
    }


def start(tmp_path: Path, *args: str) -> Started:
    """``coopflow ARGS...`` in a fresh interpreter, in ``tmp_path``."""
    record = tmp_path / "modules.json"
    record.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(record), json.dumps(list(args))],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr  # the probe itself ran to its end
    result = json.loads(record.read_text("utf-8"))
    return Started(result["code"], proc.stdout, proc.stderr, result["modules"])


def run_python(tmp_path: Path, code: str) -> str:
    """Run ``code`` in a fresh interpreter; its stdout."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return proc.stdout


# ---------------------------------------------------------------------- --version and --help


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--version"], "coopflow, version"),
        (["--help"], "Usage: coopflow"),
        (["partnership", "--help"], "Usage: coopflow partnership"),
        (["partnership", "list", "--help"], "--json"),
        (["fire", "--help"], "[staff|legal|elected|admin]"),
        (["workflow", "--help"], "Usage: coopflow workflow"),
        (["--db", "postgresql://u:secret@db.example:5432/coop?sslmode=require", "--help"], "--db"),
    ],
    ids=["version", "help", "group-help", "command-help", "fire-help", "workflow-help", "pg-url"],
)
def test_version_and_help_import_no_database_library(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    started = start(tmp_path, *args)
    assert started.code == 0, started.err
    assert expected in started.out
    assert started.loaded(*HEAVY) == []


def test_version_alone_imports_not_even_click_and_says_the_installed_version(
    tmp_path: Path,
) -> None:
    import importlib.metadata

    started = start(tmp_path, "--version")
    assert started.code == 0
    assert started.out == f"coopflow, version {importlib.metadata.version('coopflow')}\n"
    assert started.loaded("click") == []
    # With another option, click answers, with the same words.
    slower = start(tmp_path, "--version", "--db", "sqlite:///x.db")
    assert (slower.code, slower.out) == (0, started.out)


def test_an_invalid_url_is_still_a_usage_error(tmp_path: Path) -> None:
    started = start(tmp_path, "--db", "not a url", "party", "list")
    assert started.code == 2
    assert "Could not parse SQLAlchemy URL" in started.err
    assert "--db" in started.err


#: URLs told valid without SQLAlchemy; URLs SQLAlchemy accepts but is asked about (odd
#: ports that ``int`` reads); URLs it refuses.
PLAIN = [
    "sqlite:///coopflow.db",
    "sqlite:////tmp/x.db",
    "sqlite://",
    "sqlite:///:memory:",
    "sqlite:///file:x.db?mode=ro&uri=true",
    "postgresql://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://u:p%40ss@host/db?options=-csearch_path%3Dx&a=&a=2",
    "postgresql://u@[::1]:5432/db",
]
ASKED = ["postgresql://u@host:\u0661\u0662/db", "postgresql://u@host: 12/db"]
REFUSED = ["not a url", "://x", "a-b://x", "", "postgresql://u@host:/db", "postgresql://u@h:x/db"]


@pytest.mark.parametrize("url", PLAIN + ASKED + REFUSED)
def test_a_url_told_valid_without_sqlalchemy_is_one_sqlalchemy_accepts(url: str) -> None:
    assert plainly_valid(url) == (url in PLAIN)
    if url in REFUSED:
        with pytest.raises((ArgumentError, ValueError)):
            make_url(url)
    else:
        make_url(url)


def test_importing_coopflow_is_cheap_and_every_public_name_still_imports(tmp_path: Path) -> None:
    out = run_python(
        tmp_path,
        """
        import json, sys
        import coopflow, coopflow.cli, coopflow.demo

        cheap = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic"))
        listed = all(name in dir(coopflow) for name in coopflow.__all__)
        demo_db = coopflow.demo.DEMO_DB
        names = {}
        for name in coopflow.__all__:
            exec(f"from coopflow import {name} as value", names)
        try:
            coopflow.NoSuchName
        except AttributeError:
            missing = True
        else:
            missing = False
        print(json.dumps({"cheap": cheap, "listed": listed, "missing": missing, "demo": demo_db}))
        """,
    )
    result = json.loads(out)
    assert result == {"cheap": [], "listed": True, "missing": True, "demo": "coopflow-demo.db"}
    assert coopflow.Coopflow.__module__ == "coopflow._api"


# ---------------------------------------------------------------------- read commands and fire


@pytest.fixture
def one_partnership(tmp_path: Path) -> tuple[str, str]:
    """A migrated SQLite file with one partnership in accueil (and an exchange logged, so that
    ``ouvrir_dialogue`` may be fired): its URL and the reference."""
    url = f"sqlite:///{tmp_path / 'startup.db'}"
    coopflow.migrate(url)
    with Coopflow(url) as cf:
        scenario.register_people(cf)
        ref = scenario.in_accueil(cf)
        cf.log_exchange(
            ref, date="2026-09-15", kind="reunion", summary="Rencontre", actor=scenario.STAFF
        )
    return url, ref


def test_partnership_list_json_imports_no_alembic_renderer_or_rich(
    tmp_path: Path, one_partnership: tuple[str, str]
) -> None:
    url, ref = one_partnership
    started = start(tmp_path, "--db", url, "partnership", "list", "--json")
    assert started.code == 0, started.err
    listed = json.loads(started.out)
    assert [(p["reference"], p["state"]) for p in listed] == [(ref, "accueil")]
    assert started.loaded(*NOT_FOR_READING) == []
    assert started.loaded("sqlalchemy")  # it did read the database


def test_history_and_events_import_no_alembic_renderer_or_rich(
    tmp_path: Path, one_partnership: tuple[str, str]
) -> None:
    url, ref = one_partnership
    history = start(tmp_path, "--db", url, "history", ref)
    assert history.code == 0, history.err
    header, first = history.out.splitlines()[:2]
    assert header.split()[:5] == ["Seq", "At", "(Paris", "time)", "Event"]
    assert first.split()[0] == "1" and "marie.dupont (staff, host)" in first  # via the API
    assert history.loaded(*NOT_FOR_READING) == []

    events = start(
        tmp_path, "--db", url, "events", ref, "--actor", scenario.STAFF.id, "--role", "staff"
    )
    assert events.code == 0, events.err
    assert any(line.startswith("ouvrir_dialogue") for line in events.out.splitlines())
    assert events.loaded(*NOT_FOR_READING) == []


def test_a_fire_on_sqlite_imports_no_alembic_renderer_or_rich(
    tmp_path: Path, one_partnership: tuple[str, str]
) -> None:
    url, ref = one_partnership
    started = start(
        tmp_path,
        *("--db", url, "fire", ref, "ouvrir_dialogue"),
        *("--actor", scenario.STAFF.id, "--role", "staff"),
    )
    assert started.code == 0, started.err
    assert started.out.startswith(f"{ref}: ouvrir_dialogue: accueil → dialogue (version ")
    assert started.loaded(*NOT_FOR_READING) == []
    with Coopflow(url) as cf:
        assert cf.partnership(ref).state == "dialogue"


# ---------------------------------------------------------------------- the head revision


def test_the_head_read_from_the_files_is_alembics(tmp_path: Path) -> None:
    alembic_head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head_revision() == alembic_head == alembic_head_revision()
    versions = Path(alembic_config().get_main_option("script_location") or "") / "versions"
    assert read_head(versions) == alembic_head
    out = run_python(
        tmp_path,
        """
        import sys
        from coopflow._migrate import head_revision

        print(head_revision(), "alembic" in sys.modules)
        """,
    )
    assert out.split() == [alembic_head, "False"]


def _migration(folder: Path, name: str, revision: str, down: str) -> None:
    (folder / name).write_text(
        f'"""A migration.\n\nRevision ID: {revision}\n"""\n\n'
        f"from alembic import op\n\n"
        f"revision: str = {revision}\ndown_revision: str | None = {down}  # comment\n"
        f"branch_labels = None\n\n\ndef upgrade() -> None:\n    revision = 1\n",
        "utf-8",
    )


def test_reading_the_head_says_none_rather_than_guess(tmp_path: Path) -> None:
    _migration(tmp_path, "__init__.py", "'x'", "None")  # not a migration: skipped
    _migration(tmp_path, "a.py", '"a"', "None")
    _migration(tmp_path, "b.py", "'b'", '"a"')
    assert read_head(tmp_path) == "b"
    _migration(tmp_path, "c.py", '"c"', '"a"')  # a branch: two heads
    assert read_head(tmp_path) is None
    _migration(tmp_path, "d.py", '"d"', '("b", "c")')  # merged
    assert read_head(tmp_path) == "d"
    _migration(tmp_path, "e.py", "make_revision()", '"d"')  # not a literal
    assert read_head(tmp_path) is None
    (tmp_path / "e.py").unlink()
    _migration(tmp_path, "f.py", '"f"', '"missing"')  # a parent that is not there
    assert read_head(tmp_path) is None
    assert read_head(tmp_path / "empty") is None


def test_the_head_falls_back_on_alembic_when_the_files_cannot_tell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("coopflow._migrate.read_head", lambda _versions: None)
    head_revision.cache_clear()
    try:
        assert head_revision() == alembic_head_revision()
    finally:
        monkeypatch.undo()
        head_revision.cache_clear()


# ---------------------------------------------------------------------- the schema check


def test_a_database_one_revision_behind_is_out_of_date(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    coopflow.migrate(url)
    coopflow.downgrade_schema(url, "0004")
    started = start(tmp_path, "--db", url, "partnership", "list")
    assert started.code == 1
    assert started.out == ""
    assert f"revision 0004, this coopflow needs {head_revision()}" in started.err
    assert f"coopflow --db {url} init" in started.err
    assert started.loaded("alembic") == []
    # With --json, the refusal is JSON on stdout, with its data.
    started = start(tmp_path, "--db", url, "partnership", "list", "--json")
    assert started.code == 1 and started.err == ""
    refusal = json.loads(started.out)["error"]
    assert (refusal["code"], refusal["current"]) == ("schema_out_of_date", "0004")
    assert refusal["command"] == f"coopflow --db {url} init"
    assert started.loaded("alembic") == []


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A host's engine on the test's empty database (SQLite or a PostgreSQL schema)."""
    engine = create_engine(normalise_url(db_url))
    if engine.dialect.name == "sqlite":
        coopflow.configure_sqlite(engine)
    yield engine
    engine.dispose()


def test_an_empty_database_is_not_initialised(db_url: str, engine: Engine) -> None:
    with pytest.raises(SchemaOutOfDateError) as info:
        check_schema(engine, "coopflow init")
    assert (info.value.current, info.value.head) == (None, head_revision())
    assert info.value.command == "coopflow init"
    with engine.connect() as connection:
        assert current_revision(connection) is None
        with pytest.raises(SchemaOutOfDateError):
            check_schema(connection, "coopflow init")
        assert connection.execute(text("SELECT 1")).scalar() == 1  # still usable
    with pytest.raises(SchemaOutOfDateError) as opened:
        Coopflow(db_url)
    assert opened.value.current is None and "init" in opened.value.command


def test_the_check_is_one_query_of_the_version_table(db_url: str, engine: Engine) -> None:
    coopflow.migrate(engine)
    with engine.connect():  # the dialect's own first queries
        pass
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", note)
    try:
        check_schema(engine, "coopflow init")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    queries = [s for s in statements if s.split()[0] not in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert queries == [f"SELECT version_num FROM {VERSION_TABLE}"]


def test_a_version_table_that_cannot_be_read_is_an_error(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {VERSION_TABLE} (other INTEGER)"))
    with pytest.raises(DBAPIError):
        check_schema(engine, "coopflow init")


def _host_table(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE host_note (id INTEGER PRIMARY KEY, body TEXT)"))


def _notes(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT body FROM host_note ORDER BY id")).scalars())


@pytest.mark.parametrize("behind", [None, "0004"], ids=["empty", "behind"])
def test_a_hosts_transaction_is_still_usable_after_the_check(
    engine: Engine, behind: str | None
) -> None:
    _host_table(engine)
    if behind is not None:
        coopflow.migrate(engine)
        coopflow.downgrade_schema(engine, behind)
    with Session(engine) as session:
        session.execute(text("INSERT INTO host_note (id, body) VALUES (1, 'before')"))
        with pytest.raises(SchemaOutOfDateError) as info:
            Coopflow(session)
        assert info.value.current == behind
        assert "coopflow.migrate(engine)" in info.value.command
        session.execute(text("INSERT INTO host_note (id, body) VALUES (2, 'after')"))
        session.commit()
    assert _notes(engine) == ["before", "after"]


def test_a_hosts_session_on_a_current_schema_opens(engine: Engine) -> None:
    _host_table(engine)
    coopflow.migrate(engine)
    with Session(engine) as session:
        session.execute(text("INSERT INTO host_note (id, body) VALUES (1, 'before')"))
        cf = Coopflow(session)
        scenario.register_people(cf)
        scenario.add_parties(cf, "bordeaux-metropole")
        session.commit()
    assert _notes(engine) == ["before"]
    with Coopflow(engine) as cf:
        assert [p.key for p in cf.parties()] == ["bordeaux-metropole"]
        assert scenario.STAFF.id in {a.login for a in cf.actors()}
