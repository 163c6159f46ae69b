"""Importing many partnerships: a script's new partnerships are opened in one batch, with the
same rows and first journal records as one create_partnership each, all or nothing, and a
refusal still names the partnership that caused it."""

from __future__ import annotations

from pathlib import Path

import pytest
from coopflow import Coopflow, NotFoundError, ScriptFailed, apply_script
from sqlalchemy import Engine, event

from tests import scenario
from tests.scenario import STAFF


def _script(tmp_path: Path, references: list[str], *, bad: str | None = None) -> Path:
    lines = ['[script]\nname = "import"\nactor = "marie.dupont"\n']
    for ref in references:
        partner = "personne" if ref == bad else "la-cali"
        lines.append(
            f'[[partnerships]]\nreference = "{ref}"\ntitle = "Coopération {ref}"\n'
            f'scale = "espace_regional"\nparties = ["bordeaux-metropole", "{partner}"]\n'
        )
    path = tmp_path / "import.toml"
    path.write_text("\n".join(lines), "utf-8")
    return path


def _comparable(cf: Coopflow, ref: str) -> tuple[object, ...]:
    info = cf.partnership(ref)
    (record,) = cf.history(ref)
    return (
        info.title.removesuffix(ref),
        info.scale,
        info.state,
        info.version,
        info.parties,
        info.home,
        info.lead,
        info.workflow,
        record.event,
        record.target_state,
        record.actor,
        record.role,
        record.data["parties"],
        record.prev_hash,
    )


def test_a_batch_writes_what_one_call_each_writes(cf: Coopflow, tmp_path: Path) -> None:
    scenario.add_parties(cf, "bordeaux-metropole", "la-cali")
    one = cf.create_partnership(
        "Coopération COOP-2026-0001",
        scale="espace_regional",
        parties=["bordeaux-metropole", "la-cali"],
        home="bordeaux-metropole",
        responsible=STAFF.id,
        actor=STAFF,
        reference="COOP-2026-0001",
    ).reference
    refs = [f"COOP-2026-{n:04d}" for n in range(2, 1203)]  # more than two batches of 500
    statements: list[str] = []
    engine: Engine = cf.engine

    def count(_c: object, _cur: object, sql: str, *_a: object) -> None:
        statements.append(sql)

    event.listen(engine, "before_cursor_execute", count)
    try:
        report = apply_script(cf, _script(tmp_path, refs))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [o.status for o in report.outcomes] == ["done"] * len(refs)
    assert len(statements) < 40  # a few statements a batch, not a unit of work a partnership
    expected = _comparable(cf, one)
    for ref in (refs[0], refs[499], refs[500], refs[-1]):
        assert _comparable(cf, ref) == expected
    assert cf.verify().ok
    # Applied again, nothing is duplicated and every partnership is found as it is.
    again = apply_script(cf, _script(tmp_path, refs))
    assert {o.status for o in again.outcomes} == {"unchanged"}
    assert sum(1 for _ in cf.partnerships()) == len(refs) + 1


def test_a_refused_partnership_in_a_batch_is_named_and_nothing_is_kept(
    cf: Coopflow, tmp_path: Path
) -> None:
    scenario.add_parties(cf, "bordeaux-metropole", "la-cali")
    refs = [f"COOP-2026-{n:04d}" for n in range(1, 21)]
    with pytest.raises(ScriptFailed) as failed:
        apply_script(cf, _script(tmp_path, refs, bad="COOP-2026-0013"))
    assert failed.value.outcome.subject == "COOP-2026-0013"
    assert "personne" in failed.value.outcome.detail
    assert sum(1 for _ in cf.partnerships()) == 0
    with pytest.raises(NotFoundError):
        cf.partnership("COOP-2026-0001")
    # The dry run reports every partnership, the refused one in its place.
    report = apply_script(cf, _script(tmp_path, refs, bad="COOP-2026-0013"), dry_run=True)
    statuses = {o.subject: o.status for o in report.outcomes}
    assert statuses["COOP-2026-0013"] == "refused"
    assert statuses["COOP-2026-0012"] == statuses["COOP-2026-0014"] == "done"
    assert sum(1 for _ in cf.partnerships()) == 0
