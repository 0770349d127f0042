"""The array versions of the tick and limit rules agree with the scalar reference."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stocklab.krx import price_limits, round_to_tick, tick_size
from stocklab.krx.vector import price_limit_arrays, round_to_ticks, tick_sizes
from stocklab.model import Market, SecurityKind

DAYS = [None, date(2022, 6, 1), date(2014, 1, 2)]
MARKETS = [Market.KOSPI, Market.KOSDAQ]
KINDS = [SecurityKind.STOCK, SecurityKind.ETF]


@settings(max_examples=60, deadline=None)
@given(prices=st.lists(st.integers(min_value=5, max_value=3_000_000), min_size=1, max_size=50))
@pytest.mark.parametrize("on", DAYS)
@pytest.mark.parametrize("market", MARKETS)
@pytest.mark.parametrize("kind", KINDS)
def test_arrays_match_scalars(
    prices: list[int], on: date | None, market: Market, kind: SecurityKind
) -> None:
    arr = np.array(prices)
    assert tick_sizes(arr, market, kind, on).tolist() == [
        tick_size(p, market, kind, on) for p in prices
    ]
    for direction in ("down", "up", "nearest"):
        assert round_to_ticks(arr, direction, market, kind, on).tolist() == [
            round_to_tick(p, direction, market, kind, on) for p in prices
        ]
    lower, upper = price_limit_arrays(arr, market, kind, on)
    expected = [price_limits(p, market, kind, on) for p in prices]
    assert lower.tolist() == [e.lower for e in expected]
    assert upper.tolist() == [e.upper for e in expected]


def test_fact_sheet_limits_in_one_call() -> None:
    lower, upper = price_limit_arrays(np.array([10_550, 107_900, 4_525, 4_555]))
    assert upper.tolist() == [13_710, 140_200, 5_880, 5_920]
    assert lower.tolist() == [7_390, 75_600, 3_170, 3_190]
