"""The layers guard: the import contracts in pyproject.toml ([tool.importlinter]) hold for the
product code, and they do fail when a layer imports upward, a cycle appears (also one hidden
behind a function-level import), or the pipeline imports the synthetic-data generator.

The failing cases run the same contracts on a copy of the packages with one import added."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test starts lint-imports, an interpreter of its own

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("sources", "warehouse", "report", "orchestration", "cli", "synth")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}  # the copy's packages before the installed ones
    return subprocess.run([str(LINT_IMPORTS), str(root / "pyproject.toml"), "--no-cache"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_the_product_code_keeps_every_import_contract():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_product_package_is_under_a_contract():
    """A new top-level package must be given its place in the layers (or stand apart like synth)."""
    found = {p.parent.name for p in REPO.glob("*/__init__.py")} - {"tests", "bench"}
    assert found == set(PACKAGES)


@pytest.fixture
def copy_of_the_code(tmp_path):
    for package in PACKAGES:
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize("module, added, broken", [
    # a reader that reaches up into the code location
    ("sources/whitespace.py", "import orchestration.jobs\n", "Layers"),
    # the library starting a run through the command line, hidden in a function (the old
    # history -> cli -> history circle)
    ("warehouse/history.py", "def _run():\n    from cli.main import run_pipeline\n", "Layers"),
    # two library modules importing each other, one of them late (the old publish <-> publish_pg)
    ("warehouse/publication_log.py", "def _late():\n    from warehouse import publish\n", "No import cycles"),
    # two code-location modules importing each other (the old assets/dbt <-> resources)
    ("orchestration/resources.py", "def _late():\n    from orchestration.assets import dbt\n", "No import cycles"),
    # the pipeline importing the generator
    ("warehouse/plans.py", "import synth.generator\n", "The pipeline does not import"),
    # a reader importing Dagster
    ("sources/codes.py", "import dagster\n", "The readers know nothing of Dagster"),
    # the status reports reaching up into the code location
    ("report/formats.py", "import orchestration.jobs\n", "Layers"),
    # the status reports reading the warehouse instead of the published file
    ("report/published.py", "def _late():\n    from warehouse.database import connect\n", "The status reports read"),
])
def test_the_guard_fails_on_a_broken_contract(copy_of_the_code, module, added, broken):
    assert lint_imports(copy_of_the_code).returncode == 0  # the copy itself is clean
    path = copy_of_the_code / module
    path.write_text(path.read_text() + "\n\n" + added)
    result = lint_imports(copy_of_the_code)
    assert result.returncode != 0
    broken_lines = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(broken) for line in broken_lines), result.stdout
    # and it names the import that broke it (a cycle by the name within its package)
    importer = module.removesuffix(".py").replace("/", ".")
    assert f"{importer} -> " in result.stdout or f".{importer.split('.')[-1]} -> " in result.stdout, result.stdout
