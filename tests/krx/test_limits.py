"""Daily price limits: the four verified LS samples, the ±15% era, and properties."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stocklab.krx import (
    LIMIT_30_SINCE,
    InvalidPriceError,
    PriceLimits,
    add_ticks,
    is_valid_price,
    price_limits,
    round_to_tick,
)
from stocklab.model import Market, SecurityKind


@pytest.mark.parametrize("market", [Market.KOSPI, Market.KOSDAQ])
@pytest.mark.parametrize("on", [None, date(2024, 6, 3)])
@pytest.mark.parametrize(
    ("reference", "upper", "lower"),
    [
        (10_550, 13_710, 7_390),
        (107_900, 140_200, 75_600),
        (4_525, 5_880, 3_170),
        (4_555, 5_920, 3_190),
    ],
)
def test_verified_ls_samples(
    reference: int, upper: int, lower: int, market: Market, on: date | None
) -> None:
    assert price_limits(reference, market, on=on) == PriceLimits(lower=lower, upper=upper)


def test_limit_was_15_percent_before_2015_06_15() -> None:
    day_before = date(2015, 6, 12)
    assert date(2015, 6, 15) == LIMIT_30_SINCE
    # 10,550 × 1.15 = 12,132.5 → tick 50 → 12,100; × 0.85 = 8,967.5 → tick 10 → 8,970
    assert price_limits(10_550, on=day_before) == PriceLimits(lower=8_970, upper=12_100)
    assert price_limits(100_000, on=day_before) == PriceLimits(lower=85_000, upper=115_000)
    # From 2015-06-15: ±30%, still on the pre-2023 ticks (13,715 → tick 50 → 13,700)
    assert price_limits(10_550, on=LIMIT_30_SINCE) == PriceLimits(lower=7_390, upper=13_700)


def test_pre_2023_ticks_split_kospi_and_kosdaq() -> None:
    on = date(2022, 6, 1)
    # 107,900 × 1.3 = 140,270: KOSPI tick 500 → 140,000; KOSDAQ tick 100 → 140,200
    assert price_limits(107_900, Market.KOSPI, on=on) == PriceLimits(lower=75_600, upper=140_000)
    assert price_limits(107_900, Market.KOSDAQ, on=on) == PriceLimits(lower=75_600, upper=140_200)


def test_etf_limits_use_the_5_won_tick() -> None:
    # 10,555 × 1.3 = 13,721.5 → 13,720; × 0.7 = 7,388.5 → 7,390
    got = price_limits(10_555, kind=SecurityKind.ETF)
    assert got == PriceLimits(lower=7_390, upper=13_720)


def test_contains_includes_both_limits() -> None:
    limits = price_limits(10_550)
    assert limits.contains(13_710)
    assert limits.contains(7_390)
    assert limits.contains(10_550)
    assert not limits.contains(13_720)
    assert not limits.contains(7_380)


@pytest.mark.parametrize("bad", [0, -10_550, 10_550.0, True])
def test_bad_reference_is_refused(bad: object) -> None:
    with pytest.raises(InvalidPriceError, match="기준가"):
        price_limits(bad)  # type: ignore[arg-type]


@given(
    st.integers(min_value=10, max_value=3_000_000),
    st.sampled_from(list(Market)),
    st.sampled_from(list(SecurityKind)),
    st.sampled_from([None, date(2022, 6, 1), date(2015, 6, 12)]),
)
def test_limits_are_the_extreme_valid_prices_within_the_band(
    raw: int, market: Market, kind: SecurityKind, on: date | None
) -> None:
    ref = round_to_tick(raw, "down", market, kind, on)
    pct = 15 if on is not None and on < LIMIT_30_SINCE else 30
    limits = price_limits(ref, market, kind, on)
    assert limits.lower <= ref <= limits.upper
    assert is_valid_price(limits.lower, market, kind, on)
    assert is_valid_price(limits.upper, market, kind, on)
    # inside the exact band, and the next tick out is outside it
    assert limits.upper * 100 <= ref * (100 + pct)
    assert add_ticks(limits.upper, 1, market, kind, on) * 100 > ref * (100 + pct)
    assert limits.lower * 100 >= ref * (100 - pct)
    if limits.lower > 5:
        assert add_ticks(limits.lower, -1, market, kind, on) * 100 < ref * (100 - pct)
