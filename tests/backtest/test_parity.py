"""Paper trading and the backtester agree to the won (issue 15.3).

One strategy, the same real daily prices (`../shared/data/krx-daily/sample/`, the last
year of the sample), run twice:
- by the backtester (`backtest.engine.run`, per-code account);
- bar by bar through the paper trader: the `Trader` and `OrderManager` on the paper broker
  and the real embedded store, with an injected clock. Each trading day the clock stands
  in the opening call auction (30 seconds before the open), where the quote is the
  auction's opening price and yesterday's bar is the last one stored: the trader turns
  yesterday's signal into orders, which meet that day's bar (the broker sees it once the
  session has closed). After the close a reconcile brings the fills into the store, the
  day's unfilled orders expire, and the day's bar is stored, as the daily collect does.

Both must give the same orders and the same fills — day, side, shares, price, commission,
tax, to the won — and end with the same cash and position. The rules that decide them
(the fill model of `krx.fills`, the exit and sizing rules of `krx.exits`) are written once;
this test is what shows it.

`ten_tick` is the seed's minute strategy; its signals do not depend on the bar length, so
it runs here on daily bars (the only real prices there are), as `ten_tick` with `DAY` bars.
A third run adds a take-profit in percent and a holding limit to `sma_cross`. A stop is
not compared: paper holds no stop order, so the trader sells at market the cycle after a
bar touched the stop, where the backtest fills at the stop within that bar.
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from stocklab.agent.base import MarketData, NotSupported
from stocklab.agent.sim.broker import PaperBroker
from stocklab.backtest.engine import Config, run
from stocklab.backtest.inputs import Listing
from stocklab.backtest.layout import (
    F_BAR,
    F_COMMISSION,
    F_PRICE,
    F_QTY,
    F_REASON,
    F_SIDE,
    F_TAX,
    MAX_HOLDING,
    SIGNAL,
    TAKE_PROFIT,
)
from stocklab.barseries import BarSeries
from stocklab.krx import is_valid_price, session, trading_days
from stocklab.krx.fills import BUY, FillModel
from stocklab.model import (
    KST,
    Fill,
    Flow,
    Instrument,
    Market,
    Order,
    Quote,
    Side,
    Timeframe,
    daily_ts,
)
from stocklab.store import Store, open_store
from stocklab.trading.orders import OrderManager
from stocklab.trading.risk import Limits
from stocklab.trading.strategy import Rules, SmaCross, Strategy, TenTick
from stocklab.trading.trader import Configured, Trader
from tests.support.paths import SHARED

DATA = SHARED / "data" / "krx-daily"
START, END = date(2021, 5, 17), date(2022, 5, 16)
"""The sample's last year."""
KOSPI, KOSDAQ = "005930", "035900"
"""Stocks whose prices that year are all on the tick grid and traded every day (split-
adjusted prices off the grid, or a halted day, could not be ordered on paper; `sample`
checks this holds). One of each market: their sell taxes differ."""
CASH = 10_000_000
ACCOUNT = "parity"

Row = tuple[date, str, int, int, int, int, str]
"""(day, side, shares, price, commission, tax, why: entry / exit / take_profit / holding)"""


class DailyTenTick(TenTick):
    """`ten_tick` with daily bars."""

    timeframe = Timeframe.DAY


class SmaCrossWithExits(SmaCross):
    """`sma_cross` that also takes profit 4% above the entry and sells after 8 bars."""

    @property
    def rules(self) -> Rules:
        return Rules(take_profit_pct=Decimal("0.04"), max_holding_bars=8)


@dataclass(frozen=True)
class Sample:
    instrument: Instrument
    bars: BarSeries
    """Daily bars, the strategy's input and the backtest's."""


def sample(code: str) -> Sample:
    if not (DATA / "sample" / f"{code}.csv").is_file():
        pytest.skip(f"real KRX sample data not found at {DATA / 'sample'}")
    with (DATA / "instruments.csv").open(encoding="utf-8") as f:
        listed = {r["code"]: r for r in csv.DictReader(f)}
    inst = Instrument(code=code, name=listed[code]["name"], market=Market(listed[code]["market"]))
    with (DATA / "sample" / f"{code}.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if START <= date.fromisoformat(r["date"]) <= END]
    days = [date.fromisoformat(r["date"]) for r in rows]
    assert days == trading_days(START, END), f"{code}: a trading day is missing"
    o, h, lo, c, v = (
        np.array([int(r[k]) for r in rows], dtype=np.int64)
        for k in ("open", "high", "low", "close", "volume")
    )
    assert (v > 0).all(), f"{code}: a halted day"
    for d, *prices in zip(days, o.tolist(), h.tolist(), lo.tolist(), c.tolist(), strict=True):
        assert all(is_valid_price(p, inst.market, on=d) for p in prices), f"{code} {d}: off grid"
    ts = [int(daily_ts(d).timestamp()) for d in days]
    return Sample(inst, BarSeries.from_arrays(Timeframe.DAY, code, ts, o, h, lo, c, v))


class Clock:
    def __init__(self) -> None:
        self.now = datetime.combine(START, datetime.min.time(), KST)

    def __call__(self) -> datetime:
        return self.now


class Replay(MarketData):
    """The market of the sample, as it stood at the clock's time: a day's bar once its
    session has closed; during the opening auction the quote is the day's open."""

    name = "replay"

    def __init__(self, data: Sample, clock: Clock) -> None:
        self.data = data
        self.clock = clock
        self.days = [datetime.fromtimestamp(t, KST).date() for t in data.bars.ts.tolist()]
        self.closes = [session(d).close for d in self.days]

    def _closed(self) -> int:
        """How many of the sample's sessions have closed."""
        return bisect_right(self.closes, self.clock())

    def instruments(self, market: Market | None = None) -> list[Instrument]:
        return [self.data.instrument]

    def daily_bars(self, code: str, start: date, end: date) -> BarSeries:
        bars = self.data.bars.take(slice(0, self._closed()))
        days = np.array([d.toordinal() for d in self.days[: len(bars)]])
        return bars.take((days >= start.toordinal()) & (days <= end.toordinal()))

    def minute_bars(self, code: str, day: date) -> BarSeries:
        """The day's bar as one bar from the open, once the day has closed."""
        i = self.days.index(day)
        if i >= self._closed():
            return self.data.bars.take(slice(0, 0))
        bar = self.data.bars.take(slice(i, i + 1))
        start = int(session(day).open.timestamp())
        b = bar.to_bars()[0]
        return BarSeries.from_arrays(
            Timeframe.MINUTE, code, [start], [b.open], [b.high], [b.low], [b.close], [b.volume]
        )

    def quote(self, code: str) -> Quote:
        closed = self._closed()
        bars = self.data.bars
        if closed < len(self.days) and self.clock() >= session(self.days[closed]).open - timedelta(
            minutes=30
        ):  # the opening auction of the next session: its price is the open
            price = int(bars.open[closed])
        else:
            price = int(bars.close[closed - 1])
        prev = int(bars.close[closed - 1]) if closed else None
        return Quote(code=code, ts=self.clock(), price=price, prev_close=prev, source=self.name)

    def market_daily(self, day: date) -> BarSeries:
        raise NotSupported("replay: no market_daily", source=self.name)

    def investor_flows(self, code: str, start: date, end: date) -> list[Flow]:
        raise NotSupported("replay: no flows", source=self.name)

    def credit_balance(self, code: str, start: date, end: date) -> list[Flow]:
        raise NotSupported("replay: no flows", source=self.name)

    def short_selling(self, code: str, start: date, end: date) -> list[Flow]:
        raise NotSupported("replay: no flows", source=self.name)

    def close(self) -> None:
        """Nothing to close."""


@dataclass
class Outcome:
    rows: list[Row]
    cash: int
    held: int
    unfilled: list[str]
    """Orders that ended without a fill, as `why status`."""


def _why(order: Order) -> str:
    """The rule behind a paper order, from the end of the client id the trader gave it."""
    if order.request.side is Side.BUY:
        return "entry"
    kinds = {"exit": "exit", "tp": "take_profit", "hold": "holding", "stop": "stop"}
    return kinds[order.client_id.rsplit("-", 1)[1]]


def paper(strategy: Strategy, data: Sample, home: Path) -> Outcome:
    """Trade the sample day by day on paper (see the module's docstring)."""
    clock = Clock()
    market = Replay(data, clock)
    store: Store = open_store(f"sqlite:///{home / 'store.db'}")
    store.upsert_instruments([data.instrument])
    model = FillModel()
    broker = PaperBroker(home, ACCOUNT, market, cash=CASH, model=model, now=clock)
    limits = Limits(  # the backtest knows no risk limits: none of these may refuse
        max_order_krw=10 * CASH,
        max_position_pct=Decimal(1),
        daily_loss_krw=10 * CASH,
        commission_rate=model.commission_rate,
    )
    manager = OrderManager(
        store, broker, ACCOUNT, market, home, limits=limits, model=model, now=clock
    )
    strategies = [Configured(strategy, (data.instrument.code,))]
    trader = Trader(manager, store, market, strategies, model.commission_rate)
    store.save_bars(data.bars.take(slice(0, 1)), source="replay")
    for i, day in enumerate(market.days[1:], start=1):
        clock.now = session(day).open - timedelta(seconds=30)
        report = trader.cycle()
        assert not report.refused, report.refused
        clock.now = session(day).close + timedelta(minutes=15)
        manager.reconcile()
        store.save_bars(data.bars.take(slice(i, i + 1)), source="replay")
    orders = {o.client_id: o for o in store.list_orders(ACCOUNT, limit=100_000)}
    rows = [
        (
            f.ts.astimezone(KST).date(),
            f.side.value,
            f.qty,
            f.price,
            f.commission,
            f.tax,
            _why(orders[f.client_id]),
        )
        for f in _oldest_first(store.list_fills(ACCOUNT, limit=100_000))
    ]
    unfilled = [f"{_why(o)} {o.status.value}" for o in orders.values() if o.filled_qty == 0]
    position = store.get_position(ACCOUNT, data.instrument.code)
    account = store.get_account(ACCOUNT)
    assert account is not None
    assert account.cash == broker.balance().cash  # the store and the broker agree
    store.close()
    return Outcome(rows, account.cash, position.qty if position else 0, unfilled)


def _oldest_first(fills: list[Fill]) -> list[Fill]:
    return sorted(fills, key=lambda f: (f.ts, f.fill_id))


def backtest(strategy: Strategy, data: Sample) -> Outcome:
    code = data.instrument.code
    result = run(
        strategy,
        {code: data.bars},
        Config(cash=CASH),
        {code: Listing(market=data.instrument.market)},
    )
    why = {0: "entry", SIGNAL: "exit", TAKE_PROFIT: "take_profit", MAX_HOLDING: "holding"}
    rows = [
        (
            result.when(int(f[F_BAR])).date(),
            "buy" if f[F_SIDE] == BUY else "sell",
            int(f[F_QTY]),
            int(f[F_PRICE]),
            int(f[F_COMMISSION]),
            int(f[F_TAX]),
            why.get(int(f[F_REASON]), f"reason {int(f[F_REASON])}"),
        )
        for f in result.fills
    ]
    return Outcome(rows, int(result.cash[0]), int(result.positions[0]), [])


def _compare(strategy: Strategy, code: str, home: Path) -> list[Row]:
    data = sample(code)
    ours, theirs = paper(strategy, data, home), backtest(strategy, data)
    for a, b in zip(ours.rows, theirs.rows, strict=False):
        assert a == b, f"{strategy} {code}: paper {a} / backtest {b}"
    assert len(ours.rows) == len(theirs.rows), f"{strategy} {code}: fills differ in number"
    assert (ours.cash, ours.held) == (theirs.cash, theirs.held)
    # every order either filled or was a day's resting take-profit that expired unreached
    assert all(u == "take_profit expired" for u in ours.unfilled), ours.unfilled
    return ours.rows


def test_sma_cross_trades_the_same_on_paper_as_in_the_backtest(tmp_path: Path) -> None:
    rows = _compare(SmaCross(fast=5, slow=20), KOSDAQ, tmp_path)
    assert sum(r[1] == "sell" for r in rows) >= 3, "too few round trips to show anything"
    assert {r[6] for r in rows} == {"entry", "exit"}


def test_ten_tick_trades_the_same_on_paper_as_in_the_backtest(tmp_path: Path) -> None:
    rows = _compare(DailyTenTick(), KOSPI, tmp_path)
    assert sum(r[1] == "sell" for r in rows) >= 3, "too few round trips to show anything"
    assert {r[6] for r in rows} == {"entry", "take_profit"}


def test_a_percent_take_profit_and_a_holding_limit_trade_the_same(tmp_path: Path) -> None:
    rows = _compare(SmaCrossWithExits(fast=5, slow=20), KOSPI, tmp_path)
    assert {r[6] for r in rows} == {"entry", "exit", "take_profit", "holding"}
