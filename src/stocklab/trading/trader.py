"""One trading cycle: reconcile, then turn each configured strategy's latest closed-bar
signal into orders through the order manager.

Client ids are derived from the strategy, the code and the bar (or the position) that
caused the order, so a cycle that runs twice for the same bar — a retry, a restart, two
overlapping runs — asks for the same client id and sends nothing new.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from stocklab.agent.base import MarketData
from stocklab.barseries import BarSeries
from stocklab.krx import add_ticks, round_to_tick
from stocklab.krx.fills import fee, rate_units
from stocklab.model import KST, Order, OrderRequest, OrderStatus, OrderType, Side, Timeframe
from stocklab.store import Store
from stocklab.store.base import MAX_LIMIT
from stocklab.trading import risk
from stocklab.trading.orders import OPEN, OrderManager
from stocklab.trading.strategy import Strategy, get_strategy

log = logging.getLogger("stocklab.trading")


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
        strategy = get_strategy(str(entry.get("name", "")), dict(entry.get("params", {})))
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
        need = max(strategy.warmup * 3, 200)
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

    def _entry_price(self, code: str) -> int | None:
        """The average price of the last filled buy: what "ten ticks higher" counts from."""
        for order in self.store.list_orders(self.manager.account_id, limit=200):
            req = order.request
            if req.code == code and req.side is Side.BUY and order.filled_qty:
                return order.filled_amount // order.filled_qty
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
        price = self.market.quote(code).price
        base = f"{strategy.name}-{code}"
        if held == 0:
            if not pending and signals.entries[-1]:
                qty = self._size(strategy, price)
                if qty > 0:
                    self._submit(
                        report, self._request(f"{base}-{bar}-buy", code, Side.BUY, qty, price)
                    )
            return
        if any(o.request.side is Side.SELL for o in pending):
            return
        rules = strategy.rules
        entry = self._entry_price(code) or price
        marker = f"{base}-p{position.version if position else 0}"
        if signals.exits[-1]:
            self._submit(report, self._request(f"{base}-{bar}-exit", code, Side.SELL, held, None))
        elif rules.stop_loss_pct is not None and price <= entry * (1 - rules.stop_loss_pct):
            self._submit(report, self._request(f"{marker}-stop", code, Side.SELL, held, None))
        elif rules.take_profit_ticks is not None:
            inst = self.store.get_instrument(code)
            options = {"market": inst.market, "kind": inst.kind} if inst else {}
            start = round_to_tick(entry, "down", **options)
            target = add_ticks(start, rules.take_profit_ticks, **options)
            self._submit(report, self._request(f"{marker}-tp", code, Side.SELL, held, target))

    def _size(self, strategy: Strategy, price: int) -> int:
        rules = strategy.rules
        if rules.sizing == "qty":
            return int(rules.size or 0)
        budget = (
            int(rules.size or 0)
            if rules.sizing == "cash"
            else self.manager.broker.balance().orderable
        )
        qty = budget // price
        while qty > 0 and qty * price + fee(qty * price, self.commission) > budget:
            qty -= 1
        return qty
