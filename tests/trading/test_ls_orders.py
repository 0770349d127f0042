"""The order manager against the LS test server: fills reported after a cancel, and
changes (정정) made through stocklab or in the broker's own app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from stocklab.jobs.runner import run_job
from stocklab.model import OrderRequest, OrderStatus, OrderType, Side
from stocklab.store import open_store
from stocklab.trading.orders import OrderManager
from stocklab.trading.session import open_manager
from tests.support.ls_server import APPKEY, APPSECRET, LsTestServer, serve
from tests.support.trade_crash import SUBMIT_AT, settings_for


@pytest.fixture
def ls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[OrderManager, LsTestServer]]:
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
    assert len(first.fills) == 1 and second.fills == [] and not first.unknown_fills
    order = manager.store.get_order("late-1")
    assert order is not None
    assert (order.status, order.filled_qty, order.filled_amount) == (
        OrderStatus.CANCELLED,
        4,
        280_000,
    )
    assert [f.qty for f in manager.store.list_fills(manager.account_id)] == [4]
    position = manager.store.get_position(manager.account_id, "005930")
    assert position is not None and position.qty == before + 4
    assert second.corrections == []
