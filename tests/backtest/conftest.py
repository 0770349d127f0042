"""A data directory whose store holds a year of synthetic daily bars for a few codes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from stocklab.config import Settings, load_settings
from stocklab.model import Instrument, Market
from stocklab.store import open_store
from tests.backtest.helpers import daily, days_from

CODES = ("000010", "000020", "000030")
DAYS = days_from(date(2023, 6, 1), 260)


def synthetic_opens(seed: int, n: int = len(DAYS)) -> list[int]:
    """A random walk of opens on the 10-won grid (a 5,000–20,000 won stock)."""
    rng = np.random.default_rng(seed)
    walk = 10_000 + np.cumsum(rng.integers(-30, 31, n)) * 10
    return np.clip(walk, 5_000, 19_000).tolist()


def fill_store(home: Path) -> Settings:
    settings = load_settings(home=home)
    settings.ensure_home()
    store = open_store(settings.store_url)
    store.upsert_instruments(
        Instrument(code=c, name=f"테스트{i}", market=Market.KOSDAQ if i else Market.KOSPI)
        for i, c in enumerate(CODES)
    )
    for seed, code in enumerate(CODES):
        store.save_bars(daily(code, DAYS, synthetic_opens(seed)), source="test")
    store.close()
    return settings


@pytest.fixture
def filled(tmp_path: Path) -> Settings:
    return fill_store(tmp_path / "home")
