"""KRX tick sizes (호가가격단위): which prices an order may carry.

KRX rejects an order whose price is off the tick grid, so the simulator, the paper
broker and the backtester must snap prices exactly as the exchange does. The
grid changed on 2023-01-25; backtests over older history need the old one.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from stocklab.krx.checks import (
    FUND_KINDS,
    InvalidPriceError,
    check_date,
    check_int,
    check_kind,
    check_market,
    check_price,
)
from stocklab.model import Market, SecurityKind

UNIFIED_TICK_SINCE = date(2023, 1, 25)
"""First day of the tick table shared by KOSPI, KOSDAQ and KONEX."""

Direction = Literal["down", "up", "nearest"]

# A tick table: (lowest price of the band, tick) in ascending order; the first band starts
# at 0. Every band's lower bound is a multiple of its own tick and of the tick below it,
# which is what lets rounding and stepping work band by band.
_Bands = tuple[tuple[int, int], ...]

_UNIFIED: _Bands = (
    (0, 1),
    (2_000, 5),
    (5_000, 10),
    (20_000, 50),
    (50_000, 100),
    (200_000, 500),
    (500_000, 1_000),
)
_PRE2023_KOSPI: _Bands = (
    (0, 1),
    (1_000, 5),
    (5_000, 10),
    (10_000, 50),
    (50_000, 100),
    (100_000, 500),
    (500_000, 1_000),
)
_PRE2023_KOSDAQ: _Bands = (
    (0, 1),
    (1_000, 5),
    (5_000, 10),
    (10_000, 50),
    (50_000, 100),  # KOSDAQ stayed at 100 KRW for every price ≥ 50,000
)
_FUND: _Bands = ((0, 5),)  # ETF, ETN, ELW: 5 KRW at every price, in both eras


def tick_table(market: object, kind: object, on: date | None) -> _Bands:
    """The (band floor, tick) table in force for this market, kind and day."""
    market, kind = check_market(market), check_kind(kind)
    if kind in FUND_KINDS:
        return _FUND
    if on is None or check_date(on, "기준일") >= UNIFIED_TICK_SINCE:
        return _UNIFIED
    # Assumption: before 2023 KONEX followed the KOSDAQ column (the fact sheet gives only
    # KOSPI and KOSDAQ; KONEX prices ≥ 50,000 are rare enough that this rarely matters).
    return _PRE2023_KOSPI if market is Market.KOSPI else _PRE2023_KOSDAQ


def _band_of(bands: _Bands, price: int) -> tuple[int, int, int | None]:
    """(lowest price, tick, first price of the next band or None) of the band holding price."""
    for i in range(len(bands) - 1, -1, -1):
        low, tick = bands[i]
        if price >= low:
            return low, tick, bands[i + 1][0] if i + 1 < len(bands) else None
    raise AssertionError("unreachable: the first band starts at 0")


def tick_size(
    price: int,
    market: Market = Market.KOSPI,
    kind: SecurityKind = SecurityKind.STOCK,
    on: date | None = None,
) -> int:
    """The tick of the band that holds `price` (current table when `on` is None)."""
    bands = tick_table(market, kind, on)
    return _band_of(bands, check_price(price))[1]


def is_valid_price(
    price: int,
    market: Market = Market.KOSPI,
    kind: SecurityKind = SecurityKind.STOCK,
    on: date | None = None,
) -> bool:
    """True if an order may carry this price; False for prices ≤ 0, error for non-integers."""
    bands = tick_table(market, kind, on)
    value = check_int(price, "가격")
    if value <= 0:
        return False
    low, tick, _ = _band_of(bands, value)
    return (value - low) % tick == 0


def round_to_tick(
    price: int,
    direction: Direction = "down",
    market: Market = Market.KOSPI,
    kind: SecurityKind = SecurityKind.STOCK,
    on: date | None = None,
) -> int:
    """Snap a price onto the grid; rounding up may land on the next band's first price.

    "nearest" breaks ties upwards. Rounding down below the lowest tick (an ETF at 3 KRW)
    has no valid answer and raises.
    """
    if direction not in ("down", "up", "nearest"):
        raise ValueError(f"반올림 방향 {direction!r}는 올바르지 않습니다 (허용: down, up, nearest)")
    bands = tick_table(market, kind, on)
    value = check_price(price)
    low, tick, high = _band_of(bands, value)
    down = low + (value - low) // tick * tick
    if down == value:
        return value
    up = down + tick if high is None else min(down + tick, high)
    if direction == "up" or (direction == "nearest" and (down == 0 or up - value <= value - down)):
        return up
    if down == 0:
        raise InvalidPriceError(
            f"가격 {value:,}원은 최소 호가 {tick:,}원보다 작아 아래로 맞출 수 없습니다"
        )
    return down


def add_ticks(
    price: int,
    n: int,
    market: Market = Market.KOSPI,
    kind: SecurityKind = SecurityKind.STOCK,
    on: date | None = None,
) -> int:
    """Move `n` ticks from a valid price, each step using the tick of the band it crosses.

    One tick above 1,999 is 2,000 and above 2,000 is 2,005; one below 2,000 is 1,999.
    Whole bands are jumped at once, so large `n` stays cheap.
    """
    bands = tick_table(market, kind, on)
    value = check_price(price)
    steps = check_int(n, "틱 수")
    if not is_valid_price(value, market, kind, on):
        raise InvalidPriceError(
            f"가격 {value:,}원은 호가 단위에 맞지 않습니다 "
            f"(가까운 호가: {round_to_tick(value, 'nearest', market, kind, on):,}원); "
            "add_ticks에는 유효한 호가를 넣으세요"
        )
    current = value
    while steps > 0:  # up: the tick of the band we stand in
        _, tick, high = _band_of(bands, current)
        if high is None:
            return current + steps * tick
        room = (high - current) // tick
        if steps <= room:
            return current + steps * tick
        current, steps = high, steps - room
    while steps < 0:  # down: the tick of the band just below us
        low, tick, _ = _band_of(bands, current - 1)
        room = (current - low) // tick
        if low == 0 and -steps >= room:
            raise InvalidPriceError(
                f"가격 {value:,}원에서 {n}틱 움직이면 0원 이하가 됩니다 (최저 호가 {tick:,}원)"
            )
        if -steps <= room:
            return current + steps * tick
        current, steps = low, steps + room
    return current
