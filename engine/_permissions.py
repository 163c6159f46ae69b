"""Who may do what: the roles each write operation needs, as data.

The events' roles are in their workflow definitions; every other write is an *operation*
named here (:data:`OPERATIONS`), whose roles come from ``permissions.toml`` beside the
built-in definitions, and from a host's own ``permissions.toml`` (the operations it names
replace the built-in ones).  Every operation must be given at least one role.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ._i18n import N_, _
from ._vocabulary import ROLES
from .errors import InvalidWorkflowError

#: Every write that is not an event, and what it does (shown with ``_()``).
OPERATIONS: Final[dict[str, str]] = {
    "party.put": N_("register or change a party"),
    "partnership.create": N_("open a partnership"),
    "exchange.log": N_("log an exchange"),
    "dialogue.manage": N_("open a thematic dialogue, add its territories, stakes and exchanges"),
    "axis.put": N_("add or change a cooperation axis"),
    "stake.add": N_("record a stake"),
    "commitment.add": N_("record a commitment"),
    "protocol.set": N_("set the protocol's period and text"),
    "deliberation.record": N_("record a délibération"),
    "signatory.set": N_("name a signatory"),
    "amendment.change": N_("change an avenant"),
    "programme.put": N_("open or re-date a programme"),
    "action.put": N_("add or change an action"),
    "action.progress": N_("record an action's progress"),
    "milestone.add": N_("add a milestone"),
    "milestone.done": N_("mark a milestone done"),
    "budget.put": N_("plan a budget line"),
    "indicator.put": N_("set an indicator"),
    "document.render": N_("render a document"),
    "document.export": N_("export the documents"),
    "workflow.migrate": N_("move partnerships to another workflow version"),
    "actor.manage": N_("manage the actors and their roles"),
    "checkpoint.take": N_("take a signed checkpoint of every chain"),
}


@dataclass(frozen=True, slots=True)
class Policy:
    """The roles of every operation, and the file each came from."""

    roles: Mapping[str, tuple[str, ...]]
    sources: Mapping[str, str]

    def allowed(self, operation: str) -> tuple[str, ...]:
        return self.roles[operation]


def _read(path: Path) -> dict[str, tuple[str, ...]]:
    source = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidWorkflowError(source, "(file)", str(exc)) from None
    unknown = set(raw) - {"operations"}
    if unknown:
        raise InvalidWorkflowError(
            source, sorted(unknown)[0], _("unknown key (known: {known})").format(known="operations")
        )
    operations = raw.get("operations", {})
    if not isinstance(operations, dict):
        raise InvalidWorkflowError(source, "operations", _("must be a table"))
    found: dict[str, tuple[str, ...]] = {}
    for name, roles in operations.items():
        key = f"operations.{name}"
        if name not in OPERATIONS:
            raise InvalidWorkflowError(
                source,
                key,
                _("unknown operation (operations: {operations})").format(
                    operations=", ".join(OPERATIONS)
                ),
            )
        if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
            raise InvalidWorkflowError(source, key, _("must be a non-empty list of roles"))
        for i, role in enumerate(roles):
            if role not in ROLES:
                raise InvalidWorkflowError(
                    source,
                    f"{key}[{i}]",
                    _("unknown role {role!r} (roles: {roles})").format(
                        role=role, roles=", ".join(ROLES)
                    ),
                )
        found[name] = tuple(roles)
    return found


def load_policy(builtin: Path, host: Path | None = None) -> Policy:
    """The built-in policy, with the operations a host's ``permissions.toml`` names replaced."""
    roles = _read(builtin)
    sources = dict.fromkeys(roles, str(builtin))
    missing = [name for name in OPERATIONS if name not in roles]
    if missing:
        raise InvalidWorkflowError(
            str(builtin), f"operations.{missing[0]}", _("is not given roles")
        )
    if host is not None and host.is_file():
        own = _read(host)
        roles.update(own)
        sources.update(dict.fromkeys(own, str(host)))
    return Policy(roles, sources)
