"""Crash tests: a trading process SIGKILLed after recording an order, after sending it,
and after a fill arrived; on restart the store and the broker agree and no order exists
twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from stocklab.jobs.runner import run_job
from stocklab.model import Order, OrderStatus
from stocklab.runtime.trading import open_manager
from stocklab.store import open_store
from stocklab.trading.orders import OrderManager
from tests.support.ls_server import APPKEY, APPSECRET, LsTestServer, serve
from tests.support.trade_crash import FILL_BY, REQUEST, SUBMIT_AT, settings_for

ROOT = Path(__file__).resolve().parents[2]


def crash(home: Path, mode: str, broker: str = "paper", code: int = -signal.SIGKILL) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")])}
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.trade_crash", str(home), mode, broker],
        env=env, capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == code, done.stderr


def assert_agree(manager: OrderManager) -> None:
    """Every broker order has exactly one store order, with the same fills; books match."""
    broker_orders = manager.broker.orders()
    store_orders = manager.store.list_orders(manager.account_id, limit=1000)
    by_broker = {o.broker_order_id: o for o in store_orders if o.broker_order_id}
    assert len(by_broker) == len([o for o in store_orders if o.broker_order_id])
    assert {b.broker_order_id for b in broker_orders} == set(by_broker)
    for b in broker_orders:
        assert by_broker[b.broker_order_id].filled_qty == b.filled_qty
    assert len({o.client_id for o in store_orders}) == len(store_orders)
    held = {h.code: h.qty for h in manager.broker.holdings()}
    stored = {p.code: p.qty for p in manager.store.list_positions(manager.account_id) if p.qty}
    assert stored == held
    account = manager.store.get_account(manager.account_id)
    assert account is not None
    assert account.cash == manager.broker.balance().cash
    fills = manager.store.list_fills(manager.account_id)
    assert {f.fill_id for f in fills} == {f.fill_id for f in manager.broker.fills()}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    assert run_job("collect_codes", settings=settings_for(home), interactive=False).error is None
    return home


def restarted(home: Path, at: object, live: bool = False) -> OrderManager:
    settings = settings_for(home)
    return open_manager(settings, open_store(settings.store_url), live=live, now=lambda: at)


def test_killed_after_recording_before_sending(home: Path) -> None:
    crash(home, "after_record")
    manager = restarted(home, SUBMIT_AT + timedelta(seconds=40))
    order = manager.store.get_order("crash-1")
    assert order is not None
    assert (order.status, order.broker_order_id) == (OrderStatus.SUBMITTED, None)
    assert manager.broker.orders() == []
    report = manager.reconcile()
    assert report.resent == ["crash-1"]
    assert len(manager.broker.orders()) == 1
    manager.reconcile()
    assert len(manager.broker.orders()) == 1  # sent exactly once
    assert_agree(manager)


def test_killed_after_sending_before_the_answer(home: Path) -> None:
    crash(home, "after_send")
    manager = restarted(home, SUBMIT_AT + timedelta(seconds=40))
    order = manager.store.get_order("crash-1")
    assert order is not None
    assert (order.status, order.broker_order_id) == (OrderStatus.SUBMITTED, None)
    assert len(manager.broker.orders()) == 1
    report = manager.reconcile()
    assert report.matched == ["crash-1"]
    assert len(manager.broker.orders()) == 1  # matched, not resent
    assert (
        manager.store.get_order("crash-1").broker_order_id
        == manager.broker.orders()[0].broker_order_id
    )
    assert_agree(manager)


def test_killed_after_a_fill_arrived_before_it_was_stored(home: Path) -> None:
    crash(home, "after_fill")
    manager = restarted(home, FILL_BY)
    assert manager.store.list_fills(manager.account_id) == []
    assert manager.broker.fills()
    report = manager.reconcile()
    assert report.fills
    order = manager.store.get_order("crash-1")
    assert order is not None
    assert order.status is OrderStatus.FILLED
    assert_agree(manager)
    again = manager.reconcile()
    assert again.fills == []  # recorded once
    assert_agree(manager)


# -- the same three crashes with orders going to the LS test server ---------------------


SKEWS = {"broker-10min-behind": -600, "same-clock": 0, "broker-10min-ahead": 600}
"""The LS server's clock minus stocklab's: reconcile must never compare the two."""


@pytest.fixture(params=list(SKEWS.values()), ids=list(SKEWS))
def ls_home(
    home: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[tuple[Path, LsTestServer]]:
    skew = timedelta(seconds=request.param)
    with serve(now=lambda: SUBMIT_AT + skew) as server:
        monkeypatch.setenv("STOCKLAB_LS_APPKEY", APPKEY)
        monkeypatch.setenv("STOCKLAB_LS_APPSECRET", APPSECRET)
        monkeypatch.setenv("STOCKLAB_LS_BASE_URL", server.base_url)
        yield home, server


def test_ls_killed_after_recording_before_sending(ls_home: tuple[Path, LsTestServer]) -> None:
    home, server = ls_home
    crash(home, "after_record", "ls")
    assert server.seen("CSPAT00601") == []
    manager = restarted(home, SUBMIT_AT + timedelta(seconds=40), live=True)
    assert manager.reconcile().resent == ["crash-1"]
    manager.reconcile()
    assert len(server.seen("CSPAT00601")) == 1
    assert_agree(manager)


def test_ls_killed_after_sending_before_the_answer(ls_home: tuple[Path, LsTestServer]) -> None:
    home, server = ls_home
    crash(home, "after_send", "ls")
    manager = restarted(home, SUBMIT_AT + timedelta(seconds=40), live=True)
    assert manager.reconcile().matched == ["crash-1"]
    assert len(server.seen("CSPAT00601")) == 1  # found through t0425, never resent
    assert_agree(manager)


def test_ls_killed_after_a_fill_arrived(ls_home: tuple[Path, LsTestServer]) -> None:
    home, server = ls_home
    crash(home, "submit", "ls", code=0)
    ordno = int(manager_order(home).broker_order_id or 0)
    server.fill(ordno, 5, 70_000)
    crash(home, "die_on_fill", "ls")
    manager = restarted(home, FILL_BY, live=True)
    assert manager.store.list_fills(manager.account_id) == []
    assert manager.reconcile().fills
    order = manager.store.get_order("crash-1")
    assert order is not None
    assert (order.status, order.filled_qty) == (OrderStatus.FILLED, 5)
    assert_agree(manager)


def manager_order(home: Path) -> Order:
    settings = settings_for(home)
    order = open_store(settings.store_url).get_order("crash-1")
    assert order is not None
    return order


@pytest.mark.parametrize("mode", ["after_record", "after_send"])
def test_a_retry_after_the_kill_is_answered_with_the_one_order(home: Path, mode: str) -> None:
    """The caller retries with the same client id at once (a browser after a dropped
    connection): the answer is the order at the broker, booked once, whatever the kill cut."""
    crash(home, mode)
    manager = restarted(home, SUBMIT_AT + timedelta(seconds=1))  # well inside any grace
    request = REQUEST.model_copy(update={"account_id": manager.account_id})
    first = manager.submit(request)
    again = manager.submit(request)
    booked = manager.broker.orders()
    assert len(booked) == 1
    assert (first.status, first.broker_order_id) == (
        OrderStatus.ACCEPTED,
        booked[0].broker_order_id,
    )
    assert again.broker_order_id == first.broker_order_id
    manager.reconcile()
    assert len(manager.broker.orders()) == 1
    assert_agree(manager)


def test_the_paper_broker_books_a_client_id_once(home: Path) -> None:
    manager = restarted(home, SUBMIT_AT)
    manager.account()
    request = REQUEST.model_copy(update={"account_id": manager.account_id})
    first = manager.broker.place(request)
    again = manager.broker.place(request)
    assert again.broker_order_id == first.broker_order_id
    assert [o.broker_order_id for o in manager.broker.orders()] == [first.broker_order_id]
