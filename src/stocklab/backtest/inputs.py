"""What the compiled loop needs, as integer arrays built once before it runs.

The loop must not call Python per bar, so the market's rules that depend on the day are
looked up here per distinct day and per kind of instrument: the sell tax rate in force on
the settlement date (T+2 on the KRX calendar) and the tick table of the day. Codes are
aligned on one time axis (the union of their bar times) so that shared cash can walk
them in time order and every account's equity can be summed at each point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import numpy as np

from stocklab.barseries import BarSeries
from stocklab.krx import UNIFIED_TICK_SINCE, next_trading_day, trading_days, transaction_tax_rate
from stocklab.krx.exits import GRID_TOP
from stocklab.krx.fills import rate_units
from stocklab.krx.ticks import tick_table
from stocklab.model import Market, SecurityKind

_KST_OFFSET = 9 * 3600
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Listing:
    """Where a code trades and what it is: this decides its tick table and its sell tax."""

    market: Market = Market.KOSPI
    kind: SecurityKind = SecurityKind.STOCK


def time_axis(series: Sequence[BarSeries]) -> tuple[np.ndarray, np.ndarray]:
    """(every distinct bar time in order, each bar's position on it), codes concatenated.

    Codes with identical times (the usual case for daily bars) skip the sort.
    """
    first = series[0].ts
    if all(len(s) == len(first) and np.array_equal(s.ts, first) for s in series):
        return first, np.tile(np.arange(len(first), dtype=np.int64), len(series))
    stamps = np.concatenate([s.ts for s in series])
    axis = np.unique(stamps)
    return axis, np.searchsorted(axis, stamps).astype(np.int64)


def kst_days(ts: np.ndarray) -> np.ndarray:
    """Day numbers (days since 1970-01-01) of the KST dates of epoch-second timestamps."""
    return (np.asarray(ts, dtype=np.int64) + _KST_OFFSET) // 86_400


def day_of(number: int) -> date:
    return _EPOCH + timedelta(days=int(number))


def settlement_days(days: np.ndarray) -> np.ndarray:
    """T+2 of each day (sorted day numbers): the second KRX trading day after it.

    For a trading day this is `krx.settlement_date`; computed for a whole column at once
    from the calendar's list of trading days.
    """
    first, last = day_of(days[0]), day_of(days[-1])
    calendar = trading_days(first, next_trading_day(last, 2))
    numbers = np.array([(d - _EPOCH).days for d in calendar], dtype=np.int64)
    return numbers[np.searchsorted(numbers, days, side="right") + 1]


@cache
def _tax_units(settlement: int, market: Market, kind: SecurityKind) -> int:
    return rate_units(transaction_tax_rate(day_of(settlement), market, kind))


@dataclass(frozen=True, slots=True)
class MarketArrays:
    """Per code a class (a distinct listing); per class and axis point the sell tax rate
    (× 10⁸) and the tick table in force; the tick tables as padded band arrays."""

    classes: np.ndarray
    tax: np.ndarray
    table: np.ndarray
    floors: np.ndarray
    ticks: np.ndarray


def market_arrays(axis: np.ndarray, listings: Sequence[Listing]) -> MarketArrays:
    distinct = sorted(set(listings), key=lambda x: (x.market.value, x.kind.value))
    classes = np.array([distinct.index(x) for x in listings], dtype=np.int64)
    days = kst_days(axis)
    unique_days, day_index = np.unique(days, return_inverse=True)
    settle = settlement_days(unique_days)
    unique_settle, settle_index = np.unique(settle, return_inverse=True)
    tax = np.empty((len(distinct), len(axis)), dtype=np.int64)
    table = np.empty((len(distinct), len(axis)), dtype=np.int64)
    tables: list[tuple[tuple[int, int], ...]] = []
    unified = days >= (UNIFIED_TICK_SINCE - _EPOCH).days
    for c, listing in enumerate(distinct):
        units = np.array(
            [_tax_units(int(s), listing.market, listing.kind) for s in unique_settle],
            dtype=np.int64,
        )
        tax[c] = units[settle_index][day_index]
        ids = []
        for on in (date(2000, 1, 4), None):
            bands = tick_table(listing.market, listing.kind, on)
            if bands not in tables:
                tables.append(bands)
            ids.append(tables.index(bands))
        table[c] = np.where(unified, ids[1], ids[0])
    width = max(len(b) for b in tables) + 1
    floors = np.full((len(tables), width), GRID_TOP, dtype=np.int64)
    ticks = np.ones((len(tables), width), dtype=np.int64)
    for t, bands in enumerate(tables):
        floors[t, : len(bands)] = [low for low, _ in bands]
        ticks[t, : len(bands)] = [tick for _, tick in bands]
    return MarketArrays(classes, tax, table, floors, ticks)
