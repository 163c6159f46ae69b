"""coopflow's exceptions: one base class, narrow subclasses that carry data.

Every error coopflow raises derives from :class:`CoopflowError`; foreign exceptions
(``transitions.MachineError``, SQLAlchemy's ``StaleDataError``, Jinja2's ``UndefinedError``...)
are translated at the boundary and never reach a caller.

Every class has a stable, machine-readable ``code`` and keeps what it is about in structured
fields (``field``, ``kind``, ``key``, ``event``, ``reasons``...): a host reads those, never the
message.  The message is for people: written in English in the source and translated into the
current language (:mod:`coopflow._i18n`) when the error is raised.  A class's
``default_message`` (its docstring's first sentence) is its message when it is given none; a
host's own subclass that sets none takes its docstring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar, Final

from ._i18n import N_, _


class CoopflowError(Exception):
    """coopflow refused or failed to do what was asked."""

    #: A stable, machine-readable name of the error (hosts read it, never the message).
    code: ClassVar[str] = "error"

    #: The message when none is given (English, translated when raised).
    default_message: ClassVar[str] = N_("coopflow refused or failed to do what was asked.")

    #: Exit code the command line uses for this error (1: refused by the domain).
    exit_code: int = 1

    #: What was probably meant, when what was given is unknown ("did you mean"): the closest
    #: known values, best first (set by the look-up that knows them; empty otherwise).
    suggestions: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "default_message" not in cls.__dict__:
            # A host's subclass: its docstring, as the one default it can have.
            cls.default_message = (cls.__doc__ or "").strip() or cls.__name__

    def __init__(self, message: str | None = None) -> None:
        self.message = message or _(self.default_message)
        super().__init__(self.message)


class ValidationError(CoopflowError):
    """The input is invalid."""

    code = "invalid_input"
    default_message = N_("The input is invalid.")

    exit_code = 2

    #: What an ambiguous input could mean (a party name two parties share...), when it is that.
    candidates: tuple[str, ...] = ()

    def __init__(self, message: str, *, field: str | None = None) -> None:
        #: The input refused (``period.start``, ``parties[1]``...), when one is.
        self.field = field
        super().__init__(
            _("{field}: {message}").format(field=field, message=message) if field else message
        )


#: "<kind> <key> not found", one whole sentence per kind of object (the kind stays the
#: English identifier in ``NotFoundError.kind``).
NOT_FOUND: Final[Mapping[str, str]] = {
    "partnership": N_("partnership {key} not found"),
    "party": N_("party {key} not found"),
    "actor": N_("actor {key} not found"),
    "programme": N_("programme {key} not found"),
    "axis": N_("axis {key} not found"),
    "action": N_("action {key} not found"),
    "milestone": N_("milestone {key} not found"),
    "document": N_("document {key} not found"),
    "avenant": N_("avenant {key} not found"),
    "signed avenant": N_("signed avenant {key} not found"),
    "financial commitment": N_("financial commitment {key} not found"),
    "thematic dialogue": N_("thematic dialogue {key} not found"),
    "checkpoint": N_("checkpoint {key} not found"),
    "workflow": N_("workflow {key} not found"),
}
#: The same, of an object looked for inside another (``within``: a reference, a programme).
NOT_FOUND_WITHIN: Final[Mapping[str, str]] = {
    "programme": N_("programme {key} of {within} not found"),
    "axis": N_("axis {key} of {within} not found"),
    "action": N_("action {key} of programme {within} not found"),
    "milestone": N_("milestone {key} of {within} not found"),
    "avenant": N_("avenant n° {key} of {within} not found"),
    "signed avenant": N_("signed avenant n° {key} of {within} not found"),
    "financial commitment": N_("financial commitment of {key} in {within} not found"),
}
#: What is said when no object of a kind exists at all (``key`` None): "no checkpoint...".
NONE_FOUND: Final[Mapping[str, str]] = {
    "checkpoint": N_("no checkpoint has been taken yet"),
}
#: "<kind> <key> already exists", one whole sentence per kind.
ALREADY_EXISTS: Final[Mapping[str, str]] = {
    "partnership": N_("partnership {key} already exists"),
    "party": N_("party {key} already exists"),
    "party with SIREN": N_("party with SIREN {key} already exists"),
    "actor": N_("actor {key} already exists"),
    "database login": N_("database login {key} already exists"),
    "thematic dialogue": N_("thematic dialogue {key} already exists"),
    "idempotency key": N_("a fire with idempotency key {key} already exists"),
}
ALREADY_EXISTS_WITHIN: Final[Mapping[str, str]] = {
    "party with SIREN": N_("party with SIREN {key} already exists ({within})"),
    "database login": N_("database login {key} already exists (of {within})"),
    "idempotency key": N_("{within}: a fire with idempotency key {key} already exists"),
}


def _sentence(
    kinds: Mapping[str, str],
    within_kinds: Mapping[str, str],
    generic: str,
    generic_within: str,
    kind: str,
    key: object,
    within: object,
) -> str:
    """The sentence of ``kind`` (``within`` another object or not), translated; a kind coopflow
    does not know (a host's own) gets the generic sentence, its kind as it was given."""
    if within is None:
        return _(kinds.get(kind, generic)).format(kind=kind, key=key)
    return _(within_kinds.get(kind, generic_within)).format(kind=kind, key=key, within=within)


class NotFoundError(CoopflowError):
    """The object asked for does not exist."""

    code = "not_found"
    default_message = N_("The object asked for does not exist.")

    def __init__(self, kind: str, key: object, *, within: object = None) -> None:
        #: What was looked for, a stable English identifier (``partnership``, ``party``...).
        self.kind = kind
        #: Its key (a reference, a party's key, a label, a number...).
        self.key = key
        #: Where it was looked for (a partnership's reference, a programme), when it matters.
        self.within = within
        if key is None and kind in NONE_FOUND:
            super().__init__(_(NONE_FOUND[kind]))
            return
        super().__init__(
            _sentence(
                NOT_FOUND,
                NOT_FOUND_WITHIN,
                N_("{kind} {key} not found"),
                N_("{kind} {key} of {within} not found"),
                kind,
                key,
                within,
            )
        )


class AlreadyExistsError(CoopflowError):
    """An object with the same key already exists."""

    code = "already_exists"
    default_message = N_("An object with the same key already exists.")

    def __init__(self, kind: str, key: object, *, within: object = None) -> None:
        #: What exists already, a stable English identifier (``partnership``, ``party``...).
        self.kind = kind
        self.key = key
        #: What it belongs to, or the object that holds the key, when it matters.
        self.within = within
        super().__init__(
            _sentence(
                ALREADY_EXISTS,
                ALREADY_EXISTS_WITHIN,
                N_("{kind} {key} already exists"),
                N_("{kind} {key} already exists ({within})"),
                kind,
                key,
                within,
            )
        )


class TransitionNotAllowed(CoopflowError):
    """The event cannot be fired from the current state."""

    code = "transition_not_allowed"
    default_message = N_("The event cannot be fired from the current state.")

    def __init__(self, event: str, state: str, allowed: Sequence[str] = ()) -> None:
        self.event = event
        self.state = state
        self.allowed = tuple(allowed)
        if self.allowed:
            message = _(
                "event {event!r} cannot be fired from state {state!r}; events possible from "
                "{state}: {allowed}"
            ).format(event=event, state=state, allowed=", ".join(self.allowed))
        else:
            message = _("event {event!r} cannot be fired from state {state!r}").format(
                event=event, state=state
            )
        super().__init__(message)


class UnknownEventError(TransitionNotAllowed):
    """The event is not defined by the workflow."""

    code = "unknown_event"
    default_message = N_("The event is not defined by the workflow.")

    def __init__(self, event: str, workflow: str, known: Sequence[str]) -> None:
        self.workflow = workflow
        CoopflowError.__init__(
            self,
            _("unknown event {event!r} in workflow {workflow} (known: {known})").format(
                event=event, workflow=workflow, known=", ".join(known)
            ),
        )
        self.event = event
        self.state = ""
        #: The events the workflow defines.
        self.allowed = tuple(known)


class ProgrammeRequired(UnknownEventError):
    """The event is a programme's: it is fired on one of the partnership's programmes."""

    code = "programme_required"
    default_message = N_(
        "The event is a programme's: it is fired on one of the partnership's programmes."
    )

    def __init__(
        self,
        event: str,
        workflow: str,
        known: Sequence[str],
        *,
        programmes: Sequence[str],
        message: str | None = None,
    ) -> None:
        super().__init__(event, workflow, known)
        #: The partnership's programmes the event could be fired on (their labels).
        self.programmes = tuple(programmes)
        CoopflowError.__init__(
            self,
            message
            or _(
                "{event} is an event of a programme: give the programme, one of {programmes}"
            ).format(event=event, programmes=", ".join(self.programmes)),
        )


class Reason(str):
    """One reason a step is refused, in the current language, with what fixes it: the
    command to run (``command``) and the API call (``call``), when there is one.  A reason is
    its message as a string, so it prints and compares as one; ``code`` names it for hosts
    (``no_exchange``...), stable whatever the language."""

    code: str
    command: str | None
    call: str | None

    def __new__(
        cls, message: str, *, code: str = "", command: str | None = None, call: str | None = None
    ) -> Reason:
        reason = super().__new__(cls, message)
        reason.code, reason.command, reason.call = code, command, call
        return reason

    @property
    def message(self) -> str:
        return str.__str__(self)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "message": self.message,
            "command": self.command,
            "call": self.call,
        }


def as_reason(value: str) -> Reason:
    """``value`` as a :class:`Reason` (a plain string: one with no fix known)."""
    return value if isinstance(value, Reason) else Reason(value)


class GuardFailed(CoopflowError):
    """The event's conditions are not met."""

    code = "guard_failed"
    default_message = N_("The event's conditions are not met.")

    def __init__(self, event: str, reasons: Sequence[str]) -> None:
        self.event = event
        #: Every reason, each a :class:`Reason` (what fixes it, when known).
        self.reasons: tuple[Reason, ...] = tuple(as_reason(r) for r in reasons)
        super().__init__(
            _("{event} refused: {reasons}").format(event=event, reasons="; ".join(self.reasons))
        )


class PermissionDenied(CoopflowError):
    """The actor may not do this: not registered, deactivated, not holding the role asked for,
    the role may not do it, or separation of duties forbids it."""

    code = "permission_denied"
    default_message = N_("The actor may not do this.")

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
        #: Why, when it is not the roles (not registered, deactivated...), in words.
        self.reason = reason
        who = actor or _("this actor")
        held_text = ", ".join(self.held) if self.held else _("no role")
        allowed = ", ".join(self.allowed_roles)
        operation = "." in event
        if reason is not None:
            message = _("{who} may not {event}: {reason}").format(
                who=who, event=event, reason=reason
            )
        elif not role:
            message = (
                _(
                    "{who} may not do {event!r}: it needs one of the roles {allowed}, and {who} "
                    "holds {held}"
                )
                if operation
                else _(
                    "{who} may not fire {event!r}: it needs one of the roles {allowed}, and "
                    "{who} holds {held}"
                )
            ).format(who=who, event=event, allowed=allowed, held=held_text)
        else:
            message = (
                _("role {role!r} may not do {event!r} (allowed: {allowed}); {who} holds {held}")
                if operation
                else _(
                    "role {role!r} may not fire {event!r} (allowed: {allowed}); {who} holds {held}"
                )
            ).format(role=role, event=event, allowed=allowed, who=who, held=held_text)
        super().__init__(message)


#: What may have been modified concurrently, one whole sentence per kind (with and without
#: the detail of what was seen).
_CONCURRENT: Final[Mapping[str, tuple[str, str]]] = {
    "partnership": (
        N_("partnership {reference} was modified concurrently; reload and try again"),
        N_("partnership {reference} was modified concurrently ({detail}); reload and try again"),
    ),
    "checkpoint": (
        N_("another checkpoint {reference} was taken meanwhile: take it again"),
        N_("another checkpoint {reference} was taken meanwhile ({detail}): take it again"),
    ),
}


class ConcurrentModificationError(CoopflowError):
    """Someone else modified the partnership at the same time: reload and try again."""

    code = "concurrent_modification"
    default_message = N_(
        "Someone else modified the partnership at the same time: reload and try again."
    )

    def __init__(
        self, reference: str, detail: str | None = None, *, kind: str = "partnership"
    ) -> None:
        #: The partnership's reference (a checkpoint's number, ``kind="checkpoint"``).
        self.reference = reference
        self.detail = detail
        #: What was modified: ``partnership`` or ``checkpoint``.
        self.kind = kind
        plain, detailed = _CONCURRENT.get(kind, _CONCURRENT["partnership"])
        super().__init__(
            _(detailed if detail else plain).format(reference=reference, detail=detail)
        )


class InvalidWorkflowError(CoopflowError):
    """A workflow definition is malformed."""

    code = "invalid_workflow"
    default_message = N_("A workflow definition is malformed.")

    exit_code = 2

    def __init__(self, source: str, key: str, message: str) -> None:
        #: The file (or definition) at fault, and the key in it.
        self.source = source
        self.key = key
        super().__init__(
            _("{source}: {key}: {message}").format(source=source, key=key, message=message)
        )


class SchemaOutOfDateError(CoopflowError):
    """The database schema is not at the version this coopflow expects."""

    code = "schema_out_of_date"
    default_message = N_("The database schema is not at the version this coopflow expects.")

    def __init__(self, current: str | None, head: str, command: str) -> None:
        self.current = current
        self.head = head
        self.command = command
        super().__init__(
            _(
                "the coopflow schema is at revision {current}, this coopflow needs {head}: "
                "run `{command}`"
            ).format(current=current or _("(none)"), head=head, command=command)
        )


_EXTENSION: Final[Mapping[str, str]] = {
    "guard": N_("guard {name!r} failed: {error}"),
    "effect": N_("effect {name!r} failed: {error}"),
}


class ExtensionError(CoopflowError):
    """A registered guard or effect failed (the fire was rolled back)."""

    code = "extension_failed"
    default_message = N_("A registered guard or effect failed (the fire was rolled back).")

    def __init__(self, kind: str, name: str, error: BaseException) -> None:
        #: ``guard`` or ``effect``.
        self.kind = kind
        self.name = name
        self.error = error
        failure = f"{type(error).__name__}: {error}"
        template = _EXTENSION.get(kind, N_("{kind} {name!r} failed: {error}"))
        super().__init__(_(template).format(kind=kind, name=name, error=failure))


class DocumentError(CoopflowError):
    """A document could not be produced."""

    code = "document_failed"
    default_message = N_("A document could not be produced.")


class TemplateError(DocumentError):
    """A document template failed to render."""

    code = "template_failed"
    default_message = N_("A document template failed to render.")

    def __init__(self, template: str, message: str) -> None:
        self.template = template
        super().__init__(
            _("template {template}: {message}").format(template=template, message=message)
        )


class IntegrityError(CoopflowError):
    """Stored evidence does not verify."""

    code = "integrity"
    default_message = N_("Stored evidence does not verify.")


class EvidenceError(CoopflowError):
    """Evidence could not be produced or checked: a checkpoint, its signature, a timestamp
    token, an evidence bundle."""

    code = "evidence_failed"
    default_message = N_(
        "Evidence could not be produced or checked: a checkpoint, its signature, a timestamp "
        "token, an evidence bundle."
    )


class OutputError(CoopflowError):
    """A file could not be written where it was asked for (it exists, it is a link, or its
    name would leave the folder)."""

    code = "output_refused"
    default_message = N_(
        "A file could not be written where it was asked for (it exists, it is a link, or its "
        "name would leave the folder)."
    )

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(_("{path}: {message}").format(path=path, message=message))


class ProtectionsOff(IntegrityError):
    """The database's protections of the evidence are off: coopflow refuses to write."""

    code = "protections_off"
    default_message = N_(
        "The database's protections of the evidence are off: coopflow refuses to write."
    )

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            _(
                "the database's protections of the evidence are off, coopflow writes nothing: "
                "{problems}. Have the database's owner run `coopflow protections repair`, then "
                "`coopflow verify` to see what changed meanwhile."
            ).format(problems="; ".join(problems))
        )


class HookError(CoopflowError):
    """A host callback failed after the transaction had committed (the change is kept)."""

    code = "hook_failed"
    default_message = N_(
        "A host callback failed after the transaction had committed (the change is kept)."
    )

    def __init__(self, callback: str, error: BaseException) -> None:
        self.callback = callback
        self.error = error
        super().__init__(
            _("callback {callback} failed after commit: {error!r}").format(
                callback=callback, error=error
            )
        )
