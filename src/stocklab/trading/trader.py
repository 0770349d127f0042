"""One trading cycle: reconcile, then turn each configured strategy's latest closed-bar
signal into orders through the order manager.

Client ids are derived from the strategy, the code and the bar (or the position) that
caused the order, so a cycle that runs twice for the same bar — a retry, a restart, two
overlapping runs — asks for the same client id and sends nothing new.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
from pydantic import ValidationError

from stocklab.agent.base import MarketData
from stocklab.barseries import BarSeries
from stocklab.krx import exits, price_limits, round_to_tick
from stocklab.krx.fills import rate_units
from stocklab.model import (
    KST,
    Market,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    SecurityKind,
    Side,
    Timeframe,
    daily_ts,
)
from stocklab.store import Store, StoreError
from stocklab.store.base import MAX_LIMIT
from stocklab.trading import risk
from stocklab.trading.orders import OPEN, OrderManager
from stocklab.trading.strategy import Strategy, get_strategy

log = logging.getLogger("stocklab.trading")

_MAY_HAVE_FILLS = tuple(
    s
    for s in OrderStatus
    if s not in (OrderStatus.NEW, OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.REJECTED)
)


@dataclass(frozen=True)
class Configured:
    strategy: Strategy
    codes: tuple[str, ...]


def configured(raw: list[dict[str, Any]]) -> list[Configured]:
    """The `[[strategies]]` of the settings, validated (a mistake names the entry)."""
    out = []
    for i, entry in enumerate(raw):
        unknown = set(entry) - {"name", "params", "codes", "enabled"}
        if unknown:
            raise ValueError(f"strategies[{i}]: 모르는 항목 {', '.join(sorted(unknown))}")
        if not entry.get("enabled", True):
            continue
        try:
            strategy = get_strategy(str(entry.get("name", "")), dict(entry.get("params", {})))
        except ValidationError as exc:  # parameters: the first problem, on one line
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "params"
            message = str(first.get("msg", "")).removeprefix("Value error, ")
            raise ValueError(f"strategies[{i}] ({entry.get('name')}): {where}: {message}") from None
        except ValueError as exc:
            raise ValueError(f"strategies[{i}]: {exc}") from None
        codes = tuple(str(c) for c in entry.get("codes", []))
        if not codes:
            raise ValueError(f"strategies[{i}] ({strategy.name}): codes가 비었습니다")
        out.append(Configured(strategy, codes))
    return out


@dataclass
class CycleReport:
    orders: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    killed: bool = False


class Trader:
    """Runs cycles for the configured strategies on one order manager."""

    def __init__(
        self,
        manager: OrderManager,
        store: Store,
        market: MarketData,
        strategies: list[Configured],
        commission_rate: Decimal,
    ) -> None:
        self.manager = manager
        self.store = store
        self.market = market
        self.strategies = strategies
        self.commission = rate_units(commission_rate)

    def cycle(self) -> CycleReport:
        report = CycleReport()
        self.manager.reconcile()
        if risk.is_killed(self.manager.home):
            report.killed = True
            log.warning("긴급 정지 중: 주문을 내지 않습니다")
            return report
        for conf in self.strategies:
            for code in conf.codes:
                if risk.is_killed(self.manager.home):  # checked between codes, not only per cycle
                    report.killed = True
                    return report
                self._trade(conf.strategy, code, report)
        self.manager.reconcile()
        return report

    def _bars(self, strategy: Strategy, code: str) -> BarSeries:
        """Recent closed bars: from the store, or the source's minutes of today if the store
        has none yet (minute collection runs every few minutes)."""
        # enough bars to see a position through its holding limit (counted in these bars)
        need = max(strategy.warmup * 3, 200, (strategy.rules.max_holding_bars or 0) + 1)
        bars = self.store.load_bars(code, strategy.timeframe, limit=need)
        today = self.manager.now().astimezone(KST).date()
        if strategy.timeframe is Timeframe.MINUTE and (
            len(bars) == 0 or bars.datetimes()[-1].date() != today
        ):
            bars = self.market.minute_bars(code, today)
        return bars

    def _open_orders(self, code: str) -> list[Order]:
        return [
            o
            for o in self.store.list_orders(self.manager.account_id, statuses=OPEN, limit=MAX_LIMIT)
            if o.request.code == code
        ]

    def _submit(self, report: CycleReport, request: OrderRequest) -> None:
        order = self.manager.submit(request)
        if order.status is OrderStatus.REJECTED:
            report.refused.append(f"{request.client_id}: {order.reason}")
        else:
            report.orders.append(request.client_id)

    def _request(
        self, client_id: str, code: str, side: Side, qty: int, price: int | None
    ) -> OrderRequest:
        return OrderRequest(
            client_id=client_id,
            account_id=self.manager.account_id,
            code=code,
            side=side,
            qty=qty,
            order_type=OrderType.MARKET if price is None else OrderType.LIMIT,
            price=price,
        )

    def _entry(self, code: str) -> tuple[int, datetime | None] | None:
        """(price, time) of the first fill of the last filled buy: the backtest sets a
        position's take-profit and stop from its first fill and counts its holding time
        from that fill's bar.

        The newest orders are looked at first; a position held for long has a take-profit
        re-placed every session (each expiring unfilled), which pushes its buy out of
        them, so then every order that may hold fills is searched."""
        for statuses, limit in ((None, 200), (_MAY_HAVE_FILLS, MAX_LIMIT)):
            orders = self.store.list_orders(self.manager.account_id, statuses=statuses, limit=limit)
            for order in orders:
                req = order.request
                if req.code == code and req.side is Side.BUY and order.filled_qty:
                    fills = self.store.list_fills(
                        self.manager.account_id, client_id=order.client_id, limit=1
                    )
                    if fills:
                        return fills[0].price, fills[0].ts
                    return order.filled_amount // order.filled_qty, None
        return None

    def _trade(self, strategy: Strategy, code: str, report: CycleReport) -> None:
        bars = self._bars(strategy, code)
        if len(bars) < strategy.warmup:
            log.info("%s %s: 봉 %d개 (필요 %d)", strategy.name, code, len(bars), strategy.warmup)
            return
        signals = strategy.signals(bars)
        bar = int(bars.ts[-1])
        position = self.store.get_position(self.manager.account_id, code)
        held = position.qty if position else 0
        pending = self._open_orders(code)
        quote = self.market.quote(code)
        price = quote.price
        base = f"{strategy.name}-{code}"
        if held == 0:
            if not pending and signals.entries[-1]:
                qty = self._size(strategy, price)
                if qty > 0:
                    self._submit(
                        report, self._request(f"{base}-{bar}-buy", code, Side.BUY, qty, price)
                    )
            return
        rules = strategy.rules
        inst = self.store.get_instrument(code)
        market, kind = (inst.market, inst.kind) if inst else (Market.KOSPI, SecurityKind.STOCK)
        options: dict[str, Any] = {"market": market, "kind": kind}
        entry, entered = self._entry(code) or (price, None)
        day = entered.astimezone(KST).date() if entered else None
        # The bar the entry filled in (the backtest's entry bar i): holding time counts from
        # it, and the stop meets the bars after it.
        first = _bar_start(entered, strategy.timeframe) if entered else None
        after = bars.ts > first if first is not None else np.zeros(len(bars), dtype=bool)
        tick_grid = exits.grid(market, kind, day)  # the levels are on the entry day's grid
        stop = exits.stop_level(entry, exits.units(rules.stop_loss_pct), *tick_grid)
        # The backtest's stop meets every bar's low; a cycle sees the current price and the
        # bars closed since the last cycle, so it also sells when a closed bar after the
        # entry bar touched the stop (at market, one cycle late: paper holds no stop order).
        touched = stop > 0 and (price <= stop or bool((bars.low[after] <= stop).any()))
        held_bars = int((bars.ts >= first).sum()) if first is not None else 0
        expired = exits.held_too_long(held_bars, rules.max_holding_bars or 0)
        marker = f"{base}-p{position.version if position else 0}"
        if signals.exits[-1]:
            exit_id = f"{base}-{bar}-exit"
        elif touched:
            exit_id = f"{marker}-{bar}-stop"
        elif expired:
            exit_id = f"{marker}-{bar}-hold"
        else:
            exit_id = None
        selling = [o for o in pending if o.request.side is Side.SELL]
        if selling:
            # A resting take-profit gives way to a market exit (the backtest's pending market
            # sell fills at the open whatever the target); anything else is left to work.
            if exit_id is None or any(o.request.order_type is OrderType.MARKET for o in selling):
                return
            for order in selling:
                try:
                    self.manager.cancel(order.client_id)
                except (ValueError, StoreError) as exc:
                    log.info(
                        "%s %s: 익절 주문 취소를 다음 주기에 다시 합니다 (%s)", base, code, exc
                    )
                    return
            if any(o.request.side is Side.SELL for o in self._open_orders(code)):
                return  # the cancel is not confirmed yet
            position = self.store.get_position(self.manager.account_id, code)
            held = position.qty if position else 0
            if held == 0:
                return  # the take-profit filled before it could be cancelled
        if exit_id is not None:
            self._submit(report, self._request(exit_id, code, Side.SELL, held, None))
            return
        target = exits.take_profit_level(
            entry, rules.take_profit_ticks or 0, exits.units(rules.take_profit_pct), *tick_grid
        )
        if target == 0:
            return
        today = self.manager.now().astimezone(KST).date()
        target = round_to_tick(target, "up", on=today, **options)
        band = price_limits(quote.prev_close or price, on=today, **options)
        if target > band.upper:
            return  # no price today can reach it (the backtest would not fill it either)
        # Below the day's floor the target is under every price of the day: a limit sell at
        # the floor fills at the open, as the backtest's target below the open does.
        target = max(target, band.lower)
        self._submit(report, self._request(f"{marker}-{bar}-tp", code, Side.SELL, held, target))

    def _size(self, strategy: Strategy, price: int) -> int:
        """The entry's shares, as the backtest sizes them (`krx.exits`): never more than
        the orderable cash pays for, commission included."""
        rules = strategy.rules
        cash = self.manager.broker.balance().orderable
        want = exits.entry_size(
            exits.SIZING[rules.sizing], rules.size or 0, cash, price, self.commission
        )
        return min(want, exits.affordable(cash, price, self.commission))


def _bar_start(at: datetime, timeframe: Timeframe) -> int:
    """Epoch seconds of the start of the bar of `timeframe` that holds `at`."""
    if timeframe is Timeframe.DAY:
        return int(daily_ts(at.astimezone(KST).date()).timestamp())
    return int(at.timestamp()) // timeframe.seconds * timeframe.seconds
