"""The fill and cost model: prices inside the bar, volume caps, fees to the won."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numba
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stocklab.krx.fills import (
    BUY,
    LIMIT,
    MARKET,
    SELL,
    FillModel,
    OrderRejected,
    check_price,
    fee,
    fillable,
    match_price,
    match_stop,
    rate_units,
)
from stocklab.model import Market, OrderType, SecurityKind, Side

BAR = {"open_": 10_000, "high": 10_300, "low": 9_800}


@pytest.mark.parametrize(
    ("side", "kind", "limit", "expected"),
    [
        (BUY, MARKET, 0, 10_000),
        (SELL, MARKET, 0, 10_000),
        (BUY, LIMIT, 10_100, 10_000),  # gapped below the limit: the open is better
        (BUY, LIMIT, 9_900, 9_900),  # the low reached it
        (BUY, LIMIT, 9_700, 0),  # never traded that low
        (SELL, LIMIT, 9_900, 10_000),
        (SELL, LIMIT, 10_200, 10_200),
        (SELL, LIMIT, 10_400, 0),
    ],
)
def test_match_price(side: int, kind: int, limit: int, expected: int) -> None:
    assert match_price(side, kind, limit, **BAR) == expected


@given(
    side=st.sampled_from([BUY, SELL]),
    kind=st.sampled_from([MARKET, LIMIT]),
    limit=st.integers(1, 20_000),
    low=st.integers(1, 10_000),
    span=st.integers(0, 5_000),
    pos=st.floats(0, 1),
)
def test_never_a_price_the_bar_did_not_trade(
    side: int, kind: int, limit: int, low: int, span: int, pos: float
) -> None:
    high = low + span
    open_ = low + round(span * pos)
    price = match_price(side, kind, limit, open_, high, low)
    assert price == 0 or low <= price <= high
    if price and kind == LIMIT:
        assert price <= limit if side == BUY else price >= limit


def test_the_compiled_core_is_the_same_function() -> None:
    compiled = numba.njit(match_price)
    cap = numba.njit(fillable)
    for args in [(BUY, LIMIT, 9_900, 10_000, 10_300, 9_800), (SELL, MARKET, 0, 5, 6, 4)]:
        assert compiled(*args) == match_price(*args)
    assert cap(1_000, 5_000, 1_000, 100) == fillable(1_000, 5_000, 1_000, 100) == 400


def test_stops_trigger_at_the_stop_or_the_gap() -> None:
    assert match_stop(SELL, 9_900, 10_000, 10_300, 9_800) == 9_900
    assert match_stop(SELL, 10_100, 10_000, 10_300, 9_800) == 10_000  # opened below it
    assert match_stop(SELL, 9_700, 10_000, 10_300, 9_800) == 0
    assert match_stop(BUY, 10_200, 10_000, 10_300, 9_800) == 10_200
    assert match_stop(BUY, 9_900, 10_000, 10_300, 9_800) == 10_000  # opened above it
    assert numba.njit(match_stop)(SELL, 9_900, 10_000, 10_300, 9_800) == 9_900


def test_volume_caps_and_fees() -> None:
    assert fillable(1_000, 5_000, 1_000, 0) == 500  # 10% of 5,000
    assert fillable(1_000, 5_000, 1_000, 500) == 0
    assert fillable(100, 5_000, 10_000, 0) == 100
    assert fillable(10, 0, 1_000, 0) == 0
    assert rate_units(Decimal("0.00015")) == 15_000
    assert fee(1_000_000, 15_000) == 150
    assert fee(66_666, 15_000) == 9  # 9.9999 floored
    with pytest.raises(ValueError, match="소수 여덟째"):
        rate_units(Decimal("0.000000001"))


def test_costs_by_side_date_and_kind() -> None:
    model = FillModel()
    buy = model.costs(Side.BUY, 10_000_000, date(2024, 5, 2), Market.KOSPI, SecurityKind.STOCK)
    assert (buy.commission, buy.tax) == (1_500, 0)
    sell = model.costs(Side.SELL, 10_000_000, date(2024, 5, 2), Market.KOSPI, SecurityKind.STOCK)
    assert (sell.commission, sell.tax, sell.total) == (1_500, 18_000, 19_500)
    late = model.costs(Side.SELL, 10_000_000, date(2024, 12, 27), Market.KOSDAQ, SecurityKind.STOCK)
    assert late.tax == 15_000  # settles 2025-01-02: the 2025 rate
    etf = model.costs(Side.SELL, 10_000_000, date(2024, 5, 2), Market.KOSPI, SecurityKind.ETF)
    assert etf.tax == 0


def test_match_respects_participation() -> None:
    model = FillModel(participation=Decimal("0.2"))
    price, qty = model.match(Side.BUY, OrderType.LIMIT, 9_900, 1_000, 10_000, 10_300, 9_800, 2_000)
    assert (price, qty) == (9_900, 400)
    assert model.match(Side.BUY, OrderType.LIMIT, 9_700, 10, 10_000, 10_300, 9_800, 2_000) == (0, 0)


def test_check_price_says_which_rule_and_the_valid_values() -> None:
    day, kospi, stock = date(2024, 5, 2), Market.KOSPI, SecurityKind.STOCK
    check_price(70_000, OrderType.LIMIT, 70_000, kospi, stock, day)
    check_price(None, OrderType.MARKET, 70_000, kospi, stock, day)
    with pytest.raises(OrderRejected, match=r"호가단위\(100원\).*70,000원 또는 70,100원"):
        check_price(70_050, OrderType.LIMIT, 70_000, kospi, stock, day)
    with pytest.raises(OrderRejected, match="49,000원 ~ 91,000원"):
        check_price(91_100, OrderType.LIMIT, 70_000, kospi, stock, day)
    with pytest.raises(OrderRejected, match="가격이 필요"):
        check_price(None, OrderType.LIMIT, 70_000, kospi, stock, day)
