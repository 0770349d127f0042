"""The order manager against the LS test server: fills reported after a cancel, and
changes (정정) made through stocklab or in the broker's own app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from stocklab.jobs.runner import run_job
from stocklab.krx import tick_size
from stocklab.model import OrderRequest, OrderStatus, OrderType, Side
from stocklab.runtime.trading import open_manager
from stocklab.store import open_store
from stocklab.trading.orders import OPEN, OrderManager
from tests.support.ls_server import APPKEY, APPSECRET, LsTestServer, serve
from tests.support.trade_crash import SUBMIT_AT, settings_for


@pytest.fixture
def ls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[OrderManager, LsTestServer]]:
    home = tmp_path / "home"
    settings = settings_for(home)
    assert run_job("collect_codes", settings=settings, interactive=False).error is None
    with serve(now=lambda: SUBMIT_AT - timedelta(minutes=3)) as server:  # a skewed broker
        monkeypatch.setenv("STOCKLAB_LS_APPKEY", APPKEY)
        monkeypatch.setenv("STOCKLAB_LS_APPSECRET", APPSECRET)
        monkeypatch.setenv("STOCKLAB_LS_BASE_URL", server.base_url)
        settings = settings_for(home)
        manager = open_manager(settings, open_store(settings.store_url), live=True,
                               now=lambda: SUBMIT_AT)  # fmt: skip
        manager.reconcile()  # the sample account's holdings into the store
        yield manager, server


def buy(client_id: str, qty: int = 10, price: int | None = None) -> OrderRequest:
    return OrderRequest(
        client_id=client_id, account_id="ls", code="005930", side=Side.BUY, qty=qty,
        order_type=OrderType.LIMIT if price else OrderType.MARKET, price=price,
    )  # fmt: skip


def submitted(manager: OrderManager, request: OrderRequest) -> int:
    order = manager.submit(request.model_copy(update={"account_id": manager.account_id}))
    assert order.status is OrderStatus.ACCEPTED, order.reason
    return int(order.broker_order_id or 0)


def test_a_fill_reported_after_the_cancel_is_recorded_once(
    ls: tuple[OrderManager, LsTestServer],
) -> None:
    manager, server = ls
    held = manager.store.get_position(manager.account_id, "005930")
    before = held.qty if held else 0
    ordno = submitted(manager, buy("late-1"))
    assert manager.cancel("late-1").status is OrderStatus.CANCELLED
    server.late_fill(ordno, 4, 70_000)  # it executed before the cancel landed
    first = manager.reconcile()
    second = manager.reconcile()  # and every later one passes too
    assert len(first.fills) == 1
    assert second.fills == []
    assert not first.unknown_fills
    order = manager.store.get_order("late-1")
    assert order is not None
    assert (order.status, order.filled_qty, order.filled_amount) == (
        OrderStatus.CANCELLED,
        4,
        280_000,
    )
    assert [f.qty for f in manager.store.list_fills(manager.account_id)] == [4]
    position = manager.store.get_position(manager.account_id, "005930")
    assert position is not None
    assert position.qty == before + 4
    assert second.corrections == []


def limit_buy(manager: OrderManager, client_id: str, qty: int = 10) -> tuple[int, int]:
    """A limit buy at the current price, open at the broker: (order number, price)."""
    price = manager.market.quote("005930").price
    return submitted(manager, buy(client_id, qty, price)), price


def test_modify_moves_the_open_shares_to_a_new_order_linked_to_the_original(
    ls: tuple[OrderManager, LsTestServer],
) -> None:
    manager, server = ls
    ordno, price = limit_buy(manager, "mod-1")
    server.fill(ordno, 2, price)  # 8 left open
    lower = price - tick_size(price, on=SUBMIT_AT.date())
    child = manager.modify("mod-1", price=lower, qty=5)  # 5 at the new price, 3 cancelled
    assert child.status is OrderStatus.ACCEPTED
    assert (child.replaces, child.request.qty, child.request.price) == ("mod-1", 5, lower)
    (modify,) = server.seen("CSPAT00701")
    assert modify.body["CSPAT00701InBlock1"]["OrdQty"] == 5
    (cancel,) = server.seen("CSPAT00801")
    assert cancel.body["CSPAT00801InBlock1"] == {"OrgOrdNo": ordno, "IsuNo": "A005930", "OrdQty": 3}
    original = manager.store.get_order("mod-1")
    assert original is not None
    assert (original.status, original.filled_qty) == (OrderStatus.REPLACED, 2)
    with pytest.raises(ValueError, match="수량을 늘리려면 새 주문을 내세요"):
        manager.modify(child.client_id, qty=6)
    server.fill(int(child.broker_order_id or 0), 5, lower)
    report = manager.reconcile()
    assert report.unknown_fills == []
    done = manager.store.get_order(child.client_id)
    assert done is not None
    assert (done.status, done.filled_qty) == (OrderStatus.FILLED, 5)
    with pytest.raises(ValueError, match="정정할 수 없습니다"):
        manager.modify(done.client_id, price=price)


def test_a_modify_made_in_the_brokers_app_is_seen_cancelled_and_filled(
    ls: tuple[OrderManager, LsTestServer],
) -> None:
    manager, server = ls
    ordno, price = limit_buy(manager, "app-1")
    higher = price + tick_size(price, on=SUBMIT_AT.date())
    outside = manager.broker.modify(str(ordno), buy("app-1", 10, higher), 10)  # the HTS did it
    report = manager.reconcile()
    assert report.replaced == ["app-1→app-1.m1"]
    child = manager.store.get_order("app-1.m1")
    assert child is not None
    assert (child.status, child.broker_order_id, child.replaces) == (
        OrderStatus.ACCEPTED,
        outside.broker_order_id,
        "app-1",
    )
    assert child.request.price == higher
    original = manager.store.get_order("app-1")
    assert original is not None
    assert original.status is OrderStatus.REPLACED
    open_ids = [o.client_id for o in manager.store.list_orders(manager.account_id, statuses=OPEN)]
    assert open_ids == ["app-1.m1"]  # orders list and trade kill see the new order
    server.fill(int(outside.broker_order_id), 4, higher)
    filled = manager.reconcile()
    assert filled.unknown_fills == []
    assert len(filled.fills) == 1
    cancelled = manager.cancel_all()
    assert [(o.client_id, o.status, o.filled_qty) for o in cancelled] == [
        ("app-1.m1", OrderStatus.CANCELLED, 4)
    ]
    assert manager.reconcile().unknown_fills == []


def test_a_modify_whose_answer_was_lost_is_matched_not_sent_again(
    ls: tuple[OrderManager, LsTestServer],
) -> None:
    manager, server = ls
    _, price = limit_buy(manager, "lost-1")
    server.fail("CSPAT00701", "drop")  # carried out, answer lost
    lower = price - tick_size(price, on=SUBMIT_AT.date())
    child = manager.modify("lost-1", price=lower)
    assert (child.status, child.broker_order_id) == (OrderStatus.SUBMITTED, None)
    report = manager.reconcile()
    assert report.replaced == ["lost-1→lost-1.m1"]
    assert len(server.seen("CSPAT00701")) == 1
    stored = manager.store.get_order("lost-1.m1")
    assert stored is not None
    assert stored.status is OrderStatus.ACCEPTED
    original = manager.store.get_order("lost-1")
    assert original is not None
    assert original.status is OrderStatus.REPLACED


def test_an_order_the_broker_never_received_is_not_recorded_as_sent(
    ls: tuple[OrderManager, LsTestServer],
) -> None:
    """LS refused the call at its gateway (IGW00001: the key lost its rights): nothing
    reached the exchange, so the order ends refused as unsent, and no reconcile sends it."""
    manager, server = ls
    server.fail("CSPAT00601", "forbidden")
    order = manager.submit(buy("unsent-1").model_copy(
        update={"account_id": manager.account_id}))  # fmt: skip
    assert order.status is OrderStatus.REJECTED
    assert order.rule == "unsent"
    assert order.broker_order_id is None
    assert "IGW00001" in (order.reason or "") or "권한" in (order.reason or "")
    report = manager.reconcile()
    assert "unsent-1" not in report.resent
    assert len(server.seen("CSPAT00601")) == 1
    assert manager.store.get_order("unsent-1").status is OrderStatus.REJECTED  # type: ignore[union-attr]


def test_a_modify_the_broker_never_received_leaves_the_original_open(
    ls: tuple[OrderManager, LsTestServer],
) -> None:
    manager, server = ls
    ordno = submitted(manager, buy("keep-1", price=manager.market.quote("005930").price))
    server.fail("CSPAT00701", "forbidden")
    child = manager.modify("keep-1", price=manager.market.quote("005930").price - 100)
    assert child.status is OrderStatus.REJECTED
    assert child.rule == "unsent"
    original = manager.store.get_order("keep-1")
    assert original is not None
    assert original.status is OrderStatus.ACCEPTED
    assert original.broker_order_id == str(ordno)
    assert len(server.seen("CSPAT00701")) == 1
