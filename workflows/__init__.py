"""Built-in workflow definitions (TOML files beside this module) and the guards and effects
they name (:data:`registry`)."""

from __future__ import annotations

from pathlib import Path

from ._builtin import registry

BUILTIN_DIR = Path(__file__).resolve().parent
"""The folder of the built-in definitions (``cooperation.v1.toml``, ``programme.v1.toml``)."""

__all__ = ["BUILTIN_DIR", "registry"]
