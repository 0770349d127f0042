"""Performance statistics of an equity curve and its trades.

Money stays integer KRW (equity points, costs, P&L); ratios are floats. Returns are
per period of the curve (a trading day for daily curves) and annualised with 252 trading
days a year; the risk-free rate is taken as zero. A ratio whose denominator is zero (no
volatility, no losing trade) is None rather than infinity, so it survives JSON.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

TRADING_DAYS = 252
Stat = float | int | None


def period_returns(equity: np.ndarray, initial: int) -> np.ndarray:
    """Simple return of each period, the first measured from the initial capital."""
    eq = np.concatenate(([initial], np.asarray(equity, dtype=np.float64)))
    return eq[1:] / eq[:-1] - 1.0


@dataclass(frozen=True, slots=True)
class Drawdown:
    depth: float
    """Largest fall from a running peak, as a fraction (0.25 is a 25% loss from the peak)."""
    duration: int
    """Longest time under water: periods from a peak to the point that regains it (or to
    the end of the curve if none does)."""


def drawdown(equity: np.ndarray) -> Drawdown:
    eq = np.asarray(equity, dtype=np.float64)
    if len(eq) == 0:
        return Drawdown(0.0, 0)
    peak = np.maximum.accumulate(eq)
    depth = float(np.max(1.0 - eq / peak)) if peak.min() > 0 else 1.0
    index = np.arange(len(eq))
    last_peak = np.maximum.accumulate(np.where(eq >= peak, index, 0))
    under = eq < peak
    spans = np.where(under, index - last_peak, 0)
    # a recovery point ends the span that started at the previous point's peak
    recovered = ~under[1:] & under[:-1]
    if recovered.any():
        spans[1:][recovered] = index[1:][recovered] - last_peak[:-1][recovered]
    return Drawdown(depth, int(spans.max()))


def sharpe(returns: np.ndarray, periods_per_year: int = TRADING_DAYS) -> float | None:
    """Mean over standard deviation of period returns, annualised (risk-free rate 0)."""
    if len(returns) < 2:
        return None
    std = float(np.std(returns, ddof=1))
    return float(np.mean(returns)) / std * math.sqrt(periods_per_year) if std > 0 else None


def sortino(returns: np.ndarray, periods_per_year: int = TRADING_DAYS) -> float | None:
    """Like Sharpe, but only losses count as risk (downside deviation, target 0)."""
    if len(returns) < 2:
        return None
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
    return float(np.mean(returns)) / downside * math.sqrt(periods_per_year) if downside else None


@dataclass(frozen=True, slots=True)
class TradeStats:
    trades: int
    win_rate: float | None
    """Share of closed trades with a profit after costs."""
    profit_factor: float | None
    """Gross profit over gross loss of closed trades (None when nothing was lost)."""
    avg_trade_pnl: int | None


def trade_stats(pnl: np.ndarray) -> TradeStats:
    p = np.asarray(pnl, dtype=np.int64)
    if len(p) == 0:
        return TradeStats(0, None, None, None)
    gain, loss = int(p[p > 0].sum()), int(-p[p < 0].sum())
    return TradeStats(
        trades=len(p),
        win_rate=float(np.mean(p > 0)),
        profit_factor=gain / loss if loss else None,
        avg_trade_pnl=round(int(p.sum()) / len(p)),
    )


@dataclass(frozen=True, slots=True)
class Performance:
    """What a backtest report leads with; `as_dict` is the stored `stats`."""

    initial_equity: int
    final_equity: int
    total_return: float
    annual_return: float | None
    volatility: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float
    max_drawdown_duration: int
    trades: int
    win_rate: float | None
    profit_factor: float | None
    avg_trade_pnl: int | None
    exposure: float
    """Average share of equity held in positions (0 = always cash, 1 = always invested)."""
    turnover: float
    """Value traded (buys and sells) over the average equity, for the whole run."""
    commission: int
    tax: int
    costs: int

    def as_dict(self) -> dict[str, Stat]:
        return asdict(self)


def summarize(
    equity: np.ndarray,
    initial: int,
    *,
    days: int,
    trade_pnl: np.ndarray,
    invested: np.ndarray,
    traded: int,
    commission: int,
    tax: int,
    periods_per_year: int = TRADING_DAYS,
) -> Performance:
    """Statistics of an equity curve (one point per period, integer KRW).

    `days` is the calendar span of the curve (for the annual return), `invested` the
    market value of positions at each point, `traded` the value of every fill.
    """
    eq = np.asarray(equity, dtype=np.int64)
    final = int(eq[-1]) if len(eq) else initial
    returns = period_returns(eq, initial)
    total = final / initial - 1.0
    years = days / 365.25
    annual = (final / initial) ** (1.0 / years) - 1.0 if years > 0 and final > 0 else None
    vol = float(np.std(returns, ddof=1)) * math.sqrt(periods_per_year) if len(returns) > 1 else None
    dd = drawdown(np.concatenate(([initial], eq)))
    ts = trade_stats(trade_pnl)
    mean_equity = float(eq.mean()) if len(eq) else float(initial)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(eq > 0, np.asarray(invested, dtype=np.float64) / eq, 0.0)
    return Performance(
        initial_equity=initial,
        final_equity=final,
        total_return=total,
        annual_return=annual,
        volatility=vol,
        sharpe=sharpe(returns, periods_per_year),
        sortino=sortino(returns, periods_per_year),
        max_drawdown=dd.depth,
        max_drawdown_duration=dd.duration,
        trades=ts.trades,
        win_rate=ts.win_rate,
        profit_factor=ts.profit_factor,
        avg_trade_pnl=ts.avg_trade_pnl,
        exposure=float(share.mean()) if len(share) else 0.0,
        turnover=traded / mean_equity if mean_equity > 0 else 0.0,
        commission=commission,
        tax=tax,
        costs=commission + tax,
    )
