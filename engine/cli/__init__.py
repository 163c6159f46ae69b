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

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

# Importing a group's module registers its commands on ``cli``.
from . import (
    _content,
    _demo,
    _documents,
    _due,
    _lifecycle,
    _parties,
    _partnerships,
    _programmes,
    _schema,
    _scripts,
    _workflows,
)
from ._app import DEFAULT_DB, TRACEBACK_ENV, WORKFLOWS_ENV, cli
from ._documents import KINDS

if TYPE_CHECKING:
    from coopflow.demo import DEMO_DB, DEMO_SCRIPT
else:

    def __getattr__(name: str) -> Any:
        """``DEMO_DB`` and ``DEMO_SCRIPT``, from :mod:`coopflow.demo` on first use: importing
        the command imports neither the demo's runner nor the API it uses."""
        if name not in ("DEMO_DB", "DEMO_SCRIPT"):
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import coopflow.demo

        return getattr(coopflow.demo, name)


__all__ = [
    "DEFAULT_DB",
    "DEMO_DB",
    "DEMO_SCRIPT",
    "KINDS",
    "TRACEBACK_ENV",
    "WORKFLOWS_ENV",
    "cli",
    "main",
]

_GROUPS = (
    _parties,
    _partnerships,
    _content,
    _programmes,
    _lifecycle,
    _documents,
    _workflows,
    _schema,
    _due,
    _scripts,
    _demo,
)


def main(argv: Sequence[str] | None = None) -> None:
    """The console script ``coopflow``."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="coopflow")
