"""The README's examples run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def _block_after(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, f"no python block under {heading}"
    return match.group(1)


@pytest.mark.parametrize("heading", ["Python API", "Embedding"])
def test_readme_example_runs(heading: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(_block_after(heading), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    if heading == "Embedding":
        assert "refused: no exchange logged yet" in result.stdout
        assert re.search(r"COOP-\d{4}-0001 is in dialogue", result.stdout)
    else:
        assert result.stdout.strip().endswith("True")


def test_readme_script_example_is_the_tested_one() -> None:
    """The script format documented in the README is the file the CLI tests apply."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Scripted transitions\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```toml\n(.*?)```", section, re.S)
    assert match is not None
    example = Path(__file__).resolve().parent / "cli" / "example_script.toml"
    assert match.group(1) == example.read_text(encoding="utf-8")
