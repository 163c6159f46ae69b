"""Workflow definitions as data: loading, validation, and the state machine that runs them.

A definition is a TOML file (see ``workflows/cooperation.v1.toml``) naming its states (nested
ones use dotted paths such as ``contractualisation.redaction``), and its events with their
sources, target, allowed roles, inputs, guards and effects.  What the engine needs to know of a
state is declared by the definition as *capabilities* (:data:`CAPABILITIES`): "the protocol's
content may change here", "the protocol is in force"...  The engine asks for a capability,
never for a state by name, so a host's definition may name its states as it likes.  Guards
and effects are Python callables registered by name in a :class:`Registry`; a definition naming
an unregistered one is rejected when it is loaded, with the file and the key.

One :class:`transitions` machine is built per definition and shared: a fire borrows a small
token model from a pool, sets its state, triggers the event and returns the token, so no
partnership is ever attached to the machine (``add_model`` scans a list: N attached models
would cost O(N²)) and a loaded partnership's state is never reset by the library.
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TypedDict

from transitions.core import MachineError
from transitions.extensions.nesting import HierarchicalMachine, NestedState

from . import _validate
from ._i18n import _
from ._vocabulary import RECORD_KINDS, ROLES
from .errors import InvalidWorkflowError, TransitionNotAllowed, ValidationError

if TYPE_CHECKING:
    from ._context import FireContext

SUBJECTS: Final = ("partnership", "programme")
INPUT_TYPES: Final = ("text", "date", "sha256", "integer", "boolean")
PREVIOUS: Final = "@previous"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

CAPABILITIES: Final[dict[str, dict[str, str]]] = {
    "partnership": {
        "content_editable": "the protocol's content (axes, stakes, commitments, text) may change",
        "signatories_editable": "the signatories of the parties may be named",
        "drafting": "the protocol is drafted: a renewed partnership starts in this state",
        "deliberating": "the councils deliberate on the approved protocol",
        "amendment_drafting": "an avenant is drafted",
        "amendment_review": "the legal department reviews the avenant's exact document",
        "amendment_deliberating": "the councils deliberate on the avenant",
        "programmes_open": "annual work programmes may be added",
        "in_force": "the protocol is in force: its end falls due, programmes may be approved",
        "ended": "the partnership has ended (it may still be renewed): nothing of it falls due",
    },
    "programme": {
        "programme_editable": "the programme and its actions may change",
        "awaiting_copil": "the programme awaits the approval of the COPIL",
        "running": "the programme is approved and running: its milestones fall due",
    },
}
"""What a state may declare it allows (``capabilities = [...]`` in its table), by subject.

A state has the capabilities it declares and those of the states it is nested in."""
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: How a boolean input may be written (``--data commun_accord=oui`` on the command line).
_TRUE: Final = frozenset({"true", "yes", "oui", "1"})
_FALSE: Final = frozenset({"false", "no", "non", "0"})

Guard = Callable[["FireContext"], Iterable[str]]
"""A guard returns the reasons, in plain language, why the event may not be fired (none: ok)."""
Effect = Callable[["FireContext"], None]
"""An effect does the work of an event inside the fire's transaction (may raise to refuse)."""


class Registry:
    """Named guards and effects that workflow definitions may refer to."""

    def __init__(self, parent: Registry | None = None) -> None:
        self._guards: dict[str, Guard] = {}
        self._effects: dict[str, Effect] = {}
        self._parent = parent

    def guard(self, name: str) -> Callable[[Guard], Guard]:
        """Register a guard under ``name`` (decorator)."""

        def register(fn: Guard) -> Guard:
            self._guards[name] = fn
            return fn

        return register

    def effect(self, name: str) -> Callable[[Effect], Effect]:
        """Register an effect under ``name`` (decorator)."""

        def register(fn: Effect) -> Effect:
            self._effects[name] = fn
            return fn

        return register

    def child(self) -> Registry:
        """A registry that adds its own names on top of this one's."""
        return Registry(self)

    def get_guard(self, name: str) -> Guard | None:
        found = self._guards.get(name)
        if found is None and self._parent is not None:
            return self._parent.get_guard(name)
        return found

    def get_effect(self, name: str) -> Effect | None:
        found = self._effects.get(name)
        if found is None and self._parent is not None:
            return self._parent.get_effect(name)
        return found

    def guard_names(self) -> list[str]:
        names = set(self._guards) | set(self._parent.guard_names() if self._parent else ())
        return sorted(names)

    def effect_names(self) -> list[str]:
        names = set(self._effects) | set(self._parent.effect_names() if self._parent else ())
        return sorted(names)


class InputSpec(TypedDict):
    """How an event's input is declared in TOML."""

    type: Literal["text", "date", "sha256", "integer", "boolean"]
    required: bool
    label: str


@dataclass(frozen=True, slots=True)
class EventInput:
    name: str
    type: str
    required: bool
    label: str

    def parse(self, value: object) -> object:
        """Check and convert one input value; raise ValidationError naming the input."""
        where = f"data.{self.name}"
        if self.type == "text":
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(_("must be a non-empty text"), field=where)
            return value.strip()
        if self.type == "integer":
            if isinstance(value, bool):
                raise ValidationError(_("must be a whole number"), field=where)
            try:
                return int(str(value))
            except ValueError:
                raise ValidationError(
                    _("must be a whole number, got {value!r}").format(value=value), field=where
                ) from None
        if self.type == "date":
            return _validate.date(value, where)
        if self.type == "boolean":
            if isinstance(value, bool):
                return value
            word = str(value).strip().lower()
            if word in _TRUE or word in _FALSE:
                return word in _TRUE
            raise ValidationError(
                _("must be true or false, got {value!r}").format(value=value), field=where
            )
        text = str(value).lower()
        if not _SHA256.fullmatch(text):
            raise ValidationError(_("must be a SHA-256 (64 hexadecimal digits)"), field=where)
        return text


@dataclass(frozen=True, slots=True)
class EventDef:
    """One event of a workflow."""

    name: str
    label: str
    sources: tuple[str, ...]
    target: str  # a state path, or PREVIOUS
    roles: tuple[str, ...]
    guards: tuple[str, ...]
    effects: tuple[str, ...]
    inputs: tuple[EventInput, ...]
    description: str = ""
    #: Separation of duties: who may not fire it (``SEPARATIONS``).
    not_by: tuple[str, ...] = ()
    #: The roles in which firing it records the actor's own signature, as the signatory
    #: registered as them, and no one else's.
    own_signature: tuple[str, ...] = ()


#: The file of a folder of definitions that holds the operations' roles, not a workflow.
POLICY_FILE: Final = "permissions.toml"

#: Who an event's ``not_by`` may exclude.
SEPARATIONS: dict[str, str] = {
    "submitter": "whoever fired the event that entered the current state",
    "content_editors": "whoever changed the protocol's content since this event last fired",
    "amendment_editors": "whoever changed an avenant (its changes, motives) since this event "
    "last fired",
}


@dataclass(frozen=True, slots=True)
class StateDef:
    path: str
    label: str
    final: bool
    initial: str | None  # for a compound state: the path of its initial child
    children: tuple[str, ...]
    capabilities: frozenset[str] = frozenset()  # its own and its ancestors'


class _Token:
    """The model transitions moves (it adds its trigger methods to it); never an ORM object."""

    state: str = ""
    trigger: Callable[..., bool]  # set by Machine.add_model


@dataclass
class Workflow:
    """A validated workflow definition and the machine that runs it."""

    name: str
    version: int
    subject: str
    initial: str
    title: str
    states: dict[str, StateDef]
    events: dict[str, EventDef]
    source: str
    programmes: str | None = None  # partnership workflows: the workflow of their programmes
    _machine: HierarchicalMachine = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _tokens: list[_Token] = field(default_factory=list, init=False, repr=False)
    # The machine's answers: its transitions depend on (state, event, previous) alone.
    _targets: dict[tuple[str, str, str | None], str] = field(
        default_factory=dict, init=False, repr=False
    )

    def __post_init__(self) -> None:
        self._machine = _build_machine(self)

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)

    def leaf(self, path: str) -> str:
        """The leaf state entered when entering ``path`` (following initial children)."""
        state = self.states[path]
        while state.initial is not None:
            state = self.states[state.initial]
        return state.path

    def is_within(self, state: str, ancestor: str) -> bool:
        return state == ancestor or state.startswith(ancestor + ".")

    def allows(self, state: str, capability: str) -> bool:
        """Whether ``state`` (a path of this workflow) declares ``capability``."""
        found = self.states.get(state)
        return found is not None and capability in found.capabilities

    def states_with(self, capability: str) -> list[str]:
        """The paths of the states that declare ``capability``, in definition order."""
        return [path for path, st in self.states.items() if capability in st.capabilities]

    def leaves_with(self, capability: str) -> list[str]:
        """The leaf states that declare ``capability``, in definition order."""
        return [p for p in self.states_with(capability) if not self.states[p].children]

    def entered_with(self, capability: str) -> str:
        """The leaf entered by the one state that declares ``capability`` and contains no other
        such state (where a renewed partnership starts: ``drafting``).

        Raises ValidationError when the definition declares no such state."""
        outermost = [
            p
            for p in self.states_with(capability)
            if not any(self.is_within(p, q) and p != q for q in self.states_with(capability))
        ]
        if len(outermost) != 1:
            raise ValidationError(
                (
                    _("workflow {name} v{version} declares no state with {capability!r}")
                    if not outermost
                    else _(
                        "workflow {name} v{version} declares more than one state with "
                        "{capability!r}"
                    )
                ).format(name=self.name, version=self.version, capability=capability),
                field="workflow",
            )
        return self.leaf(outermost[0])

    def events_from(self, state: str) -> list[EventDef]:
        """Events whose sources include ``state`` or one of its ancestors, in definition order."""
        return [
            ev
            for ev in self.events.values()
            if any(self.is_within(state, src) for src in ev.sources)
        ]

    def final_states(self) -> list[str]:
        return [s.path for s in self.states.values() if s.final]

    def leaves(self) -> list[str]:
        return [s.path for s in self.states.values() if not s.children]

    def run(self, state: str, event: str, previous: str | None = None) -> str:
        """Move a token from ``state`` by ``event`` and return the new state.

        ``previous`` is the state to return to for an event whose target is ``@previous``.
        The machine is shared, so triggering holds a lock (no I/O happens under it).  Its
        conditions look at ``previous`` only, so each answer is remembered: the machine runs
        once per (state, event, previous), not once per fire."""
        key = (state, event, previous)
        known = self._targets.get(key)
        if known is not None:
            return known
        with self._lock:
            token = self._tokens.pop() if self._tokens else None
            if token is None:
                token = _Token()
                self._machine.add_model(token, initial=state)
            else:
                self._machine.set_state(state, model=token)
            try:
                done = token.trigger(event, previous=previous)
            except MachineError as exc:
                raise TransitionNotAllowed(
                    event, state, [e.name for e in self.events_from(state)]
                ) from exc
            finally:
                new_state = token.state
                self._tokens.append(token)
        if not done:
            raise TransitionNotAllowed(event, state, [e.name for e in self.events_from(state)])
        self._targets[key] = new_state
        return new_state

    def mermaid(self) -> str:
        """The workflow as a Mermaid state diagram."""
        lines = ["stateDiagram-v2"]

        def ident(path: str) -> str:
            return path.replace(".", "__")

        def emit(paths: Sequence[str], indent: str) -> None:
            for path in paths:
                st = self.states[path]
                if st.children:
                    lines.append(f'{indent}state "{st.label}" as {ident(path)} {{')
                    assert st.initial is not None
                    lines.append(f"{indent}    [*] --> {ident(st.initial)}")
                    emit(st.children, indent + "    ")
                    lines.append(f"{indent}}}")
                else:
                    lines.append(f'{indent}state "{st.label}" as {ident(path)}')

        emit([p for p in self.states if "." not in p], "    ")
        lines.append(f"    [*] --> {ident(self.initial)}")
        for ev in self.events.values():
            for src in ev.sources:
                if ev.target == PREVIOUS:
                    lines.append(f"    {ident(src)} --> {ident(src)}: {ev.name} (retour)")
                else:
                    lines.append(f"    {ident(src)} --> {ident(ev.target)}: {ev.name}")
        for path in self.final_states():
            lines.append(f"    {ident(path)} --> [*]")
        return "\n".join(lines) + "\n"


class _State(NestedState):
    separator = "."


class _Machine(HierarchicalMachine):
    state_cls = _State


def _build_machine(wf: Workflow) -> HierarchicalMachine:
    def config(path: str) -> dict[str, Any]:
        st = wf.states[path]
        name = path.rsplit(".", 1)[-1]
        if not st.children:
            return {"name": name}
        assert st.initial is not None
        return {
            "name": name,
            "initial": st.initial.rsplit(".", 1)[-1],
            "children": [config(c) for c in st.children],
        }

    roots = [config(p) for p in wf.states if "." not in p]
    machine = _Machine(
        model=None,
        states=roots,
        initial=None,
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
    )
    resumable = _resumable_states(wf)
    for ev in wf.events.values():
        for src in ev.sources:
            if ev.target != PREVIOUS:
                machine.add_transition(ev.name, src, ev.target)
                continue
            for dest in resumable:

                def back_to(event: Any, dest: str = dest) -> bool:
                    return bool(event.kwargs.get("previous") == dest)

                machine.add_transition(ev.name, src, dest, conditions=[back_to])
    return machine


def _resumable_states(wf: Workflow) -> list[str]:
    """Leaves an ``@previous`` event may return to: those that can enter its source state."""
    returning = {src for ev in wf.events.values() if ev.target == PREVIOUS for src in ev.sources}
    leaves: list[str] = []
    for ev in wf.events.values():
        if ev.target in returning:
            for src in ev.sources:
                for leaf in wf.leaves():
                    if wf.is_within(leaf, src) and leaf not in leaves and leaf not in returning:
                        leaves.append(leaf)
    return leaves


# --------------------------------------------------------------------------- loading


def _fail(source: str, key: str, message: str) -> InvalidWorkflowError:
    return InvalidWorkflowError(source, key, message)


def _check_keys(source: str, where: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise _fail(
                source,
                f"{where}.{key}",
                _("unknown key (expected one of: {keys})").format(keys=", ".join(sorted(allowed))),
            )


def _str(source: str, where: str, value: object, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(source, where, _("must be a non-empty string"))
    return value


def _names(source: str, where: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(source, where, _("must be a string or a list of strings"))
    return tuple(value)


def parse_workflow(  # noqa: PLR0912, PLR0915 - one linear pass over the whole definition
    text: str, source: str, registry: Registry
) -> Workflow:
    """Parse and validate one definition; raise InvalidWorkflowError naming source and key."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _fail(source, "(syntax)", str(exc)) from None
    _check_keys(source, "(top)", doc, {"workflow", "states", "events"})
    head = doc.get("workflow")
    if not isinstance(head, dict):
        raise _fail(source, "workflow", _("missing [workflow] table"))
    _check_keys(
        source, "workflow", head, {"name", "version", "subject", "initial", "title", "programmes"}
    )
    name = _str(source, "workflow.name", head.get("name"))
    if not _NAME.fullmatch(name):
        raise _fail(source, "workflow.name", _("must be lower-case letters, digits and _"))
    version = head.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _fail(source, "workflow.version", _("must be a whole number >= 1"))
    subject = head.get("subject", "partnership")
    if subject not in SUBJECTS:
        raise _fail(
            source,
            "workflow.subject",
            _("must be one of {choices}").format(choices=", ".join(SUBJECTS)),
        )
    title = _str(source, "workflow.title", head.get("title", name))
    programmes: str | None = None
    if "programmes" in head:
        if subject != "partnership":
            raise _fail(source, "workflow.programmes", _("only a partnership workflow has one"))
        programmes = _str(source, "workflow.programmes", head["programmes"])
        if not _NAME.fullmatch(programmes):
            raise _fail(source, "workflow.programmes", _("must name a workflow (lower-case, _)"))
    known = CAPABILITIES[subject]

    states: dict[str, StateDef] = {}

    def walk(
        table: object, prefix: str, where: str, inherited: frozenset[str] = frozenset()
    ) -> list[str]:
        if not isinstance(table, dict) or not table:
            raise _fail(source, where, _("must be a non-empty table of states"))
        paths: list[str] = []
        for sname, body in table.items():
            key = f"{where}.{sname}"
            if not _NAME.fullmatch(sname):
                raise _fail(source, key, _("a state name is lower-case letters, digits and _"))
            if not isinstance(body, dict):
                raise _fail(source, key, _("must be a table"))
            _check_keys(source, key, body, {"label", "final", "initial", "states", "capabilities"})
            path = f"{prefix}{sname}"
            declared = _names(source, key + ".capabilities", body.get("capabilities", []))
            for i, cap in enumerate(declared):
                if cap not in known:
                    raise _fail(
                        source,
                        f"{key}.capabilities[{i}]",
                        _(
                            "unknown capability {capability!r} for a {subject} workflow (known: "
                            "{known})"
                        ).format(capability=cap, subject=subject, known=", ".join(known)),
                    )
            capabilities = inherited | frozenset(declared)
            children: list[str] = []
            initial: str | None = None
            if "states" in body:
                children = walk(body["states"], path + ".", key + ".states", capabilities)
                child = _str(source, key + ".initial", body.get("initial"))
                initial = f"{path}.{child}"
                if initial not in children:
                    raise _fail(
                        source,
                        key + ".initial",
                        _("{child!r} is not a child state").format(child=child),
                    )
            elif "initial" in body:
                raise _fail(source, key + ".initial", _("only a state with children has one"))
            final = body.get("final", False)
            if not isinstance(final, bool):
                raise _fail(source, key + ".final", _("must be true or false"))
            if final and children:
                raise _fail(source, key + ".final", _("a state with children cannot be final"))
            states[path] = StateDef(
                path=path,
                label=_str(source, key + ".label", body.get("label", sname)),
                final=final,
                initial=initial,
                children=tuple(children),
                capabilities=capabilities,
            )
            paths.append(path)
        return paths

    walk(doc.get("states"), "", "states")
    initial = _str(source, "workflow.initial", head.get("initial"))
    if initial not in states:
        raise _fail(source, "workflow.initial", _("unknown state {state!r}").format(state=initial))

    raw_events = doc.get("events")
    if not isinstance(raw_events, dict) or not raw_events:
        raise _fail(source, "events", _("must be a non-empty table of events"))
    events: dict[str, EventDef] = {}
    for ename, body in raw_events.items():
        key = f"events.{ename}"
        if not _NAME.fullmatch(ename):
            raise _fail(source, key, _("an event name is lower-case letters, digits and _"))
        if not isinstance(body, dict):
            raise _fail(source, key, _("must be a table"))
        _check_keys(
            source,
            key,
            body,
            {
                "label",
                "from",
                "to",
                "roles",
                "guards",
                "effects",
                "inputs",
                "description",
                "not_by",
                "own_signature",
            },
        )
        if ename in RECORD_KINDS:
            raise _fail(
                source,
                key,
                _(
                    "{event!r} names journal records that are not events ({kinds}): choose "
                    "another name"
                ).format(event=ename, kinds=", ".join(RECORD_KINDS)),
            )
        sources = _names(source, key + ".from", body.get("from"))
        if not sources:
            raise _fail(source, key + ".from", _("names no state"))
        for i, src in enumerate(sources):
            if src not in states:
                raise _fail(
                    source, f"{key}.from[{i}]", _("unknown state {state!r}").format(state=src)
                )
            if states[src].final:
                raise _fail(
                    source,
                    f"{key}.from[{i}]",
                    _("{state!r} is final: no event leaves it").format(state=src),
                )
        target = _str(source, key + ".to", body.get("to"))
        if target != PREVIOUS and target not in states:
            raise _fail(source, key + ".to", _("unknown state {state!r}").format(state=target))
        roles = _names(source, key + ".roles", body.get("roles"))
        if not roles:
            raise _fail(source, key + ".roles", _("names no role"))
        for i, role in enumerate(roles):
            if role not in ROLES:
                raise _fail(
                    source,
                    f"{key}.roles[{i}]",
                    _("unknown role {role!r} (roles: {roles})").format(
                        role=role, roles=", ".join(ROLES)
                    ),
                )
        guards = _names(source, key + ".guards", body.get("guards", []))
        for i, gname in enumerate(guards):
            if registry.get_guard(gname) is None:
                raise _fail(
                    source,
                    f"{key}.guards[{i}]",
                    _("unknown guard {guard!r} (registered: {registered})").format(
                        guard=gname, registered=", ".join(registry.guard_names())
                    ),
                )
        effects = _names(source, key + ".effects", body.get("effects", []))
        for i, fname in enumerate(effects):
            if registry.get_effect(fname) is None:
                raise _fail(
                    source,
                    f"{key}.effects[{i}]",
                    _("unknown effect {effect!r} (registered: {registered})").format(
                        effect=fname, registered=", ".join(registry.effect_names())
                    ),
                )
        inputs: list[EventInput] = []
        raw_inputs = body.get("inputs", {})
        if not isinstance(raw_inputs, dict):
            raise _fail(source, key + ".inputs", _("must be a table"))
        for iname, spec in raw_inputs.items():
            ikey = f"{key}.inputs.{iname}"
            if not _NAME.fullmatch(iname):
                raise _fail(source, ikey, _("an input name is lower-case letters, digits and _"))
            if not isinstance(spec, dict):
                raise _fail(source, ikey, _("must be a table"))
            _check_keys(source, ikey, spec, {"type", "required", "label"})
            itype = spec.get("type", "text")
            if itype not in INPUT_TYPES:
                raise _fail(
                    source,
                    ikey + ".type",
                    _("must be one of {choices}").format(choices=", ".join(INPUT_TYPES)),
                )
            required = spec.get("required", False)
            if not isinstance(required, bool):
                raise _fail(source, ikey + ".required", _("must be true or false"))
            inputs.append(
                EventInput(
                    iname, itype, required, _str(source, ikey + ".label", spec.get("label", iname))
                )
            )
        events[ename] = EventDef(
            name=ename,
            label=_str(source, key + ".label", body.get("label", ename)),
            sources=sources,
            target=target,
            roles=roles,
            guards=guards,
            effects=effects,
            inputs=tuple(inputs),
            description=_str(source, key + ".description", body.get("description"), required=False),
            not_by=_closed(source, key + ".not_by", body.get("not_by", []), SEPARATIONS),
            own_signature=_own_signature(source, key, body.get("own_signature", []), roles),
        )

    wf_states = states
    _check_reachable(source, initial, wf_states, events)
    try:
        return Workflow(
            name=name,
            version=version,
            subject=subject,
            initial=initial,
            title=title,
            states=states,
            events=events,
            source=source,
            programmes=programmes,
        )
    except (ValueError, MachineError) as exc:  # transitions' own consistency checks
        raise _fail(source, "events", str(exc)) from None


def _closed(source: str, key: str, value: object, known: Mapping[str, str]) -> tuple[str, ...]:
    names = _names(source, key, value)
    for i, name in enumerate(names):
        if name not in known:
            raise _fail(
                source,
                f"{key}[{i}]",
                _("unknown {name!r} (known: {known})").format(name=name, known=", ".join(known)),
            )
    return names


def _own_signature(source: str, key: str, value: object, roles: tuple[str, ...]) -> tuple[str, ...]:
    names = _names(source, key + ".own_signature", value)
    for i, role in enumerate(names):
        if role not in roles:
            raise _fail(
                source,
                f"{key}.own_signature[{i}]",
                _("{role!r} is not one of the event's roles").format(role=role),
            )
    return names


def _check_reachable(
    source: str, initial: str, states: Mapping[str, StateDef], events: Mapping[str, EventDef]
) -> None:
    def enter(path: str, seen: set[str]) -> None:
        # entering a state enters its ancestors and, for a compound one, its initial child
        parts = path.split(".")
        for i in range(1, len(parts) + 1):
            seen.add(".".join(parts[:i]))
        st = states[path]
        if st.initial is not None:
            enter(st.initial, seen)

    seen: set[str] = set()
    enter(initial, seen)
    changed = True
    while changed:
        changed = False
        for ev in events.values():
            if not any(src in seen for src in ev.sources):
                continue
            if ev.target == PREVIOUS:
                continue  # goes back to a state already reached
            if ev.target not in seen:
                enter(ev.target, seen)
                changed = True
            else:
                before = len(seen)
                enter(ev.target, seen)
                changed = changed or len(seen) != before
    unreachable = [p for p in states if p not in seen]
    if unreachable:
        raise _fail(
            source,
            f"states.{unreachable[0]}",
            _("unreachable from the initial state {initial!r} (also: {others})").format(
                initial=initial, others=", ".join(unreachable[1:])
            )
            if len(unreachable) > 1
            else _("unreachable from the initial state {initial!r}").format(initial=initial),
        )


class WorkflowSet:
    """The workflow definitions coopflow knows, by (name, version)."""

    def __init__(self, workflows: Iterable[Workflow] = ()) -> None:
        self._by_key: dict[tuple[str, int], Workflow] = {}
        self._events: dict[str, tuple[bool, bool]] = {}
        for wf in workflows:
            self.add(wf)

    def add(self, wf: Workflow) -> None:
        self._events.clear()
        if wf.key in self._by_key:
            other = self._by_key[wf.key]
            raise InvalidWorkflowError(
                wf.source,
                "workflow.version",
                _("{name} v{version} is already defined by {source}").format(
                    name=wf.name, version=wf.version, source=other.source
                ),
            )
        self._by_key[wf.key] = wf

    def get(self, name: str, version: int | None = None) -> Workflow:
        """A definition by name and version (None: the latest version)."""
        if version is None:
            versions = [v for (n, v) in self._by_key if n == name]
            if not versions:
                raise ValidationError(
                    _("unknown workflow {name!r} (known: {names})").format(
                        name=name, names=", ".join(self.names())
                    ),
                    field="workflow",
                )
            version = max(versions)
        try:
            return self._by_key[(name, version)]
        except KeyError:
            raise ValidationError(
                _("unknown workflow {name} v{version}").format(name=name, version=version),
                field="workflow",
            ) from None

    def names(self) -> list[str]:
        return sorted({n for (n, _version) in self._by_key})

    def _partnership_event(self, event: str) -> tuple[bool, bool]:
        """(unguarded, returns) of ``event`` across the partnership workflows that have it,
        remembered per event (the hot path asks at every fire)."""
        known = self._events.get(event)
        if known is None:
            defs = [
                wf.events[event]
                for wf in self._by_key.values()
                if wf.subject == "partnership" and event in wf.events
            ]
            known = (
                bool(defs)
                and all(
                    not d.guards and not d.effects and not d.not_by and not d.own_signature
                    for d in defs
                ),
                any(d.target == PREVIOUS for d in defs),
            )
            self._events[event] = known
        return known

    def unguarded(self, event: str) -> bool:
        """Whether some partnership workflow has ``event`` and every one that has it fires it
        without guards or effects."""
        return self._partnership_event(event)[0]

    def returns(self, event: str) -> bool:
        """Whether ``event`` returns to the previous state (``@previous``) in some partnership
        workflow that has it."""
        return self._partnership_event(event)[1]

    def programmes_of(self, wf: Workflow) -> Workflow:
        """The (latest) programme workflow a partnership workflow declares."""
        if wf.programmes is None:
            raise ValidationError(
                _(
                    "workflow {name} v{version} declares no programme workflow ([workflow] "
                    "programmes = ...)"
                ).format(name=wf.name, version=wf.version),
                field="workflow",
            )
        found = self.get(wf.programmes)
        if found.subject != "programme":
            raise ValidationError(
                _("workflow {name} is for {subject}s, not programmes").format(
                    name=found.name, subject=found.subject
                ),
                field="workflow",
            )
        return found

    def partnership_states_with(self, capability: str) -> list[str]:
        """Every state, of any partnership workflow, that declares ``capability``."""
        return sorted(
            {p for wf in self if wf.subject == "partnership" for p in wf.states_with(capability)}
        )

    def programme_states_with(self, capability: str) -> list[str]:
        """Every state, of any programme workflow, that declares ``capability``."""
        return sorted(
            {p for wf in self if wf.subject == "programme" for p in wf.states_with(capability)}
        )

    def __iter__(self) -> Iterator[Workflow]:
        return iter(sorted(self._by_key.values(), key=lambda w: w.key))


def load_folder(folder: Path, registry: Registry, into: WorkflowSet | None = None) -> WorkflowSet:
    """Load every ``*.toml`` definition of ``folder`` (sorted by name) into a WorkflowSet
    (``permissions.toml``, the policy beside them, is :mod:`coopflow._permissions`')."""
    result = into if into is not None else WorkflowSet()
    if not folder.is_dir():
        raise InvalidWorkflowError(str(folder), "(folder)", _("not a folder"))
    for path in sorted(folder.glob("*.toml")):
        if path.name == POLICY_FILE:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidWorkflowError(str(path), "(file)", str(exc)) from None
        result.add(parse_workflow(text, str(path), registry))
    return result
