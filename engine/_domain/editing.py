"""What every write shares: the role asked for, what the workflow allows in the current state,
and setting what changed."""

from __future__ import annotations

from typing import Final

from coopflow._i18n import N_, _
from coopflow._vocabulary import ROLES
from coopflow._workflow import WorkflowSet
from coopflow.errors import ValidationError
from coopflow.models import Partnership, Programme


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(
            _("unknown role {role!r} (roles: {roles})").format(role=role, roles=", ".join(ROLES)),
            field="role",
        )
    return role


def require(workflows: WorkflowSet, p: Partnership, capability: str, what: str) -> None:
    """Refuse ``what`` (what is being done, a noun phrase marked ``N_``: "changing the
    protocol") unless the partnership's state declares ``capability``."""
    wf = workflows.get(p.workflow_name, p.workflow_version)
    if wf.allows(p.state, capability):
        return
    where = wf.leaves_with(capability)
    message = (
        _("{what} is not possible while {reference} is in state {state} (possible in: {states})")
        if where
        else _(
            "{what} is not possible while {reference} is in state {state} (possible in: no "
            "state of {workflow})"
        )
    )
    raise ValidationError(
        message.format(
            what=_(what),
            reference=p.reference,
            state=p.state,
            states=", ".join(where),
            workflow=wf.name,
        ),
        field="state",
    )


#: What of a programme can no longer change once it is past ``programme_editable``: one whole
#: sentence each.
_FROZEN: Final = {
    "actions": N_("programme {label} is {state}: its actions can no longer change"),
    "programme": N_("programme {label} is {state}: it can no longer change"),
    "indicators": N_("programme {label} is {state}: its indicators can no longer change"),
    "targets": N_("programme {label} is {state}: its indicators' targets can no longer change"),
}


def programme_editable(workflows: WorkflowSet, prog: Programme, what: str = "actions") -> None:
    """Refuse a change to a programme whose state does not declare ``programme_editable``
    (``what`` changes: ``actions``, ``programme``, ``indicators`` or ``targets``)."""
    wf = workflows.get(prog.workflow_name, prog.workflow_version)
    if not wf.allows(prog.state, "programme_editable"):
        raise ValidationError(
            _(_FROZEN[what]).format(label=prog.label, state=prog.state),
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
