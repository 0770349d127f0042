"""Fixtures shared by every test: an isolated data directory and a clean environment."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.paths import SHARED


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's ~/.stocklab, .env or stocklab.toml."""
    for key in list(os.environ):
        if key.startswith("STOCKLAB_") and key != "STOCKLAB_TEST_MONGODB_URI":
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    monkeypatch.setenv("STOCKLAB_HOME", str(home))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def sample_dir() -> Path:
    path = SHARED / "data" / "krx-daily" / "sample"
    if not path.is_dir():
        pytest.skip(f"real KRX sample data not found at {path}")
    return path


_FIGURES: list[str] = []


@pytest.fixture
def figure() -> Callable[[str], None]:
    """Report a figure a test measured: listed at the end of the run, so a CI log shows it
    even though pytest keeps a passing test's output to itself."""
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("measured figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
