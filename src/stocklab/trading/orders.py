"""The order manager: every order recorded before it is sent, every change through the
lifecycle table, and a reconcile that makes the store agree with the broker.

Why it never loses or doubles an order:
- An order is inserted (status `new`, keyed by its client id) before anything is sent,
  and marked `submitted` (a compare-and-set on its version) just before the broker call.
  A client id already in the store is never sent again.
- A broker call that times out leaves the order `submitted`; reconcile looks the order up
  among the broker's orders (by client id where the broker keeps it, else by code, side,
  quantity, price and time) instead of resending.
- Fills are recorded with `store.apply_fill`, which writes the fill, the order, the
  position and the cash in one step, idempotently by fill id.
So a process killed at any point — after recording, after sending, after a fill — is
repaired by the next reconcile: `new` orders that were never sent are sent once (or
expired when stale), `submitted` ones are matched, missing fills are applied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from stocklab.agent.base import MarketData, RateLimited, SourceError
from stocklab.agent.broker import (
    Broker,
    BrokerFill,
    BrokerOrder,
    BrokerRejected,
    OrderUnknown,
    Recorded,
)
from stocklab.krx import is_trading_day, market_status
from stocklab.krx.fills import FillModel
from stocklab.model import (
    KST,
    Account,
    Fill,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Side,
    josa,
    now_kst,
)
from stocklab.store import NotFound, Store, VersionConflict
from stocklab.store.base import MAX_LIMIT
from stocklab.trading import risk
from stocklab.trading.lifecycle import advance, from_broker

log = logging.getLogger("stocklab.trading")

OPEN = (
    OrderStatus.NEW,
    OrderStatus.SUBMITTED,
    OrderStatus.ACCEPTED,
    OrderStatus.PARTIALLY_FILLED,
    OrderStatus.CANCEL_REQUESTED,
    OrderStatus.MODIFY_REQUESTED,
)
MODIFIABLE = (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED)
UNKNOWN_GRACE = timedelta(seconds=30)
"""How long a sent order may stay unseen at the broker before it is taken as never arrived."""
RESEND_WINDOW = timedelta(minutes=2)
"""A recorded order that a crash kept from being sent is sent on restart only if this fresh."""
UNSENT = "unsent"
"""The rule of an order refused because the broker could not be reached: it never left."""


class ClientIdReused(ValueError):
    """A client id (idempotency key) already used for an order with other terms."""


def _same_order(existing: Order, request: OrderRequest) -> Order:
    """The stored order for a retry with the same client id; `ClientIdReused` when the
    retry asks for a different order (answering with the old one would hide a mistake)."""
    old = existing.request
    if (old.account_id, old.code, old.side, old.qty, old.order_type, old.price) != (
        request.account_id,
        request.code,
        request.side,
        request.qty,
        request.order_type,
        request.price,
    ):
        raise ClientIdReused(
            f"주문 키 {request.client_id}는 이미 다른 주문({old.code} {old.side.value} "
            f"{old.qty:,}주)에 쓰였습니다 — 새 주문에는 새 키를 쓰세요"
        )
    return existing


@dataclass
class ReconcileReport:
    matched: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    """`original→new` for every 정정 reconcile settled (stocklab's or the broker app's)."""
    resent: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    fills: list[str] = field(default_factory=list)
    status_changes: list[str] = field(default_factory=list)
    corrections: list[str] = field(default_factory=list)
    unknown_fills: list[str] = field(default_factory=list)


class OrderManager:
    """Orders of one account through one broker, recorded in the store."""

    def __init__(
        self,
        store: Store,
        broker: Broker,
        account_id: str,
        market: MarketData,
        home: Path,
        *,
        limits: risk.Limits | None = None,
        model: FillModel | None = None,
        now: Callable[[], datetime] = now_kst,
    ) -> None:
        self.store = store
        self.model = model or FillModel()
        self.broker = broker
        self.account_id = account_id
        self.market = market
        self.home = home
        self.limits = limits or risk.Limits()
        self.now = now

    # -- the account -----------------------------------------------------------------

    def account(self) -> Account:
        """The store's account record, created from the broker's balance on first use."""
        found = self.store.get_account(self.account_id)
        if found is not None:
            return found
        now = self.now()
        balance = self.broker.balance()
        return self.store.create_account(
            Account(
                account_id=self.account_id,
                broker=self.broker.name if self.broker.name in ("paper", "ls") else "paper",
                cash=balance.cash,
                created_at=now,
                updated_at=now,
            )
        )

    # -- submitting ------------------------------------------------------------------

    def snapshot(self, request: OrderRequest) -> risk.Snapshot:
        """What the risk rules look at for this order, from the broker and the market."""
        now = self.now()
        instrument = self.store.get_instrument(request.code) or next(
            (i for i in self.market.instruments() if i.code == request.code), None
        )
        if instrument is None:  # asked before the quote: the source has none for it
            raise risk.RiskRejected(
                "code",
                f"종목 {request.code}{josa(request.code, '을', '를')} 알 수 없습니다 — "
                "종목 목록(stocklab collect codes)에 있는 "
                "6자리 코드를 쓰세요",
            )
        quote = self.market.quote(request.code)
        holdings = {h.code: h for h in self.broker.holdings()}
        balance = self.broker.balance()
        values = {}
        for code, h in holdings.items():
            price = quote.price if code == request.code else self.market.quote(code).price
            values[code] = h.qty * price
        held = holdings.get(request.code)
        recent = [  # orders that went to the broker (refusals here never left)
            o
            for o in self.store.list_orders(self.account_id, limit=200)
            if o.created_at >= now - timedelta(minutes=1)
            and (o.status is not OrderStatus.REJECTED or o.broker_order_id)
        ]
        return risk.Snapshot(
            now=now,
            instrument=instrument,
            reference=quote.prev_close or quote.price,
            price=quote.price,
            orderable=balance.orderable,
            equity=balance.cash + sum(values.values()),
            position_qty=held.qty if held else 0,
            sellable=held.sellable if held else 0,
            orders_last_minute=len(recent),
            day_pnl=self.day_pnl(),
            killed=risk.is_killed(self.home),
            position_values=values,
        )

    def submit(self, request: OrderRequest) -> Order:
        """Check, record, send. The same client id is never sent twice."""
        if request.account_id != self.account_id:  # a bug in the caller, never a user's
            raise ValueError(
                f"주문 {request.client_id}의 계좌 {request.account_id!r}가 이 주문 관리자의 "
                f"계좌 {self.account_id!r}와 다릅니다"
            )
        existing = self.store.get_order(request.client_id)
        if existing is not None:
            return self._recover(_same_order(existing, request))
        now = self.now()
        order = Order(request=request, created_at=now, updated_at=now)
        try:
            risk.check(request, self.snapshot(request), self.limits)
        except risk.RiskRejected as exc:
            log.info("주문 거절 %s: %s", request.client_id, exc)
            refused = order.model_copy(
                update={"status": OrderStatus.REJECTED, "reason": str(exc), "rule": exc.rule}
            )
            return self.store.insert_order(refused)
        recorded = _same_order(self.store.insert_order(order), request)  # a racing twin
        if recorded.status is not OrderStatus.NEW:
            return recorded
        return self._send(recorded)

    def _recover(self, order: Order) -> Order:
        """A retry of an order a killed process left half done: finish it now, so the
        retry's answer is the truth (recorded but unsent: send it; sent without an
        answer: the broker's copy, or — where the broker keeps our ids and so never
        books one twice — send it again)."""
        if order.status is OrderStatus.NEW:
            return self._send(order) if self._fresh(order) else order
        if order.status is not OrderStatus.SUBMITTED or order.broker_order_id:
            return order
        if order.replaces is not None:
            return order
        try:
            broker_orders = self.broker.orders()
        except SourceError:
            return order  # the broker does not answer: reconcile settles it later
        claimed = {
            o.broker_order_id
            for o in self.store.list_orders(self.account_id, limit=MAX_LIMIT)
            if o.broker_order_id
        }
        self._resolve_unknown(order, broker_orders, claimed, ReconcileReport())
        return self.store.get_order(order.client_id) or order

    def _move(self, order: Order, status: OrderStatus, **changes: object) -> Order:
        """One lifecycle step, stored with a compare-and-set on the version."""
        target = advance(order.status, status)
        updated = order.model_copy(update={"status": target, "updated_at": self.now(), **changes})
        return self.store.update_order(updated)

    def _send(self, order: Order) -> Order:
        """Mark the order sent (a compare-and-set: one sender wins), then place it.

        Brokers that do not keep our client id number their orders rising within a day;
        the highest number before sending is recorded with the order, so a lost answer is
        matched to the broker's copy by number (and terms), never by clock."""
        try:
            mark = self._watermark()
        except SourceError as exc:
            reason = f"브로커의 오늘 주문번호를 확인하지 못해 보내지 않았습니다: {exc}"
            return self._move(order, OrderStatus.REJECTED, reason=reason, rule=UNSENT)
        try:
            order = self._move(order, OrderStatus.SUBMITTED, sent_after=mark)
        except VersionConflict:  # another process is sending it
            return self.store.get_order(order.client_id) or order
        return self._place(order)

    def _watermark(self) -> str | None:
        """The broker's highest order number today (None: it keeps client ids, or none yet)."""
        return None if self.broker.keeps_client_ids else self.broker.last_order_id()

    def _place(self, order: Order) -> Order:
        try:
            placed = self.broker.place(order.request)
        except BrokerRejected as exc:
            return self._move(order, OrderStatus.REJECTED, reason=str(exc), rule="broker")
        except RateLimited as exc:  # refused at the gateway: it never reached the exchange
            return self._move(order, OrderStatus.REJECTED, reason=str(exc), rule="broker")
        except OrderUnknown as exc:
            log.warning(
                "주문 %s 결과를 모릅니다 (%s); 대사(reconcile)로 확인합니다", order.client_id, exc
            )
            return order
        except SourceError as exc:  # refused before it left: no connection, key refused
            reason = f"브로커에 닿지 못해 보내지 않았습니다: {exc}"
            return self._move(order, OrderStatus.REJECTED, reason=reason, rule=UNSENT)
        try:
            return self._move(order, OrderStatus.ACCEPTED, broker_order_id=placed.broker_order_id)
        except VersionConflict:  # a retry settled it meanwhile, with the same booking
            return self.store.get_order(order.client_id) or order

    # -- modifying (정정) -----------------------------------------------------------

    def modify(self, client_id: str, *, price: int | None = None, qty: int | None = None) -> Order:
        """Change an open order's price and/or quantity (정정); the new order, whose
        `replaces` names this one. KRX moves the open shares to a new order number; a
        smaller quantity cancels the rest; a larger one needs a new order."""
        self.reconcile()  # the open quantity is what has not filled by now
        order = self.store.get_order(client_id)
        if order is None:
            raise NotFound(f"주문 {client_id}{josa(client_id, '이', '가')} 없습니다")
        if order.status not in MODIFIABLE or order.broker_order_id is None:
            raise ValueError(
                f"주문 {client_id}{josa(client_id, '은', '는')} 지금 {order.status.value} "
                "상태라 정정할 수 없습니다 (접수된 미체결 주문만 정정할 수 있습니다)"
            )
        req = order.request
        open_qty = req.qty - order.filled_qty
        new_qty = open_qty if qty is None else qty
        if not 1 <= new_qty <= open_qty:
            raise ValueError(
                f"정정 수량은 1~{open_qty:,}주(미체결 수량)여야 합니다 — "
                "수량을 늘리려면 새 주문을 내세요"
            )
        new_price = req.price if price is None else price
        if new_price is None:
            raise ValueError("시장가 주문을 정정하려면 가격(--price)을 주세요")
        if new_price == req.price and new_qty == open_qty:
            raise ValueError("바뀐 것이 없습니다: 새 가격이나 더 작은 수량을 주세요")
        child_req = req.model_copy(
            update={
                "client_id": self._child_id(client_id),
                "qty": new_qty,
                "price": new_price,
                "order_type": OrderType.LIMIT,
            }
        )
        snap = self.snapshot(child_req)
        try:
            risk.trading_hours(child_req, snap, self.limits)
            risk.price_validity(child_req, snap, self.limits)
            mark = self._watermark()
        except risk.RiskRejected as exc:
            raise ValueError(str(exc)) from None
        now = self.now()
        original = self._move(order, OrderStatus.MODIFY_REQUESTED)
        child = self.store.insert_order(
            Order(
                request=child_req,
                status=OrderStatus.SUBMITTED,
                replaces=client_id,
                sent_after=mark,
                created_at=now,
                updated_at=now,
            )
        )
        try:
            placed = self.broker.modify(order.broker_order_id, child_req, open_qty)
        except (BrokerRejected, RateLimited) as exc:
            self._move(original, order.status)
            return self._move(child, OrderStatus.REJECTED, reason=str(exc), rule="broker")
        except OrderUnknown as exc:
            log.warning(
                "정정 %s 결과를 모릅니다 (%s); 대사(reconcile)로 확인합니다", client_id, exc
            )
            return child
        except SourceError as exc:  # it never left: the original stands as it was
            self._move(original, order.status)
            reason = f"브로커에 닿지 못해 정정을 보내지 않았습니다: {exc}"
            return self._move(child, OrderStatus.REJECTED, reason=reason, rule=UNSENT)
        self._move(child, OrderStatus.ACCEPTED, broker_order_id=placed.broker_order_id)
        self.reconcile()
        return self.store.get_order(child.client_id) or child

    def _child_id(self, client_id: str) -> str:
        """The next free `<id>.m<n>` (cut to the 64 characters a client id may have)."""
        n = 1
        while self.store.get_order(f"{client_id[:56]}.m{n}") is not None:
            n += 1
        return f"{client_id[:56]}.m{n}"

    def _settle_modifies(
        self, broker_orders: list[BrokerOrder], orders: list[Order], report: ReconcileReport
    ) -> None:
        """Modify rows at the broker as orders in the store: a lost answer of our own 정정
        is matched; one made in the broker's app becomes a new order; the original whose
        shares all moved is `replaced` (its fills so far stay on it)."""
        by_broker = {o.broker_order_id: o for o in orders if o.broker_order_id}
        parents = {o.client_id: o for o in orders}
        waiting = {
            o.replaces: o
            for o in orders
            if o.replaces and o.status is OrderStatus.SUBMITTED and o.broker_order_id is None
        }
        seen = {b.broker_order_id: b for b in broker_orders}
        for b in broker_orders:
            parent = by_broker.get(b.original_id or "")
            if b.kind != "modify" or parent is None or b.broker_order_id in by_broker:
                continue
            mine = waiting.pop(parent.client_id, None)
            if mine is not None:
                child = self._move(mine, OrderStatus.ACCEPTED, broker_order_id=b.broker_order_id)
            else:  # changed outside stocklab: the new order is the account's all the same
                now = self.now()
                child = self.store.insert_order(
                    Order(
                        request=parent.request.model_copy(
                            update={
                                "client_id": self._child_id(parent.client_id),
                                "qty": b.qty,
                                "price": b.price,
                                "order_type": b.order_type,
                            }
                        ),
                        status=OrderStatus.ACCEPTED,
                        broker_order_id=b.broker_order_id,
                        replaces=parent.client_id,
                        reason="증권사 앱 등 stocklab 밖에서 정정된 주문",
                        created_at=now,
                        updated_at=now,
                    )
                )
            by_broker[b.broker_order_id] = child
            report.replaced.append(f"{parent.client_id}→{child.client_id}")
        for parent_id, lost in waiting.items():  # a 정정 the broker never took
            if self.now() - lost.updated_at <= UNKNOWN_GRACE:
                continue
            self._move(lost, OrderStatus.EXPIRED, reason="정정이 거래소에 닿지 않았습니다")
            parent = parents.get(parent_id)
            if parent is not None and parent.status is OrderStatus.MODIFY_REQUESTED:
                back = OrderStatus.PARTIALLY_FILLED if parent.filled_qty else OrderStatus.ACCEPTED
                self._move(parent, back)
            report.expired.append(lost.client_id)
        for parent in by_broker.values():
            there = seen.get(parent.broker_order_id or "")
            moved = any(
                b.kind == "modify" and b.original_id == parent.broker_order_id
                for b in broker_orders
            )
            if moved and there is not None and there.open_qty == 0:
                current = self.store.get_order(parent.client_id) or parent
                if current.status.is_open and current.status is not OrderStatus.NEW:
                    self._move(current, OrderStatus.REPLACED)
                    report.status_changes.append(f"{parent.client_id}:replaced")

    # -- cancelling ------------------------------------------------------------------

    def cancel(self, client_id: str) -> Order:
        order = self.store.get_order(client_id)
        if order is None:
            raise NotFound(f"주문 {client_id}{josa(client_id, '이', '가')} 없습니다")
        if not order.status.is_open:
            raise ValueError(
                f"주문 {client_id}{josa(client_id, '은', '는')} 이미 {order.status.value} "
                "상태라 취소할 수 없습니다"
            )
        if order.status is OrderStatus.NEW:
            return self._move(order, OrderStatus.CANCELLED, reason="보내기 전에 취소")
        if order.broker_order_id is None:
            raise ValueError(
                f"주문 {client_id}의 접수 여부를 아직 모릅니다; 잠시 후 다시 취소하세요"
            )
        if order.status is OrderStatus.CANCEL_REQUESTED:
            return order
        if order.status is OrderStatus.MODIFY_REQUESTED:
            raise ValueError(
                f"주문 {client_id}의 정정 결과를 확인하는 중입니다; 잠시 후 다시 취소하세요"
            )
        order = self._move(order, OrderStatus.CANCEL_REQUESTED)
        open_qty = order.request.qty - order.filled_qty
        try:
            self.broker.cancel(order.broker_order_id, order.request.code, open_qty)
        except BrokerRejected as exc:
            log.info("취소 거절 %s: %s", client_id, exc)
        except SourceError as exc:
            log.warning("취소 %s 결과를 모릅니다 (%s)", client_id, exc)
        return self.reconcile_one(order)

    def cancel_all(self) -> list[Order]:
        out = []
        for order in self.store.list_orders(self.account_id, statuses=OPEN, limit=MAX_LIMIT):
            try:
                out.append(self.cancel(order.client_id))
            except ValueError as exc:
                log.warning("%s", exc)
        return out

    # -- reconcile ---------------------------------------------------------------------

    def reconcile_one(self, order: Order) -> Order:
        self.reconcile()
        return self.store.get_order(order.client_id) or order

    def reconcile(self) -> ReconcileReport:
        """Make the store agree with the broker: orders, fills, positions, cash."""
        report = ReconcileReport()
        self.account()
        broker_orders = self.broker.orders()
        by_id = {o.broker_order_id: o for o in broker_orders}
        orders = self.store.list_orders(self.account_id, limit=MAX_LIMIT)
        claimed = {o.broker_order_id for o in orders if o.broker_order_id}
        for order in [o for o in orders if o.status is OrderStatus.SUBMITTED]:
            if order.broker_order_id is None and order.replaces is None:
                self._resolve_unknown(order, broker_orders, claimed, report)
        for order in [o for o in orders if o.status is OrderStatus.NEW]:
            self._resume(order, report)
        self._settle_modifies(
            broker_orders, self.store.list_orders(self.account_id, limit=MAX_LIMIT), report
        )
        self._apply_fills(report)
        for order in self.store.list_orders(self.account_id, statuses=OPEN, limit=MAX_LIMIT):
            if order.broker_order_id in by_id:
                self._follow(order, by_id[order.broker_order_id], report)
        self._true_up(report)
        return report

    def _find(
        self, order: Order, broker_orders: list[BrokerOrder], claimed: set[str]
    ) -> BrokerOrder | None:
        """The broker's order for a sent order whose answer was lost."""
        candidates = [b for b in broker_orders if b.broker_order_id not in claimed]
        if self.broker.keeps_client_ids:
            client_of = self.broker.client_id_of
            return next(
                (b for b in candidates if client_of(b.broker_order_id) == order.client_id), None
            )
        req = order.request
        floor = _number(order.sent_after) if order.sent_after is not None else 0
        same = [
            b
            for b in candidates
            if b.original_id is None  # a modify's or cancel's row is never a new order
            and b.code == req.code
            and b.side is req.side
            and b.qty == req.qty
            and b.order_type is req.order_type
            and (req.price is None or b.price == req.price)
            and _number(b.broker_order_id) > floor
        ]
        same.sort(key=lambda b: _number(b.broker_order_id))
        return same[0] if same else None

    def _resolve_unknown(
        self,
        order: Order,
        broker_orders: list[BrokerOrder],
        claimed: set[str],
        report: ReconcileReport,
    ) -> None:
        """A sent order without an answer: the broker's copy if it has one; if it has none
        after the grace time, the order never arrived — send it now if still fresh."""
        match = self._find(order, broker_orders, claimed)
        if match is not None:
            claimed.add(match.broker_order_id)
            self._move(order, OrderStatus.ACCEPTED, broker_order_id=match.broker_order_id)
            report.matched.append(order.client_id)
            return
        if not self.broker.keeps_client_ids and self.now() - order.updated_at <= UNKNOWN_GRACE:
            return  # its answer may still be on the way
        if self._fresh(order):
            self._place(order)
            report.resent.append(order.client_id)
        else:
            self._move(
                order, OrderStatus.EXPIRED, reason="거래소에 닿지 않은 채 오래되어 만료했습니다"
            )
            report.expired.append(order.client_id)

    def _fresh(self, order: Order) -> bool:
        now = self.now()
        return (
            now - order.created_at <= RESEND_WINDOW
            and is_trading_day(now.astimezone(KST).date())
            and market_status(now).phase in self.limits.phases
        )

    def _resume(self, order: Order, report: ReconcileReport) -> None:
        """A recorded order that was never sent: send it once if still fresh, else expire it."""
        if self._fresh(order):
            self._send(order)
            report.resent.append(order.client_id)
        else:
            self._move(order, OrderStatus.EXPIRED, reason="보내기 전에 중단되어 만료했습니다")
            report.expired.append(order.client_id)

    def _apply_fills(self, report: ReconcileReport) -> None:
        fills = self.broker.fills()  # today's: the store's since the earliest of them
        first = min((f.at for f in fills), default=self.now()).astimezone(KST).date()
        since = datetime.combine(first, time(), tzinfo=KST)
        known = {
            f.fill_id for f in self.store.list_fills(self.account_id, limit=MAX_LIMIT, since=since)
        }
        by_broker = {
            o.broker_order_id: o
            for o in self.store.list_orders(self.account_id, limit=MAX_LIMIT)
            if o.broker_order_id
        }
        recorded = {b: Recorded(o.filled_qty, o.filled_amount) for b, o in by_broker.items()}
        fills = self.broker.executions(fills, recorded, known, self._costs)
        for fill in sorted(fills, key=lambda f: (f.at, f.fill_id)):
            if fill.fill_id in known:
                continue
            order = by_broker.get(fill.broker_order_id)
            if order is None:
                report.unknown_fills.append(fill.fill_id)
                continue
            self._record_fill(order.client_id, fill)
            report.fills.append(fill.fill_id)

    def _costs(self, fill: BrokerFill) -> tuple[int, int]:
        """(commission, tax) of one execution by the shared cost model (none for a code
        the store does not know)."""
        inst = self.store.get_instrument(fill.code)
        if inst is None:
            return 0, 0
        day = fill.at.astimezone(KST).date()
        costs = self.model.costs(fill.side, fill.price * fill.qty, day, inst.market, inst.kind)
        return costs.commission, costs.tax

    def _record_fill(self, client_id: str, fill: BrokerFill) -> None:
        """Fill, order, position and cash in one atomic store write (retried on a race)."""
        for _ in range(5):
            order = self.store.get_order(client_id)
            account = self.account()
            assert order is not None
            position = self.store.get_position(self.account_id, fill.code) or Position(
                account_id=self.account_id, code=fill.code, qty=0, cost=0, updated_at=fill.at
            )
            amount = fill.qty * fill.price
            filled = order.filled_qty + fill.qty
            new_order = order.model_copy(
                update={
                    "status": _after_fill(order.status, filled >= order.request.qty),
                    "filled_qty": filled,
                    "filled_amount": order.filled_amount + amount,
                    "updated_at": self.now(),
                }
            )
            if fill.side is Side.BUY:
                qty, cost = position.qty + fill.qty, position.cost + amount + fill.commission
                cash = account.cash - amount - fill.commission
            else:
                sold_cost = position.cost * fill.qty // position.qty if position.qty else 0
                qty, cost = position.qty - fill.qty, position.cost - sold_cost
                cash = account.cash + amount - fill.commission - fill.tax
            record = Fill(
                fill_id=fill.fill_id,
                client_id=client_id,
                account_id=self.account_id,
                code=fill.code,
                side=fill.side,
                qty=fill.qty,
                price=fill.price,
                commission=fill.commission,
                tax=fill.tax,
                ts=fill.at,
            )
            try:
                self.store.apply_fill(
                    record,
                    new_order,
                    position.model_copy(
                        update={"qty": max(qty, 0), "cost": max(cost, 0), "updated_at": fill.at}
                    ),
                    account.model_copy(update={"cash": max(cash, 0), "updated_at": self.now()}),
                )
                return
            except VersionConflict:
                continue
        raise VersionConflict(f"체결 {fill.fill_id}를 기록하지 못했습니다 (동시 변경이 계속됨)")

    def _follow(self, order: Order, seen: BrokerOrder, report: ReconcileReport) -> None:
        """Move an open order to the broker's status, once its fills are recorded."""
        target = from_broker(seen.status)
        if order.filled_qty < seen.filled_qty:
            return  # fills not recorded yet; the next pass applies them first
        still_open = target in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED)
        pending = (OrderStatus.CANCEL_REQUESTED, OrderStatus.MODIFY_REQUESTED)
        if target is order.status or (still_open and order.status in pending):
            return
        self._move(order, target)
        report.status_changes.append(f"{order.client_id}:{target.value}")

    def _true_up(self, report: ReconcileReport) -> None:
        """Positions and cash follow the broker's books; each correction is audited."""
        held = {h.code: h for h in self.broker.holdings()}
        for position in self.store.list_positions(self.account_id):
            truth = held.pop(position.code, None)
            qty = truth.qty if truth else 0
            if position.qty != qty:
                cost = truth.avg_price * qty if truth else 0
                self.store.save_position(
                    position.model_copy(update={"qty": qty, "cost": cost, "updated_at": self.now()})
                )
                report.corrections.append(f"position {position.code} {position.qty}→{qty}")
        for code, truth in held.items():
            self.store.save_position(
                Position(
                    account_id=self.account_id,
                    code=code,
                    qty=truth.qty,
                    cost=truth.avg_price * truth.qty,
                    updated_at=self.now(),
                )
            )
            report.corrections.append(f"position {code} 0→{truth.qty}")
        balance = self.broker.balance()
        account = self.account()
        if account.cash != balance.cash:
            self.store.update_account(
                account.model_copy(update={"cash": balance.cash, "updated_at": self.now()})
            )
            report.corrections.append(f"cash {account.cash}→{balance.cash}")
        if report.corrections:
            log.warning("대사 보정: %s", "; ".join(report.corrections))
            self.store.audit_event(
                "reconcile",
                "accounts",
                {"account_id": self.account_id, "corrections": report.corrections},
            )

    # -- figures ---------------------------------------------------------------------------

    def day_pnl(self) -> int:
        """Today's trading result: cash flows of today's fills plus today's net buying marked
        at the current price (positions held overnight are not counted)."""
        today = self.now().astimezone(KST).date()
        midnight = datetime.combine(today, time(), tzinfo=KST)
        flows = 0
        net: dict[str, int] = {}
        for f in self.store.list_fills(self.account_id, limit=MAX_LIMIT, since=midnight):
            if f.ts.astimezone(KST).date() != today:
                continue
            if f.side is Side.BUY:
                flows -= f.amount + f.commission
                net[f.code] = net.get(f.code, 0) + f.qty
            else:
                flows += f.amount - f.commission - f.tax
                net[f.code] = net.get(f.code, 0) - f.qty
        marks = sum(q * self.market.quote(code).price for code, q in net.items() if q)
        return flows + marks


def _after_fill(status: OrderStatus, complete: bool) -> OrderStatus:
    """The status after a fill. A fill reported after stocklab recorded the order's end (it
    executed before a cancel or modify landed) is recorded but reopens nothing."""
    if not status.is_open:
        keep = not complete or status is OrderStatus.REPLACED
        return status if keep else advance(status, OrderStatus.FILLED)
    return advance(status, OrderStatus.FILLED if complete else OrderStatus.PARTIALLY_FILLED)


def _number(broker_order_id: str | None) -> int:
    """An order number as an integer for ordering (-1 when it is not a number)."""
    text = (broker_order_id or "").strip()
    return int(text) if text.isdigit() else -1
