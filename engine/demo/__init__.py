"""The coopflow demo: partnerships of Bordeaux Métropole, from the shipped script
``bordeaux.toml`` to the documents exported for the legal department.

A host program runs it with :func:`run_demo`; ``coopflow demo`` is a thin shell over it.

>>> from pathlib import Path
>>> from coopflow.demo import run_demo
>>> result = run_demo(Path("coopflow-demo"))                 # doctest: +SKIP
>>> result.database, result.exports                           # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._runner import DEMO_ACTOR, DEMO_DB, DEMO_SCRIPT, DemoResult, run_demo
else:

    def __getattr__(name: str) -> Any:
        """The runner (and the whole API it uses) is imported on first use only (PEP 562)."""
        if name not in __all__:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        from . import _runner

        value = getattr(_runner, name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})


__all__ = ["DEMO_ACTOR", "DEMO_DB", "DEMO_SCRIPT", "DemoResult", "run_demo"]
