"""Fixtures of the web client's tests: its npm packages installed, its build up to date."""

from __future__ import annotations

import pytest

from tests.web.build import ensure_built, ensure_installed


@pytest.fixture(scope="session")
def web_installed() -> None:
    ensure_installed()


@pytest.fixture(scope="session")
def web_built() -> None:
    ensure_built()
