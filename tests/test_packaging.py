"""The wheel installs one import package, coopflow, with its data, and nothing generic."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("coopflow-*.whl")
    return found


def test_wheel_holds_only_the_coopflow_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == {"coopflow", next(t for t in tops if t.endswith(".dist-info"))}
    for required in (
        "coopflow/py.typed",
        "coopflow/workflows/cooperation.v1.toml",
        "coopflow/workflows/programme.v1.toml",
        "coopflow/migrations/env.py",
        "coopflow/migrations/versions/0001_initial_schema.py",
        "coopflow/documents/templates/protocole.html.j2",
        "coopflow/documents/fonts/LICENSE-Liberation.txt",
        "coopflow/locale/fr/LC_MESSAGES/coopflow.mo",
        "coopflow/locale/fr/LC_MESSAGES/coopflow.po",
    ):
        assert required in names, required


def test_installed_wheel_imports_and_runs_in_a_fresh_environment(
    wheel: Path, tmp_path: Path
) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    # Dependencies come from the test environment's site-packages, after the fresh one's, so
    # that coopflow itself can only be the installed wheel (the editable finder is not loaded).
    deps = sysconfig.get_paths()["purelib"]
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    script = f"""
import sys
sys.path.append({deps!r})
import coopflow
from coopflow import Coopflow, Actor, migrate
assert coopflow.__file__.startswith({site!r}), coopflow.__file__
url = "sqlite:///{tmp_path / "wheel.db"}"
migrate(url)
with Coopflow(url) as cf:
    assert cf.workflows.get("cooperation").initial == "accueil"
from coopflow._i18n import _, language
with language("fr"):  # the compiled French catalog ships in the wheel
    assert _("error: {{message}}") == "erreur : {{message}}"
print("ok")
"""
    result = subprocess.run(
        # the return code is asserted below, with the output
        [str(python), "-c", script],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    tops = {p.name for p in Path(site).iterdir()}
    for generic in ("engine", "workflows", "documents", "migrations", "tests"):
        assert generic not in tops


def test_the_tests_stop_at_once_naming_a_missing_system_library(tmp_path: Path) -> None:
    """On a machine without HarfBuzz's subsetter, the README's test line stops before
    collecting anything, with one line naming the package to install."""
    (tmp_path / "sitecustomize.py").write_text(
        "import ctypes.util\n"
        "_find = ctypes.util.find_library\n"
        "ctypes.util.find_library = lambda name: None if name == 'harfbuzz-subset' "
        "else _find(name)\n",
        "utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_api_contract.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert "apt-get install libharfbuzz-subset0" in done.stdout + done.stderr
    assert "passed" not in done.stdout
