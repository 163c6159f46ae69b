"""The coopflow demo: partnerships of Bordeaux Métropole, from the shipped script
``bordeaux.toml`` to the documents exported for the legal department.

A host program runs it with :func:`run_demo`; ``coopflow demo`` is a thin shell over it.

>>> from pathlib import Path
>>> from coopflow.demo import run_demo
>>> result = run_demo(Path("coopflow-demo"))                 # doctest: +SKIP
>>> result.database, result.exports                           # doctest: +SKIP
"""

from __future__ import annotations

from ._runner import DEMO_ACTOR, DEMO_DB, DEMO_SCRIPT, DemoResult, run_demo

__all__ = ["DEMO_ACTOR", "DEMO_DB", "DEMO_SCRIPT", "DemoResult", "run_demo"]
