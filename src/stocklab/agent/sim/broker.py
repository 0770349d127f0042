"""The paper broker: a simulated exchange account matched against the simulator's minutes.

It keeps its own book (cash, holdings, orders, fills) in a file of the data directory,
written atomically under a file lock, so it survives restarts and several processes (the
trade job, the API) share it — and so that the order manager's records and the broker's
can disagree after a crash, and be reconciled, as with a real broker. Orders meet the
minute bars that start after they were placed, through `krx.fills` — the same model the
backtester uses — and expire at the day's close.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from stocklab.agent.base import MarketData, SourceUnavailable
from stocklab.agent.broker import (
    Balance,
    BrokerFill,
    BrokerOrder,
    BrokerRejected,
    Costs,
    Holding,
    Placed,
    Recorded,
)
from stocklab.krx import is_trading_day, previous_trading_day, session
from stocklab.krx.fills import FillModel, OrderRejected, check_price, fee
from stocklab.krx.limits import price_limits
from stocklab.model import KST, Instrument, OrderRequest, OrderType, Side, now_kst

SOURCE = "paper"
_OPEN = ("accepted", "partially_filled")


@dataclass
class _Order:
    id: str
    client_id: str
    code: str
    side: str
    order_type: str
    qty: int
    price: int | None
    placed_at: str
    day: str
    reserved: int
    filled_qty: int = 0
    filled_amount: int = 0
    status: str = "accepted"
    matched_until: int = 0  # epoch seconds: minutes before this are already matched
    original_id: str | None = None


@dataclass
class _Book:
    cash: int
    holdings: dict[str, dict[str, int]] = field(default_factory=dict)  # code → qty, cost
    orders: dict[str, _Order] = field(default_factory=dict)
    fills: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1


class PaperBroker:
    """`Broker` on the simulator. `market` supplies minute bars and instruments."""

    name = SOURCE
    live = False
    cumulative_fills = False
    keeps_client_ids = True

    def __init__(
        self,
        home: Path,
        account_id: str,
        market: MarketData,
        *,
        cash: int = 100_000_000,
        model: FillModel | None = None,
        now: Callable[[], datetime] = now_kst,
    ) -> None:
        self.folder = home / "paper"
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = self.folder / f"{account_id}.json"
        self.account_id = account_id
        self.market = market
        self.model = model or FillModel()
        self.now = now
        self._initial_cash = cash
        self._instruments: dict[str, Instrument] | None = None

    def __repr__(self) -> str:
        return f"PaperBroker(account={self.account_id!r})"

    # -- the book on disk --------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, write: bool = True) -> Iterator[_Book]:
        lock = self.folder / f"{self.account_id}.lock"
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            book = self._load()
            self._match(book)
            yield book
            if write:
                self._save(book)

    def _load(self) -> _Book:
        if not self.path.exists():
            return _Book(cash=self._initial_cash)
        raw = json.loads(self.path.read_text(encoding="utf-8"))
        orders = {k: _Order(**v) for k, v in raw.pop("orders").items()}
        return _Book(orders=orders, **raw)

    def _save(self, book: _Book) -> None:
        """Write the book whole, then swap it in: a failed write leaves the last book, and
        a disk that refuses it is the broker's failure to deliver (never a 500)."""
        data = asdict(book)
        tmp = self.path.with_suffix(".tmp")
        try:
            with tmp.open("w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise SourceUnavailable(
                f"모의 계좌 장부 {self.path}를 쓸 수 없습니다: {exc.strerror or exc}",
                hint="디스크 공간과 데이터 디렉터리의 쓰기 권한을 확인하세요",
                source=SOURCE,
            ) from None

    def _instrument(self, code: str) -> Instrument:
        if self._instruments is None:
            self._instruments = {i.code: i for i in self.market.instruments()}
        try:
            return self._instruments[code]
        except KeyError:
            raise BrokerRejected(f"모의 거래소에 종목 {code}가 없습니다", source=SOURCE) from None

    # -- matching ---------------------------------------------------------------------

    def _match(self, book: _Book) -> None:
        """Fill open orders against every minute that has ended since they were placed."""
        now = self.now()
        for order in book.orders.values():
            if order.status not in _OPEN:
                continue
            day = date.fromisoformat(order.day)
            bars = self.market.minute_bars(order.code, day)
            for i in range(len(bars)):
                start = int(bars.ts[i])
                if start < order.matched_until:
                    continue
                remaining = order.qty - order.filled_qty
                price, qty = self.model.match(
                    Side(order.side),
                    OrderType(order.order_type),
                    order.price,
                    remaining,
                    int(bars.open[i]),
                    int(bars.high[i]),
                    int(bars.low[i]),
                    int(bars.volume[i]),
                )
                order.matched_until = start + 60
                if qty:
                    self._fill(book, order, price, qty, datetime.fromtimestamp(start, KST))
                if order.filled_qty == order.qty:
                    break
            if order.status in _OPEN and now >= session(day).close:
                order.status = "expired"
                self._release(book, order)

    def _fill(self, book: _Book, order: _Order, price: int, qty: int, at: datetime) -> None:
        inst = self._instrument(order.code)
        side = Side(order.side)
        amount = price * qty
        costs = self.model.costs(side, amount, at.date(), inst.market, inst.kind)
        holding = book.holdings.setdefault(order.code, {"qty": 0, "cost": 0})
        if side is Side.BUY:
            book.cash -= amount + costs.commission
            order.reserved -= min(order.reserved, amount + costs.commission)
            holding["qty"] += qty
            holding["cost"] += amount + costs.commission
        else:
            book.cash += amount - costs.total
            share = holding["cost"] * qty // holding["qty"] if holding["qty"] else 0
            holding["qty"] -= qty
            holding["cost"] -= share
        if holding["qty"] == 0:
            book.holdings.pop(order.code)
        order.filled_qty += qty
        order.filled_amount += amount
        order.status = "filled" if order.filled_qty == order.qty else "partially_filled"
        if order.status == "filled":
            self._release(book, order)
        n = sum(1 for f in book.fills if f["broker_order_id"] == order.id) + 1
        book.fills.append(
            {
                "fill_id": f"{order.id}-{n}",
                "broker_order_id": order.id,
                "code": order.code,
                "side": order.side,
                "qty": qty,
                "price": price,
                "at": at.isoformat(),
                "commission": costs.commission,
                "tax": costs.tax,
            }
        )

    @staticmethod
    def _release(book: _Book, order: _Order) -> None:
        order.reserved = 0

    # -- Broker ------------------------------------------------------------------------

    def _reference(self, code: str, day: date) -> int:
        """기준가: the previous session's close."""
        bars = self.market.daily_bars(code, previous_trading_day(day) - timedelta(days=10), day)
        closes = [b for b in bars.to_bars() if b.trading_date < day]
        if not closes:
            raise BrokerRejected(f"{code}의 기준가(전일 종가)를 알 수 없습니다", source=SOURCE)
        return closes[-1].close

    def place(self, request: OrderRequest) -> Placed:
        """Book an order once per client id: a retry after a lost answer gets the first."""
        with self._locked(write=False) as book:
            twin = _twin(book, request.client_id)
        if twin is None:
            now, reference, inst = self._checked(request)
            with self._locked() as book:
                twin = _twin(book, request.client_id)
                if twin is None:
                    order_id = self._book(book, request, now, reference, inst)
                    return Placed(order_id, now, "모의 주문 접수")
        return Placed(twin.id, datetime.fromisoformat(twin.placed_at), "이미 접수된 주문")

    def _checked(self, request: OrderRequest) -> tuple[datetime, int, Instrument]:
        """The refusals that need no book: the session, the code, the price."""
        now = self.now().astimezone(KST)
        day = now.date()
        if not is_trading_day(day) or now >= session(day).close:
            raise BrokerRejected(
                f"{day}의 정규장이 끝났거나 휴장일입니다",
                code="closed",
                source=SOURCE,
                hint="장이 열리는 날 다시 주문하세요",
            )
        inst = self._instrument(request.code)
        reference = self._reference(request.code, day)
        try:
            check_price(request.price, request.order_type, reference, inst.market, inst.kind, day)
        except OrderRejected as exc:
            raise BrokerRejected(str(exc), code="price", source=SOURCE) from None
        return now, reference, inst

    def _book(
        self,
        book: _Book,
        request: OrderRequest,
        now: datetime,
        reference: int,
        inst: Instrument,
        original_id: str | None = None,
    ) -> str:
        """Reserve cash (or check shares) and enter the order; its number."""
        day = now.date()
        reserved = 0
        if request.side is Side.BUY:
            worst = request.price or price_limits(reference, inst.market, inst.kind, day).upper
            reserved = worst * request.qty
            reserved += fee(reserved, self.model.commission_units)
            if reserved > self._orderable(book):
                raise BrokerRejected(
                    f"주문가능금액이 부족합니다: 필요 {reserved:,}원, "
                    f"가능 {self._orderable(book):,}원",
                    code="cash",
                    source=SOURCE,
                )
        else:
            free = self._sellable(book, request.code)
            if request.qty > free:
                raise BrokerRejected(
                    f"매도가능수량이 부족합니다: 주문 {request.qty:,}주, 가능 {free:,}주",
                    code="qty",
                    source=SOURCE,
                )
        order_id = str(book.next_id)
        book.next_id += 1
        book.orders[order_id] = _Order(
            id=order_id,
            client_id=request.client_id,
            code=request.code,
            side=request.side.value,
            order_type=request.order_type.value,
            qty=request.qty,
            price=request.price,
            placed_at=now.isoformat(),
            day=day.isoformat(),
            reserved=reserved,
            matched_until=_next_minute(now),
            original_id=original_id,
        )
        return order_id

    def modify(self, broker_order_id: str, request: OrderRequest, open_qty: int) -> Placed:
        """In one step on the book: the original's open shares end (as KRX shows a fully
        modified order) and `request` is booked under a new number naming it. A refusal
        changes nothing."""
        now, reference, inst = self._checked(request)
        with self._locked() as book:
            order = book.orders.get(broker_order_id)
            if order is None or order.code != request.code:
                raise BrokerRejected(f"주문번호 {broker_order_id}가 없습니다", source=SOURCE)
            rest = order.qty - order.filled_qty
            if order.status not in _OPEN:
                raise BrokerRejected(
                    f"주문 {broker_order_id}는 이미 {order.status}라 정정할 수 없습니다",
                    code="done",
                    source=SOURCE,
                )
            if request.qty > rest:
                raise BrokerRejected(
                    f"정정 수량 {request.qty:,}주가 미체결 {rest:,}주보다 많습니다",
                    code="qty",
                    source=SOURCE,
                )
            order.status = "cancelled"
            self._release(book, order)
            order_id = self._book(book, request, now, reference, inst, broker_order_id)
        return Placed(order_id, now, "모의 정정 접수")

    def cancel(self, broker_order_id: str, code: str, qty: int) -> Placed:
        with self._locked() as book:
            order = book.orders.get(broker_order_id)
            if order is None:
                raise BrokerRejected(f"주문번호 {broker_order_id}가 없습니다", source=SOURCE)
            if order.status not in _OPEN:
                raise BrokerRejected(
                    f"주문 {broker_order_id}는 이미 {order.status}라 취소할 수 없습니다",
                    code="done",
                    source=SOURCE,
                )
            order.status = "cancelled"
            self._release(book, order)
        return Placed(broker_order_id, self.now(), "모의 취소 완료")

    def orders(self) -> list[BrokerOrder]:
        with self._locked() as book:
            return [_public(o) for o in book.orders.values()]

    def fills(self) -> list[BrokerFill]:
        with self._locked() as book:
            return [
                BrokerFill(
                    fill_id=f["fill_id"],
                    broker_order_id=f["broker_order_id"],
                    code=f["code"],
                    side=Side(f["side"]),
                    qty=f["qty"],
                    price=f["price"],
                    at=datetime.fromisoformat(f["at"]),
                    commission=f["commission"],
                    tax=f["tax"],
                )
                for f in book.fills
            ]

    def executions(
        self,
        fills: list[BrokerFill],
        recorded: Mapping[str, Recorded],
        known: set[str],
        costs: Costs,
    ) -> list[BrokerFill]:
        """Every paper fill is one execution already."""
        return fills

    def last_order_id(self) -> str | None:
        """None: orders are matched by the client id this broker keeps."""
        return None

    def client_id_of(self, broker_order_id: str) -> str | None:
        """The client id an order was placed with (the paper broker keeps it; LS does not)."""
        with self._locked(write=False) as book:
            order = book.orders.get(broker_order_id)
            return order.client_id if order else None

    def balance(self) -> Balance:
        with self._locked() as book:
            return Balance(cash=book.cash, orderable=self._orderable(book))

    def holdings(self) -> list[Holding]:
        with self._locked() as book:
            return [
                Holding(
                    code=code,
                    qty=h["qty"],
                    sellable=self._sellable(book, code),
                    avg_price=h["cost"] // h["qty"] if h["qty"] else 0,
                )
                for code, h in sorted(book.holdings.items())
            ]

    def close(self) -> None:
        """Nothing held open between calls."""

    @staticmethod
    def _orderable(book: _Book) -> int:
        return book.cash - sum(o.reserved for o in book.orders.values() if o.status in _OPEN)

    @staticmethod
    def _sellable(book: _Book, code: str) -> int:
        held = book.holdings.get(code, {"qty": 0})["qty"]
        selling = sum(
            o.qty - o.filled_qty
            for o in book.orders.values()
            if o.code == code and o.side == Side.SELL.value and o.status in _OPEN
        )
        return held - selling


def _next_minute(at: datetime) -> int:
    """Epoch seconds of the next minute's start: an order meets the bars after it."""
    return (int(at.timestamp()) // 60 + 1) * 60


def _public(o: _Order) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id=o.id,
        code=o.code,
        side=Side(o.side),
        order_type=OrderType(o.order_type),
        qty=o.qty,
        price=o.price,
        filled_qty=o.filled_qty,
        avg_fill_price=o.filled_amount // o.filled_qty if o.filled_qty else None,
        open_qty=o.qty - o.filled_qty if o.status in _OPEN else 0,
        status=o.status,
        placed_at=datetime.fromisoformat(o.placed_at),
        original_id=o.original_id,
        kind="modify" if o.original_id else "new",
    )


def _twin(book: _Book, client_id: str) -> _Order | None:
    """The new order (not a modify's) booked under a client id."""
    return next(
        (o for o in book.orders.values() if o.client_id == client_id and o.original_id is None),
        None,
    )
