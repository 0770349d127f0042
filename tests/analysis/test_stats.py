"""Performance statistics on hand-made equity curves and trades."""

from __future__ import annotations

import numpy as np
import pytest

from stocklab.analysis.stats import drawdown, sharpe, sortino, summarize, trade_stats


def test_drawdown_depth_and_longest_time_under_water() -> None:
    dd = drawdown(np.array([100, 110, 90, 95, 120, 100, 100]))
    assert dd.depth == pytest.approx(20 / 110)  # 110 → 90
    assert dd.duration == 3  # peak at 1, regained at 4; the later one (4 → end) lasts 2
    assert (drawdown(np.array([100, 101, 102])).depth, drawdown(np.array([100])).duration) == (0, 0)
    still = drawdown(np.array([100, 120, 90, 95, 96, 97, 98]))
    assert still.duration == 5  # never regained: from the peak to the end


def test_sharpe_and_sortino_signs() -> None:
    up = np.array([0.01, 0.02, -0.005, 0.015])
    down = -up
    assert sharpe(up) > 0 > sharpe(down)
    assert sortino(up) > sharpe(up) > 0  # only the one loss counts as risk
    assert sharpe(np.array([0.01, 0.01, 0.01])) is None  # no variation
    assert sortino(np.array([0.01, 0.02])) is None  # no losing period


def test_trade_stats() -> None:
    ts = trade_stats(np.array([300, -100, 200, -100, 0]))
    assert (ts.trades, ts.win_rate, ts.profit_factor, ts.avg_trade_pnl) == (5, 0.4, 2.5, 60)
    assert trade_stats(np.array([10, 20])).profit_factor is None  # nothing lost
    assert trade_stats(np.array([], dtype=np.int64)).win_rate is None


def test_summarize_a_year() -> None:
    equity = np.array([1_000_000, 1_100_000, 990_000, 1_210_000])
    perf = summarize(
        equity,
        1_000_000,
        days=365,
        trade_pnl=np.array([150_000, -40_000]),
        invested=np.array([0, 550_000, 495_000, 0]),
        traded=4_000_000,
        commission=600,
        tax=7_000,
    )
    assert perf.total_return == pytest.approx(0.21)
    assert perf.annual_return == pytest.approx(1.21 ** (365.25 / 365) - 1)
    assert perf.max_drawdown == pytest.approx(0.1)
    assert perf.max_drawdown_duration == 2
    assert perf.exposure == pytest.approx((0 + 0.5 + 0.5 + 0) / 4)
    assert perf.turnover == pytest.approx(4_000_000 / equity.mean())
    assert (perf.costs, perf.trades, perf.win_rate) == (7_600, 2, 0.5)
    assert perf.volatility is not None
    assert perf.sharpe is not None
    assert perf.sharpe > 0
    d = perf.as_dict()
    assert d["final_equity"] == 1_210_000
    assert isinstance(d["final_equity"], int)
