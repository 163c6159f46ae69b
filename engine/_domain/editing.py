"""What every write shares: the role asked for, what the workflow allows in the current state,
and setting what changed."""

from __future__ import annotations

from coopflow._vocabulary import ROLES
from coopflow._workflow import WorkflowSet
from coopflow.errors import ValidationError
from coopflow.models import Partnership, Programme


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"unknown role {role!r} (roles: {', '.join(ROLES)})", field="role")
    return role


def require(workflows: WorkflowSet, p: Partnership, capability: str, what: str) -> None:
    """Refuse ``what`` unless the partnership's state declares ``capability``."""
    wf = workflows.get(p.workflow_name, p.workflow_version)
    if wf.allows(p.state, capability):
        return
    where = wf.leaves_with(capability)
    raise ValidationError(
        f"{what} is not possible while {p.reference} is in state {p.state} "
        f"(possible in: {', '.join(where) if where else 'no state of ' + wf.name})",
        field="state",
    )


def programme_editable(workflows: WorkflowSet, prog: Programme, what: str = "its actions") -> None:
    """Refuse a change to a programme whose state does not declare ``programme_editable``."""
    wf = workflows.get(prog.workflow_name, prog.workflow_version)
    if not wf.allows(prog.state, "programme_editable"):
        raise ValidationError(
            f"programme {prog.label} is {prog.state}: {what} can no longer change",
            field="programme",
        )


def assign(p: Partnership, row: object, **values: object) -> bool:
    """Set the attributes of ``row`` that differ; whether there was one.  The change's journal
    record counts it in the partnership's version (an upsert that changes nothing writes no
    record and leaves the version alone)."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed
