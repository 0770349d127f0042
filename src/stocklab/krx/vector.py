"""The tick and price-limit rules over numpy arrays, for simulators and backtests.

The scalar functions in `ticks` and `limits` are the reference; these give the same
answers for whole columns at once (the tests check them against each other), because
a simulated market or a backtest applies the rules to millions of prices.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Literal

import numpy as np

from stocklab.krx.limits import LIMIT_30_SINCE
from stocklab.krx.ticks import UNIFIED_TICK_SINCE, tick_table
from stocklab.model import Market, SecurityKind

_BIG = np.iinfo(np.int64).max


@cache
def _arrays(market: Market, kind: SecurityKind, unified: bool) -> tuple[np.ndarray, ...]:
    """(band floors, ticks, next band floors) of one tick table, built once."""
    table = tick_table(market, kind, None if unified else date(2000, 1, 4))
    floors = np.array([low for low, _ in table], dtype=np.int64)
    ticks = np.array([tick for _, tick in table], dtype=np.int64)
    return floors, ticks, np.append(floors[1:], _BIG)


def _table(market: Market, kind: SecurityKind, on: date | None) -> tuple[np.ndarray, ...]:
    return _arrays(Market(market), SecurityKind(kind), on is None or on >= UNIFIED_TICK_SINCE)


def tick_sizes(
    prices: np.ndarray,
    market: Market = Market.KOSPI,
    kind: SecurityKind = SecurityKind.STOCK,
    on: date | None = None,
) -> np.ndarray:
    """The tick of each price's band (prices must be positive integers)."""
    floors, ticks, _ = _table(market, kind, on)
    return ticks[np.searchsorted(floors, np.asarray(prices, dtype=np.int64), side="right") - 1]


def round_to_ticks(
    prices: np.ndarray,
    direction: Literal["down", "up", "nearest"] = "nearest",
    market: Market = Market.KOSPI,
    kind: SecurityKind = SecurityKind.STOCK,
    on: date | None = None,
) -> np.ndarray:
    """Snap each price onto the grid, like `ticks.round_to_tick`; results are at least one tick."""
    floors, ticks, nexts = _table(market, kind, on)
    p = np.maximum(np.asarray(prices, dtype=np.int64), 1)
    band = np.searchsorted(floors, p, side="right") - 1
    low, tick, high = floors[band], ticks[band], nexts[band]
    down = low + (p - low) // tick * tick
    up = np.minimum(np.where(down == p, p, down + tick), high)
    if direction == "down":
        out = down
    elif direction == "up":
        out = up
    else:
        out = np.where(up - p <= p - down, up, down)
    return np.where(out <= 0, up, out)


def price_limit_arrays(
    references: np.ndarray,
    market: Market = Market.KOSPI,
    kind: SecurityKind = SecurityKind.STOCK,
    on: date | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) daily limits for each reference price, like `limits.price_limits`."""
    ref = np.asarray(references, dtype=np.int64)
    pct = 30 if on is None or on >= LIMIT_30_SINCE else 15
    upper_raw = ref * (100 + pct) // 100
    lower_raw = -(-ref * (100 - pct) // 100)
    return (
        round_to_ticks(lower_raw, "up", market, kind, on),
        round_to_ticks(upper_raw, "down", market, kind, on),
    )
