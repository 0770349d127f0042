"""`stocklab orders list --open` and `stocklab orders cancel ID` as a user runs them, on a
paper account holding an open order (one trading cycle at a fixed clock)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from stocklab.model import OrderStatus
from stocklab.store.sqlite import SqliteStore
from stocklab.trading.orders import OPEN
from tests.trading.test_trade_cli import env_for


def stocklab(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Wide enough that rich never folds or elides a client id in the table.
    return subprocess.run(
        [sys.executable, "-m", "stocklab", *args],
        env={**env_for(home), "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def open_orders(home: Path) -> list[str]:
    store = SqliteStore(home / "stocklab.db", readonly=True)
    return [o.client_id for o in store.list_orders("paper", list(OPEN), 100)]


def test_orders_list_open_and_cancel_on_a_paper_account(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert stocklab(home, "collect", "codes").returncode == 0
    cycle = stocklab(home, "trade", "run", "--once")
    assert cycle.returncode == 0, cycle.stderr
    before = open_orders(home)
    assert len(before) >= 1, "the trading cycle left no open order to cancel"
    target, *others = before

    listed = stocklab(home, "orders", "list", "--open")
    assert listed.returncode == 0, listed.stderr
    for client_id in before:
        assert client_id in listed.stdout

    cancelled = stocklab(home, "orders", "cancel", target)
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.strip() == f"{target}: {OrderStatus.CANCELLED.value}"
    store = SqliteStore(home / "stocklab.db", readonly=True)
    order = store.get_order(target)
    assert order is not None
    assert order.status is OrderStatus.CANCELLED
    assert open_orders(home) == others  # only that order was cancelled

    after = stocklab(home, "orders", "list", "--open")
    assert after.returncode == 0, after.stderr
    assert target not in after.stdout
    for client_id in others:
        assert client_id in after.stdout
    by_status = stocklab(home, "orders", "list", "--status", "cancelled")
    assert target in by_status.stdout

    # Cancelling it again is refused in one line: it is no longer open.
    again = stocklab(home, "orders", "cancel", target)
    assert again.returncode == 1
    assert again.stderr.strip().count("\n") == 0, again.stderr
    assert target in again.stderr
    assert "cancelled" in again.stderr


def test_cancelling_an_unknown_order_is_one_line_and_a_nonzero_exit(tmp_path: Path) -> None:
    home = tmp_path / "home"
    # A first command that writes makes the store (and logs that once; a read makes
    # nothing); the cancel comes after.
    assert stocklab(home, "trade", "status").returncode == 0
    unknown = stocklab(home, "orders", "cancel", "no-such-order-42")
    assert unknown.returncode != 0
    assert unknown.stdout == ""
    lines = unknown.stderr.strip().splitlines()
    assert len(lines) == 1, unknown.stderr
    assert "no-such-order-42" in lines[0]
    assert "Traceback" not in unknown.stderr


def test_orders_modify_moves_an_open_order_to_a_new_one(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert stocklab(home, "collect", "codes").returncode == 0
    cycle = stocklab(home, "trade", "run", "--once")
    assert cycle.returncode == 0, cycle.stderr
    target = next(
        o
        for o in SqliteStore(home / "stocklab.db", readonly=True).list_orders("paper", list(OPEN))
        if o.request.price and o.request.qty > 1
    )
    nothing = stocklab(home, "orders", "modify", target.client_id)
    assert nothing.returncode != 0
    assert "--price" in nothing.stderr
    smaller = target.request.qty - 1
    done = stocklab(home, "orders", "modify", target.client_id, "--qty", str(smaller))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{target.client_id} → {target.client_id}.m1: {smaller:,}주")
    store = SqliteStore(home / "stocklab.db", readonly=True)
    original, new = store.get_order(target.client_id), store.get_order(f"{target.client_id}.m1")
    assert original is not None
    assert new is not None
    assert original.status is OrderStatus.REPLACED
    assert (new.replaces, new.request.qty, new.status) == (
        target.client_id,
        smaller,
        OrderStatus.ACCEPTED,
    )
    assert f"{target.client_id}.m1" in open_orders(home)
