"""Every command the same way (issue 16, "Consistent output" and "French by default").

- ``--help`` of every command of the tree (groups and the root included) exits 0 in French and
  in English, and every help text it shows (the command's own, its options') is translated:
  a command whose help has no French translation fails here.
- Every command takes ``--json``.
- For the commands of ``MODULES`` (the actors, dialogues, deadlines, evidence, schema, scripts,
  workflows and demo commands), a success and a refusal with ``--json`` each print one valid
  JSON document on stdout and nothing on stderr, with the exit code of their kind (0 done, 1
  refused by the domain, 2 bad input), a refusal as
  ``{"error": {"code": ..., "message": ..., "reasons": [...]}}``, and accents unescaped.
"""

from __future__ import annotations

import datetime as dt
import gettext
import json
import shlex
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from coopflow import Coopflow
from coopflow._checkpoint import CheckpointSettings, new_key
from coopflow._i18n import DOMAIN, LOCALE_DIR
from coopflow.cli import commands
from coopflow.cli._catalog import help_texts
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests import scenario
from tests.conftest import new_database

ROOT = commands()

#: The command-line modules whose commands this file runs with --json, success and refusal.
MODULES = {
    f"coopflow.cli.{name}"
    for name in (
        "_actors",
        "_dialogues",
        "_due",
        "_evidence",
        "_schema",
        "_scripts",
        "_workflows",
        "_demo",
    )
}

#: Commands that take no --json, each with why.  None: even ``diagram`` prints its Mermaid
#: text inside a JSON object.  (Groups only dispatch to their commands and print a usage: they
#: are not commands that print a result, and are not listed here.)
WITHOUT_JSON: dict[str, str] = {}


def _walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from _walk(command.commands[name], (*path, name))


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = ROOT
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


PATHS = list(_walk(ROOT))
LEAVES = [p for p in PATHS if not isinstance(_command(p), click.Group)]


def _name(path: tuple[str, ...]) -> str:
    return " ".join(path) or "coopflow"


def _flat(text: str) -> str:
    """``text`` without its white space: click wraps help texts (at a hyphen too)."""
    return "".join(text.split())


class _Missing(gettext.NullTranslations):
    """The last resort of the French catalog: a message it does not have."""

    def gettext(self, message: str) -> str:
        raise LookupError(message)


def _french() -> gettext.NullTranslations:
    """The French catalog the command line reads, saying which message it lacks."""
    found = gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=["fr"])
    found.add_fallback(_Missing())
    return found


def _own_texts(path: tuple[str, ...]) -> list[str]:
    """The English help texts ``--help`` of the command shows: its own and its options'."""
    command = _command(path)
    own = command.name or "coopflow"
    return [
        text for where, text in help_texts(command) if where == own or where.startswith(f"{own} -")
    ]


def _help(path: tuple[str, ...], lang: str) -> str:
    result = CliRunner().invoke(ROOT, ["--lang", lang, *path, "--help"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert result.stderr == ""
    return result.stdout


# ---------------------------------------------------------------------- help, both languages


@pytest.mark.parametrize("path", PATHS, ids=_name)
def test_help_is_shown_in_french_and_in_english(path: tuple[str, ...]) -> None:
    english, french = _help(path, "en"), _help(path, "fr")
    assert english.startswith("Usage: ") and french.startswith("Utilisation : ")
    assert french != english
    texts = _own_texts(path)
    assert texts, f"{_name(path)} has no help text"
    catalog = _french()
    for source in texts:
        assert _flat(source) in _flat(english)
        try:
            translated = catalog.gettext(source)
        except LookupError:
            pytest.fail(f"{_name(path)}: no French for {source!r}")
        assert _flat(translated) in _flat(french)


def test_the_help_texts_are_checked_against_the_command_tree() -> None:
    """The walk above covers every command, and finds the source text of an option's help
    (translated when shown, kept in English in the source)."""
    names = {_name(p) for p in PATHS}
    assert {"coopflow", "apply", "actor add", "checkpoint take", "demo"} <= names
    assert 'Full name: "Claire Martin".' in _own_texts(("actor", "add"))


# ---------------------------------------------------------------------- --json everywhere


@pytest.mark.parametrize("path", LEAVES, ids=_name)
def test_every_command_takes_json(path: tuple[str, ...]) -> None:
    options = [p for p in _command(path).params if isinstance(p, click.Option)]
    has_json = any("--json" in o.opts for o in options)
    if _name(path) in WITHOUT_JSON:
        assert not has_json, f"{_name(path)} takes --json now: drop it from WITHOUT_JSON"
    else:
        assert has_json, f"{_name(path)} has no --json option"


def test_the_exceptions_name_real_commands() -> None:
    assert set(WITHOUT_JSON) <= {_name(p) for p in LEAVES}
    assert all(reason.strip() for reason in WITHOUT_JSON.values())


# ---------------------------------------------------------------------- JSON and exit codes


@dataclass
class World:
    """What a case runs against: a database of its own (parties, a partnership in accueil, a
    thematic dialogue ``mobilites-2026``) and a folder."""

    url: str
    tmp: Path
    reference: str

    def cf(self) -> Coopflow:
        return Coopflow(self.url)

    @property
    def database(self) -> Path:
        database = make_url(self.url).database
        assert database is not None
        return Path(database)


@dataclass(frozen=True)
class Case:
    """A command line (after ``--db URL``; split as a shell would; ``{tmp}`` is the world's
    folder, ``{today}`` today), the exit code it must end with, text the JSON must hold as
    is, what to prepare first, and the database given with ``--db`` (None: no ``--db``)."""

    line: str
    code: int = 0
    contains: str | None = None
    prepare: Callable[[World], object] | None = None
    db: str | None = "{url}"


def _key(world: World) -> Path:
    path = world.tmp / "key.pem"
    new_key(path)
    return path


def _checkpoint(world: World) -> None:
    with world.cf() as cf:
        cf.checkpoint_settings = CheckpointSettings(key=_key(world), after_signature=False)
        cf.checkpoint(actor=scenario.ADMIN)


def _bundle(world: World) -> None:
    with world.cf() as cf:
        cf.export(world.reference, world.tmp / "bundle", actor=scenario.STAFF)


def _empty_folder(world: World) -> None:
    (world.tmp / "empty").mkdir()


def _protections_off(world: World) -> None:
    raw = sqlite3.connect(world.database)
    with raw:
        raw.execute("DROP TRIGGER coopflow_journal_no_delete")
    raw.close()


def _fourth_party(world: World) -> None:
    with world.cf() as cf:
        cf.add_party(
            "ville-de-cognac",
            "Ville de Cognac",
            nature="COMMUNE",
            deliberative_body="conseil municipal",
            executive_title="Maire",
            actor=scenario.STAFF,
        )


def _script(body: str) -> Callable[[World], object]:
    def write(world: World) -> None:
        head = '[script]\nname = "consistency"\nactor = "marie.dupont"\n\n'
        (world.tmp / "script.toml").write_text(head + body, "utf-8")

    return write


_NEW_PARTY = """[[parties]]
key = "ville-de-cognac"
official_name = "Ville de Cognac"
nature = "COMMUNE"
deliberative_body = "conseil municipal"
executive_title = "Maire"
"""

_REFUSED_STEP = """[[partnerships]]
reference = "COOP-2026-0900"
title = "Coopération Bordeaux Métropole – La Cali"
scale = "espace_regional"
parties = ["bordeaux-metropole", "la-cali"]

[[partnerships.steps]]
id = "too-soon"
event = "ouvrir_dialogue"
"""


def _second_role(world: World) -> None:
    with world.cf() as cf:
        cf.grant_role(scenario.STAFF.id, "legal", actor=scenario.ADMIN)


def _bad_workflows(world: World) -> None:
    folder = world.tmp / "workflows"
    folder.mkdir()
    (folder / "broken.toml").write_text('name = "broken"\n', "utf-8")


def _demo_link(world: World) -> None:
    (world.tmp / "demo").mkdir()
    (world.tmp / "demo" / "coopflow-demo.db").symlink_to(world.tmp / "elsewhere.db")


MISSING_DB = "sqlite:///{tmp}/missing.db"
ADMIN = f"--actor {scenario.ADMIN.id}"
OPEN = (
    "dialogue open alimentation-2026 --theme alimentation --home bordeaux-metropole --party la-cali"
)
EXCHANGE = "dialogue exchange mobilites-2026 --date 2026-10-20"

#: For each command of MODULES: a success, then a refusal.
CASES: dict[str, tuple[Case, Case]] = {
    "actor add": (
        Case(f"actor add jose.garcia --name 'José García' --role staff {ADMIN}", 0, "José García"),
        Case(f"actor add marie.dupont --name Marie --role staff {ADMIN}", 1),
    ),
    "actor grant": (
        Case(f"actor grant marie.dupont legal {ADMIN}"),
        Case(f"actor grant josé legal {ADMIN}", 2, "josé"),
    ),
    "actor revoke": (
        Case(f"actor revoke marie.dupont legal {ADMIN}", prepare=_second_role),
        Case("actor revoke marie.dupont staff --actor marie.dupont", 1),
    ),
    "actor deactivate": (
        Case(f"actor deactivate jean.martin {ADMIN}"),
        Case(f"actor deactivate personne {ADMIN}", 1),
    ),
    "actor activate": (
        Case(f"actor activate marie.dupont {ADMIN}"),
        Case(f"actor activate marie.dupont {ADMIN} --role wizard", 2),
    ),
    "actor list": (Case("actor list"), Case("actor list", 1, db=MISSING_DB)),
    "actor history": (
        Case("actor history --registry dialogues"),
        Case("actor history --registry nope", 2),
    ),
    # Its success needs PostgreSQL: test_db_roles_install_prints_json below.
    "db-roles install": (Case("db-roles install"), Case("db-roles install", 2)),
    "dialogue open": (
        Case(f"{OPEN} --party ville-de-saintes --title 'Circuits courts'", 0, "Circuits courts"),
        Case(f"{OPEN} --title 'Une seule partie'", 2),
    ),
    "dialogue join": (
        Case("dialogue join mobilites-2026 ville-de-cognac", prepare=_fourth_party),
        Case("dialogue join inconnu ville-de-saintes", 1),
    ),
    "dialogue stake": (
        Case("dialogue stake mobilites-2026 ville-de-saintes 'Desserte TER'"),
        Case("dialogue stake inconnu ville-de-saintes 'Desserte TER'", 1),
    ),
    "dialogue exchange": (
        Case(f"{EXCHANGE} --kind atelier --summary 'Atelier à Libourne'", 0, "Atelier à Libourne"),
        Case(f"{EXCHANGE} --kind banquet --summary Banquet", 2),
    ),
    "dialogue close": (
        Case("dialogue close mobilites-2026 --date {today} --conclusion 'Une ligne partagée'"),
        Case("dialogue close inconnu --date 2026-11-30 --conclusion x", 1),
    ),
    "dialogue list": (
        Case("dialogue list", 0, "mobilités"),
        Case("dialogue list", 1, db=MISSING_DB),
    ),
    "dialogue show": (
        Case("dialogue show mobilites-2026", 0, "mobilités"),
        Case("dialogue show inconnu", 1),
    ),
    "due": (Case("due --today 2027-01-01"), Case("due --today 31/02/2027", 2)),
    "checkpoint take": (
        Case(f"checkpoint take --key {{tmp}}/key.pem {ADMIN}", prepare=_key),
        Case(f"checkpoint take {ADMIN}", 1),
    ),
    "checkpoint list": (
        Case("checkpoint list", prepare=_checkpoint),
        Case("checkpoint list", 1, db=MISSING_DB),
    ),
    "checkpoint show": (
        Case("checkpoint show", prepare=_checkpoint),
        Case("checkpoint show 99", 1),
    ),
    "checkpoint new-key": (
        Case("checkpoint new-key {tmp}/new.pem"),
        Case("checkpoint new-key {tmp}/key.pem", 1, prepare=_key),
    ),
    "verify-bundle": (
        Case("verify-bundle {tmp}/bundle", prepare=_bundle, db=None),
        Case("verify-bundle {tmp}/empty", 1, prepare=_empty_folder, db=None),
    ),
    "protections check": (
        Case("protections check"),
        Case("protections check", 1, prepare=_protections_off),
    ),
    "protections repair": (
        Case("protections repair", prepare=_protections_off),
        Case("protections repair", 1, db=MISSING_DB),
    ),
    "init": (
        Case(f"init {ADMIN}", db="sqlite:///{tmp}/new.db"),
        Case("init", 2, db="nosuch://nowhere"),
    ),
    "apply": (
        Case("apply {tmp}/script.toml", prepare=_script(_NEW_PARTY)),
        Case("apply {tmp}/script.toml", 1, prepare=_script(_REFUSED_STEP)),
    ),
    "diagram": (Case("diagram"), Case("diagram --workflow nope", 2)),
    "workflow list": (
        Case("workflow list"),
        Case("--workflows {tmp}/workflows workflow list", 2, prepare=_bad_workflows),
    ),
    "workflow migrate": (
        Case(f"workflow migrate cooperation --from 1 --to 2 {ADMIN}"),
        Case(f"workflow migrate cooperation --from 1 --to 99 {ADMIN}", 2),
    ),
    "demo": (
        Case("demo --out {tmp}/demo", 0, "Bordeaux Métropole", db=None),
        Case("demo --out {tmp}/demo", 1, prepare=_demo_link, db=None),
    ),
}

#: The success cases that cannot run on SQLite.
POSTGRES_ONLY = {"db-roles install"}


@pytest.fixture
def world(sqlite_url: str, tmp_path: Path) -> World:
    with Coopflow(sqlite_url) as cf:
        reference = scenario.in_accueil(cf, "la-cali")
        scenario.add_parties(cf, "ville-de-saintes")
        cf.open_dialogue(
            "mobilites-2026",
            theme="mobilités",
            title="Mobilités du quotidien",
            home="bordeaux-metropole",
            participants=[("la-cali", reference), "ville-de-saintes"],
            actor=scenario.STAFF,
        )
    return World(sqlite_url, tmp_path, reference)


def _run(world: World, case: Case, lang: str) -> tuple[int, str, str]:
    if case.prepare is not None:
        case.prepare(world)
    # A dialogue closes no earlier than it opened (today).
    values = {"url": world.url, "tmp": str(world.tmp), "today": dt.date.today().isoformat()}
    args = [a.format(**values) for a in shlex.split(case.line)]
    if case.db is not None:
        args = ["--db", case.db.format(**values), *args]
    result = CliRunner().invoke(
        ROOT,
        [*args, "--json", "--lang", lang],
        env={"COOPFLOW_ACTOR": scenario.STAFF.id},
    )
    return result.exit_code, result.stdout, result.stderr


def _printed(out: str, err: str) -> Any:
    """The one JSON document on stdout (nothing on stderr), its accents as they are."""
    assert err == ""
    assert "\\u00" not in out  # "é", never "\u00e9"
    return json.loads(out)


def test_every_command_of_the_modules_has_its_cases() -> None:
    mine = {
        _name(p)
        for p in LEAVES
        if (callback := _command(p).callback) is not None and callback.__module__ in MODULES
    }
    assert mine == set(CASES)


@pytest.mark.parametrize("name", sorted(set(CASES) - POSTGRES_ONLY))
def test_a_success_prints_json_and_exits_0(world: World, name: str) -> None:
    case = CASES[name][0]
    code, out, err = _run(world, case, "en")
    assert code == case.code == 0, (out, err)
    printed = _printed(out, err)
    assert not (isinstance(printed, dict) and "error" in printed), printed
    if case.contains is not None:
        assert case.contains in out


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_refusal_prints_its_error_as_json_with_its_exit_code(
    world: World, name: str, lang: str
) -> None:
    case = CASES[name][1]
    code, out, err = _run(world, case, lang)
    assert case.code in (1, 2)
    assert code == case.code, (out, err)
    printed = _printed(out, err)
    assert isinstance(printed, dict) and isinstance(printed.get("error"), dict), printed
    error = printed["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["reasons"], list)
    for reason in error["reasons"]:
        assert set(reason) == {"code", "message", "command", "call"}
    if case.contains is not None:
        assert case.contains in out


def test_a_refused_apply_gives_the_guard_or_transition_refusal(world: World) -> None:
    """The refused item's own error: its code, where it is in the script."""
    code, out, err = _run(world, CASES["apply"][1], "en")
    assert code == 1
    error = _printed(out, err)["error"]
    assert error["code"] in ("transition_not_allowed", "guard_failed", "permission_denied")
    assert "script.toml" in error["message"] and "too-soon" in error["message"]


def test_a_bundle_that_does_not_verify_gives_the_report_and_the_error(world: World) -> None:
    _bundle(world)
    pdf_or_journal = sorted(p for p in (world.tmp / "bundle").iterdir() if p.suffix == ".json")
    target = next(p for p in pdf_or_journal if p.name.endswith("-journal.json"))
    target.write_bytes(target.read_bytes().replace(b"accueil", b"Accueil", 1))
    code, out, err = _run(world, Case("verify-bundle {tmp}/bundle", db=None), "fr")
    assert code == 1
    printed = _printed(out, err)
    assert printed["ok"] is False and printed["problems"]
    assert printed["error"]["code"] == "bundle_not_intact"
    assert [r["message"] for r in printed["error"]["reasons"]] == printed["problems"]


def test_the_tables_say_their_times_are_paris_time(world: World) -> None:
    shown = CliRunner().invoke(ROOT, ["--db", world.url, "--lang", "fr", "actor", "history"])
    assert shown.exit_code == 0, shown.stderr
    assert "(heure de Paris)" in shown.stdout.splitlines()[0]
    english = CliRunner().invoke(ROOT, ["--db", world.url, "--lang", "en", "actor", "history"])
    assert "(Paris time)" in english.stdout.splitlines()[0]


@pytest.mark.postgres
def test_db_roles_install_prints_json(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = new_database("postgres", tmp_path, request)
    prefix = f"cfj{uuid.uuid4().hex[:8]}"
    groups = [f"{prefix}_{r}" for r in ("staff", "legal", "elected", "admin", "service")]
    owner = create_engine(url, isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with owner.connect() as conn:
            for role in groups:
                found = text("SELECT 1 FROM pg_roles WHERE rolname = :r")
                if conn.execute(found, {"r": role}).scalar():
                    conn.execute(text(f'DROP OWNED BY "{role}"'))
                    conn.execute(text(f'DROP ROLE "{role}"'))
        owner.dispose()

    request.addfinalizer(drop)
    runner = CliRunner()
    assert runner.invoke(ROOT, ["--db", url, "init"]).exit_code == 0
    result = runner.invoke(ROOT, ["--db", url, "db-roles", "install", "--prefix", prefix, "--json"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert _printed(result.stdout, result.stderr) == {
        "prefix": prefix,
        "roles": groups,
    }
