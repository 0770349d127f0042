"""The order-level rules of a strategy, applied by the paper trader as the backtest applies
them (`backtest.kernel`): a take-profit in percent rounded up onto the tick grid, a stop
rounded down onto it and met by every bar after the entry bar, and a holding limit counted
in the strategy's bars from the one the entry filled in.

Each test drives a `Trader` on the paper broker with a simulated clock, one cycle a minute
(30 seconds after each minute bar closes), on a day of the simulator.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from stocklab.barseries import BarSeries
from stocklab.config import load_settings
from stocklab.jobs.runner import run_job
from stocklab.krx import round_to_tick
from stocklab.model import KST, Fill, Order, OrderStatus, OrderType, Side, Timeframe
from stocklab.runtime.trading import open_manager
from stocklab.store import Store, open_store
from stocklab.trading.strategy import Rules, Signals, Strategy
from stocklab.trading.trader import Configured, Trader

DAY = date(2024, 11, 15)
CODE = "005930"  # KOSPI, 50-won ticks around 37,800 on this simulated day
QTY = 10


class Hold(Strategy):
    """Always wants to be in; never asks to leave: only the rules close a position."""

    name = "hold"
    description = "rules only"
    timeframe = Timeframe.MINUTE

    def __init__(self, rules: Rules) -> None:
        super().__init__()
        self._rules = rules

    @property
    def rules(self) -> Rules:
        return self._rules

    def signals(self, bars: BarSeries) -> Signals:
        n = len(bars)
        return Signals(np.ones(n, dtype=bool), np.zeros(n, dtype=bool))


class Session:
    def __init__(self, home: Path, rules: Rules, cash: int = 50_000_000) -> None:
        settings = load_settings(
            home=home,
            sim_codes=40,
            sim_start=date(2024, 6, 3),
            paper_cash=cash,
            risk_max_position_pct=Decimal(1),  # a small account may go all in
        )
        assert run_job("collect_codes", settings=settings, interactive=False).error is None
        self.now = datetime.combine(DAY, datetime.min.time(), KST).replace(hour=9, second=30)
        self.store: Store = open_store(settings.store_url)
        manager = open_manager(settings, self.store, now=lambda: self.now)
        self.account = manager.account_id
        self.market = manager.market
        self.trader = Trader(
            manager,
            self.store,
            manager.market,
            [Configured(Hold(rules), (CODE,))],
            settings.commission_rate,
        )

    def run_until(self, done: Callable[[], bool], until: int = 12) -> None:
        """A cycle a minute until `done()` holds after one (or `until` o'clock)."""
        while self.now.hour < until:
            self.trader.cycle()
            if done():
                return
            self.now += timedelta(minutes=1)

    def fills(self) -> list[Fill]:
        return self.store.list_fills(account_id=self.account)

    def sells(self) -> list[Order]:
        orders = self.store.list_orders(self.account, limit=1000)
        return [o for o in reversed(orders) if o.request.side is Side.SELL]

    def minute_bars(self) -> BarSeries:
        return self.market.minute_bars(CODE, DAY)

    def held(self) -> int:
        position = self.store.get_position(self.account, CODE)
        return position.qty if position else 0


@pytest.fixture
def session(tmp_path: Path) -> Callable[[Rules], Session]:
    return lambda rules: Session(tmp_path / "home", rules)


def first_buy(s: Session) -> Fill:
    s.run_until(lambda: bool(s.fills()))
    (fill,) = s.fills()
    assert fill.side is Side.BUY
    assert fill.qty == QTY
    return fill


def test_take_profit_pct_sells_at_the_target_rounded_up_to_the_tick(
    session: Callable[[Rules], Session],
) -> None:
    pct = Decimal("0.003")
    s = session(Rules(take_profit_pct=pct, sizing="qty", size=QTY))
    buy = first_buy(s)
    exact = Decimal(buy.price) * (1 + pct)
    target = round_to_tick(math.ceil(exact), "up")
    assert target != exact
    assert round_to_tick(math.floor(exact), "down") < target

    s.run_until(lambda: any(f.side is Side.SELL for f in s.fills()))
    (order,) = s.sells()
    assert order.request.order_type is OrderType.LIMIT
    assert order.request.price == target
    assert order.request.qty == QTY
    sell = s.fills()[1]
    assert sell.client_id == order.client_id
    assert sell.qty == QTY
    assert sell.price >= target  # the target, or the open of a bar that gapped above it
    # ... and no earlier: it rested until the first bar whose high reached the target
    bars = s.minute_bars()
    placed = order.created_at.timestamp()
    reached = [
        int(t) for t, h in zip(bars.ts, bars.high, strict=True) if t >= placed and h >= target
    ]
    assert sell.ts.timestamp() == reached[0]
    assert s.held() == 0


def test_max_holding_bars_sells_after_that_many_bars_and_not_before(
    session: Callable[[Rules], Session],
) -> None:
    hold = 5
    s = session(Rules(max_holding_bars=hold, sizing="qty", size=QTY))
    buy = first_buy(s)
    entered = buy.ts  # the start of the minute bar the buy filled in
    # Bars entered .. entered + (hold-1) minutes are held: the last of them closes at
    # entered + hold minutes; the first cycle after that sells, as the backtest queues the
    # sale at that bar's close.
    due = entered + timedelta(minutes=hold)
    s.run_until(lambda: bool(s.sells()) or s.now >= due + timedelta(minutes=5))
    assert s.sells(), "the holding limit never sold"
    (order,) = s.sells()
    assert due <= order.created_at < due + timedelta(minutes=1)
    assert order.request.order_type is OrderType.MARKET
    assert order.request.qty == QTY
    s.run_until(lambda: len(s.fills()) == 2)
    sell = s.fills()[1]
    assert (sell.side, sell.qty, sell.client_id) == (Side.SELL, QTY, order.client_id)
    assert sell.ts == due + timedelta(minutes=1)  # the next bar's open
    bars = s.minute_bars()
    assert sell.price == int(bars.open[bars.ts == int(sell.ts.timestamp())][0])


def _stop_case(
    session: Callable[[Rules], Session], rules: Rules, pct: Decimal
) -> tuple[Session, int, datetime]:
    """(session, stop, the time of the cycle that must sell) for a position entered first."""
    s = session(rules)
    buy = first_buy(s)
    stop = round_to_tick(math.floor(buy.price * (1 - pct)), "down")
    # The backtest meets the stop with every bar after the entry bar; the first whose low
    # reaches it decides. Here it is reached exactly (low == stop) and never before.
    now, s.now = s.now, s.now.replace(hour=12)  # only to read the whole morning's bars
    bars = s.minute_bars()
    after = bars.ts > buy.ts.timestamp()
    lows, starts = bars.low[after], bars.ts[after]
    hit = int(np.argmax(lows <= stop))
    assert lows[hit] == stop
    assert (lows[:hit] > stop).all()
    assert hit > 5
    s.now = now
    due = datetime.fromtimestamp(int(starts[hit]), KST) + timedelta(minutes=1, seconds=30)
    return s, stop, due


def test_stop_loss_sells_when_the_price_falls_to_it_and_not_above(
    session: Callable[[Rules], Session],
) -> None:
    pct = Decimal("0.005")
    s, _, due = _stop_case(session, Rules(stop_loss_pct=pct, sizing="qty", size=QTY), pct)
    s.run_until(lambda: bool(s.sells()) or s.now > due)
    assert s.sells(), "the stop never sold"
    (order,) = s.sells()
    assert order.created_at == due  # not while every low stayed above the stop
    assert order.request.order_type is OrderType.MARKET
    assert order.request.qty == QTY
    s.run_until(lambda: len(s.fills()) == 2)
    assert s.fills()[1].client_id == order.client_id
    assert s.held() == 0


def test_stop_loss_cancels_a_resting_take_profit(session: Callable[[Rules], Session]) -> None:
    pct = Decimal("0.005")
    rules = Rules(take_profit_pct=Decimal("0.003"), stop_loss_pct=pct, sizing="qty", size=QTY)
    s, _, due = _stop_case(session, rules, pct)
    s.run_until(lambda: any(o.request.order_type is OrderType.MARKET for o in s.sells()))
    take_profit, stop = s.sells()
    assert take_profit.request.order_type is OrderType.LIMIT
    assert take_profit.status is OrderStatus.CANCELLED
    assert take_profit.filled_qty == 0
    assert stop.request.order_type is OrderType.MARKET
    assert stop.created_at == due
    s.run_until(lambda: len(s.fills()) == 2)
    assert s.fills()[1].client_id == stop.client_id
    assert s.held() == 0


# -- sizing: as the backtest sizes (`krx.exits`) --------------------------------------------


def _first_entry(home: Path) -> tuple[int, datetime]:
    """(price, time) of the morning's first buy order (the simulator is deterministic): the
    quote the trader sized it with, and the time of the cycle that placed it."""
    probe = Session(home, Rules(sizing="qty", size=QTY))
    probe.run_until(lambda: bool(probe.store.list_orders(probe.account)))
    (order,) = probe.store.list_orders(probe.account)
    assert order.request.price is not None
    return order.request.price, probe.now


def test_all_in_buys_what_the_cash_pays_for_with_the_exact_commission(tmp_path: Path) -> None:
    price, at = _first_entry(tmp_path / "probe")
    commission = price * 15_000 / 10**8  # 0.015%
    assert commission != int(commission)  # the case where flooring the fee would differ
    # Cash for one share with the fee floored, not with the exact fee: the backtest's
    # floor(cash / (price × (1 + commission))) is 0, so no order goes out.
    short = Session(tmp_path / "short", Rules(), cash=price + int(commission))
    short.now = at
    report = short.trader.cycle()
    assert report.orders == []
    assert report.refused == []
    enough = Session(tmp_path / "enough", Rules(), cash=price + int(commission) + 1)
    enough.now = at
    assert len(enough.trader.cycle().orders) == 1
    (order,) = enough.store.list_orders(enough.account)
    assert (order.request.qty, order.request.price) == (1, price)


def test_a_fixed_quantity_is_capped_by_what_the_cash_pays_for(tmp_path: Path) -> None:
    price, at = _first_entry(tmp_path / "probe")
    cash = 3 * price + 3 * price * 15_000 // 10**8 + 1  # three shares and their fees
    s = Session(tmp_path / "home", Rules(sizing="qty", size=QTY), cash=cash)
    s.now = at
    report = s.trader.cycle()
    assert report.refused == []  # it asks for 3 shares, not the 10 the cash cannot pay for
    assert len(report.orders) == 1
    (order,) = s.store.list_orders(s.account)
    assert (order.request.qty, order.request.price) == (3, price)
