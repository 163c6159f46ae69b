"""A process SIGKILLed in the middle of a fire, a render, a transaction, a script or the
command line's ``apply``.

The child process opens the database, arranges to kill itself at a precise point (see
``child.py``), and runs the operation; the test then "restarts" (a fresh Coopflow) and checks
that nothing was half-applied: either the whole operation committed or the database is exactly
as it was, every chain verifies, no journal record lacks its state change or its document and
no document lacks its journal record; then it runs the operation again, successfully."""

from __future__ import annotations

import signal

import coopflow
import pytest
from coopflow import Coopflow
from sqlalchemy import text

from tests import scenario

from .operations import OPERATIONS
from .support import check_evidence, dump, register_people_and_the_cli, run_child

CASES = [
    # a plain fire: before and after its journal record, before and after COMMIT
    ("suspend", "append:1:before"),
    ("suspend", "append:1:after"),
    ("suspend", "commit:before"),
    ("suspend", "commit:after"),
    # a fire whose effect renders and stores the draft protocol, killed once it is stored
    ("submit", "produce:after"),
    # a render through the API (the document and its "document" journal record)
    ("render", "write_pdf"),
    ("render", "commit:after"),
    # signing: the final document, earlier versions superseded, the protocol signed
    ("sign", "commit:before"),
    # several calls in one Coopflow.transaction(), the basis of the CLI's apply
    ("transaction", "append:2:after"),
    ("transaction", "commit:before"),
    ("transaction", "commit:after"),
    # a script applied with apply_script
    ("script", "append:3:after"),
    ("script", "commit:before"),
    # the same script applied by the command line: coopflow --db URL apply FILE
    ("cli_apply", "append:2:before"),
    ("cli_apply", "commit:before"),
]


def _integrity(cf: Coopflow) -> None:
    if cf.engine.dialect.name == "sqlite":
        with cf.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


@pytest.fixture
def crash_url(db_url: str, operation: str) -> str:
    """The database migrated, the scenarios' people registered: for the command line, STAFF
    with the database login connected (on PostgreSQL the command line acts as its actor)."""
    coopflow.migrate(db_url)
    with Coopflow(db_url) as cf:
        if operation == "cli_apply":
            register_people_and_the_cli(cf)
        else:
            scenario.register_people(cf)
    return db_url


@pytest.mark.parametrize(("operation", "point"), CASES, ids=[f"{o}-{p}" for o, p in CASES])
def test_sigkill_leaves_all_or_nothing(crash_url: str, operation: str, point: str) -> None:
    """Killed before COMMIT: the database is exactly as before and the operation runs again;
    killed after: the whole operation is there.  Either way the evidence is consistent."""
    op = OPERATIONS[operation]
    cf = Coopflow(crash_url)
    ref = op.prepare(cf)
    check_evidence(cf)
    before = dump(crash_url)
    cf.close()

    child = run_child(
        "crash", {"url": crash_url, "ref": ref, "operation": operation, "point": point}
    )

    assert child.returncode == -signal.SIGKILL, (child.returncode, child.stdout, child.stderr)
    assert child.stdout.splitlines()[-1] == f"KILL {point}", child.stdout + child.stderr
    with Coopflow(crash_url) as restarted:
        _integrity(restarted)
        after = dump(crash_url)
        if point == "commit:after":
            assert after != before
            assert op.done(restarted, ref), "committed, so the whole operation is there"
        else:
            assert after == before, "the killed transaction left something behind"
            assert not op.done(restarted, ref)
        check_evidence(restarted)
        if point != "commit:after":
            op.run(restarted, ref)
            assert op.done(restarted, ref)
            check_evidence(restarted)
