"""``python -m coopflow.cli``: the ``coopflow`` command."""

from __future__ import annotations

from . import main

main()
