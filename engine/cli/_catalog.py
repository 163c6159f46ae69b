"""The command line's help in the reader's language.

Click reads a command's help from its docstring and an option's from ``help=``, when the
modules are imported, before ``--lang`` is known.  The texts stay English in the source; they
are translated when the command line starts (:func:`localize`), from the originals kept on
each command and option, so one process can show the help in French, then in English.

Click's own messages ("Usage:", "Missing argument"...) go through the same catalog: its
modules' ``_`` is pointed at ours (:func:`translate_click`), and the ones a person meets are
listed in ``_click_messages`` for the catalog.

:func:`extract` is a Babel extraction method (``engine/locale/babel.cfg``): it walks the
command tree and yields every help text, so ``pybabel extract`` puts them in the template
with the messages wrapped in ``_()``.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from typing import Any

import click
from coopflow._i18n import _, ngettext

_SOURCE = "_coopflow_source_help"
_CLICK_MODULES = (
    "click.core",
    "click.decorators",
    "click.exceptions",
    "click.formatting",
    "click.parser",
    "click.types",
    "click.termui",
    "click.utils",
)


def _commands(command: click.Command) -> Iterator[click.Command]:
    yield command
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from _commands(command.commands[name])


def _texts(command: click.Command) -> Iterator[tuple[Any, str]]:
    """(object, attribute) of every help text of ``command`` and its options."""
    yield command, "help"
    yield command, "short_help"
    yield command, "epilog"
    for param in command.params:
        if isinstance(param, click.Option):
            yield param, "help"


def _shown(text: str | None) -> str | None:
    """The part of a help text click shows (up to a form feed), as the catalog's key."""
    if not text:
        return None
    return inspect.cleandoc(text).partition("\f")[0].strip() or None


def help_texts(root: click.Command) -> Iterator[tuple[str, str]]:
    """(where, text) of every help text under ``root``, English, as the source writes them."""
    for command in _commands(root):
        for owner, attribute in _texts(command):
            text = _shown(getattr(owner, _SOURCE + attribute, getattr(owner, attribute)))
            if text:
                where = command.name or "coopflow"
                if isinstance(owner, click.Option):
                    where += f" {owner.opts[-1]}"
                yield where, text


def localize(root: click.Command) -> None:
    """Put every help text under ``root`` in the current language (from the English kept on
    first call)."""
    for command in _commands(root):
        # Click makes each command's --help option once, its help text in the language of the
        # time: forget it, to have it made again in this one.
        if hasattr(command, "_help_option"):
            command._help_option = None
        for owner, attribute in _texts(command):
            key = _SOURCE + attribute
            if not hasattr(owner, key):
                setattr(owner, key, getattr(owner, attribute))
            source = _shown(getattr(owner, key))
            setattr(owner, attribute, _(source) if source else getattr(owner, key))


def translate_click() -> None:
    """Point click's messages at coopflow's catalog."""
    for name in _CLICK_MODULES:
        module = sys.modules.get(name)
        if module is None:
            continue
        if hasattr(module, "_"):
            module._ = _  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


def extract(
    fileobj: Any, keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extraction method: every help text of the command line (the file it is mapped
    to is only where it is attached)."""
    from coopflow.cli import commands

    seen: set[str] = set()
    for where, text in help_texts(commands()):
        if text not in seen:
            seen.add(text)
            yield 0, None, text, [f"help of: {where}"]
