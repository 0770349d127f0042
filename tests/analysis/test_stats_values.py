"""Performance statistics against reference values worked out independently in the test.

The module's documented definitions (stocklab.analysis.stats):
- period returns are simple returns, the first measured from the initial capital;
- annualisation by √periods_per_year, 252 trading days by default; risk-free rate 0;
- volatility and Sharpe use the sample standard deviation (ddof=1);
- Sortino's downside deviation is the root mean square of min(r, 0) over *all* periods
  (target 0, divisor n — the "target downside deviation" of Sortino & Price);
- drawdown duration counts periods from the last peak to the point that regains it (a
  point equal to the peak regains it), or to the end of the curve.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stocklab.analysis.stats import drawdown, period_returns, sharpe, sortino, summarize

# Four period returns whose statistics are easy to do by hand:
# mean 0.005; deviations ±0.015, ±0.025 → Σd² = 0.0017; sample variance 0.0017 / 3.
# Losses -0.01, -0.02 → Σmin(r, 0)² = 0.0005 over n = 4 periods.
HAND = np.array([0.02, -0.01, 0.03, -0.02])
HAND_SHARPE = 0.005 / math.sqrt(0.0017 / 3) * math.sqrt(252)
HAND_SORTINO = 0.005 / math.sqrt(0.0005 / 4) * math.sqrt(252)


def _sample_std(r: np.ndarray) -> float:
    mean = sum(r) / len(r)
    return math.sqrt(sum((x - mean) ** 2 for x in r) / (len(r) - 1))


def _downside(r: np.ndarray) -> float:
    return math.sqrt(sum(min(x, 0.0) ** 2 for x in r) / len(r))


def _drawdown_loop(equity: list[float]) -> tuple[float, int]:
    """Depth and longest time under water, one point at a time."""
    peak, peak_at = equity[0], 0
    depth, longest = 0.0, 0
    for i, e in enumerate(equity):
        if e >= peak:
            if i - peak_at > 1:  # the points between were under water: this one regains
                longest = max(longest, i - peak_at)
            peak, peak_at = e, i
        else:
            depth = max(depth, 1 - e / peak)
            longest = max(longest, i - peak_at)
    return depth, longest


def test_sharpe_and_sortino_match_hand_computed_values() -> None:
    assert round(HAND_SHARPE, 4) == 3.3343  # the arithmetic above, as numbers
    assert round(HAND_SORTINO, 4) == 7.0993
    assert sharpe(HAND) == pytest.approx(HAND_SHARPE, rel=1e-12)
    assert sortino(HAND) == pytest.approx(HAND_SORTINO, rel=1e-12)
    # what the usual mistakes would give instead, so the checks above tell them apart
    assert sharpe(HAND) != pytest.approx(0.005 / math.sqrt(0.0017 / 4) * math.sqrt(252))
    assert sortino(HAND) != pytest.approx(0.005 / math.sqrt(0.0005 / 2) * math.sqrt(252))
    assert sortino(HAND) != pytest.approx(0.005 / math.sqrt(0.0005 / 3) * math.sqrt(252))


def test_the_annualisation_factor_is_the_square_root_of_periods_per_year() -> None:
    monthly = 0.005 / math.sqrt(0.0017 / 3) * math.sqrt(12)
    assert sharpe(HAND, periods_per_year=12) == pytest.approx(monthly, rel=1e-12)
    assert sortino(HAND, periods_per_year=12) == pytest.approx(
        0.005 / math.sqrt(0.0005 / 4) * math.sqrt(12), rel=1e-12
    )
    # risk-free rate 0: shifting every return by a constant moves the ratio by shift / std
    shifted = HAND + 0.001
    assert sharpe(shifted) == pytest.approx(0.006 / math.sqrt(0.0017 / 3) * math.sqrt(252))


def test_sortino_counts_gains_as_zero_downside_not_as_missing() -> None:
    one_loss = np.array([0.05, 0.05, 0.05, -0.04])
    mean = 0.11 / 4
    assert sortino(one_loss) == pytest.approx(mean / math.sqrt(0.0016 / 4) * math.sqrt(252))
    assert sortino(-one_loss) == pytest.approx(-mean / math.sqrt(3 * 0.0025 / 4) * math.sqrt(252))


EQUITY = np.array([1_020_000, 999_600, 1_039_584, 1_018_792, 1_049_356, 1_028_368])
INITIAL = 1_000_000


def test_summary_volatility_sharpe_sortino_from_an_integer_equity_curve() -> None:
    perf = summarize(
        EQUITY,
        INITIAL,
        days=9,
        trade_pnl=np.array([], dtype=np.int64),
        invested=np.zeros(len(EQUITY)),
        traded=0,
        commission=0,
        tax=0,
    )
    points = [INITIAL, *EQUITY.tolist()]
    r = np.array([points[i] / points[i - 1] - 1 for i in range(1, len(points))])
    assert r[0] == pytest.approx(0.02)  # the first return is measured from the capital
    assert r[1] == pytest.approx(-0.02)
    mean = sum(r) / len(r)
    assert perf.volatility == pytest.approx(_sample_std(r) * math.sqrt(252), rel=1e-12)
    assert perf.sharpe == pytest.approx(mean / _sample_std(r) * math.sqrt(252), rel=1e-12)
    assert perf.sortino == pytest.approx(mean / _downside(r) * math.sqrt(252), rel=1e-12)
    assert period_returns(EQUITY, INITIAL) == pytest.approx(r, rel=1e-12)
    # the same curve read as monthly points
    monthly = summarize(
        EQUITY,
        INITIAL,
        days=180,
        trade_pnl=np.array([], dtype=np.int64),
        invested=np.zeros(len(EQUITY)),
        traded=0,
        commission=0,
        tax=0,
        periods_per_year=12,
    )
    assert monthly.volatility == pytest.approx(_sample_std(r) * math.sqrt(12), rel=1e-12)
    assert monthly.sharpe == pytest.approx(mean / _sample_std(r) * math.sqrt(12), rel=1e-12)


def test_max_drawdown_and_its_duration_on_a_known_curve() -> None:
    # capital 1,000,000 → falls 10%, regains it exactly at the 3rd point; a new peak of
    # 1,050,000 then falls to 840,000 (-20%) and is not regained by the end (2 points).
    equity = np.array([900_000, 950_000, 1_000_000, 1_050_000, 840_000, 900_000])
    perf = summarize(
        equity,
        1_000_000,
        days=9,
        trade_pnl=np.array([], dtype=np.int64),
        invested=np.zeros(len(equity)),
        traded=0,
        commission=0,
        tax=0,
    )
    assert perf.max_drawdown == pytest.approx(0.2)  # 1,050,000 → 840,000
    assert perf.max_drawdown_duration == 3  # the capital's peak, regained three points later
    assert _drawdown_loop([1_000_000, *equity.tolist()]) == (pytest.approx(0.2), 3)


@pytest.mark.parametrize(
    ("curve", "depth", "duration"),
    [
        ([100, 90, 100, 80, 100], 0.2, 2),  # two dips, each regained after two periods
        ([100, 100, 90, 100], 0.1, 2),  # time under water runs from the latest peak
        ([100, 90, 80, 70, 110, 105], 0.3, 4),  # regained by overshooting the peak
        ([100, 50, 60, 70, 80, 90, 99], 0.5, 6),  # never regained: to the end
        ([100, 120, 60, 130, 130, 129], 0.5, 2),
        ([5, 4, 3, 2, 1], 0.8, 4),
        ([100, 100, 100], 0.0, 0),
    ],
)
def test_drawdown_on_hand_made_curves(curve: list[int], depth: float, duration: int) -> None:
    dd = drawdown(np.array(curve))
    assert (dd.depth, dd.duration) == (pytest.approx(depth), duration)
    assert _drawdown_loop([float(x) for x in curve]) == (pytest.approx(depth), duration)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=40))
def test_drawdown_agrees_with_a_point_by_point_reference(curve: list[int]) -> None:
    dd = drawdown(np.array(curve))
    depth, duration = _drawdown_loop([float(x) for x in curve])
    assert dd.depth == pytest.approx(depth, abs=1e-12)
    assert dd.duration == duration
