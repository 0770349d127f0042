"""Daily OHLCV for the whole simulated market, one trading day at a time.

Each day's randomness comes from a generator seeded with (seed, the day's ordinal), so a
day's bars never change once made, whatever range is asked for or when: history is stable
across runs and machines. Prices follow a random walk with the real rules: each day's
prices sit on the tick grid of their band and inside ±30% of the previous close.

The book is shared by every thread of a process (the API answers requests in a thread
pool), so it grows under a lock, and a day is published in `days` only once its bars are
written: a reader takes `days` once and may read every row it lists, whatever another
thread is making meanwhile.
"""

from __future__ import annotations

import threading
from datetime import date

import numpy as np

from stocklab.agent.sim.universe import Universe
from stocklab.krx.vector import price_limit_arrays, round_to_ticks
from stocklab.model import SecurityKind

_REVERSION = 0.01


class DailyBook:
    """The market's daily bars from `days[0]`, grown on demand, kept in compact arrays.

    `days` is an immutable tuple of the days made so far; row `t` of each array holds
    `days[t]` and never changes once published."""

    def __init__(self, universe: Universe, seed: int, days: list[date]):
        self.universe = universe
        self.seed = seed
        self.days: tuple[date, ...] = ()
        self._all_days = tuple(days)
        self._lock = threading.Lock()
        n, cap = len(universe.instruments), len(days)
        self.open = np.zeros((cap, n), dtype=np.int32)
        self.high = np.zeros((cap, n), dtype=np.int32)
        self.low = np.zeros((cap, n), dtype=np.int32)
        self.close = np.zeros((cap, n), dtype=np.int32)
        self.volume = np.zeros((cap, n), dtype=np.int64)
        self._groups = _groups(universe)

    def ensure(self, until: date) -> int:
        """Make every day up to `until` (inclusive); return how many days exist."""
        made = len(self.days)
        if not self._missing(made, until):
            return made
        with self._lock:  # one maker at a time; the others wait, then find the days made
            made = len(self.days)
            try:
                while self._missing(made, until):
                    self._make(made)
                    made += 1
            finally:  # publish only whole days, even if making one failed
                self.days = self._all_days[:made]
            return made

    def _missing(self, made: int, until: date) -> bool:
        return made < len(self._all_days) and self._all_days[made] <= until

    def _make(self, t: int) -> None:
        day = self._all_days[t]
        u = self.universe
        n = len(u.instruments)
        rng = np.random.default_rng([self.seed, day.toordinal()])
        z, gap, up, down, vol_noise = rng.standard_normal((5, n))
        jump = np.where(rng.random(n) < 0.003, rng.uniform(-0.25, 0.25, n), 0.0)
        prev = u.base_price if t == 0 else self.close[t - 1].astype(np.int64)
        # A slow pull back to each code's trend keeps eight years of history plausible
        # (no blue chip drifts to a tenth of its price on noise alone).
        trend = np.log(u.base_price) + u.drift * t
        ret = u.drift + u.volatility * z + jump - _REVERSION * (np.log(prev) - trend)
        close = np.empty(n, dtype=np.int64)
        open_ = np.empty(n, dtype=np.int64)
        high = np.empty(n, dtype=np.int64)
        low = np.empty(n, dtype=np.int64)
        for (market, kind), idx in self._groups.items():
            ref = prev[idx]
            lo_lim, hi_lim = price_limit_arrays(ref, market, kind, day)
            sig = u.volatility[idx]
            rules = (market, kind, day, lo_lim, hi_lim)
            c = _snap(ref * (1 + ret[idx]), "nearest", *rules)
            o = _snap(ref * (1 + 0.3 * sig * gap[idx]), "nearest", *rules)
            top, bottom = np.maximum(o, c), np.minimum(o, c)
            up_move = top * (1 + 0.5 * sig * np.abs(up[idx]))
            down_move = bottom * (1 - 0.5 * sig * np.abs(down[idx]))
            high[idx] = np.maximum(_snap(up_move, "up", *rules), top)
            low[idx] = np.minimum(_snap(down_move, "down", *rules), bottom)
            close[idx], open_[idx] = c, o
        moved = np.abs(close - prev) / prev
        volume = u.liquidity * np.exp(0.4 * vol_noise) * (1 + 8 * moved)
        self.open[t], self.high[t], self.low[t], self.close[t] = open_, high, low, close
        self.volume[t] = np.maximum(volume, 1).astype(np.int64)


def _snap(
    x: np.ndarray,
    how: str,
    market: object,
    kind: SecurityKind,
    day: date,
    lower: np.ndarray,
    upper: np.ndarray,
) -> np.ndarray:
    """Onto the tick grid, then inside the day's limits (limits are on the grid already)."""
    out = round_to_ticks(np.rint(x).astype(np.int64), how, market, kind, day)  # type: ignore[arg-type]
    return np.clip(out, lower, upper)


def _groups(universe: Universe) -> dict[tuple[object, SecurityKind], np.ndarray]:
    """Codes grouped by (market, kind): each group shares one tick table."""
    keys: dict[tuple[object, SecurityKind], list[int]] = {}
    for i, inst in enumerate(universe.instruments):
        keys.setdefault((inst.market, inst.kind), []).append(i)
    return {k: np.array(v) for k, v in keys.items()}


def traded_value(
    o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray
) -> np.ndarray:
    """Traded value in KRW, from the bar's typical price (the simulator has no tape)."""
    typical = (o.astype(np.int64) + h + lo + c) // 4
    return typical * v
