"""The walls of ARCHITECTURE.md hold: import-linter's contracts pass, and can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())",
            "--config",
            str(ROOT / "pyproject.toml"),
            "--no-cache",
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contracts_are_kept() -> None:
    result = lint_imports(ROOT / "src", ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    assert "Only the storage module touches a database driver KEPT" in result.stdout


def test_a_driver_import_outside_the_store_breaks_the_contract(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "stocklab", src / "stocklab")
    model = src / "stocklab" / "model.py"
    model.write_text(model.read_text() + "\nimport sqlite3  # a wall breach\n")
    result = lint_imports(src, tmp_path)
    assert result.returncode != 0
    assert "stocklab.model -> sqlite3" in result.stdout
    assert "BROKEN" in result.stdout


def test_io_reaching_into_a_backend_breaks_the_contract(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "stocklab", src / "stocklab")
    module = src / "stocklab" / "io" / "export.py"
    module.write_text(module.read_text() + "\nimport stocklab.store.sqlite  # a wall breach\n")
    result = lint_imports(src, tmp_path)
    assert result.returncode != 0
    assert "stocklab.io.export -> stocklab.store.sqlite" in result.stdout
