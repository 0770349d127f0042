"""Minute bars and the 10-level book of one simulated code on one day.

Minute bars are drawn as a Brownian bridge from the day's open to its close, stretched so
that it touches the day's high and low exactly and snapped to the tick grid, so the
minutes always add up to the daily bar: first open, last close, max high, min low, and
the sum of volumes. The closing call auction is one bar at the close time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from stocklab.krx import Session
from stocklab.krx.vector import round_to_ticks, tick_sizes
from stocklab.model import BookLevel, Market, SecurityKind

AUCTION = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class DayBar:
    open: int
    high: int
    low: int
    close: int
    volume: int


def minute_times(session: Session) -> list[datetime]:
    """Start times of the continuous-session minutes, then the closing auction's bar."""
    minutes = int((session.close - AUCTION - session.open).total_seconds() // 60)
    return [session.open + timedelta(minutes=k) for k in range(minutes)] + [session.close]


def minute_path(
    bar: DayBar,
    n: int,
    rng: np.random.Generator,
    market: Market,
    kind: SecurityKind,
    day: date,
) -> tuple[np.ndarray, ...]:
    """OHLCV arrays of `n` continuous minutes plus the auction bar that match `bar`."""
    o, h, lo, c = bar.open, bar.high, bar.low, bar.close
    steps = rng.standard_normal(n)
    walk = np.concatenate(([0.0], np.cumsum(steps)))
    k = np.arange(n + 1) / n
    bridge = walk - k * walk[-1]
    x = o + (c - o) * k + bridge * max(h - lo, 1) / 4
    top, bottom = max(o, c), min(o, c)
    above, below = x > top, x < bottom
    interior = np.arange(1, n)
    if h > top:
        if not above[1:-1].any():
            x[int(rng.choice(interior))] = h
            above = x > top
        x[above] = top + (x[above] - top) * (h - top) / (x[above].max() - top)
    if lo < bottom:
        if not below[1:-1].any():
            free = [i for i in interior if not above[i]] or list(interior)
            x[int(rng.choice(free))] = lo
            below = x < bottom
        x[below] = bottom - (bottom - x[below]) * (bottom - lo) / (bottom - x[below].min())
    x[0], x[-1] = o, c
    prices = np.clip(
        round_to_ticks(np.rint(x).astype(np.int64), "nearest", market, kind, day), lo, h
    )
    opens, closes = prices[:-1], prices[1:]
    tick = tick_sizes(np.maximum(opens, closes), market, kind, day)
    wiggle = rng.integers(0, 3, size=(2, n))
    highs = np.minimum(np.maximum(opens, closes) + wiggle[0] * tick, h)
    lows = np.maximum(np.minimum(opens, closes) - wiggle[1] * tick, lo)
    # the extremes sit on the path; make sure the bars that hold them report them
    highs[np.argmax(np.maximum(opens, closes))] = max(int(prices.max()), int(highs.max()))
    lows[np.argmin(np.minimum(opens, closes))] = min(int(prices.min()), int(lows.min()))
    volumes = _split_volume(bar.volume, n + 1, rng)
    return (
        np.append(opens, c),
        np.append(highs, c),
        np.append(lows, c),
        np.append(closes, c),
        volumes,
    )


def _split_volume(total: int, parts: int, rng: np.random.Generator) -> np.ndarray:
    """Split a day's volume over minutes: busy at the open and the close, exact in sum."""
    k = np.linspace(-1, 1, parts - 1)
    weights = (1 + 2 * k**2) * rng.uniform(0.5, 1.5, parts - 1)
    weights = np.append(weights, weights.sum() * 0.05)  # the closing auction
    shares = np.floor(total * weights / weights.sum()).astype(np.int64)
    shares[np.argmax(weights[:-1])] += total - int(shares.sum())
    return shares


def book(
    price: int,
    lower: int,
    upper: int,
    depth: float,
    rng: np.random.Generator,
    market: Market,
    kind: SecurityKind,
    day: date,
) -> tuple[tuple[BookLevel, ...], tuple[BookLevel, ...]]:
    """Ten ask and ten bid levels around `price`, one tick apart, inside the day's limits."""
    asks: list[int] = []
    bids: list[int] = []
    p = price
    while len(asks) < 10:
        p = int(round_to_ticks(np.array([p + 1]), "up", market, kind, day)[0])
        if p > upper:
            break
        asks.append(p)
    p = price
    while len(bids) < 10 and p >= lower:
        bids.append(p)
        p = int(round_to_ticks(np.array([p - 1]), "down", market, kind, day)[0])
    qty = np.maximum(rng.lognormal(np.log(max(depth, 1.0)), 0.6, size=20), 1).astype(np.int64)
    return (
        tuple(BookLevel(price=a, qty=int(q)) for a, q in zip(asks, qty[:10], strict=False)),
        tuple(BookLevel(price=b, qty=int(q)) for b, q in zip(bids, qty[10:], strict=False)),
    )
