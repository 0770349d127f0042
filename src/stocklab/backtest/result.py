"""From a finished run to the record the store keeps: statistics, trades, equity by day.

Everything stays integer KRW. A trade is a round trip (first buy to the sale of the last
share) whose prices are the averages of its fills, rounded to the won; a position still held
at the end is listed with no exit and its P&L valued at the last close, without the costs
of a sale that has not happened.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

import numpy as np

from stocklab.analysis.stats import summarize
from stocklab.backtest import layout
from stocklab.backtest.inputs import day_of, kst_days
from stocklab.model import BacktestResult, Timeframe, now_kst

if TYPE_CHECKING:
    from stocklab.backtest.engine import Run

REASONS = {
    layout.SIGNAL: "signal",
    layout.TAKE_PROFIT: "take_profit",
    layout.STOP_LOSS: "stop_loss",
    layout.MAX_HOLDING: "max_holding",
    layout.STILL_OPEN: "open",
}


def new_backtest_id() -> str:
    """`bt-YYYYmmddHHMMSS-xxxxxx` (KST), sortable by creation and unique in practice."""
    return f"bt-{now_kst():%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def _stamp(run: Run, bar: int) -> str:
    when = run.when(bar)
    return when.date().isoformat() if run.timeframe is Timeframe.DAY else when.isoformat("T")


def trades(run: Run) -> list[dict[str, Any]]:
    """One dict per round trip, in the order they closed (open positions last)."""
    marks = run.last_close()
    out = []
    for row in run.trades.tolist():
        code = row[layout.T_CODE]
        entry, exit_, qty = row[layout.T_ENTRY], row[layout.T_EXIT], row[layout.T_QTY]
        bought, sold = row[layout.T_BOUGHT], row[layout.T_SOLD]
        costs = row[layout.T_COMMISSION] + row[layout.T_TAX]
        closed = exit_ >= 0
        held = int(run.positions[code]) if not closed else 0
        pnl = sold + held * int(marks[code]) - bought - costs
        last = exit_ if closed else int(run.offsets[code + 1]) - 1
        out.append(
            {
                "code": run.codes[code],
                "entry_at": _stamp(run, entry),
                "exit_at": _stamp(run, exit_) if closed else None,
                "qty": qty,
                "entry_price": round(bought / qty),
                "exit_price": round(sold / qty) if closed else None,
                "bought": bought,
                "sold": sold,
                "commission": row[layout.T_COMMISSION],
                "tax": row[layout.T_TAX],
                "pnl": pnl,
                "return": pnl / bought,
                "bars": last - entry + 1,
                "reason": REASONS[row[layout.T_REASON]],
            }
        )
    return out


def daily_equity(run: Run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(day numbers, equity, invested) at the last point of each KST day of the axis."""
    days = kst_days(run.axis)
    last = np.flatnonzero(np.append(np.diff(days) != 0, True))
    return days[last], run.equity[last], run.invested[last]


def to_record(run: Run, backtest_id: str) -> BacktestResult:
    days, equity, invested = daily_equity(run)
    f = run.fills
    closed = run.trades[run.trades[:, layout.T_EXIT] >= 0]
    costs = closed[:, layout.T_COMMISSION] + closed[:, layout.T_TAX]
    pnl = closed[:, layout.T_SOLD] - closed[:, layout.T_BOUGHT] - costs
    performance = summarize(
        equity,
        run.initial_equity,
        days=int(days[-1] - days[0]),
        trade_pnl=pnl,
        invested=invested,
        traded=int((f[:, layout.F_QTY] * f[:, layout.F_PRICE]).sum()),
        commission=int(f[:, layout.F_COMMISSION].sum()),
        tax=int(f[:, layout.F_TAX].sum()),
    )
    fills = run.config.fills
    return BacktestResult(
        backtest_id=backtest_id,
        strategy=run.strategy.name,
        params={
            "strategy": run.strategy.params.model_dump(mode="json"),
            "timeframe": run.timeframe.value,
            "cash": run.config.cash,
            "shared_cash": run.config.shared_cash,
            "commission_rate": str(fills.commission_rate),
            "participation": str(fills.participation),
        },
        codes=run.codes,
        start=day_of(days[0]),
        end=day_of(days[-1]),
        created_at=now_kst(),
        stats={
            **performance.as_dict(),
            "codes": len(run.codes),
            "bars": run.bars,
            "open_positions": int((run.positions > 0).sum()),
        },
        trades=trades(run),
        equity=[(day_of(d), int(e)) for d, e in zip(days.tolist(), equity.tolist(), strict=True)],
    )
