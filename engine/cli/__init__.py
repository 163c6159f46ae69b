"""The ``coopflow`` command: a thin shell over the :class:`coopflow.Coopflow` API.

Every command is one or a few calls to the public API; what the command line can do, a host
program can do by calling the same functions.  Output is a rich table on a terminal and plain,
aligned text otherwise; every read command takes ``--json``.

Exit codes: 0 done; 1 refused by the domain (a guard failed, the transition is not allowed, the
role may not fire the event, a concurrent modification, something not found, a schema to
upgrade), with the reasons on stderr; 2 usage errors and invalid input (an invalid workflow
definition of ``--workflows`` included).

The root group and what commands share live in ``_app`` (options, error handling, opening the
database) and ``_output`` (tables, JSON, ``error:`` lines); each command group is a module of
its own that registers its commands on the root group when imported here.

Starting is cheap: the command modules import the API (SQLAlchemy, the models) inside the
commands that use it, Alembic is imported only to migrate, rich only to draw a table on a
terminal, and the document renderer only to render; ``--version`` and ``--help`` import none of
them (``tests/cli/test_startup.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import click
    from coopflow._vocabulary import KINDS
    from coopflow.demo import DEMO_DB, DEMO_SCRIPT

    from ._app import DEFAULT_DB, TRACEBACK_ENV, WORKFLOWS_ENV, cli
else:
    _FROM_APP = ("DEFAULT_DB", "TRACEBACK_ENV", "WORKFLOWS_ENV")

    def __getattr__(name: str) -> Any:
        """The root group and the constants, on first use: ``coopflow --version`` imports
        neither click nor the command modules, and ``DEMO_*`` come from :mod:`coopflow.demo`
        without its runner."""
        if name == "cli":
            return commands()
        if name in _FROM_APP:
            from . import _app

            return getattr(_app, name)
        if name == "KINDS":
            from coopflow._vocabulary import KINDS

            return KINDS
        if name in ("DEMO_DB", "DEMO_SCRIPT"):
            import coopflow.demo

            return getattr(coopflow.demo, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_DB",
    "DEMO_DB",
    "DEMO_SCRIPT",
    "KINDS",
    "TRACEBACK_ENV",
    "WORKFLOWS_ENV",
    "cli",
    "commands",
    "main",
]


def commands() -> click.Group:
    """The root group with every command registered (importing a group's module registers
    its commands on it)."""
    from . import (  # noqa: F401 - imported for their commands
        _actors,
        _calendar,
        _content,
        _demo,
        _dialogues,
        _documents,
        _due,
        _evidence,
        _lifecycle,
        _parties,
        _partnerships,
        _programmes,
        _report,
        _schema,
        _scripts,
        _workflows,
    )
    from ._app import cli

    return cli


def main(argv: Sequence[str] | None = None) -> None:
    """The console script ``coopflow``.  ``coopflow --version`` alone is answered before click
    and the commands are imported (the same line click's version option prints)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:
        from coopflow import __version__

        sys.stdout.write(f"coopflow, version {__version__}\n")
        sys.exit(0)
    commands().main(args=args, prog_name="coopflow")
