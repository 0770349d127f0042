"""The broker protocol: what the order manager asks of the paper broker and of LS증권.

Brokers speak in their own order numbers (`broker_order_id`); the order manager keeps the
mapping to its client ids. Fills carry a broker-side id that is stable across calls, so
recording a fill twice is harmless. A call that times out has an *unknown* outcome: the
broker raises `OrderUnknown`, and the order manager finds out what happened from
`orders()` instead of sending again.

What differs between brokers is declared here, not discovered: `keeps_client_ids` (the
broker books our client id with the order, so `client_id_of` answers and `last_order_id`
is not needed) and `cumulative_fills` (its fills report the order's total so far, which
`executions` turns into single executions against what the ledger holds). Modify (정정)
is part of every broker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from stocklab.errors import BrokerRejected, OrderUnknown  # noqa: F401 — re-exported
from stocklab.model import OrderRequest, OrderType, Side


@dataclass(frozen=True, slots=True)
class Placed:
    """The broker accepted a new, modify or cancel request."""

    broker_order_id: str
    at: datetime
    message: str = ""


@dataclass(frozen=True, slots=True)
class BrokerOrder:
    """An order as the broker sees it today."""

    broker_order_id: str
    code: str
    side: Side
    order_type: OrderType
    qty: int
    price: int | None
    filled_qty: int
    avg_fill_price: int | None
    open_qty: int
    status: str
    """accepted | partially_filled | filled | cancelled | rejected | expired"""
    placed_at: datetime | None = None
    original_id: str | None = None
    """For a modify or cancel order: the order it changed."""
    kind: str = "new"
    """new | modify (정정: the original's shares at new terms) | cancel (취소)"""


@dataclass(frozen=True, slots=True)
class BrokerFill:
    """One execution; `fill_id` is stable, so it can be recorded idempotently."""

    fill_id: str
    broker_order_id: str
    code: str
    side: Side
    qty: int
    price: int
    at: datetime
    commission: int = 0
    tax: int = 0


@dataclass(frozen=True, slots=True)
class Balance:
    cash: int
    """Deposit (예수금) in KRW."""
    orderable: int
    """What a new buy order may spend now (주문가능금액)."""


@dataclass(frozen=True, slots=True)
class Holding:
    code: str
    qty: int
    sellable: int
    avg_price: int


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the ledger holds for one broker order: shares filled and their amount so far."""

    filled_qty: int
    filled_amount: int


Costs = Callable[[BrokerFill], tuple[int, int]]
"""The (commission, tax) of one execution by the shared cost model."""


@runtime_checkable
class Broker(Protocol):
    """Place, modify, cancel; what is open, what filled; cash and positions."""

    name: str
    live: bool
    cumulative_fills: bool
    """False: every fill is one execution. True: a fill covers the order's filled quantity so
    far at its average price (a later, larger one supersedes it) — LS's t0425 reports that."""
    keeps_client_ids: bool
    """True: the broker books our client id with each order (`client_id_of` answers). False:
    orders are matched by terms and by `last_order_id`, the day's rising order number."""

    def place(self, request: OrderRequest) -> Placed: ...

    def modify(self, broker_order_id: str, request: OrderRequest, open_qty: int) -> Placed:
        """Move `request.qty` of the order's `open_qty` open shares to `request`'s price
        (a new order number, whose row names the original); the rest is cancelled."""
        ...

    def cancel(self, broker_order_id: str, code: str, qty: int) -> Placed: ...

    def orders(self) -> list[BrokerOrder]:
        """Today's orders, open and done (what reconcile compares with the store)."""
        ...

    def fills(self) -> list[BrokerFill]:
        """Today's executions."""
        ...

    def executions(
        self,
        fills: list[BrokerFill],
        recorded: Mapping[str, Recorded],
        known: set[str],
        costs: Costs,
    ) -> list[BrokerFill]:
        """`fills()` as single executions: unchanged unless `cumulative_fills`, else each
        order's increase over `recorded` (by broker order id), priced so the amounts add
        up, with `costs`' fees; a fill whose order is not recorded, or whose id is `known`,
        passes unchanged."""
        ...

    def client_id_of(self, broker_order_id: str) -> str | None:
        """The client id the order was placed with; None when unknown or not `keeps_client_ids`."""
        ...

    def last_order_id(self) -> str | None:
        """The highest order number today (None before the first order, or when
        `keeps_client_ids`): an order sent after this call gets a larger one."""
        ...

    def balance(self) -> Balance: ...

    def holdings(self) -> list[Holding]: ...

    def close(self) -> None: ...
