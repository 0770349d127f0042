"""The scheduler tests' shared fixture: test-only jobs importable here and in children."""

from __future__ import annotations

import pytest

from tests.support.scheduling import JOB_MODULES, child_pythonpath


@pytest.fixture
def job_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """tests.support.* importable here and in every child; both test job modules loaded."""
    monkeypatch.setenv("PYTHONPATH", child_pythonpath())
    monkeypatch.setenv("STOCKLAB_JOB_MODULES", JOB_MODULES)
    return monkeypatch
