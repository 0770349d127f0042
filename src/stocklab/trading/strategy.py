"""The strategy API: one definition for paper trading, live trading and backtests.

A strategy declares its timeframe, its parameters and how many bars it needs before it
can speak (warm-up), and computes its signals for a whole history at once (vectorised).
The signal at bar i may use bars 0..i only — closed bars — and it acts no earlier than
the next bar. `check_lookahead` proves that: the signal at each bar must be the same
whether computed on the full history or on the history cut at that bar.

Order-level rules (take profit in ticks or percent, stop loss, maximum holding time,
position sizing) are declared beside the signals, and every executor applies them the
same way: through the one copy of them in `krx.exits`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stocklab.barseries import BarSeries
from stocklab.model import Timeframe


@dataclass(frozen=True, slots=True)
class Rules:
    """What happens to a position once it is open, and how big it is."""

    take_profit_ticks: int | None = None
    take_profit_pct: Decimal | None = None
    stop_loss_pct: Decimal | None = None
    max_holding_bars: int | None = None
    sizing: Literal["all_in", "cash", "qty"] = "all_in"
    size: int | None = None
    """KRW per entry for `cash`, shares for `qty`; unused for `all_in`."""


@dataclass(frozen=True, slots=True)
class Signals:
    """Per bar: enter (buy) at the next bar; exit (sell everything) at the next bar."""

    entries: np.ndarray
    exits: np.ndarray

    def __post_init__(self) -> None:
        if self.entries.shape != self.exits.shape or self.entries.dtype != bool:
            raise ValueError("entries와 exits는 길이가 같은 bool 배열이어야 합니다")


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Strategy(ABC):
    """Subclass, declare `name`, `timeframe`, `Params`, and implement `signals`."""

    name: ClassVar[str]
    description: ClassVar[str]
    timeframe: ClassVar[Timeframe]
    Params: ClassVar[type[Params]] = Params

    def __init__(self, **params: Any) -> None:
        try:
            self.params = self.Params(**params)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"])) or "params"
            raise ValueError(f"전략 {self.name}의 인자 {where}: {first['msg']}") from None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.params.model_dump().items())
        return f"{self.name}({args})"

    @property
    def warmup(self) -> int:
        """Bars needed before the first signal can be meaningful."""
        return 1

    @property
    def rules(self) -> Rules:
        return Rules()

    @abstractmethod
    def signals(self, bars: BarSeries) -> Signals:
        """Signals for one code's bars (sorted by time), from closed bars only."""


def _crosses(
    fast: np.ndarray, slow: np.ndarray, n_fast: int, n_slow: int, start: int
) -> tuple[np.ndarray, np.ndarray]:
    """Where the fast mean crosses above / below the slow one, compared exactly.

    The means are compared as integer sums (fast_sum × n_slow against slow_sum × n_fast),
    so no rounding can invent or hide a cross.
    """
    diff = np.sign(fast * n_slow - slow * n_fast)
    up = np.zeros(len(diff), dtype=bool)
    down = np.zeros(len(diff), dtype=bool)
    if len(diff) > start + 1:
        prev, cur = diff[start:-1], diff[start + 1 :]
        up[start + 1 :] = (cur > 0) & (prev <= 0)
        down[start + 1 :] = (cur < 0) & (prev >= 0)
    return up, down


def rolling_sum(values: np.ndarray, n: int) -> np.ndarray:
    """Sum of the last `n` values at each bar (exact for integers); NaN-free, 0 before n−1."""
    c = np.cumsum(values.astype(np.int64))
    out = c.copy()
    out[n:] = c[n:] - c[:-n]
    out[: n - 1] = 0
    return out


class SmaCrossParams(Params):
    fast: int = Field(default=5, ge=1, le=500)
    slow: int = Field(default=20, ge=2, le=1000)


class SmaCross(Strategy):
    """Buy when the fast moving average of closes crosses above the slow one; sell when it
    crosses below."""

    name = "sma_cross"
    description = "이동평균 교차 (단기가 장기를 위로 뚫으면 매수, 아래로 뚫으면 매도)"
    timeframe = Timeframe.DAY
    Params = SmaCrossParams
    params: SmaCrossParams

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        p = self.params
        if p.fast >= p.slow:
            raise ValueError(f"sma_cross: fast({p.fast})는 slow({p.slow})보다 작아야 합니다")

    @property
    def warmup(self) -> int:
        return int(self.params.slow)

    def signals(self, bars: BarSeries) -> Signals:
        fast_n, slow_n = int(self.params.fast), int(self.params.slow)
        fast = rolling_sum(bars.close, fast_n)
        slow = rolling_sum(bars.close, slow_n)
        up, down = _crosses(fast, slow, fast_n, slow_n, slow_n - 1)
        return Signals(up, down)


class TenTickParams(Params):
    qty: int = Field(default=10, ge=1, le=1_000_000)
    ticks: int = Field(default=10, ge=1, le=100)


class TenTick(Strategy):
    """The seed's scenario: when nothing is held, buy at the current price; once the buy is
    filled, sell `ticks` ticks higher."""

    name = "ten_tick"
    description = "보유가 없으면 현재가 매수, 체결되면 10틱 위에 매도 (seed 시나리오)"
    timeframe = Timeframe.MINUTE
    Params = TenTickParams
    params: TenTickParams

    @property
    def rules(self) -> Rules:
        return Rules(
            take_profit_ticks=int(self.params.ticks),
            sizing="qty",
            size=int(self.params.qty),
        )

    def signals(self, bars: BarSeries) -> Signals:
        n = len(bars)
        return Signals(np.ones(n, dtype=bool), np.zeros(n, dtype=bool))


STRATEGIES: dict[str, type[Strategy]] = {s.name: s for s in (SmaCross, TenTick)}


def get_strategy(name: str, params: dict[str, Any] | None = None) -> Strategy:
    try:
        kind = STRATEGIES[name]
    except KeyError:
        raise ValueError(f"알 수 없는 전략 {name!r} (있는 전략: {', '.join(STRATEGIES)})") from None
    return kind(**(params or {}))


def check_lookahead(strategy: Strategy, bars: BarSeries, points: int | None = 200) -> list[int]:
    """Bars whose signal changes when the future is cut off (empty means no lookahead).

    For each checked bar i the signals are recomputed on bars 0..i alone and compared with
    the full-history signal at i. `points` spreads the check over that many bars (all
    bars when None).
    """
    full = strategy.signals(bars)
    n = len(bars)
    if n == 0:
        return []
    start = min(max(strategy.warmup - 1, 0), n - 1)
    candidates = np.arange(start, n)
    if points is not None and len(candidates) > points:
        candidates = np.unique(np.linspace(start, n - 1, points).astype(np.int64))
    bad = []
    for i in candidates.tolist():
        cut = strategy.signals(bars.take(slice(0, i + 1)))
        if cut.entries[i] != full.entries[i] or cut.exits[i] != full.exits[i]:
            bad.append(i)
    return bad
