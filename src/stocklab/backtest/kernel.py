"""The order and fill loop, compiled with numba: one pass over every bar, integers only.

The prices an order gets, the shares a bar can give and the fees are `krx.fills`' own
functions (`match_price`, `fillable`, `fee`) compiled unchanged, so a backtest fills and
charges exactly as the paper broker does; a position's size, take-profit and stop levels
and holding limit are `krx.exits`' functions, compiled the same way, so it is sized and
closed exactly as the paper trader does it. Everything that needs Python (the calendar,
the tax table, tick tables) is turned into integer arrays beforehand (`backtest.inputs`).

How one bar i of one code is processed, in this order:
1. Sell. A pending market sell (an exit signal, the holding limit, a triggered stop)
   fills at the open. Otherwise the resting exits meet the bar: a take-profit limit sell
   fills at the open if the bar opens at or above it, a stop sell at the open if the bar
   opens at or below it; if the open lies between them and the bar reaches both, the
   stop is assumed to come first (the pessimistic reading of a bar); else the target
   fills at its price when the high reaches it, the stop at its price when the low does.
   A sell takes at most the bar's participation share; the rest waits (a triggered
   stop waits as a market order). A sell cancels what is left of a buy.
2. Buy, if nothing was sold: a pending market buy fills at the open. Its size is set at
   the first bar that can fill anything (a bar with volume): `all_in` is
   floor(cash / (open × (1 + commission))) shares, `cash` the same for min(size, cash),
   `qty` a fixed count; every fill is also capped by what the cash pays for, commission
   included. What the participation cap leaves waits for the next bar's open. The first
   fill sets the take-profit and stop levels (on the tick grid of that day).
3. Decide at the close, from the strategy's signals of this bar: an exit signal (or the
   holding limit) queues a market sell for the next bar and cancels a pending buy; an
   entry signal when flat queues a market buy for the next bar. Signals of a bar never
   fill on that bar.
"""

from __future__ import annotations

import types
from types import ModuleType
from typing import Any

import numba
import numpy as np
from numba.typed import List

from stocklab.backtest.layout import (
    C_COMMISSION,
    C_MAX_HOLD,
    C_PARTICIPATION,
    C_SIZE,
    C_SIZING,
    C_SL_UNITS,
    C_TP_TICKS,
    C_TP_UNITS,
    F_BAR,
    F_CODE,
    F_COMMISSION,
    F_PRICE,
    F_QTY,
    F_REASON,
    F_SIDE,
    F_TAX,
    MAX_HOLDING,
    SIGNAL,
    STILL_OPEN,
    STOP_LOSS,
    T_BOUGHT,
    T_CODE,
    T_COMMISSION,
    T_ENTRY,
    T_EXIT,
    T_QTY,
    T_REASON,
    T_SOLD,
    T_TAX,
    TAKE_PROFIT,
)
from stocklab.krx import exits as _exits
from stocklab.krx import fills as _fills


def _compiled(module: ModuleType, *names: str) -> dict[str, Any]:
    """The functions `names` of `module` compiled with numba, unchanged: each is compiled in
    a copy of the module's namespace in which the functions it calls are the compiled ones
    (numba calls only compiled functions), so the module itself stays plain Python."""
    scope = dict(vars(module))
    for name in names:
        fn = scope[name]
        clone = types.FunctionType(fn.__code__, scope, name, fn.__defaults__)
        scope[name] = numba.njit(cache=True)(clone)
    return {name: scope[name] for name in names}


_fill_model = _compiled(_fills, "match_price", "fillable", "match_stop", "fee")
match_price = _fill_model["match_price"]
fillable = _fill_model["fillable"]
match_stop = _fill_model["match_stop"]
fee = _fill_model["fee"]
_rules = _compiled(
    _exits,
    "band",
    "tick_up",
    "tick_down",
    "ticks_above",
    "take_profit_level",
    "stop_level",
    "held_too_long",
    "fits",
    "affordable",
    "entry_size",
)
take_profit_level = _rules["take_profit_level"]
stop_level = _rules["stop_level"]
held_too_long = _rules["held_too_long"]
affordable = _rules["affordable"]
entry_size = _rules["entry_size"]

RATE_SCALE = _fills.RATE_SCALE
BUY, SELL, MARKET, LIMIT = _fills.BUY, _fills.SELL, _fills.MARKET, _fills.LIMIT

Bars = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""open, high, low, close, volume of every code, concatenated (int64)."""
Outcome = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""equity, invested, fills, trades, cash, positions."""

# per-code state columns
_POS, _BUY, _LEFT, _SELL, _TP, _SL, _ENTRY = 0, 1, 2, 3, 4, 5, 6
_QTY, _BOUGHT, _SOLD, _COMM, _TAX = 7, 8, 9, 10, 11
_N_STATE = 12
_NEW, _LIVE = 1, 2
"""A queued buy not yet sized; a sized buy with shares left."""


@numba.njit(cache=True)
def _levels(
    price: int, cfg: np.ndarray, floors: np.ndarray, ticks: np.ndarray, t: int
) -> tuple[int, int]:
    """(take-profit, stop) prices for a position entered at `price`; 0 where unset."""
    return (
        take_profit_level(price, cfg[C_TP_TICKS], cfg[C_TP_UNITS], floors[t], ticks[t]),
        stop_level(price, cfg[C_SL_UNITS], floors[t], ticks[t]),
    )


# -- one bar of one code ----------------------------------------------------------------
# Inlined into the loops, which call them only on bars where there is something to do (a
# position, an order, a signal): handing arrays to a function costs reference counting,
# which on every one of a million bars would be most of the run time.


@numba.njit(cache=True, inline="always")
def _exit_price(target: int, stop: int, o: int, h: int, lo: int) -> tuple[int, int]:
    """(price, reason) at which the resting exits meet a bar; (0, 0) when neither does."""
    if target > 0 and o >= target:
        return match_price(SELL, LIMIT, target, o, h, lo), TAKE_PROFIT
    if stop > 0 and lo <= stop:
        return match_stop(SELL, stop, o, h, lo), STOP_LOSS
    if target > 0:
        price = match_price(SELL, LIMIT, target, o, h, lo)
        if price > 0:
            return price, TAKE_PROFIT
    return 0, 0


@numba.njit(cache=True, inline="always")
def _sell(
    st: np.ndarray, k: int, o: int, h: int, lo: int, v: int, cfg: np.ndarray
) -> tuple[int, int, int]:
    """Step 1: (shares, price, reason) that code k sells in this bar; 0 shares for none."""
    pos = st[k, _POS]
    if pos == 0:
        return 0, 0, 0
    reason = st[k, _SELL]
    if reason != 0:
        price = match_price(SELL, MARKET, 0, o, h, lo)
    else:
        price, reason = _exit_price(st[k, _TP], st[k, _SL], o, h, lo)
        if price == 0:
            return 0, 0, 0
        if reason == STOP_LOSS:
            st[k, _SELL] = STOP_LOSS  # a triggered stop is a market order from now on
    return fillable(pos, v, cfg[C_PARTICIPATION], 0), price, reason


@numba.njit(cache=True, inline="always")
def _buy(
    st: np.ndarray, k: int, cash: int, o: int, h: int, lo: int, v: int, cfg: np.ndarray
) -> tuple[int, int]:
    """Step 2: (shares, price) that code k buys in this bar, sizing a new order first."""
    if st[k, _BUY] == 0 or fillable(1, v, cfg[C_PARTICIPATION], 0) == 0:
        return 0, 0
    price = match_price(BUY, MARKET, 0, o, h, lo)
    afford = affordable(cash, price, cfg[C_COMMISSION])
    if st[k, _BUY] == _NEW:
        st[k, _LEFT] = entry_size(cfg[C_SIZING], cfg[C_SIZE], cash, price, cfg[C_COMMISSION])
        st[k, _BUY] = _LIVE
    qty = fillable(min(st[k, _LEFT], afford), v, cfg[C_PARTICIPATION], 0)
    if qty == 0:  # the cash pays for no share: the order is dropped
        st[k, _BUY] = 0
        st[k, _LEFT] = 0
    return qty, price


@numba.njit(cache=True, inline="always")
def _decide(k: int, i: int, entry: bool, exit_: bool, st: np.ndarray, cfg: np.ndarray) -> None:
    """Step 3: what the signals of bar i's close ask for at the next bar."""
    holding = st[k, _POS] > 0
    if holding or st[k, _BUY] != 0:
        if exit_:
            st[k, _BUY] = 0
            st[k, _LEFT] = 0
            if holding and st[k, _SELL] == 0:
                st[k, _SELL] = SIGNAL
        elif (
            holding and st[k, _SELL] == 0 and held_too_long(i - st[k, _ENTRY] + 1, cfg[C_MAX_HOLD])
        ):
            st[k, _SELL] = MAX_HOLDING
    elif entry:
        st[k, _BUY] = _NEW


@numba.njit(cache=True)
def _new_book(n_bars: int) -> tuple[List, np.ndarray]:
    """The fill and trade tables (grown in place, so no loop carries them) and their counts.

    A table that is reassigned inside the bar loop would be reference-counted on every bar.
    """
    tables = List()
    tables.append(np.empty((max(64, n_bars // 16), 8), np.int64))
    tables.append(np.empty((max(64, n_bars // 32), 9), np.int64))
    return tables, np.zeros(2, np.int64)


@numba.njit(cache=True)
def _row(tables: List, counts: np.ndarray, which: int) -> np.ndarray:
    """The table `which` (0 fills, 1 trades) with room for one more row, counted."""
    table = tables[which]
    n = counts[which]
    if n == table.shape[0]:
        bigger = np.empty((2 * n, table.shape[1]), np.int64)
        bigger[:n] = table
        tables[which] = bigger
        table = bigger
    counts[which] = n + 1
    return table


@numba.njit(cache=True)
def _sold(
    tables: List, counts: np.ndarray, st: np.ndarray, cash: np.ndarray, acct: int, k: int,
    i: int, qty: int, price: int, reason: int, tax: int, cfg: np.ndarray,
) -> None:  # fmt: skip
    """Book a sale: cash, position, the fill, and the trade when the position is gone."""
    amount = qty * price
    commission = fee(amount, cfg[C_COMMISSION])
    levy = fee(amount, tax)
    cash[acct] += amount - commission - levy
    st[k, _POS] -= qty
    st[k, _BUY] = 0  # a sale cancels what is left of a buy
    st[k, _LEFT] = 0
    st[k, _SOLD] += amount
    st[k, _COMM] += commission
    st[k, _TAX] += levy
    n = counts[0]
    _fill_row(_row(tables, counts, 0), n, k, i, SELL, qty, price, commission, levy, reason)
    if st[k, _POS] == 0:
        n = counts[1]
        _close(_row(tables, counts, 1), n, st, k, i, reason)
        st[k, :] = 0


@numba.njit(cache=True)
def _bought(
    tables: List, counts: np.ndarray, st: np.ndarray, cash: np.ndarray, acct: int, k: int,
    i: int, qty: int, price: int, cfg: np.ndarray, floors: np.ndarray, ticks: np.ndarray,
    table: int,
) -> None:  # fmt: skip
    """Book a purchase; the first one of a position sets its exit levels."""
    amount = qty * price
    commission = fee(amount, cfg[C_COMMISSION])
    cash[acct] -= amount + commission
    if st[k, _POS] == 0:
        st[k, _ENTRY] = i
        st[k, _TP], st[k, _SL] = _levels(price, cfg, floors, ticks, table)
    st[k, _POS] += qty
    st[k, _LEFT] -= qty
    if st[k, _LEFT] == 0:
        st[k, _BUY] = 0
    st[k, _QTY] += qty
    st[k, _BOUGHT] += amount
    st[k, _COMM] += commission
    n = counts[0]
    _fill_row(_row(tables, counts, 0), n, k, i, BUY, qty, price, commission, 0, 0)


@numba.njit(cache=True)
def _fill_row(
    fills: np.ndarray, n: int, k: int, i: int, side: int, qty: int, price: int,
    commission: int, tax: int, reason: int,
) -> None:  # fmt: skip
    fills[n, F_CODE], fills[n, F_BAR], fills[n, F_SIDE] = k, i, side
    fills[n, F_QTY], fills[n, F_PRICE] = qty, price
    fills[n, F_COMMISSION], fills[n, F_TAX], fills[n, F_REASON] = commission, tax, reason


@numba.njit(cache=True)
def _close(trades: np.ndarray, nt: int, st: np.ndarray, k: int, i: int, reason: int) -> None:
    trades[nt, T_CODE], trades[nt, T_ENTRY], trades[nt, T_EXIT] = k, st[k, _ENTRY], i
    trades[nt, T_QTY], trades[nt, T_BOUGHT], trades[nt, T_SOLD] = (
        st[k, _QTY],
        st[k, _BOUGHT],
        st[k, _SOLD],
    )
    trades[nt, T_COMMISSION], trades[nt, T_TAX], trades[nt, T_REASON] = (
        st[k, _COMM],
        st[k, _TAX],
        reason,
    )


@numba.njit(cache=True)
def _finish(tables: List, counts: np.ndarray, st: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The tables cut to size; positions held at the end become trades with no exit."""
    for k in range(st.shape[0]):
        if st[k, _POS] > 0:
            n = counts[1]
            _close(_row(tables, counts, 1), n, st, k, -1, STILL_OPEN)
    return tables[0][: counts[0]], tables[1][: counts[1]]


# -- the two account models --------------------------------------------------------------


@numba.njit(cache=True)
def run_accounts(
    offsets: np.ndarray, bars: Bars, entries: np.ndarray, exits: np.ndarray, axis: np.ndarray,
    cls: np.ndarray, tax_axis: np.ndarray, table_axis: np.ndarray, floors: np.ndarray,
    ticks: np.ndarray, cfg: np.ndarray, initial: int, n_axis: int,
) -> Outcome:  # fmt: skip
    """Per-code accounts: every code trades its own `initial` cash; codes one after another.

    Returns (equity, invested) on the common time axis (the sum over accounts, each held
    at its last value between its bars), the fill and trade tables, and per code its
    final cash and final position.
    """
    o, h, lo, close, v = bars
    n_codes = len(offsets) - 1
    st = np.zeros((n_codes, _N_STATE), np.int64)
    cash = np.full(n_codes, initial, np.int64)
    d_equity = np.zeros(n_axis, np.int64)
    d_invested = np.zeros(n_axis, np.int64)
    tables, counts = _new_book(offsets[-1])
    for k in range(n_codes):
        c = cls[k]
        last_equity = initial
        last_value = 0
        for i in range(offsets[k], offsets[k + 1]):
            a = axis[i]
            sold = False
            if st[k, _POS] > 0:
                qty, price, reason = _sell(st, k, o[i], h[i], lo[i], v[i], cfg)
                if qty > 0:
                    _sold(
                        tables, counts, st, cash, k, k, i, qty, price, reason, tax_axis[c, a], cfg
                    )
                    sold = True
            if not sold and st[k, _BUY] != 0:
                qty, price = _buy(st, k, cash[k], o[i], h[i], lo[i], v[i], cfg)
                if qty > 0:
                    _bought(
                        tables, counts, st, cash, k, k, i, qty, price, cfg, floors, ticks,
                        table_axis[c, a],
                    )  # fmt: skip
            if entries[i] or exits[i] or (st[k, _POS] > 0 and cfg[C_MAX_HOLD] > 0):
                _decide(k, i, entries[i], exits[i], st, cfg)
            value = st[k, _POS] * close[i]
            d_equity[a] += cash[k] + value - last_equity
            d_invested[a] += value - last_value
            last_equity = cash[k] + value
            last_value = value
    positions = st[:, _POS].copy()
    fills, trades = _finish(tables, counts, st)
    equity = np.cumsum(d_equity) + n_codes * initial
    return equity, np.cumsum(d_invested), fills, trades, cash, positions


@numba.njit(cache=True)
def run_shared(
    offsets: np.ndarray, bars: Bars, entries: np.ndarray, exits: np.ndarray, axis: np.ndarray,
    cls: np.ndarray, tax_axis: np.ndarray, table_axis: np.ndarray, floors: np.ndarray,
    ticks: np.ndarray, cfg: np.ndarray, initial: int, n_axis: int,
) -> Outcome:  # fmt: skip
    """Shared cash: one account for every code, walked in time order along the axis.

    At each time, every code's sells come first (their proceeds are available at once),
    then the buys in code order, then the decisions. Returns what `run_accounts` does,
    with one cash figure.
    """
    o, h, lo, close, v = bars
    n_codes = len(offsets) - 1
    st = np.zeros((n_codes, _N_STATE), np.int64)
    cash = np.full(1, initial, np.int64)
    values = np.zeros(n_codes, np.int64)
    sold = np.zeros(n_codes, np.bool_)
    cursor = offsets[:-1].copy()
    equity = np.empty(n_axis, np.int64)
    invested = np.empty(n_axis, np.int64)
    tables, counts = _new_book(offsets[-1])
    total = 0
    for a in range(n_axis):
        for k in range(n_codes):
            i = cursor[k]
            sold[k] = False
            if i < offsets[k + 1] and axis[i] == a and st[k, _POS] > 0:
                qty, price, reason = _sell(st, k, o[i], h[i], lo[i], v[i], cfg)
                if qty > 0:
                    _sold(
                        tables, counts, st, cash, 0, k, i, qty, price, reason,
                        tax_axis[cls[k], a], cfg,
                    )  # fmt: skip
                    sold[k] = True
        for k in range(n_codes):
            i = cursor[k]
            if i < offsets[k + 1] and axis[i] == a and not sold[k] and st[k, _BUY] != 0:
                qty, price = _buy(st, k, cash[0], o[i], h[i], lo[i], v[i], cfg)
                if qty > 0:
                    _bought(
                        tables, counts, st, cash, 0, k, i, qty, price, cfg, floors, ticks,
                        table_axis[cls[k], a],
                    )  # fmt: skip
        for k in range(n_codes):
            i = cursor[k]
            if i < offsets[k + 1] and axis[i] == a:
                if entries[i] or exits[i] or (st[k, _POS] > 0 and cfg[C_MAX_HOLD] > 0):
                    _decide(k, i, entries[i], exits[i], st, cfg)
                value = st[k, _POS] * close[i]
                total += value - values[k]
                values[k] = value
                cursor[k] = i + 1
        equity[a] = cash[0] + total
        invested[a] = total
    positions = st[:, _POS].copy()
    fills, trades = _finish(tables, counts, st)
    return equity, invested, fills, trades, cash, positions
