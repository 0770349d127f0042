"""Strategies speak from closed bars only, and the lookahead check catches one that peeks."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from stocklab.barseries import BarSeries
from stocklab.model import daily_ts
from stocklab.trading.strategy import (
    Signals,
    SmaCross,
    Strategy,
    check_lookahead,
    get_strategy,
    rolling_sum,
)


def daily(closes: list[int]) -> BarSeries:
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(len(closes))]
    c = np.array(closes, dtype=np.int64)
    ts = [int(daily_ts(d).timestamp()) for d in days]
    return BarSeries.from_arrays("1d", "005930", ts, c, c, c, c, np.full(len(c), 100))


def test_rolling_sums_are_exact() -> None:
    assert rolling_sum(np.array([1, 2, 3, 4, 5]), 2).tolist() == [0, 3, 5, 7, 9]


def test_sma_cross_finds_the_crossings() -> None:
    closes = [10] * 6 + [20] * 4 + [5] * 6
    sig = SmaCross(fast=2, slow=4).signals(daily(closes))
    assert np.flatnonzero(sig.entries).tolist() == [6]
    assert np.flatnonzero(sig.exits).tolist() == [10]
    assert not sig.entries[:4].any()  # nothing during warm-up


def test_strategies_validate_their_parameters() -> None:
    assert get_strategy("sma_cross", {"fast": 5, "slow": 20}).warmup == 20
    with pytest.raises(ValueError, match="fast"):
        get_strategy("sma_cross", {"fast": 20, "slow": 5})
    with pytest.raises(ValueError, match="colour"):
        get_strategy("sma_cross", {"colour": 1})
    with pytest.raises(ValueError, match="알 수 없는 전략"):
        get_strategy("nope")
    ten = get_strategy("ten_tick")
    assert ten.rules.take_profit_ticks == 10
    assert ten.timeframe.value == "1m"


class Peeking(Strategy):
    """Buys the day before a rise: it reads tomorrow's close (a deliberate lookahead)."""

    name = "peeking"
    description = "test"
    timeframe = SmaCross.timeframe

    def signals(self, bars: BarSeries) -> Signals:
        tomorrow = np.append(bars.close[1:], bars.close[-1])
        return Signals(tomorrow > bars.close, tomorrow < bars.close)


def test_lookahead_check_passes_honest_and_flags_peeking_strategies() -> None:
    rng = np.random.default_rng(3)
    closes = (10_000 + rng.integers(-300, 300, 400).cumsum()).tolist()
    bars = daily(closes)
    assert check_lookahead(SmaCross(fast=5, slow=20), bars, points=None) == []
    assert check_lookahead(get_strategy("ten_tick"), bars) == []
    flagged = check_lookahead(Peeking(), bars, points=None)
    assert len(flagged) > 100
