"""Trading over the API with fills: a market buy and its sale, every won accounted for.

The API server's simulated clock is fixed, and the paper broker fills an order on the
minute bars that end after it was placed, so time passes here the way it does in the
product: a reconcile run with a later clock against the same data directory (the
scheduler's `reconcile` job, or the order manager's reconcile) brings the fills into the
store; the API then shows them. Expected prices come from the simulator's minute bars,
expected charges from `krx.costs`, independently of the broker and the order manager.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from stocklab.config import Settings, load_settings
from stocklab.jobs.runner import run_job
from stocklab.krx.calendar import settlement_date
from stocklab.krx.costs import commission, transaction_tax, transaction_tax_rate
from stocklab.model import KST, JobStatus, Market, SecurityKind
from stocklab.runtime.sources import open_source
from stocklab.runtime.trading import open_manager
from stocklab.store import open_store
from tests.api.conftest import Api, filled_settings, serve

CODE = "005930"
QTY = 7
STARTING_CASH = 100_000_000  # the paper account's default 예수금


def _at(home: Path, when: datetime) -> Settings:
    """The settings the API fixture uses, with the clock at `when`."""
    return load_settings(
        home=home, sim_codes=40, sim_start=date(2024, 6, 3), sim_now=when.isoformat()
    )


@contextmanager
def _server(settings: Settings) -> Iterator[Api]:
    yield from serve(settings)


def _minute(settings: Settings, start: datetime) -> tuple[int, int]:
    """(open, volume) of the simulator's minute bar starting at `start`."""
    market = open_source(settings.market_source, settings, now=settings.now)
    bars = market.minute_bars(CODE, start.date())
    wanted = int(start.timestamp())
    (i,) = [i for i in range(len(bars)) if int(bars.ts[i]) == wanted]
    return int(bars.open[i]), int(bars.volume[i])


def _order(api: Api, client_id: str) -> dict:
    response = api.client.get("/api/orders")
    assert response.status_code == 200, response.text
    (found,) = [o for o in response.json() if o["request"]["client_id"] == client_id]
    return found


@pytest.mark.parametrize(
    ("day", "settles", "tax_rate"),
    [
        (date(2024, 11, 15), date(2024, 11, 19), Decimal("0.0018")),
        # sold on the year's second-last session: settles after New Year (12-31 and 1-1 are
        # closed), so the 2025 rate applies although the trade was made in 2024
        (date(2024, 12, 27), date(2025, 1, 2), Decimal("0.0015")),
    ],
    ids=["2024-11-15", "settles-in-2025"],
)
def test_a_buy_and_its_sale_fill_and_the_ledger_adds_up_to_the_won(
    tmp_path: Path, day: date, settles: date, tax_rate: Decimal
) -> None:
    home = tmp_path / "home"
    placed_buy = datetime(day.year, day.month, day.day, 10, 0, 30, tzinfo=KST)
    buy_bar = placed_buy.replace(minute=1, second=0)  # the first minute after the order
    placed_sell = placed_buy + timedelta(minutes=5)  # 10:05:30
    sell_bar = buy_bar + timedelta(minutes=5)  # 10:06
    later = timedelta(minutes=3)  # when the reconcile runs: both bars have ended

    # -- buy --------------------------------------------------------------------------
    with _server(filled_settings(home, sim_now=placed_buy.isoformat())) as api:
        before = api.client.get("/api/account").json()
        assert (before["cash"], before["orderable"], before["reserved"]) == (
            STARTING_CASH,
            STARTING_CASH,
            0,
        )
        assert (before["equity"], before["positions_value"], before["day_pnl"]) == (
            STARTING_CASH,
            0,
            0,
        )
        quote = api.client.get(f"/api/codes/{CODE}/quote").json()
        market, kind = Market(quote["market"]), SecurityKind(quote["kind"])
        ticket = {"code": CODE, "side": "buy", "qty": QTY, "order_type": "market",
                  "client_id": "buy-1"}  # fmt: skip
        placed = api.client.post("/api/orders", json=ticket, headers=api.auth())
        assert placed.status_code == 201, placed.text
        assert placed.json()["status"] == "accepted"
        # a market buy holds back its worst case, the day's upper limit, plus commission
        held = api.client.get("/api/account").json()
        worst = quote["upper"] * QTY
        assert held["reserved"] == worst + commission(worst)
        assert held["cash"] == STARTING_CASH
        assert api.client.get("/api/fills").json() == []  # nothing has filled yet

        settings = _at(home, buy_bar + later)
        store = open_store(settings.store_url, actor="test")
        try:
            report = open_manager(settings, store).reconcile()
        finally:
            store.close()
        assert len(report.fills) == 1
        assert report.corrections == []  # the store's own bookkeeping agreed with the broker

        price, volume = _minute(settings, buy_bar)
        assert volume // 10 >= QTY, "the bar's volume must allow a full fill (10% share)"
        amount = QTY * price
        fee = commission(amount)
        assert fee == amount * 15 // 100_000  # 0.015%, floored to the won
        assert fee > 0

        order = _order(api, "buy-1")
        assert (order["status"], order["filled_qty"], order["filled_amount"]) == (
            "filled",
            QTY,
            amount,
        )
        (fill,) = api.client.get("/api/fills").json()
        assert (fill["client_id"], fill["side"], fill["code"]) == ("buy-1", "buy", CODE)
        assert (fill["qty"], fill["price"], fill["commission"], fill["tax"]) == (
            QTY,
            price,
            fee,
            0,
        )
        assert datetime.fromisoformat(fill["ts"]) == buy_bar
        assert fill["qty"] * fill["price"] == amount

        now = api.client.get(f"/api/codes/{CODE}/quote").json()["price"]
        (position,) = api.client.get("/api/positions").json()
        avg = (amount + fee) // QTY  # cost includes the commission
        assert (position["code"], position["qty"], position["sellable"]) == (CODE, QTY, QTY)
        assert (position["avg_price"], position["price"], position["value"]) == (
            avg,
            now,
            now * QTY,
        )
        assert position["pnl"] == (now - avg) * QTY
        assert position["pnl_bp"] == round((now - avg) * QTY * 10_000 / (amount + fee))

        account = api.client.get("/api/account").json()
        cash = STARTING_CASH - amount - fee
        assert (account["cash"], account["orderable"], account["reserved"]) == (cash, cash, 0)
        assert account["positions_value"] == now * QTY
        assert account["equity"] == cash + now * QTY
        assert account["day_pnl"] == now * QTY - amount - fee

    # -- sell, five minutes later -------------------------------------------------------
    with _server(_at(home, placed_sell)) as api:
        ticket = {"code": CODE, "side": "sell", "qty": QTY, "order_type": "market",
                  "client_id": "sell-1"}  # fmt: skip
        placed = api.client.post("/api/orders", json=ticket, headers=api.auth())
        assert placed.status_code == 201, placed.text
        assert placed.json()["status"] == "accepted"
        (still,) = api.client.get("/api/positions").json()
        assert (still["qty"], still["sellable"]) == (QTY, 0)  # all of it is being sold

        settings = _at(home, sell_bar + later)
        run = run_job("reconcile", settings=settings, interactive=False)
        assert run.status is JobStatus.SUCCEEDED, run.error
        assert run.counts.get("fills") == 1
        assert not run.counts.get("corrections")

        sold_at, volume = _minute(settings, sell_bar)
        assert volume // 10 >= QTY, "the bar's volume must allow a full fill (10% share)"
        proceeds = QTY * sold_at
        sell_fee = commission(proceeds)
        tax = transaction_tax(proceeds, day, market, kind)
        # the rate of the settlement date (T+2), worked out by hand for this date
        assert settlement_date(day) == settles
        assert transaction_tax_rate(settles, market, kind) == tax_rate
        assert tax == proceeds * int(tax_rate * 10_000) // 10_000
        assert tax > 0

        fills = api.client.get("/api/fills").json()
        assert [f["client_id"] for f in fills] == ["buy-1", "sell-1"]
        sale = fills[1]
        assert (sale["side"], sale["qty"], sale["price"]) == ("sell", QTY, sold_at)
        assert (sale["commission"], sale["tax"]) == (sell_fee, tax)
        assert datetime.fromisoformat(sale["ts"]) == sell_bar
        order = _order(api, "sell-1")
        assert (order["status"], order["filled_qty"], order["filled_amount"]) == (
            "filled",
            QTY,
            proceeds,
        )

        assert api.client.get("/api/positions").json() == []
        cash = STARTING_CASH - amount - fee + proceeds - sell_fee - tax
        account = api.client.get("/api/account").json()
        assert (account["cash"], account["orderable"], account["reserved"]) == (cash, cash, 0)
        assert (account["equity"], account["positions_value"]) == (cash, 0)
        assert account["day_pnl"] == cash - STARTING_CASH  # all of today's result is realised

    store = open_store(settings.store_url, actor="test")
    try:
        recorded = store.get_account(settings.trading_account)
        assert recorded is not None
        assert recorded.cash == cash  # the store's ledger, not only the broker's
        assert all(p.qty == 0 for p in store.list_positions(settings.trading_account))
    finally:
        store.close()
