"""Run a trading strategy over stored bars of many codes: signals vectorised per code, then
one compiled pass over every bar (`backtest.kernel`), with the paper broker's fill and
cost model.

Two account models, chosen by `Config.shared_cash`:
- per-code accounts (default): every code trades its own `cash`, as if each had its own
  account; the portfolio is their sum, so the capital is `cash` × the number of codes;
- shared cash: one account of `cash` for all codes, walked in time order; a buy takes
  what the cash allows at that moment, so codes compete when cash is short.

Before anything runs, the strategy's signals are checked for lookahead on the codes
(`verify`): a strategy whose past signals change when the future is cut off is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from stocklab.backtest import kernel, layout
from stocklab.backtest.inputs import Listing, market_arrays, time_axis
from stocklab.barseries import BarSeries
from stocklab.krx import exits
from stocklab.krx.fills import FillModel
from stocklab.model import KST, Timeframe
from stocklab.trading.strategy import Strategy, check_lookahead

LOOKAHEAD_CODES = 20
"""Codes the lookahead check reads (spread over the list); a leak shows on any of them."""
LOOKAHEAD_POINTS = 60
"""Bars per code at which the signals are recomputed on the cut history."""


class LookaheadError(ValueError):
    """The strategy's signals use bars after the one they are for; it must not run."""


@dataclass(frozen=True, slots=True)
class Config:
    """How a backtest trades: starting cash (per account), the account model, fills."""

    cash: int = 10_000_000
    shared_cash: bool = False
    fills: FillModel = field(default_factory=FillModel)

    def __post_init__(self) -> None:
        if isinstance(self.cash, bool) or not isinstance(self.cash, int):
            raise ValueError(f"시작 자금은 정수(원)여야 합니다 (받은 값: {self.cash!r})")
        if not 1 <= self.cash <= layout.MAX_CASH:
            raise ValueError(
                f"시작 자금 {self.cash:,}원: 1원 이상 {layout.MAX_CASH:,}원 이하여야 합니다"
            )
        _ = self.fills.participation_units  # raises, saying why, outside (0, 1]
        if self.fills.commission_units >= 1_000_000:
            raise ValueError(f"수수료율 {self.fills.commission_rate}: 1% 미만이어야 합니다")


@dataclass(frozen=True, slots=True, eq=False)
class Run:
    """A finished run, in arrays: what the loop returned plus what is needed to read it.

    `fills` and `trades` are int64 tables with the columns `layout.F_*` and `layout.T_*`;
    their bar columns index `ts` and `close` (every code's bars, concatenated in `codes`
    order, code k at `offsets[k]:offsets[k+1]`).
    """

    strategy: Strategy
    config: Config
    timeframe: Timeframe
    codes: list[str]
    offsets: np.ndarray
    ts: np.ndarray
    close: np.ndarray
    axis: np.ndarray
    equity: np.ndarray
    invested: np.ndarray
    fills: np.ndarray
    trades: np.ndarray
    cash: np.ndarray
    positions: np.ndarray

    @property
    def initial_equity(self) -> int:
        accounts = 1 if self.config.shared_cash else len(self.codes)
        return self.config.cash * accounts

    @property
    def bars(self) -> int:
        return int(self.offsets[-1])

    def last_close(self) -> np.ndarray:
        """Each code's last close (the price open positions are valued at)."""
        return self.close[self.offsets[1:] - 1]

    def final_equity_by_code(self) -> dict[str, int]:
        """Per-code accounts: each account's cash plus its position at the last close."""
        if self.config.shared_cash:
            raise ValueError("공유 자금 백테스트에는 종목별 계좌 잔고가 없습니다")
        value = self.cash + self.positions * self.last_close()
        return dict(zip(self.codes, value.tolist(), strict=True))

    def when(self, bar: int) -> datetime:
        return datetime.fromtimestamp(int(self.ts[bar]), KST)


def _sample(codes: list[str], n: int) -> list[str]:
    if len(codes) <= n:
        return codes
    picks = np.unique(np.linspace(0, len(codes) - 1, n).astype(np.int64))
    return [codes[i] for i in picks.tolist()]


def verify(
    strategy: Strategy,
    bars: Mapping[str, BarSeries],
    codes: int = LOOKAHEAD_CODES,
    points: int = LOOKAHEAD_POINTS,
) -> None:
    """Refuse a strategy that peeks at later bars, naming the code and the bars."""
    for code in _sample(list(bars), codes):
        series = bars[code]
        bad = check_lookahead(strategy, series, points)
        if bad:
            fmt = "%Y-%m-%d" if strategy.timeframe is Timeframe.DAY else "%Y-%m-%d %H:%M"
            when = ", ".join(
                f"{datetime.fromtimestamp(int(series.ts[i]), KST):{fmt}}" for i in bad[:5]
            )
            more = f" 외 {len(bad) - 5}개" if len(bad) > 5 else ""
            raise LookaheadError(
                f"전략 {strategy!r}은 미래의 봉을 봅니다: {code}의 {when}{more} 봉에서 신호가 "
                "그 뒤 봉을 잘라 내면 달라집니다. 닫힌 봉(0..i)만으로 신호를 계산하도록 "
                "고치기 전에는 실행하지 않습니다"
            )


def _config_array(strategy: Strategy, fills: FillModel) -> np.ndarray:
    rules = strategy.rules
    cfg = np.full(layout.N_CONFIG, layout.NONE, dtype=np.int64)
    cfg[layout.C_COMMISSION] = fills.commission_units
    cfg[layout.C_PARTICIPATION] = fills.participation_units
    cfg[layout.C_SIZING] = exits.SIZING[rules.sizing]
    if rules.sizing != "all_in" and (rules.size is None or rules.size <= 0):
        raise ValueError(f"전략 {strategy.name}: sizing={rules.sizing}에는 양수 size가 필요합니다")
    cfg[layout.C_SIZE] = rules.size or 0
    cfg[layout.C_TP_TICKS] = rules.take_profit_ticks or 0
    cfg[layout.C_MAX_HOLD] = rules.max_holding_bars or 0
    cfg[layout.C_TP_UNITS] = exits.units(rules.take_profit_pct)
    cfg[layout.C_SL_UNITS] = exits.units(rules.stop_loss_pct)
    return cfg


def run(
    strategy: Strategy,
    bars: Mapping[str, BarSeries],
    config: Config | None = None,
    listings: Mapping[str, Listing] | None = None,
    *,
    check: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Run:
    """Backtest `strategy` on each code's bars (sorted by time, the strategy's timeframe).

    Codes without bars are left out. `listings` gives each code's market and kind (KOSPI
    stock when absent). `progress(n)` is called as codes' signals are computed.
    """
    config = config or Config()
    if check:
        verify(strategy, bars)
    codes = [code for code, series in bars.items() if len(series)]
    if not codes:
        raise ValueError("봉이 있는 종목이 없습니다: 기간과 종목을 확인하세요")
    series = [bars[code] for code in codes]
    entries, exits = [], []
    for code, s in zip(codes, series, strict=True):
        if s.timeframe is not strategy.timeframe:
            raise ValueError(
                f"{code}: 전략 {strategy.name}은 {strategy.timeframe.value} 봉을 씁니다 "
                f"(받은 봉: {s.timeframe.value})"
            )
        if len(s) > 1 and not (s.ts[1:] > s.ts[:-1]).all():
            raise ValueError(f"{code}: 봉이 시간순이 아니거나 같은 시각이 두 번 있습니다")
        signals = strategy.signals(s)
        if len(signals.entries) != len(s):
            raise ValueError(
                f"전략 {strategy.name}의 {code} 신호가 {len(signals.entries)}개입니다 "
                f"(봉 {len(s)}개와 같아야 합니다)"
            )
        entries.append(signals.entries)
        exits.append(signals.exits)
        if progress is not None:
            progress(1)
    axis, where = time_axis(series)
    market = market_arrays(axis, [(listings or {}).get(c, Listing()) for c in codes])
    offsets = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in series], out=offsets[1:])
    columns = tuple(
        np.concatenate([getattr(s, name) for s in series])
        for name in ("open", "high", "low", "close", "volume")
    )
    loop = kernel.run_shared if config.shared_cash else kernel.run_accounts
    equity, invested, fills, trades, cash, positions = loop(
        offsets,
        columns,
        np.concatenate(entries),
        np.concatenate(exits),
        where,
        market.classes,
        market.tax,
        market.table,
        market.floors,
        market.ticks,
        _config_array(strategy, config.fills),
        config.cash,
        len(axis),
    )
    return Run(
        strategy=strategy,
        config=config,
        timeframe=strategy.timeframe,
        codes=codes,
        offsets=offsets,
        ts=np.concatenate([s.ts for s in series]),
        close=columns[3],
        axis=axis,
        equity=equity,
        invested=invested,
        fills=fills,
        trades=trades,
        cash=cash,
        positions=positions,
    )
