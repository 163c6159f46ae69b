"""Shared by the robustness tests: full database dumps, the evidence checks made after every
ordeal, and the running of child processes (``python -m tests.robustness.child``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from coopflow import Coopflow
from coopflow._db import normalise_url
from coopflow.models import metadata
from sqlalchemy import create_engine, inspect, text

from tests import scenario

ROOT = Path(__file__).resolve().parents[2]

Dump = dict[str, list[tuple[tuple[str, Any], ...]]]


def dump(url: str) -> Dump:
    """Every row of every ``coopflow_*`` table, in primary-key order, columns by name.

    Read through an engine of its own, so that nothing cached by a Coopflow hides a change;
    the tables are those the database has (at an older revision, fewer than the models')."""
    engine = create_engine(normalise_url(url))
    try:
        present = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            result: Dump = {}
            for table in metadata.sorted_tables:
                if table.name not in present:
                    continue
                order = ", ".join(c.name for c in table.primary_key.columns)
                rows = conn.execute(text(f"SELECT * FROM {table.name} ORDER BY {order}"))
                result[table.name] = [tuple(sorted(dict(row).items())) for row in rows.mappings()]
            return result
    finally:
        engine.dispose()


def register_people_and_the_cli(cf: Coopflow) -> None:
    """The scenarios' people (``scenario.register_people``); on PostgreSQL, where the command
    line acts as the actor registered with the database login connected, STAFF is registered
    with it, and then only STAFF may act through this login (the API too)."""
    db_login, _ = cf.whoami()
    if db_login is None:
        scenario.register_people(cf)
        return
    cf.register_first_admin(scenario.ADMIN.id, "Administration coopflow")
    scenario.register(cf, scenario.LEGAL, scenario.ELECTED)
    # Last: once STAFF holds the database login, only STAFF may act through it.
    cf.add_actor(
        scenario.STAFF.id,
        scenario.PEOPLE[scenario.STAFF],
        roles=[str(scenario.STAFF.role)],
        actor=scenario.ADMIN,
        db_login=db_login,
    )


def row_count(snapshot: Dump) -> int:
    return sum(len(rows) for rows in snapshot.values())


def check_evidence(cf: Coopflow) -> None:
    """What must hold after any ordeal: every chain verifies, no two records share a
    predecessor, each partnership's (and programme's) state is its journal's last target, and
    its stored documents are exactly the documents its journal names."""
    report = cf.verify()
    assert report.ok, [str(p) for p in report.problems]
    with cf.engine.connect() as conn:
        forks = conn.execute(
            text(
                "SELECT partnership_id, prev_hash, count(*) FROM coopflow_journal"
                " GROUP BY partnership_id, prev_hash HAVING count(*) > 1"
            )
        ).all()
    assert forks == [], f"records sharing a predecessor: {forks}"
    for info in cf.partnerships():
        history = cf.history(info.reference)
        assert [r.seq for r in history] == list(range(1, len(history) + 1))
        own = [r for r in history if r.programme is None]
        assert own[-1].target_state == info.state, info.reference
        for programme in cf.detail(info.reference)["programmes"]:
            last = [r for r in history if r.programme == programme["label"]]
            assert last and last[-1].target_state == programme["state"], programme
        named = {r.document_sha256 for r in history if r.document_sha256}
        stored = {d.sha256 for d in cf.documents_of(info.reference)}
        assert stored == named, (
            f"{info.reference}: documents without a journal record {stored - named}, "
            f"journal records naming missing documents {named - stored}"
        )


def child_command(command: str, spec: dict[str, Any]) -> list[str]:
    return [sys.executable, "-m", "tests.robustness.child", command, json.dumps(spec)]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_child(
    command: str, spec: dict[str, Any], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``tests.robustness.child`` to completion (or to its death)."""
    return subprocess.run(
        child_command(command, spec),
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_child(command: str, spec: dict[str, Any]) -> subprocess.Popen[str]:
    """Start ``tests.robustness.child`` with pipes for stdin and stdout."""
    return subprocess.Popen(
        child_command(command, spec),
        cwd=ROOT,
        env=child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def coopflow_command(url: str, *args: str) -> list[str]:
    """The ``coopflow --db URL ARGS...`` command line, as a user runs it."""
    return [sys.executable, "-m", "coopflow.cli", "--db", url, *args]
