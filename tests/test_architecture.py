"""The walls of ARCHITECTURE.md hold: import-linter's contracts pass, and can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


BREACHES = [
    pytest.param(
        "backtest/report.py",
        "import stocklab.runtime.trading",
        "Floors: lower floors never import higher ones BROKEN",
        "stocklab.backtest.report -> stocklab.runtime.trading",
        id="backtest-imports-the-runtime",
    ),
    pytest.param(
        "runtime/store.py",
        "import stocklab.jobs.progress",
        "Floors: lower floors never import higher ones BROKEN",
        "stocklab.runtime.store -> stocklab.jobs.progress",
        id="the-runtime-imports-jobs",
    ),
    pytest.param(
        "jobs/trade.py",
        "import stocklab.scheduler.config",
        "Floors: lower floors never import higher ones BROKEN",
        "stocklab.jobs.trade -> stocklab.scheduler.config",
        id="jobs-import-the-scheduler",
    ),
    pytest.param(
        "agent/http.py",
        "import stocklab.config",
        "Adapters take plain arguments: agent never reads the settings BROKEN",
        "stocklab.agent.http -> stocklab.config",
        id="an-adapter-reads-the-settings",
    ),
    pytest.param(
        "trading/orders.py",
        "import stocklab.agent.sim.broker",
        "Trading sees brokers and sources only through the agent protocols BROKEN",
        "stocklab.trading.orders -> stocklab.agent.sim.broker",
        id="trading-imports-the-paper-broker",
    ),
    pytest.param(
        "trading/trader.py",
        "import stocklab.agent.ls",
        "Trading sees brokers and sources only through the agent protocols BROKEN",
        "stocklab.trading.trader -> stocklab.agent.ls",
        id="trading-imports-ls",
    ),
]


@pytest.mark.parametrize(("module", "line", "contract", "chain"), BREACHES)
def test_each_wall_breaks_on_a_deliberate_breach(
    tmp_path: Path, module: str, line: str, contract: str, chain: str
) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "stocklab", src / "stocklab")
    target = src / "stocklab" / module
    target.write_text(target.read_text() + f"\n{line}  # a wall breach\n")
    result = lint_imports(src, tmp_path)
    assert result.returncode != 0
    assert contract in result.stdout, result.stdout
    assert chain in result.stdout, result.stdout
    assert "1 broken" in result.stdout, result.stdout
