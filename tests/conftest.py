"""Fixtures shared by every test: an isolated data directory and a clean environment."""

from __future__ import annotations

import os
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
