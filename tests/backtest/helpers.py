"""Bars and strategies a test can reason about by hand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import numpy as np

from stocklab.barseries import BarSeries
from stocklab.krx import trading_days
from stocklab.model import Timeframe, daily_ts
from stocklab.trading.strategy import Rules, Signals, Strategy


def days_from(first: date, n: int) -> list[date]:
    """The first `n` KRX trading days from `first`."""
    found = trading_days(first, first + timedelta(days=2 * n + 30))[:n]
    assert len(found) == n
    return found


def daily(
    code: str,
    days: Sequence[date],
    opens: Sequence[int],
    *,
    closes: Sequence[int] | None = None,
    highs: Sequence[int] | None = None,
    lows: Sequence[int] | None = None,
    volume: int | Sequence[int] = 1_000_000,
) -> BarSeries:
    """Daily bars; by default close = open + 50, high = close + 50, low = open − 50."""
    o = np.asarray(opens, dtype=np.int64)
    c = np.asarray(closes, dtype=np.int64) if closes is not None else o + 50
    h = np.asarray(highs, dtype=np.int64) if highs is not None else np.maximum(o, c) + 50
    lo = np.asarray(lows, dtype=np.int64) if lows is not None else np.minimum(o, c) - 50
    v = np.broadcast_to(np.asarray(volume, dtype=np.int64), o.shape)
    ts = [int(daily_ts(d).timestamp()) for d in days]
    return BarSeries.from_arrays(Timeframe.DAY, code, ts, o, h, lo, c, v)


class Scripted(Strategy):
    """Signals read from fixed per-code lists of bar indices: no data, no lookahead."""

    name = "scripted"
    description = "test"
    timeframe = Timeframe.DAY

    def __init__(
        self,
        entries: Mapping[str, Sequence[int]],
        exits: Mapping[str, Sequence[int]] | None = None,
        rules: Rules | None = None,
    ) -> None:
        super().__init__()
        self._entries = entries
        self._exits = exits or {}
        self._rules = rules or Rules()

    @property
    def rules(self) -> Rules:
        return self._rules

    def signals(self, bars: BarSeries) -> Signals:
        n = len(bars)
        code = str(bars.code[0]) if n else ""
        out = []
        for where in (self._entries.get(code, ()), self._exits.get(code, ())):
            mask = np.zeros(n, dtype=bool)
            mask[[i for i in where if i < n]] = True
            out.append(mask)
        return Signals(out[0], out[1])


class Peeking(Strategy):
    """Buys the day before a rise: it reads tomorrow's close (a deliberate lookahead)."""

    name = "peeking"
    description = "미래를 보는 전략 (테스트)"
    timeframe = Timeframe.DAY

    def signals(self, bars: BarSeries) -> Signals:
        rise = np.zeros(len(bars), dtype=bool)
        rise[:-1] = bars.close[1:] > bars.close[:-1]
        return Signals(rise, ~rise)
