"""The exit and sizing rules of `krx.exits`: the integer grid arithmetic agrees with the tick
rules of `krx.ticks`, the levels and sizes are the documented ones, and the backtest
kernel's compiled copies give the very same answers as the Python the trader calls."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stocklab.backtest import kernel
from stocklab.krx import add_ticks, round_to_tick
from stocklab.krx.exits import (
    ALL_IN,
    CASH,
    QTY,
    UNSET,
    affordable,
    entry_size,
    grid,
    held_too_long,
    stop_level,
    take_profit_level,
    tick_down,
    tick_up,
    ticks_above,
    units,
)
from stocklab.krx.fills import rate_units
from stocklab.model import Market, SecurityKind

DAYS = [None, date(2022, 6, 1), date(2014, 1, 2)]
LISTINGS = [
    (Market.KOSPI, SecurityKind.STOCK),
    (Market.KOSDAQ, SecurityKind.STOCK),
    (Market.KOSPI, SecurityKind.ETF),
]
PRICES = st.integers(min_value=5, max_value=3_000_000)


@settings(max_examples=80, deadline=None)
@given(price=PRICES, n=st.integers(min_value=1, max_value=40))
@pytest.mark.parametrize("on", DAYS)
@pytest.mark.parametrize(("market", "kind"), LISTINGS)
def test_grid_arithmetic_matches_the_tick_rules(
    price: int, n: int, on: date | None, market: Market, kind: SecurityKind
) -> None:
    g = grid(market, kind, on)
    assert tick_up(*g, price) == round_to_tick(price, "up", market, kind, on)
    assert tick_down(*g, price) == round_to_tick(price, "down", market, kind, on)
    start = round_to_tick(price, "down", market, kind, on)
    assert ticks_above(*g, price, n) == add_ticks(start, n, market, kind, on)


def test_levels_are_on_the_entry_days_grid() -> None:
    kospi = grid(Market.KOSPI, SecurityKind.STOCK, date(2024, 11, 15))
    # 10 ticks of 50 above 37,800; 0.3% above it is 37,913.4 → 37,950 on the grid
    assert take_profit_level(37_800, 10, UNSET, *kospi) == 38_300
    assert take_profit_level(37_800, 0, rate_units(Decimal("0.003")), *kospi) == 37_950
    assert take_profit_level(37_800, 10, rate_units(Decimal("0.003")), *kospi) == 37_950
    assert take_profit_level(37_800, 0, UNSET, *kospi) == 0
    # three ticks above 1,998 cross into the 5-won band: 1,999, 2,000, 2,005
    assert take_profit_level(1_998, 3, UNSET, *kospi) == 2_005
    # 0.5% below 37,800 is 37,611 → 37,600
    assert stop_level(37_800, rate_units(Decimal("0.005")), *kospi) == 37_600
    assert stop_level(37_800, UNSET, *kospi) == 0
    old = grid(Market.KOSPI, SecurityKind.STOCK, date(2014, 1, 2))
    assert take_profit_level(150_000, 1, UNSET, *old) == 150_500  # 500-won ticks then
    assert take_profit_level(150_000, 1, UNSET, *kospi) == 150_100
    etf = grid(Market.KOSPI, SecurityKind.ETF, None)
    assert stop_level(4, rate_units(Decimal("0.1")), *etf) == 0  # no price below 5 won


def test_holding_limit_counts_the_entry_bar() -> None:
    assert not held_too_long(4, 5)
    assert held_too_long(5, 5)
    assert held_too_long(9, 5)
    assert not held_too_long(10_000, 0)  # 0: no limit


@settings(max_examples=300, deadline=None)
@given(
    cash=st.integers(min_value=0, max_value=10**12),
    price=st.integers(min_value=1, max_value=5_000_000),
    rate=st.integers(min_value=0, max_value=999_999),
)
def test_affordable_is_the_floor_of_cash_over_price_with_commission(
    cash: int, price: int, rate: int
) -> None:
    exact = math.floor(Decimal(cash) / (Decimal(price) * (1 + Decimal(rate) / 10**8)))
    assert affordable(cash, price, rate) == exact


def test_sizing_rules() -> None:
    assert entry_size(ALL_IN, 0, 10_002, 10_000, 15_000) == 1
    assert entry_size(ALL_IN, 0, 10_001, 10_000, 15_000) == 0  # 10,000 × 1.00015 > 10,001
    assert entry_size(CASH, 30_010, 1_000_000, 10_000, 15_000) == 3
    assert entry_size(CASH, 30_010, 20_003, 10_000, 15_000) == 2  # the cash, if less
    assert entry_size(QTY, 7, 0, 10_000, 15_000) == 7  # the order's size; the cash caps fills
    assert units(None) == UNSET
    assert units(Decimal("0.003")) == 300_000


@settings(max_examples=200, deadline=None)
@given(
    price=PRICES,
    n=st.integers(min_value=0, max_value=30),
    tp=st.one_of(st.just(UNSET), st.integers(min_value=0, max_value=50_000_000)),
    sl=st.one_of(st.just(UNSET), st.integers(min_value=0, max_value=99_999_999)),
    cash=st.integers(min_value=-1, max_value=10**12),
    sizing=st.sampled_from([ALL_IN, CASH, QTY]),
    size=st.integers(min_value=1, max_value=10**9),
    held=st.integers(min_value=1, max_value=500),
    limit=st.integers(min_value=0, max_value=500),
)
@pytest.mark.parametrize("on", DAYS)
def test_the_kernels_compiled_copies_answer_as_the_python(
    price: int,
    n: int,
    tp: int,
    sl: int,
    cash: int,
    sizing: int,
    size: int,
    held: int,
    limit: int,
    on: date | None,
) -> None:
    g = grid(Market.KOSDAQ, SecurityKind.STOCK, on)
    floors, ticks = (np.array(x, dtype=np.int64) for x in g)
    assert kernel.take_profit_level(price, n, tp, floors, ticks) == take_profit_level(
        price, n, tp, *g
    )
    assert kernel.stop_level(price, sl, floors, ticks) == stop_level(price, sl, *g)
    assert kernel.entry_size(sizing, size, cash, price, 15_000) == entry_size(
        sizing, size, cash, price, 15_000
    )
    assert kernel.affordable(cash, price, 15_000) == affordable(cash, price, 15_000)
    assert kernel.held_too_long(held, limit) == held_too_long(held, limit)
