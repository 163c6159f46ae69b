"""Exceptions raised by a guard, an effect or a host callback.

A guard or an effect that raises (a bug in the host's code, or a deliberate refusal) leaves the
database exactly as it was and the objects a host's Session holds as they were; a callback that
raises after the commit (``HookError``) leaves a committed, consistent fire behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import coopflow
import pytest
from coopflow import (
    Coopflow,
    CoopflowError,
    ExtensionError,
    FireContext,
    FireResult,
    GuardFailed,
    HookError,
    Refusal,
    ValidationError,
)
from coopflow._db import normalise_url
from coopflow.models import Exchange, Partnership, Party
from coopflow.workflows import registry as builtin_registry
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from tests import scenario

from .support import check_evidence, dump

FRAGILE = """
[workflow]
name = "fragile"
version = 1
initial = "ouvert"

[states.ouvert]
[states.ferme]

[events.par_garde]
from = "ouvert"
to = "ferme"
roles = ["staff"]
guards = ["garde_qui_explose"]

[events.par_effet]
from = "ouvert"
to = "ferme"
roles = ["staff"]
effects = ["ecrit_puis_explose"]

[events.rouvrir]
from = "ferme"
to = "ouvert"
roles = ["staff"]
"""


class Boom(Exception):
    """The host's own bug."""


class Switch:
    """What the fragile guard and effect raise (None: they behave)."""

    error: Exception | None = None


def _registry() -> coopflow.Registry:
    reg = builtin_registry.child()

    @reg.guard("garde_qui_explose")
    def guard(ctx: FireContext) -> list[str]:
        if Switch.error is not None:
            raise Switch.error
        return []

    @reg.effect("ecrit_puis_explose")
    def effect(ctx: FireContext) -> None:
        # write everywhere it can before failing: a new row, the partnership, a party
        ctx.session.add(
            Exchange(
                partnership_id=ctx.partnership.id,
                date=ctx.today,
                kind="autre",
                summary="written by the failing effect",
                created_by="effect",
            )
        )
        ctx.partnership.title = "changed by the failing effect"
        ctx.parties()[0].official_name = "renamed by the failing effect"
        ctx.session.flush()
        if Switch.error is not None:
            raise Switch.error

    return reg


@pytest.fixture
def fragile(migrated_url: str, tmp_path: Path) -> Iterator[tuple[Coopflow, str]]:
    """A Coopflow knowing the fragile workflow, and a partnership on it."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "fragile.v1.toml").write_text(FRAGILE, encoding="utf-8")
    Switch.error = None
    with Coopflow(migrated_url, workflows_dir=folder, registry=_registry()) as cf:
        scenario.add_parties(cf, "bordeaux-metropole", "la-cali")
        info = cf.create_partnership(
            "Coopération fragile",
            scale="espace_regional",
            parties=["bordeaux-metropole", "la-cali"],
            home="bordeaux-metropole",
            responsible=scenario.STAFF.id,
            actor=scenario.STAFF,
            workflow="fragile",
        )
        yield cf, info.reference
    Switch.error = None


ERRORS = [
    pytest.param(lambda: Boom("the host's guard has a bug"), id="bug"),
    pytest.param(lambda: ValidationError("refused by the host", field="data.x"), id="refusal"),
]


def _raised(info: pytest.ExceptionInfo[BaseException], error: Exception) -> None:
    """A coopflow error reaches the caller as it is; any other comes wrapped in an
    ExtensionError that names the guard or effect and carries the original."""
    if isinstance(error, CoopflowError):
        assert info.value is error, repr(info.value)
    else:
        assert isinstance(info.value, ExtensionError), repr(info.value)
        assert info.value.error is error
        assert info.value.__cause__ is error


@pytest.mark.parametrize("event", ["par_garde", "par_effet"])
@pytest.mark.parametrize("make_error", ERRORS)
def test_a_raising_guard_or_effect_changes_nothing(
    fragile: tuple[Coopflow, str], migrated_url: str, event: str, make_error: Any
) -> None:
    """A guard that raises, or an effect that writes everywhere and then raises: the caller gets
    that exception, every table is as it was, and the same fire goes through afterwards."""
    cf, ref = fragile
    before = dump(migrated_url)
    Switch.error = make_error()
    with pytest.raises((ExtensionError, ValidationError)) as info:
        cf.fire(ref, event, scenario.STAFF)
    _raised(info, Switch.error)
    assert dump(migrated_url) == before
    # nothing is left locked or half-done: once the code behaves, the same fire goes through
    Switch.error = None
    assert cf.fire(ref, event, scenario.STAFF).target_state == "ferme"
    check_evidence(cf)


@pytest.fixture
def host_engine(migrated_url: str) -> Iterator[Engine]:
    engine = create_engine(normalise_url(migrated_url))
    if engine.dialect.name == "sqlite":
        coopflow.configure_sqlite(engine)  # SAVEPOINTs, which a host's Session needs
    yield engine
    engine.dispose()


@pytest.mark.parametrize("event", ["par_garde", "par_effet"])
def test_a_raising_guard_or_effect_leaves_a_hosts_objects_unchanged(
    fragile: tuple[Coopflow, str],
    host_engine: Engine,
    migrated_url: str,
    tmp_path: Path,
    event: str,
) -> None:
    """In a host's Session: the Partnership and Party objects it holds keep their values, its
    own pending change survives, and the Session can still commit."""
    _, ref = fragile
    before = dump(migrated_url)
    with Session(host_engine) as session:
        p = session.scalars(select(Partnership).where(Partnership.reference == ref)).one()
        party = session.scalars(select(Party).where(Party.key == "bordeaux-metropole")).one()
        seen = (p.state, p.title, p.version, p.journal_seq, p.journal_head, party.official_name)
        party.seat = "Bordeaux, changed by the host"  # the host's own, not yet flushed
        host = Coopflow(
            session, workflows_dir=tmp_path / "workflows", registry=_registry(), check=False
        )
        Switch.error = Boom("the host's code has a bug")
        with pytest.raises(ExtensionError, match="the host's code has a bug"):
            host.fire(ref, event, scenario.STAFF)
        assert (
            p.state,
            p.title,
            p.version,
            p.journal_seq,
            p.journal_head,
            party.official_name,
        ) == seen
        assert party.seat == "Bordeaux, changed by the host"
        held = [*session.new, *session.identity_map.values()]
        assert not any(isinstance(o, Exchange) for o in held)
        session.commit()
    after = dump(migrated_url)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"coopflow_party"}
    assert dict(after["coopflow_party"][0])["seat"] == "Bordeaux, changed by the host"


def test_a_failing_on_fired_callback_leaves_the_fire_committed(cf: Coopflow) -> None:
    """HookError says the change is kept: it is, whole, and the other callbacks were called."""
    ref = scenario.in_accueil(cf)
    called: list[FireResult] = []

    @cf.on_fired
    def crm_down(result: FireResult) -> None:
        raise Boom("the CRM is down")

    cf.on_fired(called.append)

    with pytest.raises(HookError) as info:
        cf.fire(ref, "suspendre", scenario.STAFF, data={"motif": "élections"})
    assert info.value.error.args == ("the CRM is down",)
    assert "crm_down" in str(info.value)
    # committed, consistent, and the other callbacks were still told
    assert cf.partnership(ref).state == "suspendu"
    assert [r.event for r in cf.history(ref)] == ["creation", "suspendre"]
    assert [c.event for c in called] == ["suspendre"]
    check_evidence(cf)


def test_a_failing_document_callback_leaves_the_document_and_its_record(cf: Coopflow) -> None:
    """A failing on_document callback: the document is stored, with its journal record."""
    ref = scenario.in_drafting(cf)

    @cf.on_document
    def archive_down(info: object) -> None:
        raise Boom("the document management system is down")

    with pytest.raises(HookError):
        cf.render(ref, actor=scenario.STAFF)
    docs = cf.documents_of(ref)
    assert [(d.kind, d.version) for d in docs] == [("protocole", 1)]
    assert cf.history(ref)[-1].document_sha256 == docs[0].sha256
    check_evidence(cf)


def test_a_failing_callback_after_a_transaction_keeps_every_step(cf: Coopflow) -> None:
    """A callback failing after a Coopflow.transaction() commits: every step is kept."""
    ref = scenario.in_accueil(cf)

    @cf.on_fired
    def crm_down(result: FireResult) -> None:
        raise Boom("the CRM is down")

    def steps() -> None:
        with cf.transaction() as tx:
            tx.log_exchange(
                ref, date="2026-09-15", kind="reunion", summary="R", actor=scenario.STAFF
            )
            tx.fire(ref, "ouvrir_dialogue", scenario.STAFF)
            tx.fire(ref, "revenir_accueil", scenario.STAFF)

    with pytest.raises(HookError):
        steps()
    assert [r.event for r in cf.history(ref)] == [
        "creation",
        "change",  # the exchange logged
        "ouvrir_dialogue",
        "revenir_accueil",
    ]
    check_evidence(cf)


def test_a_failing_refusal_callback_does_not_hide_the_refusal(
    cf: Coopflow, migrated_url: str
) -> None:
    """A refused fire committed nothing: the caller must learn why it was refused, not be told
    by a HookError that "the change is kept"."""
    ref = scenario.in_accueil(cf)
    before = dump(migrated_url)
    seen: list[Refusal] = []

    @cf.on_refused
    def alert_down(refusal: Refusal) -> None:
        seen.append(refusal)
        raise Boom("the alerting system is down")

    with pytest.raises(CoopflowError) as info:
        cf.fire(ref, "ouvrir_dialogue", scenario.STAFF)
    assert len(seen) == 1 and isinstance(seen[0].error, GuardFailed)
    assert dump(migrated_url) == before
    assert isinstance(info.value, GuardFailed), (
        f"the refusal was replaced by {type(info.value).__name__}: {info.value}"
    )


def test_a_failing_callback_at_a_hosts_commit_leaves_its_session_usable(
    cf: Coopflow, host_engine: Engine
) -> None:
    """In a host's Session the callbacks run when the host commits; if one fails, the host
    gets the HookError from its commit, the fire is committed, and its Session still works."""
    ref = scenario.in_accueil(cf)
    with Session(host_engine) as session:
        host = Coopflow(session)
        outage = [Boom("the CRM is down")]  # once: it is back for the next commit

        @host.on_fired
        def crm_down(result: FireResult) -> None:
            if outage:
                raise outage.pop()

        host.fire(ref, "suspendre", scenario.STAFF, data={"motif": "élections"})
        with pytest.raises(HookError):
            session.commit()
        assert cf.partnership(ref).state == "suspendu"
        # the host goes on with its Session
        assert host.partnership(ref).state == "suspendu"
        host.fire(ref, "reprendre", scenario.STAFF)
        session.commit()
    assert cf.partnership(ref).state == "accueil"
    check_evidence(cf)
