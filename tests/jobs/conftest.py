"""The collectors' tests share one simulated market: 40 codes from 2024-09-02, and a clock
fixed on a Friday evening after the close."""

from __future__ import annotations

from datetime import date

import pytest

CODES = 40
START = date(2024, 9, 2)
FRIDAY_EVENING = "2024-11-15T16:00:00+09:00"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("STOCKLAB_SIM_CODES", str(CODES))
    monkeypatch.setenv("STOCKLAB_SIM_START", START.isoformat())
    monkeypatch.setenv("STOCKLAB_SIM_NOW", FRIDAY_EVENING)
    return monkeypatch
