"""Tick sizes, rounding and stepping, with cases from the KRX fact sheet."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stocklab.krx import (
    UNIFIED_TICK_SINCE,
    InvalidPriceError,
    add_ticks,
    is_valid_price,
    round_to_tick,
    tick_size,
)
from stocklab.model import KST, Market, SecurityKind

PRE_2023 = date(2022, 6, 1)
FUNDS = [SecurityKind.ETF, SecurityKind.ETN, SecurityKind.ELW]

UNIFIED_ROWS = [
    (1, 1),
    (1_999, 1),
    (2_000, 5),
    (4_999, 5),
    (5_000, 10),
    (19_999, 10),
    (20_000, 50),
    (49_999, 50),
    (50_000, 100),
    (199_999, 100),
    (200_000, 500),
    (499_999, 500),
    (500_000, 1_000),
    (3_000_000, 1_000),
]

# (price, KOSPI tick, KOSDAQ tick) before 2023-01-25
PRE_2023_ROWS = [
    (1, 1, 1),
    (999, 1, 1),
    (1_000, 5, 5),
    (4_999, 5, 5),
    (5_000, 10, 10),
    (9_999, 10, 10),
    (10_000, 50, 50),
    (49_999, 50, 50),
    (50_000, 100, 100),
    (99_999, 100, 100),
    (100_000, 500, 100),
    (150_000, 500, 100),
    (499_999, 500, 100),
    (500_000, 1_000, 100),
    (600_000, 1_000, 100),
]


@pytest.mark.parametrize("market", list(Market))
@pytest.mark.parametrize("on", [None, UNIFIED_TICK_SINCE, date(2024, 6, 3)])
@pytest.mark.parametrize(("price", "tick"), UNIFIED_ROWS)
def test_unified_table_is_shared_by_every_market(
    price: int, tick: int, market: Market, on: date | None
) -> None:
    assert tick_size(price, market, on=on) == tick


@pytest.mark.parametrize(("price", "kospi", "kosdaq"), PRE_2023_ROWS)
def test_pre_2023_table_per_market(price: int, kospi: int, kosdaq: int) -> None:
    assert tick_size(price, Market.KOSPI, on=PRE_2023) == kospi
    assert tick_size(price, Market.KOSDAQ, on=PRE_2023) == kosdaq
    assert tick_size(price, Market.KONEX, on=PRE_2023) == kosdaq  # assumption: KOSDAQ column


def test_table_switches_on_2023_01_25() -> None:
    assert tick_size(150_000, Market.KOSPI, on=date(2023, 1, 24)) == 500
    assert tick_size(150_000, Market.KOSPI, on=date(2023, 1, 25)) == 100
    assert tick_size(1_500, Market.KOSPI, on=date(2023, 1, 24)) == 5
    assert tick_size(1_500, Market.KOSPI, on=date(2023, 1, 25)) == 1
    assert tick_size(600_000, Market.KOSDAQ, on=date(2023, 1, 24)) == 100
    assert tick_size(600_000, Market.KOSDAQ, on=date(2023, 1, 25)) == 1_000


@pytest.mark.parametrize("kind", FUNDS)
@pytest.mark.parametrize("on", [None, PRE_2023])
@pytest.mark.parametrize("price", [1, 1_999, 2_000, 150_000, 600_000])
def test_etf_etn_elw_tick_is_5_everywhere(kind: SecurityKind, on: date | None, price: int) -> None:
    assert tick_size(price, Market.KOSPI, kind, on) == 5
    assert tick_size(price, Market.KOSDAQ, kind, on) == 5


def test_market_and_kind_accept_their_string_values() -> None:
    assert tick_size(150_000, "KOSDAQ", "stock", PRE_2023) == 100
    assert tick_size(150_000, "KOSPI", "etf") == 5


@pytest.mark.parametrize("bad", [0, -5, True, 1_000.0, "1000", None])
def test_bad_prices_are_refused(bad: object) -> None:
    with pytest.raises(InvalidPriceError, match="가격"):
        tick_size(bad)  # type: ignore[arg-type]


def test_bad_market_kind_and_date_are_refused() -> None:
    with pytest.raises(ValueError, match=r"NYSE.*KOSPI, KOSDAQ, KONEX"):
        tick_size(1_000, "NYSE")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"bond.*etf"):
        tick_size(1_000, kind="bond")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"datetime\.date"):
        tick_size(1_000, on=datetime(2024, 1, 2, tzinfo=KST))


def test_numpy_integers_are_accepted() -> None:
    np = pytest.importorskip("numpy")
    assert tick_size(np.int64(150_000)) == 100
    assert round_to_tick(np.int64(19_995), "up") == 20_000


@pytest.mark.parametrize(
    ("price", "valid"),
    [
        (1, True),
        (1_999, True),
        (2_000, True),
        (2_001, False),
        (2_005, True),
        (19_990, True),
        (19_995, False),
        (20_000, True),
        (20_025, False),
        (20_050, True),
        (499_500, True),
        (500_500, False),
        (0, False),
        (-5, False),
    ],
)
def test_is_valid_price(price: int, valid: bool) -> None:
    assert is_valid_price(price) is valid


def test_is_valid_price_depends_on_kind_and_era() -> None:
    assert not is_valid_price(1_003, kind=SecurityKind.ETF)
    assert is_valid_price(1_005, kind=SecurityKind.ETF)
    assert is_valid_price(150_100, Market.KOSDAQ, on=PRE_2023)
    assert not is_valid_price(150_100, Market.KOSPI, on=PRE_2023)
    assert is_valid_price(150_100, Market.KOSPI)  # unified: tick 100


@pytest.mark.parametrize(
    ("price", "direction", "expected"),
    [
        (19_995, "up", 20_000),
        (19_995, "down", 19_990),
        (19_995, "nearest", 20_000),  # tie goes up
        (19_996, "nearest", 20_000),
        (19_994, "nearest", 19_990),
        (4_999, "up", 5_000),
        (4_999, "down", 4_995),
        (2_001, "down", 2_000),
        (2_003, "nearest", 2_005),
        (49_951, "up", 50_000),
        (199_950, "up", 200_000),
        (200_001, "up", 200_500),
        (499_999, "up", 500_000),
        (500_001, "down", 500_000),
        (500_001, "nearest", 500_000),
        (13_715, "down", 13_710),
        (20_000, "up", 20_000),
        (20_000, "down", 20_000),
    ],
)
def test_round_to_tick(price: int, direction: str, expected: int) -> None:
    assert round_to_tick(price, direction) == expected  # type: ignore[arg-type]


def test_round_to_tick_default_is_down() -> None:
    assert round_to_tick(19_999) == 19_990


def test_round_to_tick_uses_the_era_and_market() -> None:
    assert round_to_tick(100_001, "up", Market.KOSPI, on=PRE_2023) == 100_500
    assert round_to_tick(100_001, "up", Market.KOSDAQ, on=PRE_2023) == 100_100
    assert round_to_tick(1_001, "up", Market.KOSPI, on=PRE_2023) == 1_005
    assert round_to_tick(1_003, "nearest", kind=SecurityKind.ETF) == 1_005


def test_round_down_below_the_smallest_tick_has_no_answer() -> None:
    with pytest.raises(InvalidPriceError, match="3원"):
        round_to_tick(3, "down", kind=SecurityKind.ETF)
    assert round_to_tick(3, "nearest", kind=SecurityKind.ETF) == 5
    assert round_to_tick(3, "up", kind=SecurityKind.ETF) == 5


def test_round_to_tick_refuses_unknown_direction() -> None:
    with pytest.raises(ValueError, match=r"sideways.*down, up, nearest"):
        round_to_tick(1_000, "sideways")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("price", "n", "expected"),
    [
        (1_999, 1, 2_000),
        (2_000, 1, 2_005),
        (2_000, -1, 1_999),
        (2_005, -1, 2_000),
        (1_998, 3, 2_005),
        (4_995, 1, 5_000),
        (5_000, -1, 4_995),
        (19_990, 1, 20_000),
        (19_990, 2, 20_050),
        (20_000, -1, 19_990),
        (499_500, 1, 500_000),
        (500_000, -1, 499_500),
        (1_000, 0, 1_000),
        (1, 2_000, 2_005),  # 1,999 one-won ticks to 2,000, then one 5-won tick
        (2_005, -2_000, 1),  # back down: one 5-won tick to 2,000, then 1,999 one-won ticks
    ],
)
def test_add_ticks(price: int, n: int, expected: int) -> None:
    assert add_ticks(price, n) == expected


def test_add_ticks_uses_the_era_and_kind() -> None:
    assert add_ticks(99_900, 2, Market.KOSPI, on=PRE_2023) == 100_500
    assert add_ticks(99_900, 2, Market.KOSDAQ, on=PRE_2023) == 100_100
    assert add_ticks(1_995, 2, kind=SecurityKind.ETF) == 2_005


def test_add_ticks_refuses_off_grid_and_non_positive_results() -> None:
    with pytest.raises(InvalidPriceError, match="2,001원"):
        add_ticks(2_001, 1)
    with pytest.raises(InvalidPriceError, match="0원 이하"):
        add_ticks(1, -1)
    with pytest.raises(InvalidPriceError, match="0원 이하"):
        add_ticks(5, -1, kind=SecurityKind.ETF)
    with pytest.raises(InvalidPriceError, match="0원 이하"):
        add_ticks(2_005, -2_001)


# --- properties -------------------------------------------------------------------------

markets = st.sampled_from(list(Market))
kinds = st.sampled_from(list(SecurityKind))
eras = st.sampled_from([None, PRE_2023])
prices = st.integers(min_value=5, max_value=3_000_000)


@given(prices, markets, kinds, eras)
def test_rounding_gives_the_closest_valid_prices(
    price: int, market: Market, kind: SecurityKind, on: date | None
) -> None:
    down = round_to_tick(price, "down", market, kind, on)
    up = round_to_tick(price, "up", market, kind, on)
    nearest = round_to_tick(price, "nearest", market, kind, on)
    assert is_valid_price(down, market, kind, on)
    assert is_valid_price(up, market, kind, on)
    assert down <= price <= up
    assert nearest in (down, up)
    assert abs(nearest - price) <= min(price - down, up - price)
    if down != up:  # nothing valid strictly between them
        assert add_ticks(down, 1, market, kind, on) == up


@given(prices, markets, kinds, eras, st.integers(min_value=0, max_value=3_000))
def test_add_ticks_round_trips(
    raw: int, market: Market, kind: SecurityKind, on: date | None, n: int
) -> None:
    price = round_to_tick(raw, "down", market, kind, on)
    moved = add_ticks(price, n, market, kind, on)
    assert is_valid_price(moved, market, kind, on)
    assert moved >= price
    assert add_ticks(moved, -n, market, kind, on) == price


@given(st.integers(min_value=2, max_value=1_200_000), markets, eras)
def test_one_tick_is_the_next_valid_integer(raw: int, market: Market, on: date | None) -> None:
    price = round_to_tick(raw, "down", market, on=on)
    above = next(p for p in range(price + 1, price + 1_001) if is_valid_price(p, market, on=on))
    assert add_ticks(price, 1, market, on=on) == above
    if price > 1:
        below = next(p for p in range(price - 1, 0, -1) if is_valid_price(p, market, on=on))
        assert add_ticks(price, -1, market, on=on) == below
