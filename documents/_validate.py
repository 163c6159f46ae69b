"""Structural validation of a snapshot against the TypedDicts of :mod:`.snapshot`.

A snapshot arrives as plain JSON-like data from the engine (or from a PDF being verified); it is
checked once, before any template sees it, so that a missing or mistyped key is reported by its
path (``parties[1].official_name``) as a :class:`~coopflow.errors.ValidationError` instead of
surfacing as a template error.  Keys that the TypedDicts do not declare are allowed and ignored.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, Final, Literal, cast, get_args, get_origin, get_type_hints, is_typeddict

from coopflow._i18n import _
from coopflow.errors import ValidationError

from .snapshot import (
    AvenantSnapshot,
    ConsolidatedSnapshot,
    ProgrammeSnapshot,
    ProtocolSnapshot,
    Snapshot,
)

SNAPSHOT_TYPES: Final[dict[str, type]] = {
    "protocole": ProtocolSnapshot,
    "programme": ProgrammeSnapshot,
    "avenant": AvenantSnapshot,
    "consolide": ConsolidatedSnapshot,
}


@functools.cache
def _hints(typed_dict: type) -> dict[str, Any]:
    return get_type_hints(typed_dict)


def _describe(expected: Any) -> str:
    if expected is type(None):
        return "null"
    if isinstance(expected, type):
        names = {"str": _("a string"), "int": _("an integer"), "bool": _("a boolean")}
        return names.get(expected.__name__, expected.__name__)
    return str(expected)


def _where(path: str) -> str:
    return path or "snapshot"


def _check_typed_dict(expected: Any, value: object, path: str) -> None:
    if not isinstance(value, Mapping):
        raise ValidationError(
            _("expected an object, got {type}").format(type=type(value).__name__), field=path
        )
    required = cast(frozenset[str], expected.__required_keys__)
    for key, hint in _hints(expected).items():
        child = f"{path}.{key}" if path else key
        if key in value:
            _check(hint, value[key], child)
        elif key in required:
            raise ValidationError(_("missing key"), field=child)


def _check_list(expected: Any, value: object, path: str) -> None:
    if not isinstance(value, list | tuple):
        raise ValidationError(
            _("expected a list, got {type}").format(type=type(value).__name__), field=path
        )
    (item_type,) = get_args(expected)
    for index, item in enumerate(value):
        _check(item_type, item, f"{path}[{index}]")


def _check_union(expected: Any, value: object, path: str) -> None:
    arms = get_args(expected)
    if value is None and type(None) in arms:
        return
    others = [arm for arm in arms if arm is not type(None)]
    if len(others) == 1:
        _check(others[0], value, path)
    elif not any(_matches(arm, value) for arm in others):
        names = _(" or ").join(_describe(arm) for arm in arms)
        raise ValidationError(_("expected {names}").format(names=names), field=_where(path))


def _check_literal(expected: Any, value: object, path: str) -> None:
    allowed = get_args(expected)
    if value not in allowed:
        choices = ", ".join(repr(choice) for choice in allowed)
        raise ValidationError(
            _("{value!r} is not one of {choices}").format(value=value, choices=choices),
            field=_where(path),
        )


def _check_scalar(expected: Any, value: object, path: str) -> None:
    # bool is an int to Python, never to a snapshot.
    if expected is int and isinstance(value, bool):
        raise ValidationError(
            _("expected an integer, got {value!r}").format(value=value), field=path
        )
    if not isinstance(value, expected):
        shown = repr(value) if expected is int else type(value).__name__
        raise ValidationError(
            _("expected {expected}, got {shown}").format(expected=_describe(expected), shown=shown),
            field=path,
        )


def _check(expected: Any, value: object, path: str) -> None:
    origin = get_origin(expected)
    if is_typeddict(expected):
        _check_typed_dict(expected, value, path)
    elif origin is list:
        _check_list(expected, value, path)
    elif origin is types.UnionType or origin is typing.Union:
        _check_union(expected, value, path)
    elif origin is Literal:
        _check_literal(expected, value, path)
    elif isinstance(expected, type):
        _check_scalar(expected, value, path)
    else:  # pragma: no cover - every annotation of snapshot.py is handled above
        raise TypeError(f"unsupported annotation {expected!r} at {path}")


def _matches(expected: Any, value: object) -> bool:
    try:
        _check(expected, value, "")
    except ValidationError:
        return False
    return True


def validate_snapshot(snapshot: object) -> Snapshot:
    """Check ``snapshot``'s structure and return it typed; raise ``ValidationError`` if wrong.

    The error names the first offending key by its path, e.g. ``axes[0].title: missing key``.
    """
    if not isinstance(snapshot, Mapping):
        raise ValidationError(
            _("a snapshot is a mapping, got {type}").format(type=type(snapshot).__name__),
            field="snapshot",
        )
    if "kind" not in snapshot:
        raise ValidationError(_("missing key"), field="kind")
    kind = snapshot["kind"]
    expected = SNAPSHOT_TYPES.get(kind) if isinstance(kind, str) else None
    if expected is None:
        known = ", ".join(repr(name) for name in SNAPSHOT_TYPES)
        raise ValidationError(
            _("unknown document kind {kind!r} (known: {known})").format(kind=kind, known=known),
            field="kind",
        )
    _check(expected, snapshot, "")
    return cast(Snapshot, snapshot)
