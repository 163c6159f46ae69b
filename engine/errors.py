"""coopflow's exceptions: one base class, narrow subclasses that carry data.

Every error coopflow raises derives from :class:`CoopflowError`; foreign exceptions
(``transitions.MachineError``, SQLAlchemy's ``StaleDataError``, Jinja2's ``UndefinedError``...)
are translated at the boundary and never reach a caller.  A subclass's docstring is its
default message.
"""

from __future__ import annotations

from collections.abc import Sequence


class CoopflowError(Exception):
    """coopflow refused or failed to do what was asked."""

    #: Exit code the command line uses for this error (1: refused by the domain).
    exit_code: int = 1

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (self.__doc__ or type(self).__name__).strip()
        super().__init__(self.message)


class ValidationError(CoopflowError):
    """The input is invalid."""

    exit_code = 2

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class NotFoundError(CoopflowError):
    """The object asked for does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!s} not found")


class AlreadyExistsError(CoopflowError):
    """An object with the same key already exists."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!s} already exists")


class TransitionNotAllowed(CoopflowError):
    """The event cannot be fired from the current state."""

    def __init__(self, event: str, state: str, allowed: Sequence[str] = ()) -> None:
        self.event = event
        self.state = state
        self.allowed = tuple(allowed)
        hint = f"; events possible from {state}: {', '.join(self.allowed)}" if self.allowed else ""
        super().__init__(f"event {event!r} cannot be fired from state {state!r}{hint}")


class UnknownEventError(TransitionNotAllowed):
    """The event is not defined by the workflow."""

    def __init__(self, event: str, workflow: str, known: Sequence[str]) -> None:
        self.workflow = workflow
        CoopflowError.__init__(
            self, f"unknown event {event!r} in workflow {workflow} (known: {', '.join(known)})"
        )
        self.event = event
        self.state = ""
        self.allowed = tuple(known)


class GuardFailed(CoopflowError):
    """The event's conditions are not met."""

    def __init__(self, event: str, reasons: Sequence[str]) -> None:
        self.event = event
        self.reasons = tuple(reasons)
        super().__init__(f"{event} refused: " + "; ".join(self.reasons))


class PermissionDenied(CoopflowError):
    """The actor may not do this: not registered, deactivated, not holding the role asked for,
    the role may not do it, or separation of duties forbids it."""

    def __init__(
        self,
        event: str,
        role: str,
        allowed_roles: Sequence[str] = (),
        *,
        actor: str | None = None,
        held: Sequence[str] = (),
        reason: str | None = None,
    ) -> None:
        #: The event fired or the operation asked (``axis.put``...).
        self.event = event
        self.role = role
        self.allowed_roles = tuple(allowed_roles)
        self.actor = actor
        self.held = tuple(held)
        who = actor or "this actor"
        held_text = ", ".join(self.held) if self.held else "no role"
        if reason is not None:
            message = f"{who} may not {event}: {reason}"
        elif not role:
            message = (
                f"{who} may not {_doing(event)}: it needs one of the roles "
                f"{', '.join(self.allowed_roles)}, and {who} holds {held_text}"
            )
        else:
            message = (
                f"role {role!r} may not {_doing(event)} (allowed: "
                f"{', '.join(self.allowed_roles)}); {who} holds {held_text}"
            )
        super().__init__(message)


def _doing(event: str) -> str:
    return f"do {event!r}" if "." in event else f"fire {event!r}"


class ConcurrentModificationError(CoopflowError):
    """Someone else modified the partnership at the same time: reload and try again."""

    def __init__(self, reference: str, detail: str | None = None) -> None:
        self.reference = reference
        msg = f"partnership {reference} was modified concurrently"
        super().__init__(
            f"{msg} ({detail}); reload and try again" if detail else f"{msg}; reload and try again"
        )


class InvalidWorkflowError(CoopflowError):
    """A workflow definition is malformed."""

    exit_code = 2

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source = source
        self.key = key
        super().__init__(f"{source}: {key}: {message}")


class SchemaOutOfDateError(CoopflowError):
    """The database schema is not at the version this coopflow expects."""

    def __init__(self, current: str | None, head: str, command: str) -> None:
        self.current = current
        self.head = head
        self.command = command
        super().__init__(
            f"the coopflow schema is at revision {current or '(none)'}, this coopflow needs "
            f"{head}: run `{command}`"
        )


class ExtensionError(CoopflowError):
    """A registered guard or effect failed (the fire was rolled back)."""

    def __init__(self, kind: str, name: str, error: BaseException) -> None:
        self.kind = kind
        self.name = name
        self.error = error
        super().__init__(f"{kind} {name!r} failed: {type(error).__name__}: {error}")


class DocumentError(CoopflowError):
    """A document could not be produced."""


class TemplateError(DocumentError):
    """A document template failed to render."""

    def __init__(self, template: str, message: str) -> None:
        self.template = template
        super().__init__(f"template {template}: {message}")


class IntegrityError(CoopflowError):
    """Stored evidence does not verify."""


class EvidenceError(CoopflowError):
    """Evidence could not be produced or checked: a checkpoint, its signature, a timestamp
    token, an evidence bundle."""


class OutputError(CoopflowError):
    """A file could not be written where it was asked for (it exists, it is a link, or its
    name would leave the folder)."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class ProtectionsOff(IntegrityError):
    """The database's protections of the evidence are off: coopflow refuses to write."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "the database's protections of the evidence are off, coopflow writes nothing: "
            + "; ".join(problems)
            + ". Have the database's owner run `coopflow protections repair`, then "
            "`coopflow verify` to see what changed meanwhile."
        )


class HookError(CoopflowError):
    """A host callback failed after the transaction had committed (the change is kept)."""

    def __init__(self, callback: str, error: BaseException) -> None:
        self.callback = callback
        self.error = error
        super().__init__(f"callback {callback} failed after commit: {error!r}")
