"""The order-level rules of a strategy: where a position takes profit or stops, when it has
been held long enough, and how many shares an entry buys.

The backtester and the paper trader both use these functions, so a position opened in a
backtest is sized, targeted, stopped and timed out exactly as on paper. Like the core of
`krx.fills`, they take and return plain integers — the tick grid of a day travels as two
integer sequences (`grid`) — so the backtest kernel compiles the very same source with
numba for its loop while the trader calls it as ordinary Python.

The rules (`trading.strategy.Rules` declares them per strategy):
- take profit `take_profit_ticks` ticks above the entry price, each step in the tick of
  the band it is in, or `take_profit_pct` above it rounded up onto the grid; the lower of
  the two when both are set;
- stop `stop_loss_pct` below the entry, floored to the won, then rounded down onto the
  grid (none when no price is left below);
- both levels on the tick grid of the day the position was entered;
- holding limit: a position held for `max_holding_bars` bars, counting the bar it was
  entered in, is sold at the next bar;
- sizing: `all_in` buys the most shares the cash pays for at the price, commission
  included (floor(cash / (price × (1 + commission rate)))); `cash` the same for
  min(`size`, cash); `qty` `size` shares. No order buys more than the cash pays for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import cache

from stocklab.krx.fills import RATE_SCALE, rate_units
from stocklab.krx.ticks import tick_table
from stocklab.model import Market, SecurityKind

ALL_IN, CASH, QTY = 0, 1, 2
"""Sizing rules (`Rules.sizing`) as integers."""
SIZING = {"all_in": ALL_IN, "cash": CASH, "qty": QTY}
UNSET = -1
"""A percentage level that is not set (0 is a valid rate)."""
GRID_TOP = (2**63 - 1) // 4
"""Floor of the band past the last one: no price reaches it, and adding a tick cannot
overflow int64."""

Grid = tuple[tuple[int, ...], tuple[int, ...]]
"""(band floors, ticks) of one tick table; the floors end with `GRID_TOP`."""


@cache
def grid(
    market: Market = Market.KOSPI,
    kind: SecurityKind = SecurityKind.STOCK,
    on: date | None = None,
) -> Grid:
    """The tick grid in force for this market, kind and day (the current one for None)."""
    bands = tick_table(market, kind, on)
    return (*(low for low, _ in bands), GRID_TOP), (*(tick for _, tick in bands), 1)


def units(rate: Decimal | None) -> int:
    """A percentage level as the functions below take it: the rate × 10⁸, `UNSET` for none."""
    return UNSET if rate is None else rate_units(rate)


# -- the core: integers in, integers out (numba compiles these unchanged) --------------------


def band(floors: Sequence[int], price: int) -> int:
    """The index of the band that holds `price`."""
    b = 0
    while price >= floors[b + 1]:
        b += 1
    return b


def tick_up(floors: Sequence[int], ticks: Sequence[int], price: int) -> int:
    """The lowest valid price at or above `price`."""
    b = band(floors, price)
    low, tick = floors[b], ticks[b]
    down = low + (price - low) // tick * tick
    return price if down == price else min(down + tick, floors[b + 1])


def tick_down(floors: Sequence[int], ticks: Sequence[int], price: int) -> int:
    """The highest valid price at or below `price` (0 when there is none)."""
    if price <= 0:
        return 0
    b = band(floors, price)
    return floors[b] + (price - floors[b]) // ticks[b] * ticks[b]


def ticks_above(floors: Sequence[int], ticks: Sequence[int], price: int, n: int) -> int:
    """The n-th valid price above `price`, each step in the tick of the band it is in."""
    for _ in range(n):
        b = band(floors, price)
        step = floors[b] + ((price - floors[b]) // ticks[b] + 1) * ticks[b]
        price = min(step, floors[b + 1])
    return price


def take_profit_level(
    entry: int, n_ticks: int, pct_units: int, floors: Sequence[int], ticks: Sequence[int]
) -> int:
    """The take-profit price of a position entered at `entry`; 0 when there is none.

    `n_ticks` ticks above (none when 0); `pct_units` (the rate × 10⁸, `UNSET` for none)
    above, rounded up onto the grid; the lower of the two when both are set.
    """
    target = 0
    if n_ticks > 0:
        target = ticks_above(floors, ticks, entry, n_ticks)
    if pct_units != UNSET:
        raw = -(-entry * (RATE_SCALE + pct_units) // RATE_SCALE)
        pct = tick_up(floors, ticks, raw)
        target = pct if target == 0 else min(target, pct)
    return target


def stop_level(entry: int, pct_units: int, floors: Sequence[int], ticks: Sequence[int]) -> int:
    """The stop price of a position entered at `entry`; 0 when there is none.

    `pct_units` (the rate × 10⁸, `UNSET` for none) below, floored to the won, rounded down
    onto the grid.
    """
    if pct_units == UNSET:
        return 0
    return tick_down(floors, ticks, entry * (RATE_SCALE - pct_units) // RATE_SCALE)


def held_too_long(held_bars: int, max_holding_bars: int) -> bool:
    """Whether a position held `held_bars` bars (the entry bar is the first) is due to be
    sold at the next bar; a limit of 0 means none."""
    return max_holding_bars > 0 and held_bars >= max_holding_bars


def fits(qty: int, cash: int, price: int, commission: int) -> bool:
    """qty × price × (1 + commission rate) ≤ cash, exactly, without overflowing int64."""
    amount = qty * price
    if amount > cash:
        return False
    return -(-(amount * commission) // RATE_SCALE) <= cash - amount


def affordable(cash: int, price: int, commission: int) -> int:
    """floor(cash / (price × (1 + commission rate))): the most shares the cash pays for."""
    if cash <= 0:
        return 0
    qty = int(cash / (price * (1.0 + commission / RATE_SCALE)))  # a guess, then exact
    while qty > 0 and not fits(qty, cash, price, commission):
        qty -= 1
    while fits(qty + 1, cash, price, commission):
        qty += 1
    return qty


def entry_size(sizing: int, size: int, cash: int, price: int, commission: int) -> int:
    """Shares an entry asks for at `price` with `cash` to spend (before the cap of what the
    cash pays for, which `qty` sizing can exceed)."""
    if sizing == ALL_IN:
        return affordable(cash, price, commission)
    if sizing == CASH:
        return affordable(min(size, cash), price, commission)
    return size
