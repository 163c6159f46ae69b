"""Hostile input, through the API, script files and workflow definitions.

Each case must be refused with a CoopflowError subclass whose message names what is wrong, and
must leave the database exactly as it was: every row of every ``coopflow_*`` table is compared
before and after.  The cases share one database per backend (built once: they change nothing,
which is what each of them checks).  Through the command line (``coopflow --db URL ...``, run
by click's runner), each must end with its exit code (2 invalid input, 1 refused) and one
``error:`` message naming what is wrong, never a traceback.

Hostile text that is *valid* (HTML, CSS, Jinja and SQL fragments in free-text fields) must be
stored as the literal text and be inert in the PDF: see the last tests."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import coopflow
import pytest
from click.testing import CliRunner
from coopflow import (
    Actor,
    AlreadyExistsError,
    Coopflow,
    CoopflowError,
    InvalidWorkflowError,
    NotFoundError,
    UnknownEventError,
    ValidationError,
)
from coopflow._script import ScriptError, ScriptFailed, apply_script
from coopflow.cli import cli
from coopflow.documents import extract_snapshot
from coopflow.documents._assets import ASSET_BASE_URL

from tests import scenario
from tests.conftest import BACKENDS, new_database
from tests.documents.pdfcheck import page_texts, squeeze

from .support import dump, register_people_and_the_cli

PROGRAMME = "2027-2028"
LONG = "x" * 20_000
NEW_PARTY: dict[str, Any] = dict(
    official_name="Communauté de communes du Sud Gironde",
    nature="CC",
    deliberative_body="conseil communautaire",
    executive_title="Président",
    siren="200000008",  # a valid SIREN no party has
)


@dataclass
class World:
    """One database per backend with a partnership in accueil, one in drafting (protocol
    2027-2029) and a programme with one action."""

    cf: Coopflow
    url: str
    accueil: str
    drafting: str
    tmp: Path


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("hostile")
    url = new_database(str(request.param), folder, request)
    coopflow.migrate(url)
    with Coopflow(url) as cf:
        register_people_and_the_cli(cf)
        drafting = scenario.in_drafting(cf)
        accueil = scenario.in_accueil(cf, "ville-de-saintes")
        cf.add_programme(
            drafting, PROGRAMME, start="2027-04-01", end="2028-03-31", actor=scenario.STAFF
        )
        cf.add_action(
            drafting,
            PROGRAMME,
            axis=1,
            title="Navette",
            lead="bordeaux-metropole",
            actor=scenario.STAFF,
        )
        yield World(cf, url, accueil, drafting, folder)
        assert cf.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Case:
    id: str
    call: Callable[[World], object]
    error: type[CoopflowError]
    names: str  # what the message must name (the field, the key, the line...)


def party(**change: Any) -> Callable[[World], object]:
    key = change.pop("key", "sud-gironde")
    return lambda w: w.cf.add_party(key, **{**NEW_PARTY, **change}, actor=scenario.STAFF)


def partnership(**change: Any) -> Callable[[World], object]:
    fields: dict[str, Any] = dict(
        scale="espace_regional",
        parties=["bordeaux-metropole", "la-cali"],
        home="bordeaux-metropole",
        responsible="marie.dupont",
        actor=scenario.STAFF,
    )
    title = change.pop("title", "Coopération nouvelle")
    return lambda w: w.cf.create_partnership(title, **{**fields, **change})


def exchange(**change: Any) -> Callable[[World], object]:
    fields: dict[str, Any] = dict(
        date="2027-01-05", kind="reunion", summary="Réunion", actor=scenario.STAFF
    )
    return lambda w: w.cf.log_exchange(w.accueil, **{**fields, **change})


def protocol(**change: Any) -> Callable[[World], object]:
    fields: dict[str, Any] = dict(start="2027-01-01", end="2029-12-31")
    return lambda w: w.cf.set_protocol(w.drafting, **{**fields, **change}, actor=scenario.STAFF)


def programme(label: str = "2028-2029", **change: Any) -> Callable[[World], object]:
    fields: dict[str, Any] = dict(start="2028-04-01", end="2029-03-31")
    return lambda w: w.cf.add_programme(
        w.drafting, label, **{**fields, **change}, actor=scenario.STAFF
    )


def budget(amount: object) -> Callable[[World], object]:
    return lambda w: w.cf.add_budget_line(
        w.drafting, PROGRAMME, 1, funder="bordeaux-metropole", amount=amount, actor=scenario.STAFF
    )


def fire(**change: Any) -> Callable[[World], object]:
    event = change.pop("event", "suspendre")
    actor = change.pop("actor", scenario.STAFF)
    fields: dict[str, Any] = dict(data={"motif": "pause"})
    return lambda w: w.cf.fire(w.accueil, event, actor, **{**fields, **change})


SCRIPT = """
[script]
name = "hostile"
actor = "marie.dupont"
role = "staff"

[[partnerships]]
reference = "COOP-2027-0777"
title = "Coopération scriptée"
scale = "espace_regional"
parties = ["bordeaux-metropole", "la-cali"]

[[partnerships.exchanges]]
date = 2026-10-01
kind = "reunion"
summary = "Première rencontre"

[[partnerships.steps]]
event = "ouvrir_dialogue"
comment = "Dialogue ouvert"
"""


def script(old: str = "", new: str = "", *, text: str | None = None) -> Callable[[World], object]:
    body = text if text is not None else SCRIPT.replace(old, new, 1)
    assert text is not None or old in SCRIPT
    return lambda w: apply_script(w.cf, body, source="hostile.toml")


def script_bytes(data: bytes) -> Callable[[World], object]:
    def run(w: World) -> object:
        path = w.tmp / "hostile.toml"
        path.write_bytes(data)
        return apply_script(w.cf, path)

    return run


MINI = """
[workflow]
name = "mini"
version = 1
initial = "a"

[states.a]
[states.b]
[states.c]
final = true

[events.go]
from = "a"
to = "b"
roles = ["staff"]

[events.stop]
from = "b"
to = "c"
roles = ["admin"]
"""


def workflow(old: str, new: str, *, name: str = "mini.v1.toml") -> Callable[[World], object]:
    assert old in MINI

    def run(w: World) -> object:
        folder = w.tmp / f"workflows-{abs(hash((old, new)))}"
        folder.mkdir(exist_ok=True)
        (folder / name).write_text(MINI.replace(old, new, 1), encoding="utf-8")
        return Coopflow(w.url, workflows_dir=folder)

    return run


CASES = [
    # ---------------------------------------------------------------- parties
    Case("siren-check-digit", party(siren="200000009"), ValidationError, "siren"),
    Case("siren-8-digits", party(siren="24330031"), ValidationError, "siren"),
    Case("siren-letter-o", party(siren="2433OO316"), ValidationError, "siren"),
    Case("siren-sql", party(siren="243300316' OR '1'='1"), ValidationError, "siren"),
    Case("siren-foreign", party(nature="ETRANGER"), ValidationError, "siren"),
    Case("siren-taken", party(siren="243300316"), AlreadyExistsError, "SIREN"),
    Case("name-blank", party(official_name="   "), ValidationError, "official_name"),
    Case("name-20000", party(official_name=LONG), ValidationError, "official_name"),
    Case("name-nul", party(official_name="Sud\x00Gironde"), ValidationError, "official_name"),
    Case("name-rlo", party(official_name="Sud \u202eednoriG"), ValidationError, "official_name"),
    Case("name-rlm", party(official_name="Sud\u200f Gironde"), ValidationError, "official_name"),
    Case("name-ansi", party(official_name="\x1b[31mSud"), ValidationError, "official_name"),
    Case("usual-newline", party(usual_name="Sud\nGironde"), ValidationError, "usual_name"),
    Case("seat-too-long", party(seat="x" * 201), ValidationError, "seat"),
    Case("key-sql", party(key="x'; DROP TABLE coopflow_party; --"), ValidationError, "key"),
    Case("key-path", party(key="../../etc/passwd"), ValidationError, "key"),
    Case("nature-unknown", party(nature="EMPIRE"), ValidationError, "nature"),
    Case("title-lri", party(executive_title="\u2066Président"), ValidationError, "executive"),
    # ---------------------------------------------------------------- partnerships
    Case("title-empty", partnership(title=""), ValidationError, "title"),
    Case("title-20000", partnership(title=LONG), ValidationError, "title"),
    Case("title-rli", partnership(title="Coop \u2067x"), ValidationError, "title"),
    Case(
        "reference-sql",
        partnership(reference="COOP-2027-0001; DELETE FROM coopflow_journal"),
        ValidationError,
        "reference",
    ),
    Case("scale-unknown", partnership(scale="monde"), ValidationError, "scale"),
    Case("responsible-bel", partnership(responsible="marie\x07"), ValidationError, "responsible"),
    Case(
        "party-unknown",
        partnership(parties=["bordeaux-metropole", "nulle-part"]),
        NotFoundError,
        "nulle-part",
    ),
    Case("workflow-of-programmes", partnership(workflow="programme"), ValidationError, "workflow"),
    Case("workflow-unknown", partnership(workflow="inconnu"), ValidationError, "workflow"),
    # ---------------------------------------------------------------- exchanges
    Case("summary-nul", exchange(summary="a\x00b"), ValidationError, "summary"),
    Case("summary-20000", exchange(summary=LONG), ValidationError, "summary"),
    Case("date-1789", exchange(date="1789-07-14"), ValidationError, "date"),
    Case("date-feb-30", exchange(date="2027-02-30"), ValidationError, "date"),
    Case("date-9999", exchange(date=dt.date(9999, 12, 31)), ValidationError, "date"),
    Case("kind-sql", exchange(kind="'; DROP TABLE coopflow_exchange; --"), ValidationError, "kind"),
    Case("participants-20000", exchange(participants=LONG), ValidationError, "participants"),
    Case("actor-nul", exchange(actor=Actor("marie\x00", "staff")), ValidationError, "actor"),
    # ---------------------------------------------------------------- axes, stakes, commitments
    Case(
        "axis-title-rlo",
        lambda w: w.cf.add_axis(w.drafting, "Axe \u202e", actor=scenario.STAFF),
        ValidationError,
        "title",
    ),
    Case(
        "axis-objective-20000",
        lambda w: w.cf.add_axis(w.drafting, "Axe", objectives=[LONG], actor=scenario.STAFF),
        ValidationError,
        "objectives[0]",
    ),
    Case(
        "axis-number-0",
        lambda w: w.cf.add_axis(w.drafting, "Axe", number=0, actor=scenario.STAFF),
        ValidationError,
        "number",
    ),
    Case(
        "stake-unknown-axis",
        lambda w: w.cf.add_stake(w.drafting, axis=9, title="Enjeu", actor=scenario.STAFF),
        NotFoundError,
        "axis 9",
    ),
    Case(
        "stake-description-nul",
        lambda w: w.cf.add_stake(
            w.drafting, axis=1, title="Enjeu", description="a\x00", actor=scenario.STAFF
        ),
        ValidationError,
        "description",
    ),
    Case(
        "commitment-not-a-party",
        lambda w: w.cf.add_commitment(
            w.drafting, axis=1, party="ville-de-saintes", text="x", actor=scenario.STAFF
        ),
        ValidationError,
        "party",
    ),
    Case(
        "commitment-empty",
        lambda w: w.cf.add_commitment(
            w.drafting, axis=1, party="la-cali", text=" \n ", actor=scenario.STAFF
        ),
        ValidationError,
        "text",
    ),
    # ---------------------------------------------------------------- protocol
    Case(
        "period-reversed", protocol(start="2029-01-01", end="2027-01-01"), ValidationError, "period"
    ),
    Case("period-12-years", protocol(end="2038-12-31"), ValidationError, "period"),
    Case("period-year-0001", protocol(start=dt.date(1, 1, 1)), ValidationError, "period.start"),
    Case("meetings-0", protocol(meetings_per_year=0), ValidationError, "meetings_per_year"),
    Case("meetings-text", protocol(meetings_per_year="deux"), ValidationError, "meetings_per_year"),
    Case("copil-nul", protocol(copil="COPIL\x00"), ValidationError, "copil"),
    Case("preamble-20000", protocol(preamble=["ok", LONG]), ValidationError, "preamble[1]"),
    # ---------------------------------------------------------------- programmes and actions
    Case(
        "programme-after-protocol",
        programme("2031", start="2031-01-01", end="2031-12-31"),
        ValidationError,
        "period",
    ),
    Case(
        "programme-straddling-end",
        programme("2029-2030", start="2029-06-01", end="2030-05-31"),
        ValidationError,
        "period",
    ),
    Case(
        "programme-before-protocol",
        programme("2026", start="2026-01-01", end="2026-12-31"),
        ValidationError,
        "period",
    ),
    Case("programme-label-40", programme("x" * 40), ValidationError, "label"),
    Case(
        "programme-3-years",
        programme(start="2027-01-01", end="2029-12-31"),
        ValidationError,
        "period",
    ),
    Case("budget-negative", budget("-1"), ValidationError, "amount"),
    Case("budget-1e20", budget("1e20"), ValidationError, "amount"),
    Case("budget-nan", budget("NaN"), ValidationError, "amount"),
    Case("budget-3-decimals", budget("10.005"), ValidationError, "amount"),
    Case("budget-sql", budget("0; DROP TABLE coopflow_budget_line"), ValidationError, "amount"),
    Case(
        "indicator-target-text",
        lambda w: w.cf.add_indicator(
            w.drafting, PROGRAMME, 1, name="Voyageurs", target="abc", actor=scenario.STAFF
        ),
        ValidationError,
        "target",
    ),
    Case(
        "action-lead-not-a-party",
        lambda w: w.cf.add_action(
            w.drafting,
            PROGRAMME,
            axis=1,
            title="Action",
            lead="ville-de-saintes",
            actor=scenario.STAFF,
        ),
        ValidationError,
        "lead",
    ),
    Case(
        "action-partner-rlo",
        lambda w: w.cf.add_action(
            w.drafting, PROGRAMME, axis=1, title="A", partners=["\u202e"], actor=scenario.STAFF
        ),
        ValidationError,
        "partners[0]",
    ),
    Case(
        "milestone-2101",
        lambda w: w.cf.add_milestone(
            w.drafting, PROGRAMME, 1, date="2101-01-01", label="Fin", actor=scenario.STAFF
        ),
        ValidationError,
        "date",
    ),
    # ---------------------------------------------------------------- signatories
    Case(
        "signatory-rlo",
        lambda w: w.cf.set_signatory(
            w.drafting,
            party="la-cali",
            first_name="\u202eÉtienne",
            last_name="M",
            title="P",
            civility="Monsieur",
            actor=scenario.STAFF,
        ),
        ValidationError,
        "first_name",
    ),
    Case(
        "signatory-name-101",
        lambda w: w.cf.set_signatory(
            w.drafting,
            party="la-cali",
            first_name="É",
            last_name="M" * 101,
            title="P",
            civility="Monsieur",
            actor=scenario.STAFF,
        ),
        ValidationError,
        "last_name",
    ),
    # ---------------------------------------------------------------- events
    Case("role-unknown", fire(actor=Actor("x", "mayor")), ValidationError, "role"),
    Case("role-empty", fire(actor=Actor("x", "")), ValidationError, "role"),
    Case("role-upper-case", fire(actor=Actor("x", "ADMIN")), ValidationError, "role"),
    Case("comment-bel", fire(comment="ok\x07"), ValidationError, "comment"),
    Case("comment-20000", fire(comment=LONG), ValidationError, "comment"),
    Case(
        "data-unknown-key",
        fire(data={"motif": "x", "'; DROP TABLE coopflow_journal; --": 1}),
        ValidationError,
        "data.'; DROP",
    ),
    Case("motif-blank", fire(data={"motif": "  "}), ValidationError, "data.motif"),
    Case("motif-20000", fire(data={"motif": LONG}), ValidationError, "data.motif"),
    Case("motif-rlo", fire(data={"motif": "\u202e"}), ValidationError, "data.motif"),
    Case("event-sql", fire(event="x'; DROP TABLE"), UnknownEventError, "DROP TABLE"),
    Case(
        "reference-unknown",
        lambda w: w.cf.fire("COOP-1999-0001' OR '1'='1", "suspendre", scenario.STAFF),
        NotFoundError,
        "COOP-1999-0001",
    ),
    Case(
        "render-kind-unknown",
        lambda w: w.cf.render(w.drafting, "contrat", actor=scenario.STAFF),  # type: ignore[arg-type]
        ValidationError,
        "kind",
    ),
    Case(
        "events-role-unknown",
        lambda w: w.cf.events(w.accueil, Actor("x", "mayor")),
        ValidationError,
        "role",
    ),
    # ---------------------------------------------------------------- script files
    Case(
        "script-malformed",
        script('title = "Coop', 'title = "Coop\n'),
        ScriptError,
        "hostile.toml:9: malformed TOML",
    ),
    Case(
        "script-duplicate-key",
        script('scale = "espace_regional"', 'scale = "espace_regional"\nscale = "france_europe"'),
        ScriptError,
        "malformed TOML",
    ),
    Case(
        "script-duplicate-table",
        script(text=SCRIPT + '\n[script]\nname = "encore"\n'),
        ScriptError,
        "malformed TOML",
    ),
    Case("script-unknown-role", script('role = "staff"', 'role = "mayor"'), ScriptError, "role"),
    Case(
        "script-unknown-event",
        script('event = "ouvrir_dialogue"', 'event = "tout_signer"'),
        ScriptError,
        "tout_signer",
    ),
    Case(
        "script-reference-sql",
        script('"COOP-2027-0777"', '"COOP-2027-0777\'; DROP TABLE coopflow_partnership; --"'),
        ScriptError,
        "reference",
    ),
    Case(
        "script-bad-siren",
        script(
            "[[partnerships]]",
            '[[parties]]\nkey = "sud-gironde"\nofficial_name = "Sud Gironde"\nnature = "CC"\n'
            'deliberative_body = "conseil"\nexecutive_title = "Président"\n'
            'siren = "200000009"\n\n[[partnerships]]',
        ),
        ScriptError,
        "siren",
    ),
    Case(
        "script-comment-bel",
        script('comment = "Dialogue ouvert"', 'comment = "Dialogue\\u0007ouvert"'),
        ScriptError,
        "comment",
    ),
    Case("script-date-1789", script("date = 2026-10-01", "date = 1789-07-14"), ScriptError, "date"),
    Case(
        "script-same-partnership-twice",
        script(
            text=SCRIPT + '\n[[partnerships]]\nreference = "COOP-2027-0777"\ntitle = "Bis"\n'
            'scale = "espace_regional"\nparties = ["bordeaux-metropole", "la-cali"]\n'
        ),
        ScriptError,
        "declared twice",
    ),
    Case("script-unknown-key", script("title =", "titel ="), ScriptError, "titel"),
    Case("script-not-utf8", script_bytes(b'[script]\nname = "caf\xe9"\n'), ScriptError, "UTF-8"),
    Case(
        "script-unknown-table",
        script("[[partnerships.exchanges]]", "[[partnerships.unused]]"),
        ScriptError,
        "unused",
    ),
    Case(
        "script-guard-refuses-a-step",
        script(
            '[[partnerships.exchanges]]\ndate = 2026-10-01\nkind = "reunion"\n'
            'summary = "Première rencontre"\n',
            "",
        ),
        ScriptFailed,
        "no exchange logged",
    ),
    # ---------------------------------------------------------------- workflow definitions
    Case(
        "workflow-unreachable-state",
        workflow("[states.c]", "[states.orphelin]\n[states.c]"),
        InvalidWorkflowError,
        "states.orphelin: unreachable",
    ),
    Case(
        "workflow-unknown-guard",
        workflow('roles = ["admin"]', 'roles = ["admin"]\nguards = ["toujours_vrai"]'),
        InvalidWorkflowError,
        "events.stop.guards[0]: unknown guard 'toujours_vrai'",
    ),
    Case(
        "workflow-unknown-effect",
        workflow('roles = ["admin"]', 'roles = ["admin"]\neffects = ["rm_rf"]'),
        InvalidWorkflowError,
        "events.stop.effects[0]",
    ),
    Case(
        "workflow-malformed",
        workflow('initial = "a"', 'initial = "a'),
        InvalidWorkflowError,
        "mini.v1.toml",
    ),
    Case(
        "workflow-duplicate-key",
        workflow('initial = "a"', 'initial = "a"\ninitial = "b"'),
        InvalidWorkflowError,
        "mini.v1.toml",
    ),
    Case(
        "workflow-unknown-role",
        workflow('roles = ["staff"]', 'roles = ["mayor"]'),
        InvalidWorkflowError,
        "events.go.roles[0]",
    ),
    Case(
        "workflow-from-final",
        workflow('from = "b"', 'from = "c"'),
        InvalidWorkflowError,
        "is final",
    ),
    Case(
        "workflow-redefines-cooperation-v1",
        workflow(
            'name = "mini"\nversion = 1\ninitial = "a"',
            'name = "cooperation"\nversion = 1\ninitial = "a"',
        ),
        InvalidWorkflowError,
        "already defined",
    ),
]


def test_there_are_at_least_forty_cases() -> None:
    """The issue asks for at least forty hostile cases; each has its own name."""
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_refused_and_changes_nothing(world: World, case: Case) -> None:
    """Refused with the expected CoopflowError subclass, naming what is wrong; no row changed."""
    before = dump(world.url)
    with pytest.raises(CoopflowError) as info:
        case.call(world)
    assert isinstance(info.value, case.error), repr(info.value)
    assert case.names in str(info.value), str(info.value)
    assert dump(world.url) == before


# -------------------------------------------------------------------- the command line

STAFF_OPTIONS = ("--actor", "marie.dupont", "--role", "staff")
PARTY_OPTIONS = (
    "--official-name",
    "Communauté de communes du Sud Gironde",
    "--nature",
    "CC",
    "--deliberative-body",
    "conseil communautaire",
    "--executive-title",
    "Président",
)


@dataclass(frozen=True)
class CliCase:
    id: str
    args: tuple[str, ...]  # "{accueil}" and "{file}" stand for the world's reference and file
    code: int
    names: str
    file: str | None = None  # the content of {file}


CLI_CASES = [
    CliCase(
        "party-bad-siren",
        ("party", "add", "sud-gironde", *PARTY_OPTIONS, "--siren", "200000009"),
        2,
        "siren",
    ),
    CliCase(
        "party-name-rlo",
        ("party", "add", "sud-gironde", *PARTY_OPTIONS[2:], "--official-name", "Sud \u202e"),
        2,
        "official_name: contains the invisible bidirectional control U+202E",
    ),
    CliCase(
        "party-unknown-nature",
        (
            "party",
            "add",
            "sud-gironde",
            *PARTY_OPTIONS[:2],
            "--nature",
            "EMPIRE",
            *PARTY_OPTIONS[4:],
        ),
        2,
        "EMPIRE",
    ),
    CliCase(
        "partnership-reference-sql",
        (
            "partnership",
            "create",
            "Coop",
            "--scale",
            "espace_regional",
            "--party",
            "bordeaux-metropole",
            "--party",
            "la-cali",
            "--reference",
            "COOP-2027-0001'; DROP TABLE coopflow_partnership; --",
            *STAFF_OPTIONS,
        ),
        2,
        "reference",
    ),
    CliCase(
        "exchange-date-1789",
        (
            "exchange",
            "log",
            "{accueil}",
            "--date",
            "1789-07-14",
            "--kind",
            "reunion",
            "--summary",
            "Réunion",
            *STAFF_OPTIONS,
        ),
        2,
        "date",
    ),
    CliCase(
        "exchange-summary-bel",
        (
            "exchange",
            "log",
            "{accueil}",
            "--date",
            "2027-01-05",
            "--kind",
            "reunion",
            "--summary",
            "Réunion\x07",
            *STAFF_OPTIONS,
        ),
        2,
        "summary",
    ),
    CliCase(
        "fire-unknown-role",
        ("fire", "{accueil}", "suspendre", "--actor", "x", "--role", "mayor", "--data", "motif=x"),
        2,
        "mayor",
    ),
    CliCase(
        "fire-motif-20000",
        ("fire", "{accueil}", "suspendre", *STAFF_OPTIONS, "--data", f"motif={LONG}"),
        2,
        "data.motif",
    ),
    CliCase(
        "fire-data-key-sql",
        (
            "fire",
            "{accueil}",
            "suspendre",
            *STAFF_OPTIONS,
            "--data",
            "motif=x",
            "--data",
            "'; DROP TABLE coopflow_journal; --=1",
        ),
        2,
        "DROP TABLE",
    ),
    CliCase(
        "fire-data-without-value",
        ("fire", "{accueil}", "suspendre", *STAFF_OPTIONS, "--data", "motif"),
        2,
        "motif",
    ),
    CliCase(
        "fire-guard-refuses",
        ("fire", "{accueil}", "ouvrir_dialogue", *STAFF_OPTIONS),
        1,
        "no exchange logged",
    ),
    CliCase(
        "render-unknown-kind",
        ("render", "{accueil}", "--kind", "contrat", *STAFF_OPTIONS),
        2,
        "contrat",
    ),
    CliCase(
        "apply-malformed", ("apply", "{file}"), 2, "malformed TOML", file='[script\nname = "x"'
    ),
    CliCase(
        "apply-duplicate-keys",
        ("apply", "{file}"),
        2,
        "malformed TOML",
        file=SCRIPT.replace(
            'scale = "espace_regional"', 'scale = "espace_regional"\nscale = "france_europe"'
        ),
    ),
    CliCase(
        "apply-step-refused",
        ("apply", "{file}"),
        1,
        "no exchange logged",
        file=SCRIPT.replace(
            '[[partnerships.exchanges]]\ndate = 2026-10-01\nkind = "reunion"\n'
            'summary = "Première rencontre"\n',
            "",
        ),
    ),
]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_hostile_input_through_the_command_line(world: World, case: CliCase) -> None:
    """The exit code, one ``error:`` message naming what is wrong, no traceback, no row changed."""
    path = world.tmp / f"{case.id}.toml"
    if case.file is not None:
        path.write_text(case.file, encoding="utf-8")
    args = [a.format(accueil=world.accueil, file=path) for a in case.args]
    before = dump(world.url)
    # Who runs the commands (SQLite; on PostgreSQL, the database login's actor: STAFF).
    env = {"COOPFLOW_ACTOR": scenario.STAFF.id}
    result = CliRunner().invoke(cli, ["--db", world.url, *args], env=env)
    assert result.exit_code == case.code, (result.exit_code, result.stdout, result.stderr)
    assert result.stderr.startswith("error: "), result.stderr
    assert case.names in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert dump(world.url) == before


# -------------------------------------------------------------------- valid but hostile text

PAYLOADS = {
    "link": "<link rel=attachment href=file:///etc/passwd>",
    "img": "<img src=http://169.254.169.254/latest/meta-data/>",
    "style": "</p><style>@import url(http://attacker.example/x.css)</style>",
    "css": "url(http://169.254.169.254/) ; background: red",
    "jinja": "{{ 7*7 }} {% raw %}",
    "jinja-globals": "{{ self.__init__.__globals__ }}",
    "sql": "'); DROP TABLE coopflow_journal; --",
}


def _hostile_drafting(cf: Coopflow) -> tuple[str, dict[str, str]]:
    """A partnership whose every free-text field printed in the protocol holds a payload;
    returns its reference and the texts the PDF must show literally."""
    names = dict(PAYLOADS.items())
    scenario.add_parties(cf, "bordeaux-metropole")
    cf.add_party(
        "hostile",
        f"Communauté {names['link']}",
        usual_name=f"Usuel {names['img']}",
        nature="CC",
        deliberative_body=f"conseil {names['jinja']}",
        executive_title="Président",
        seat=f"Siège {names['sql']}",
        actor=scenario.STAFF,
    )
    ref = cf.create_partnership(
        f"Coopération {names['style']}",
        scale="espace_regional",
        parties=["bordeaux-metropole", "hostile"],
        home="bordeaux-metropole",
        responsible=f"Responsable {names['sql']}",
        actor=scenario.STAFF,
    ).reference
    cf.log_exchange(
        ref,
        date="2026-09-15",
        kind="reunion",
        summary=f"Réunion {names['jinja']}",
        actor=scenario.STAFF,
    )
    cf.fire(ref, "ouvrir_dialogue", scenario.STAFF, comment=f"Commentaire {names['style']}")
    for n, (key, payload) in enumerate(list(names.items())[:2], start=1):
        cf.add_axis(
            ref, f"Axe {payload}", objectives=[f"Objectif {names['css']}"], actor=scenario.STAFF
        )
        cf.add_stake(
            ref,
            axis=n,
            title=f"Enjeu {key} {payload}",
            description=names["jinja-globals"],
            actor=scenario.STAFF,
        )
        for p in ("bordeaux-metropole", "hostile"):
            cf.add_commitment(
                ref, axis=n, party=p, text=f"Engagement {p} {names['sql']}", actor=scenario.STAFF
            )
    cf.fire(ref, "engager_contractualisation", scenario.STAFF)
    cf.set_protocol(
        ref,
        start=scenario.START,
        end=scenario.END,
        preamble=[f"Préambule {names['style']}", f"Suite {names['jinja']}"],
        copil=f"COPIL {names['img']}",
        cotech=f"COTECH {names['css']}",
        means=f"Moyens {names['jinja-globals']}",
        actor=scenario.STAFF,
    )
    cf.set_signatory(
        ref,
        party="bordeaux-metropole",
        first_name="Claire",
        last_name="Lefèvre",
        title="Présidente",
        civility="Madame",
        actor=scenario.STAFF,
    )
    cf.set_signatory(
        ref,
        party="hostile",
        first_name=f"Prénom {names['jinja']}",
        last_name="Nom",
        title="Président",
        civility="Monsieur",
        actor=scenario.STAFF,
    )
    printed = {
        "party": f"Communauté {names['link']}",
        "axis": f"Axe {names['link']}",
        "objective": f"Objectif {names['css']}",
        "stake": f"Enjeu img {names['img']}",
        "commitment": f"Engagement hostile {names['sql']}",
        "preamble": f"Préambule {names['style']}",
        "preamble-2": f"Suite {names['jinja']}",
        "copil": f"COPIL {names['img']}",
        "cotech": f"COTECH {names['css']}",
        "means": f"Moyens {names['jinja-globals']}",
        "signatory": f"Prénom {names['jinja']}",
    }
    return ref, printed


def test_hostile_text_is_stored_literally(cf: Coopflow) -> None:
    """HTML, CSS, Jinja and SQL fragments are data: stored and read back exactly as given."""
    ref, _ = _hostile_drafting(cf)
    party_info = cf.party("hostile")
    assert party_info.official_name == f"Communauté {PAYLOADS['link']}"
    assert party_info.seat == f"Siège {PAYLOADS['sql']}"
    info = cf.partnership(ref)
    assert info.title == f"Coopération {PAYLOADS['style']}"
    history = [e for e in cf.history(ref) if e.event != "change"]  # the events, not data entry
    assert history[1].comment == f"Commentaire {PAYLOADS['style']}"
    detail = cf.detail(ref)
    assert detail["protocol"]["means"] == f"Moyens {PAYLOADS['jinja-globals']}"
    assert detail["protocol"]["axes"][1]["stakes"][0]["title"] == f"Enjeu img {PAYLOADS['img']}"
    assert cf.verify().ok
    # the tables are all still there
    assert [r.event for r in history] == [
        "creation",
        "ouvrir_dialogue",
        "engager_contractualisation",
    ]


def test_hostile_text_renders_inert_in_the_pdf(
    cf: Coopflow, caplog: pytest.LogCaptureFixture
) -> None:
    """Every payload shows in the PDF as its literal text; nothing is fetched or evaluated."""
    caplog.set_level(logging.DEBUG, logger="weasyprint")
    ref, printed = _hostile_drafting(cf)
    result = cf.fire(ref, "soumettre_revue_juridique", scenario.STAFF)
    assert result.record.document_sha256 is not None
    pdf = cf.document_bytes(result.record.document_sha256)

    text = squeeze(" ".join(page_texts(pdf)))
    for where, literal in printed.items():
        assert squeeze(literal) in text, where
    # the attached snapshot carries the literal texts too
    snapshot = extract_snapshot(pdf)
    assert snapshot["parties"][1]["official_name"] == printed["party"]
    # nothing was fetched but coopflow's own assets, nothing was refused, nothing logged
    fetcher = cf.documents.renderer()._fetcher
    assert list(fetcher.refused) == []
    assert all(url.startswith(ASSET_BASE_URL) for url in fetcher.requested)
    warnings = [r for r in caplog.records if r.name.startswith("weasyprint") and r.levelno >= 30]
    assert warnings == []
