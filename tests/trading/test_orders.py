"""The order manager on the paper broker: recorded before sent, never sent twice,
refused before the broker when invalid, cancel races handled."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from stocklab.agent.broker import BrokerOrder
from stocklab.jobs.runner import run_job
from stocklab.model import KST, OrderRequest, OrderStatus, OrderType, Side
from stocklab.runtime.trading import open_manager
from stocklab.store import open_store
from stocklab.trading import risk
from stocklab.trading.orders import OrderManager
from tests.support.trade_crash import settings_for

MORNING = datetime(2024, 11, 15, 10, 0, 30, tzinfo=KST)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def setup(tmp_path: Path) -> tuple[OrderManager, Clock]:
    settings = settings_for(tmp_path / "home")
    assert run_job("collect_codes", settings=settings, interactive=False).error is None
    clock = Clock(MORNING)
    manager = open_manager(settings, open_store(settings.store_url), now=clock)
    manager.account()
    return manager, clock


def req(client_id: str, **kw: object) -> OrderRequest:
    base: dict[str, object] = {
        "client_id": client_id, "account_id": "paper", "code": "005930", "side": Side.BUY,
        "qty": 3, "order_type": OrderType.MARKET,
    }  # fmt: skip
    return OrderRequest(**{**base, **kw})


def test_an_order_is_sent_once_per_client_id(setup: tuple[OrderManager, Clock]) -> None:
    manager, _ = setup
    first = manager.submit(req("o-1"))
    assert first.status is OrderStatus.ACCEPTED
    assert first.broker_order_id
    again = manager.submit(req("o-1"))
    assert again.client_id == first.client_id
    assert len(manager.broker.orders()) == 1
    audit = manager.store.list_audit(operation="insert_order")
    assert audit


def test_invalid_orders_never_reach_the_broker(setup: tuple[OrderManager, Clock]) -> None:
    manager, _ = setup
    price = manager.market.quote("005930").price
    off_tick = manager.submit(req("o-2", order_type=OrderType.LIMIT, price=price + 1))
    assert off_tick.status is OrderStatus.REJECTED
    assert "호가단위" in (off_tick.reason or "")
    too_high = manager.submit(req("o-3", order_type=OrderType.LIMIT, price=price * 2))
    assert too_high.status is OrderStatus.REJECTED
    assert "가격제한폭" in (too_high.reason or "")
    assert manager.broker.orders() == []
    with pytest.raises(ValueError, match="종목코드"):
        req("o-4", code="5930")


def test_fills_flow_into_position_and_cash(setup: tuple[OrderManager, Clock]) -> None:
    manager, clock = setup
    cash = manager.account().cash
    manager.submit(req("o-5", qty=4))
    clock.at += timedelta(minutes=3)
    report = manager.reconcile()
    assert report.fills
    order = manager.store.get_order("o-5")
    assert order is not None
    assert (order.status, order.filled_qty) == (OrderStatus.FILLED, 4)
    position = manager.store.get_position("paper", "005930")
    assert position is not None
    assert position.qty == 4
    fill = manager.store.list_fills("paper")[0]
    assert manager.account().cash == cash - fill.amount - fill.commission
    assert position.cost == fill.amount + fill.commission


def test_cancel_before_and_after_the_fill(setup: tuple[OrderManager, Clock]) -> None:
    manager, clock = setup
    far = manager.market.quote("005930").price
    low = manager.submit(req("o-6", order_type=OrderType.LIMIT, price=far - 2_000))
    assert low.status is OrderStatus.ACCEPTED
    cancelled = manager.cancel("o-6")
    assert cancelled.status is OrderStatus.CANCELLED
    quick = manager.submit(req("o-7"))
    clock.at += timedelta(minutes=2)  # it fills before the cancel lands
    late = manager.cancel("o-7")
    assert late.status is OrderStatus.FILLED
    with pytest.raises(ValueError, match="이미"):
        manager.cancel("o-7")
    assert quick.client_id == "o-7"


def test_kill_switch_blocks_new_orders_and_cancels_open_ones(
    setup: tuple[OrderManager, Clock],
) -> None:
    manager, _ = setup
    far = manager.market.quote("005930").price - 2_000
    manager.submit(req("o-8", order_type=OrderType.LIMIT, price=far))
    risk.set_kill(manager.home, True)
    blocked = manager.submit(req("o-9"))
    assert blocked.status is OrderStatus.REJECTED
    assert blocked.rule == "kill_switch"
    cancelled = manager.cancel_all()
    assert [o.status for o in cancelled] == [OrderStatus.CANCELLED]
    assert all(b.status == "cancelled" for b in manager.broker.orders())


def test_out_of_hours_orders_are_refused(setup: tuple[OrderManager, Clock]) -> None:
    manager, clock = setup
    clock.at = datetime.combine(date(2024, 11, 15), datetime.min.time(), KST).replace(hour=16)
    late = manager.submit(req("o-10"))
    assert late.status is OrderStatus.REJECTED
    assert late.rule == "trading_hours"


def test_broker_states_map_to_the_lifecycle(setup: tuple[OrderManager, Clock]) -> None:
    manager, clock = setup
    manager.submit(
        req("o-11", order_type=OrderType.LIMIT, price=manager.market.quote("005930").price - 2_000)
    )
    clock.at = MORNING.replace(hour=15, minute=45)  # the day ends: the order expires
    manager.reconcile()
    order = manager.store.get_order("o-11")
    assert order is not None
    assert order.status is OrderStatus.EXPIRED
    seen: list[BrokerOrder] = manager.broker.orders()
    assert seen[0].status == "expired"
