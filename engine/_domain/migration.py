"""Moving in-flight partnerships and programmes from one version of a workflow to another."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from coopflow import _journal
from coopflow._context import Acting
from coopflow._domain.firing import has_ended
from coopflow._domain.locking import lock_partnership
from coopflow._domain.lookup import find_programme
from coopflow._i18n import _
from coopflow._workflow import WorkflowSet
from coopflow.errors import (
    ValidationError,
)
from coopflow.models import (
    Partnership,
    Programme,
    Protocol,
    utcnow,
)
from sqlalchemy import select, update
from sqlalchemy.orm import Session


def migrate_workflow(  # noqa: PLR0912 - partnerships and programmes, each checked
    session: Session,
    workflows: WorkflowSet,
    *,
    name: str,
    from_version: int,
    to_version: int,
    mapping: Mapping[str, str],
    acting: Acting,
    references: Sequence[str] | None = None,
    sqlite_write: bool = False,
) -> list[str]:
    """Move in-flight partnerships (or programmes) from one version of a workflow to another.

    ``mapping`` names, for old states, the new state; a state it does not name keeps its name
    and must exist in the new version.  Each move is journaled (event ``migration``).  Returns
    the references moved."""
    old = workflows.get(name, from_version)
    new = workflows.get(name, to_version)
    for source, target in mapping.items():
        if source not in old.states:
            raise ValidationError(
                _("{workflow} v{version} has no state {state!r}").format(
                    workflow=name, version=from_version, state=source
                ),
                field="mapping",
            )
        if target not in new.states or new.states[target].children:
            raise ValidationError(
                _("{workflow} v{version} has no leaf state {state!r}").format(
                    workflow=name, version=to_version, state=target
                ),
                field="mapping",
            )
    unmapped = [
        s
        for s in old.leaves()
        if s not in mapping and (s not in new.states or new.states[s].children)
    ]
    now = utcnow()
    moved: list[str] = []
    if old.subject == "partnership":
        stmt = select(Partnership.reference).where(
            Partnership.workflow_name == name, Partnership.workflow_version == from_version
        )
        if references is not None:
            stmt = stmt.where(Partnership.reference.in_(references))
        for reference in list(session.scalars(stmt.order_by(Partnership.reference))):
            p = lock_partnership(session, reference, sqlite_write=sqlite_write)
            if p.state in old.final_states():
                continue
            target = mapping.get(p.state, p.state)
            if p.state in unmapped:
                raise ValidationError(
                    _(
                        "{reference} is in {state!r}, which {workflow} v{version} lacks: map it"
                    ).format(reference=reference, state=p.state, workflow=name, version=to_version),
                    field="mapping",
                )
            _journal.append(
                session,
                p,
                _journal.RecordContent.of(
                    event="migration",
                    source_state=p.state,
                    target_state=target,
                    acting=acting,
                    at=now,
                    comment=None,
                    data={"from_version": from_version, "to_version": to_version},
                    workflow_name=name,
                    workflow_version=to_version,
                ),
            )
            if has_ended(old, p.state) or has_ended(new, target):  # the protocol's marker
                session.execute(
                    update(Protocol)
                    .where(Protocol.partnership_id == p.id)
                    .values(ended=has_ended(new, target))
                )
            p.state, p.workflow_version, p.updated_at = target, to_version, now
            moved.append(reference)
    else:
        rows = session.execute(
            select(Partnership.reference, Programme.label)
            .join(Programme, Programme.partnership_id == Partnership.id)
            .where(Programme.workflow_name == name, Programme.workflow_version == from_version)
            .order_by(Partnership.reference, Programme.label)
        ).all()
        for reference, label in rows:
            if references is not None and reference not in references:
                continue
            p = lock_partnership(session, reference, sqlite_write=sqlite_write)
            prog = find_programme(session, p, label)
            if prog.state in old.final_states():
                continue
            if prog.state in unmapped:
                raise ValidationError(
                    _(
                        "programme {label} of {reference} is in {state!r}, which {workflow} "
                        "v{version} lacks: map it"
                    ).format(
                        label=label,
                        reference=reference,
                        state=prog.state,
                        workflow=name,
                        version=to_version,
                    ),
                    field="mapping",
                )
            target = mapping.get(prog.state, prog.state)
            _journal.append(
                session,
                p,
                _journal.RecordContent.of(
                    event="migration",
                    source_state=prog.state,
                    target_state=target,
                    acting=acting,
                    at=now,
                    comment=None,
                    data={"from_version": from_version, "to_version": to_version},
                    workflow_name=name,
                    workflow_version=to_version,
                    programme=prog.label,
                ),
                programme=prog,
            )
            prog.state, prog.workflow_version = target, to_version
            p.updated_at = now
            moved.append(f"{reference}/{label}")
    session.flush()
    return moved
